//! Small pure helpers of the simulator: message ids, the token bucket, receipt text and the
//! calendar date receipts carry.
//!
//! Why integer milli-tokens: the bucket refills `rate` tokens per second, i.e. exactly `rate`
//! milli-tokens per millisecond, so there is no rounding drift and no floating point.

/// How the simulator names accepted messages (§5.2.23 message_id, up to 64 characters).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum MessageIdStyle {
    /// An 8-digit upper-case hex counter, like many SMSCs and `smsc_sim.js`: `0000002A`.
    #[default]
    HexCounter,
    /// A 36-character UUID-shaped id (version 4 layout), like Jasmin: tests the ESME's
    /// 64-character message_id handling.
    Uuid,
}

impl MessageIdStyle {
    /// The id of the `n`-th accepted message (unique per `n`).
    pub fn format(self, n: u64) -> String {
        match self {
            MessageIdStyle::HexCounter => format!("{n:08X}"),
            MessageIdStyle::Uuid => {
                // splitmix64 is a bijection, so the first half alone keeps ids unique.
                let hi = splitmix64(n);
                let lo = splitmix64(hi ^ 0x5DEE_CE66_D1CE_4E5B);
                format!(
                    "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
                    hi >> 32,
                    (hi >> 16) & 0xFFFF,
                    hi & 0x0FFF,
                    0x8000 | (lo >> 48) & 0x3FFF,
                    lo & 0xFFFF_FFFF_FFFF
                )
            }
        }
    }
}

fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A token bucket of `rate` tokens per second with a one-second burst.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TokenBucket {
    rate: u64,
    milli_tokens: u64,
    last_ms: Option<u64>,
}

impl TokenBucket {
    pub(crate) fn new(rate_per_sec: u32) -> Self {
        let rate = u64::from(rate_per_sec);
        TokenBucket {
            rate,
            milli_tokens: rate.saturating_mul(1000),
            last_ms: None,
        }
    }

    /// Takes one token at `now`; `false` when the rate is exceeded (a rate of 0 never limits).
    pub(crate) fn take(&mut self, now: u64) -> bool {
        if self.rate == 0 {
            return true;
        }
        let elapsed = self.last_ms.map_or(0, |last| now.saturating_sub(last));
        // Threads of the server may pass slightly older clocks; never move time backwards.
        self.last_ms = Some(self.last_ms.map_or(now, |last| last.max(now)));
        let cap = self.rate.saturating_mul(1000);
        self.milli_tokens = self
            .milli_tokens
            .saturating_add(elapsed.saturating_mul(self.rate))
            .min(cap);
        if self.milli_tokens >= 1000 {
            self.milli_tokens -= 1000;
            true
        } else {
            false
        }
    }
}

/// `YYMMDDhhmm` (SMPP 3.4 Appendix B) for `ms` milliseconds after 1970-01-01T00:00Z.
pub(crate) fn receipt_date(ms: u64) -> String {
    let secs = ms / 1000;
    let days = secs / 86_400;
    let (year, month, day) = civil_from_days(days);
    let minute_of_day = (secs % 86_400) / 60;
    format!(
        "{:02}{:02}{:02}{:02}{:02}",
        year % 100,
        month,
        day,
        minute_of_day / 60,
        minute_of_day % 60
    )
}

/// Days since 1970-01-01 to (year, month, day) — H. Hinnant's `civil_from_days`.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

/// The Appendix B receipt text for a delivered message, with the first 20 characters of its
/// text (non-ASCII replaced by `?`, since the receipt goes out as plain ASCII).
pub(crate) fn receipt_text(message_id: &str, submit_ms: u64, done_ms: u64, text: &str) -> String {
    let excerpt: String = text
        .chars()
        .take(20)
        .map(|c| {
            if c.is_ascii() && !c.is_ascii_control() {
                c
            } else {
                '?'
            }
        })
        .collect();
    format!(
        "id:{message_id} sub:001 dlvrd:001 submit date:{} done date:{} stat:DELIVRD err:000 text:{excerpt}",
        receipt_date(submit_ms),
        receipt_date(done_ms)
    )
}

/// TON/NPI for an address the simulator makes up: long digit strings are international,
/// short ones national/short codes, anything else alphanumeric (§5.2.5).
pub(crate) fn guess_ton_npi(addr: &str) -> (u8, u8) {
    if !addr.is_empty() && addr.bytes().all(|b| b.is_ascii_digit()) {
        if addr.len() > 8 {
            (1, 1)
        } else {
            (0, 1)
        }
    } else {
        (5, 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_the_promised_shapes() {
        assert_eq!(MessageIdStyle::HexCounter.format(42), "0000002A");
        let uuid = MessageIdStyle::Uuid.format(42);
        assert_eq!(uuid.len(), 36);
        assert_eq!(uuid.as_bytes()[14], b'4');
        assert_ne!(uuid, MessageIdStyle::Uuid.format(43));
    }

    #[test]
    fn bucket_limits_to_the_rate_and_refills() {
        let mut bucket = TokenBucket::new(10);
        let taken = (0..20).filter(|_| bucket.take(0)).count();
        assert_eq!(taken, 10);
        assert!(!bucket.take(50));
        assert!(bucket.take(100));
    }

    #[test]
    fn dates_are_civil() {
        // 2024-02-29T13:45:00Z
        assert_eq!(receipt_date(1_709_214_300_000), "2402291345");
        assert_eq!(receipt_date(0), "7001010000");
    }

    #[test]
    fn receipt_text_parses_back() {
        let text = receipt_text("0000002A", 0, 60_000, "héllo world, a long text");
        let parsed = smartchat_sms::parse_receipt(&text).expect("parses");
        assert_eq!(parsed.id, "0000002A");
        assert_eq!(parsed.text, Some("h?llo world, a long "));
        assert_eq!(parsed.stat.message_state(), Some(2));
    }
}
