//! Delivery-receipt text in the `short_message` of a `deliver_sm` with esm_class 0x04
//! (SMPP 3.4 Appendix B):
//! `id:IIII sub:SSS dlvrd:DDD submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:DDDDDDD
//! err:E text:...`.
//!
//! Why a hand-written tolerant scanner instead of a fixed pattern: Appendix B calls the format
//! "SMSC vendor specific" and carriers vary it: key case, field order, missing fields,
//! doubled spaces, `submit_date`, 12-digit dates with seconds, long UUID ids. The scanner
//! recognises a known key (case-insensitive, followed by optional spaces and `:`) only at the
//! start of a whitespace-separated token, so values cannot be mistaken for keys, and `text:`
//! ends the scan: everything after it, colons included, is the text. It borrows from the
//! input and does one pass, so a receipt costs no allocation unless `stat` is unrecognised.

use crate::SmsError;

/// Longest receipt text accepted (a `message_payload` TLV can carry 64 KiB).
pub const MAX_RECEIPT_LEN: usize = 65_536;
/// Longest message id accepted (UUIDs with braces and prefixes fit).
pub const MAX_RECEIPT_ID_LEN: usize = 64;
/// Longest `stat` value accepted.
pub const MAX_STAT_LEN: usize = 32;

/// The `stat` field: message states of SMPP 3.4 Appendix B / §5.2.28.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ReceiptStat {
    /// `DELIVRD`: delivered to the destination.
    Delivered,
    /// `EXPIRED`: validity period expired.
    Expired,
    /// `DELETED`: deleted.
    Deleted,
    /// `UNDELIV`: undeliverable.
    Undeliverable,
    /// `ACCEPTD`: accepted (read on the subscriber's behalf).
    Accepted,
    /// `UNKNOWN`: the message is in an invalid state.
    Unknown,
    /// `REJECTD`: rejected.
    Rejected,
    /// `ENROUTE`: still on its way (an intermediate notification).
    Enroute,
    /// Anything else, as sent.
    Other(String),
}

impl ReceiptStat {
    /// Maps a `stat` value, case-insensitively; the full words (`DELIVERED`, `UNDELIVERABLE`,
    /// `ACCEPTED`, `REJECTED`) some SMSCs send are accepted too.
    pub fn parse(s: &str) -> ReceiptStat {
        const TABLE: [(&str, ReceiptStat); 12] = [
            ("DELIVRD", ReceiptStat::Delivered),
            ("DELIVERED", ReceiptStat::Delivered),
            ("EXPIRED", ReceiptStat::Expired),
            ("DELETED", ReceiptStat::Deleted),
            ("UNDELIV", ReceiptStat::Undeliverable),
            ("UNDELIVERABLE", ReceiptStat::Undeliverable),
            ("ACCEPTD", ReceiptStat::Accepted),
            ("ACCEPTED", ReceiptStat::Accepted),
            ("UNKNOWN", ReceiptStat::Unknown),
            ("REJECTD", ReceiptStat::Rejected),
            ("REJECTED", ReceiptStat::Rejected),
            ("ENROUTE", ReceiptStat::Enroute),
        ];
        TABLE
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(s))
            .map(|(_, st)| st.clone())
            .unwrap_or_else(|| ReceiptStat::Other(s.to_owned()))
    }

    /// True for states after which no further receipt comes. SMPP 3.4 §5.2.28 lists every
    /// named state except ENROUTE as final, ACCEPTED included; an unrecognised value is
    /// treated as not final so the runtime keeps waiting until its own timeout.
    pub fn is_final(&self) -> bool {
        !matches!(self, ReceiptStat::Enroute | ReceiptStat::Other(_))
    }

    /// The `message_state` TLV value (SMPP 3.4 §5.2.28) for this state.
    pub fn message_state(&self) -> Option<u8> {
        Some(match self {
            ReceiptStat::Enroute => 1,
            ReceiptStat::Delivered => 2,
            ReceiptStat::Expired => 3,
            ReceiptStat::Deleted => 4,
            ReceiptStat::Undeliverable => 5,
            ReceiptStat::Accepted => 6,
            ReceiptStat::Unknown => 7,
            ReceiptStat::Rejected => 8,
            ReceiptStat::Other(_) => return None,
        })
    }

    /// The Appendix B spelling (or the original text for [`ReceiptStat::Other`]).
    pub fn as_str(&self) -> &str {
        match self {
            ReceiptStat::Delivered => "DELIVRD",
            ReceiptStat::Expired => "EXPIRED",
            ReceiptStat::Deleted => "DELETED",
            ReceiptStat::Undeliverable => "UNDELIV",
            ReceiptStat::Accepted => "ACCEPTD",
            ReceiptStat::Unknown => "UNKNOWN",
            ReceiptStat::Rejected => "REJECTD",
            ReceiptStat::Enroute => "ENROUTE",
            ReceiptStat::Other(s) => s,
        }
    }
}

/// A parsed delivery receipt, borrowing from the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryReceipt<'a> {
    /// Message id as returned in `submit_sm_resp` (1..=64 printable ASCII characters).
    pub id: &'a str,
    /// Number of messages originally submitted (`sub`), when present and numeric.
    pub sub: Option<u32>,
    /// Number delivered (`dlvrd`), when present and numeric.
    pub dlvrd: Option<u32>,
    /// `submit date` as sent, when it is 10 (YYMMDDhhmm) or 12 (…ss) digits.
    pub submit_date: Option<&'a str>,
    /// `done date` as sent, when it is 10 or 12 digits.
    pub done_date: Option<&'a str>,
    /// The final (or intermediate) state.
    pub stat: ReceiptStat,
    /// Network-specific error code, as sent.
    pub err: Option<&'a str>,
    /// Everything after `text:` (may be empty; `None` when there is no `text:` key).
    pub text: Option<&'a str>,
}

/// A receipt date (SMPP 3.4 Appendix B: YYMMDDhhmm, often with ss appended).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ReceiptDate {
    /// Two-digit year.
    pub year: u8,
    /// 1..=12.
    pub month: u8,
    /// 1..=31.
    pub day: u8,
    /// 0..=23.
    pub hour: u8,
    /// 0..=59.
    pub minute: u8,
    /// 0..=59 when the date had 12 digits.
    pub second: Option<u8>,
}

impl ReceiptDate {
    /// Parses a 10- or 12-digit date, checking field ranges.
    pub fn parse(s: &str) -> Option<ReceiptDate> {
        let b = s.as_bytes();
        if !(b.len() == 10 || b.len() == 12) || !b.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let two = |i: usize| -> Option<u8> {
            let hi = b.get(i)?.checked_sub(b'0')?;
            let lo = b.get(i + 1)?.checked_sub(b'0')?;
            Some(hi * 10 + lo)
        };
        let d = ReceiptDate {
            year: two(0)?,
            month: two(2)?,
            day: two(4)?,
            hour: two(6)?,
            minute: two(8)?,
            second: if b.len() == 12 { Some(two(10)?) } else { None },
        };
        let ok = (1..=12).contains(&d.month)
            && (1..=31).contains(&d.day)
            && d.hour < 24
            && d.minute < 60
            && d.second.is_none_or(|s| s < 60);
        ok.then_some(d)
    }
}

impl DeliveryReceipt<'_> {
    /// `submit_date`, parsed and range-checked.
    pub fn submit_date_parsed(&self) -> Option<ReceiptDate> {
        self.submit_date.and_then(ReceiptDate::parse)
    }

    /// `done_date`, parsed and range-checked.
    pub fn done_date_parsed(&self) -> Option<ReceiptDate> {
        self.done_date.and_then(ReceiptDate::parse)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Id,
    Sub,
    Dlvrd,
    SubmitDate,
    DoneDate,
    Stat,
    Err,
    Text,
}

impl Field {
    fn slot(self) -> usize {
        self as usize
    }
}

/// Case-insensitive `word` at `at`; returns the index after it.
fn word_at(b: &[u8], at: usize, word: &[u8]) -> Option<usize> {
    let end = at.checked_add(word.len())?;
    b.get(at..end)?.eq_ignore_ascii_case(word).then_some(end)
}

/// Matches a key at token start `at`: the name, optional blanks, then `:`. Returns the field
/// and the index after the colon.
fn key_at(b: &[u8], at: usize) -> Option<(Field, usize)> {
    // Longer names first so `submit` is not read as `sub`.
    let (field, mut i) = if let Some(i) = word_at(b, at, b"submit") {
        (Field::SubmitDate, date_suffix(b, i)?)
    } else if let Some(i) = word_at(b, at, b"done") {
        (Field::DoneDate, date_suffix(b, i)?)
    } else {
        const SIMPLE: [(&[u8], Field); 6] = [
            (b"id", Field::Id),
            (b"sub", Field::Sub),
            (b"dlvrd", Field::Dlvrd),
            (b"stat", Field::Stat),
            (b"err", Field::Err),
            (b"text", Field::Text),
        ];
        SIMPLE
            .iter()
            .find_map(|&(w, f)| word_at(b, at, w).map(|i| (f, i)))?
    };
    while matches!(b.get(i), Some(b' ' | b'\t')) {
        i += 1;
    }
    (b.get(i) == Some(&b':')).then_some((field, i + 1))
}

/// After `submit`/`done`: optional single ` `, `_` or `-` (or several blanks), then `date`.
fn date_suffix(b: &[u8], mut i: usize) -> Option<usize> {
    if matches!(b.get(i), Some(b'_' | b'-')) {
        i += 1;
    } else {
        while matches!(b.get(i), Some(b' ' | b'\t')) {
            i += 1;
        }
    }
    word_at(b, i, b"date")
}

/// First whitespace-separated word of `s`, or `None` when blank.
fn first_word(s: &str) -> Option<&str> {
    s.split_ascii_whitespace().next()
}

fn is_date(s: &str) -> bool {
    (s.len() == 10 || s.len() == 12) && s.bytes().all(|c| c.is_ascii_digit())
}

/// Parses delivery-receipt text (SMPP 3.4 Appendix B), tolerating what carriers send: keys in
/// any case and order, missing optional fields, runs of blanks, `submit_date`/`submitdate`,
/// 10- or 12-digit dates, ids up to 64 characters, trailing NUL/CR/LF. The first occurrence of
/// a key wins; `text:` takes the rest of the input. `id` and `stat` are required. Numeric
/// fields that are not numbers and dates that are not 10/12 digits are reported as `None`.
pub fn parse_receipt(text: &str) -> Result<DeliveryReceipt<'_>, SmsError> {
    if text.len() > MAX_RECEIPT_LEN {
        return Err(SmsError::ReceiptTooLong { len: text.len() });
    }
    let s = text.trim_end_matches(['\0', '\r', '\n']);
    let b = s.as_bytes();
    let mut ranges: [Option<(usize, usize)>; 8] = [None; 8];
    let mut current: Option<(Field, usize)> = None;
    let mut i = 0usize;
    let mut prev_blank = true;
    while i < b.len() {
        let c = b.get(i).copied().unwrap_or(b' ');
        let blank = c.is_ascii_whitespace();
        if prev_blank && !blank {
            if let Some((field, after)) = key_at(b, i) {
                if let Some((f, start)) = current.take() {
                    set_once(&mut ranges, f, start, i);
                }
                if field == Field::Text {
                    set_once(&mut ranges, field, after, b.len());
                    break;
                }
                current = Some((field, after));
                i = after;
                prev_blank = true; // a value may follow the colon directly
                continue;
            }
        }
        prev_blank = blank;
        i += 1;
    }
    if let Some((f, start)) = current {
        set_once(&mut ranges, f, start, b.len());
    }
    let get = |f: Field| -> Option<&str> {
        let (a, z) = (*ranges.get(f.slot())?)?;
        s.get(a..z)
    };
    let word = |f: Field| get(f).and_then(first_word);

    let id = word(Field::Id).ok_or(SmsError::ReceiptMissingField("id"))?;
    if id.len() > MAX_RECEIPT_ID_LEN || !id.bytes().all(|c| c.is_ascii_graphic()) {
        return Err(SmsError::ReceiptInvalidField("id"));
    }
    let stat = word(Field::Stat).ok_or(SmsError::ReceiptMissingField("stat"))?;
    if stat.len() > MAX_STAT_LEN {
        return Err(SmsError::ReceiptInvalidField("stat"));
    }
    let number = |f: Field| word(f).and_then(|w| w.parse::<u32>().ok());
    Ok(DeliveryReceipt {
        id,
        sub: number(Field::Sub),
        dlvrd: number(Field::Dlvrd),
        submit_date: word(Field::SubmitDate).filter(|d| is_date(d)),
        done_date: word(Field::DoneDate).filter(|d| is_date(d)),
        stat: ReceiptStat::parse(stat),
        err: word(Field::Err),
        text: get(Field::Text),
    })
}

fn set_once(ranges: &mut [Option<(usize, usize)>; 8], f: Field, start: usize, end: usize) {
    if let Some(slot) = ranges.get_mut(f.slot()) {
        if slot.is_none() {
            *slot = Some((start, end.max(start)));
        }
    }
}
