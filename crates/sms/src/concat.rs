//! Concatenated SMS: splitting outgoing text into parts with a user data header, and reading
//! the concatenation IE of received parts (3GPP TS 23.040 §9.2.3.24, IEs §9.2.3.24.1 with an
//! 8-bit reference and §9.2.3.24.8 with a 16-bit reference).
//!
//! Why septets and code units are counted, never characters: the 140-octet user data limit is
//! what binds, so a GSM part holds 153 septets after an 8-bit-reference UDH (6 octets + 1 fill
//! bit) and 152 after a 16-bit one (7 octets), a UCS-2 part 67 or 66 UTF-16 code units. An
//! escape pair (§6.2.1.1) or a surrogate pair is one character to the reader and is never cut
//! in two; a part that would end on half of one ends one character early instead.
//!
//! Why the splitting is greedy and allocation-bounded: the number of parts is checked as it
//! grows, so an oversized text fails after at most `max_parts` parts of work.

use crate::coding::{choose_coding, DataCoding, SeptetPacking};
use crate::gsm7::{ends_on_octet_boundary, gsm7_encode_unpacked, gsm7_pack, CR, ESC};
use crate::ucs2::ucs2_len;
use crate::SmsError;

/// Octets of TP-User-Data in one SMS (TS 23.040 §9.2.3.16).
pub const USER_DATA_OCTETS: usize = 140;
/// Septets in a GSM 7-bit SMS without a UDH.
pub const GSM7_SINGLE_SEPTETS: usize = 160;
/// UTF-16 code units in a UCS-2 SMS without a UDH.
pub const UCS2_SINGLE_UNITS: usize = 70;
/// IEI of the concatenation IE with an 8-bit reference (TS 23.040 §9.2.3.24.1).
pub const IEI_CONCAT_8: u8 = 0x00;
/// IEI of the concatenation IE with a 16-bit reference (TS 23.040 §9.2.3.24.8).
pub const IEI_CONCAT_16: u8 = 0x08;
/// The esm_class bit that says `short_message` starts with a UDH (SMPP 3.4 §5.2.12).
pub const ESM_CLASS_UDHI: u8 = 0x40;

/// Concatenation info: reference, total parts and this part's 1-based sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConcatInfo {
    /// Concatenated short message reference number (8-bit references are zero-extended).
    pub reference: u16,
    /// Maximum number of short messages in the concatenated message.
    pub total: u8,
    /// Sequence number of this part, 1..=total.
    pub seq: u8,
}

impl ConcatInfo {
    /// True when `total >= 1` and `1 <= seq <= total`; TS 23.040 §9.2.3.24.1 says to ignore
    /// an IE that breaks this.
    pub fn is_valid(&self) -> bool {
        self.total != 0 && self.seq != 0 && self.seq <= self.total
    }
}

/// Width of the concatenation reference, i.e. which IE is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum RefWidth {
    /// IEI 0x00, UDH `05 00 03 ref total seq` (TS 23.040 §9.2.3.24.1).
    #[default]
    Bits8,
    /// IEI 0x08, UDH `06 08 04 refhi reflo total seq` (TS 23.040 §9.2.3.24.8).
    Bits16,
}

impl RefWidth {
    /// Octets of the UDH including its length octet (UDHL).
    pub fn udh_len(self) -> usize {
        match self {
            RefWidth::Bits8 => 6,
            RefWidth::Bits16 => 7,
        }
    }
}

/// How [`split_message`] builds parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SplitOptions {
    /// Concatenation reference; with [`RefWidth::Bits8`] only the low byte is sent.
    pub reference: u16,
    /// Which concatenation IE to use.
    pub reference_width: RefWidth,
    /// Packed or unpacked septets for GSM 7-bit parts (ignored for UCS-2).
    pub packing: SeptetPacking,
    /// Most parts allowed (255 is the IE's limit); more gives [`SmsError::TooManyParts`].
    pub max_parts: u8,
}

impl Default for SplitOptions {
    fn default() -> Self {
        SplitOptions {
            reference: 0,
            reference_width: RefWidth::Bits8,
            packing: SeptetPacking::Unpacked,
            max_parts: 255,
        }
    }
}

/// One outgoing SMS, ready for `submit_sm`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsPart {
    /// The `short_message` octets: UDH (when concatenated) followed by the payload.
    pub short_message: Vec<u8>,
    /// Set esm_class bit 0x40 (UDHI) when true.
    pub esm_class_udhi: bool,
    /// The `data_coding` octet (0x00 or 0x08).
    pub data_coding: u8,
    /// The concatenation info in the UDH, for runtimes that send SAR TLVs instead.
    pub concat: Option<ConcatInfo>,
}

/// Fill bits that put the first septet after a UDH of `udh_len` octets (UDHL included) on a
/// septet boundary (TS 23.040 §9.2.3.24).
#[inline]
pub fn fill_bits_for_udh(udh_len: usize) -> u8 {
    ((7 - (udh_len % 7) * 8 % 7) % 7) as u8
}

/// Splits `text` into SMS parts, choosing GSM 7-bit or UCS-2 with [`choose_coding`].
/// A text that fits one SMS (160 septets / 70 code units) gives one part without UDH.
pub fn split_message(text: &str, opts: &SplitOptions) -> Result<Vec<SmsPart>, SmsError> {
    split_message_as(text, choose_coding(text), opts)
}

/// Splits `text` with a given coding: [`DataCoding::Gsm7`] (fails with
/// [`SmsError::Unrepresentable`] on a character outside GSM 03.38) or [`DataCoding::Ucs2`];
/// other codings give [`SmsError::UnsupportedDataCoding`].
pub fn split_message_as(
    text: &str,
    coding: DataCoding,
    opts: &SplitOptions,
) -> Result<Vec<SmsPart>, SmsError> {
    let max = usize::from(opts.max_parts);
    // Every character takes at most 4 UTF-8 bytes and at least one septet or code unit,
    // so this rejects hopeless input before allocating for it.
    if text.len() / 4 > max.saturating_mul(GSM7_SINGLE_SEPTETS) {
        return Err(SmsError::TooManyParts {
            max: opts.max_parts,
        });
    }
    match coding {
        DataCoding::Gsm7 => split_gsm7(text, opts),
        DataCoding::Ucs2 => split_ucs2(text, opts),
        other => Err(SmsError::UnsupportedDataCoding(other.to_byte())),
    }
}

fn udh(opts: &SplitOptions, total: u8, seq: u8) -> ([u8; 7], usize) {
    let [hi, lo] = opts.reference.to_be_bytes();
    match opts.reference_width {
        RefWidth::Bits8 => ([5, IEI_CONCAT_8, 3, lo, total, seq, 0], 6),
        RefWidth::Bits16 => ([6, IEI_CONCAT_16, 4, hi, lo, total, seq], 7),
    }
}

fn concat_info(opts: &SplitOptions, total: u8, seq: u8) -> ConcatInfo {
    let reference = match opts.reference_width {
        RefWidth::Bits8 => opts.reference & 0xFF,
        RefWidth::Bits16 => opts.reference,
    };
    ConcatInfo {
        reference,
        total,
        seq,
    }
}

/// Checks the part count against `max_parts` and the IE's 255 and returns it as `u8`.
fn part_count(n: usize, opts: &SplitOptions) -> Result<u8, SmsError> {
    match u8::try_from(n) {
        Ok(t) if t <= opts.max_parts => Ok(t),
        _ => Err(SmsError::TooManyParts {
            max: opts.max_parts,
        }),
    }
}

/// A GSM chunk: septet range and whether a final CR must be doubled (TS 23.038 §6.1.2.3.1).
struct Chunk {
    start: usize,
    end: usize,
    double_cr: bool,
}

fn split_gsm7(text: &str, opts: &SplitOptions) -> Result<Vec<SmsPart>, SmsError> {
    let mut septets = Vec::with_capacity(text.len());
    gsm7_encode_unpacked(text, &mut septets)?;
    let packed = opts.packing == SeptetPacking::Packed;
    let n = septets.len();
    // Packed text that ends in CR on an octet boundary needs one more CR septet.
    let needs_cr = |len: usize, last: Option<&u8>, fill: u8| {
        packed && last == Some(&CR) && ends_on_octet_boundary(len, fill)
    };
    let single_need = n + usize::from(needs_cr(n, septets.last(), 0));
    if single_need <= GSM7_SINGLE_SEPTETS {
        part_count(1, opts)?;
        let mut sm = Vec::with_capacity(single_need);
        emit_septets(&septets, single_need > n, packed, 0, &mut sm);
        return Ok(vec![SmsPart {
            short_message: sm,
            esm_class_udhi: false,
            data_coding: DataCoding::Gsm7.to_byte(),
            concat: None,
        }]);
    }
    let udh_len = opts.reference_width.udh_len();
    let fill = if packed {
        fill_bits_for_udh(udh_len)
    } else {
        0
    };
    let cap = ((USER_DATA_OCTETS - udh_len) * 8 - usize::from(fill)) / 7;
    let mut chunks: Vec<Chunk> = Vec::new();
    let mut start = 0usize;
    let mut i = 0usize;
    let max = usize::from(opts.max_parts);
    while i < n {
        let size = if septets.get(i) == Some(&ESC) { 2 } else { 1 };
        if i + size - start > cap {
            let mut end = i;
            // A CR ending a non-final part on an octet boundary would be read as padding:
            // move it to the next part instead of doubling it mid-text.
            if needs_cr(end - start, septets.get(end.wrapping_sub(1)), fill) {
                end -= 1;
            }
            chunks.push(Chunk {
                start,
                end,
                double_cr: false,
            });
            if chunks.len() >= max {
                return Err(SmsError::TooManyParts {
                    max: opts.max_parts,
                });
            }
            start = end;
        }
        i += size;
    }
    let len = n - start;
    if needs_cr(len, septets.last(), fill) {
        if len < cap {
            chunks.push(Chunk {
                start,
                end: n,
                double_cr: true,
            });
        } else {
            // No room to double it: the CR becomes a part of its own (doubled there).
            chunks.push(Chunk {
                start,
                end: n - 1,
                double_cr: false,
            });
            chunks.push(Chunk {
                start: n - 1,
                end: n,
                double_cr: needs_cr(1, Some(&CR), fill),
            });
        }
    } else {
        chunks.push(Chunk {
            start,
            end: n,
            double_cr: false,
        });
    }
    let total = part_count(chunks.len(), opts)?;
    let mut parts = Vec::with_capacity(chunks.len());
    for (seq, c) in (1..=total).zip(chunks.iter()) {
        let (hdr, hlen) = udh(opts, total, seq);
        let mut sm = Vec::with_capacity(USER_DATA_OCTETS + 20);
        sm.extend_from_slice(hdr.get(..hlen).unwrap_or(&hdr));
        let body = septets.get(c.start..c.end).unwrap_or_default();
        emit_septets(body, c.double_cr, packed, fill, &mut sm);
        parts.push(SmsPart {
            short_message: sm,
            esm_class_udhi: true,
            data_coding: DataCoding::Gsm7.to_byte(),
            concat: Some(concat_info(opts, total, seq)),
        });
    }
    Ok(parts)
}

fn emit_septets(body: &[u8], double_cr: bool, packed: bool, fill: u8, out: &mut Vec<u8>) {
    match (packed, double_cr) {
        (false, _) => out.extend_from_slice(body),
        (true, false) => gsm7_pack(body, fill, out),
        (true, true) => {
            let mut v = Vec::with_capacity(body.len() + 1);
            v.extend_from_slice(body);
            v.push(CR);
            gsm7_pack(&v, fill, out);
        }
    }
}

fn split_ucs2(text: &str, opts: &SplitOptions) -> Result<Vec<SmsPart>, SmsError> {
    let coding = DataCoding::Ucs2.to_byte();
    if ucs2_len(text) <= UCS2_SINGLE_UNITS {
        part_count(1, opts)?;
        let mut sm = Vec::with_capacity(USER_DATA_OCTETS);
        crate::ucs2::ucs2_encode(text, &mut sm);
        return Ok(vec![SmsPart {
            short_message: sm,
            esm_class_udhi: false,
            data_coding: coding,
            concat: None,
        }]);
    }
    let udh_len = opts.reference_width.udh_len();
    let cap = (USER_DATA_OCTETS - udh_len) / 2;
    let max = usize::from(opts.max_parts);
    // Byte ranges of `text`, one per part.
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    let mut start = 0usize;
    let mut units = 0usize;
    for (idx, ch) in text.char_indices() {
        let u = ch.len_utf16();
        if units + u > cap {
            ranges.push((start, idx));
            if ranges.len() >= max {
                return Err(SmsError::TooManyParts {
                    max: opts.max_parts,
                });
            }
            start = idx;
            units = 0;
        }
        units += u;
    }
    ranges.push((start, text.len()));
    let total = part_count(ranges.len(), opts)?;
    let mut parts = Vec::with_capacity(ranges.len());
    for (seq, &(a, b)) in (1..=total).zip(ranges.iter()) {
        let (hdr, hlen) = udh(opts, total, seq);
        let mut sm = Vec::with_capacity(USER_DATA_OCTETS);
        sm.extend_from_slice(hdr.get(..hlen).unwrap_or(&hdr));
        crate::ucs2::ucs2_encode(text.get(a..b).unwrap_or_default(), &mut sm);
        parts.push(SmsPart {
            short_message: sm,
            esm_class_udhi: true,
            data_coding: coding,
            concat: Some(concat_info(opts, total, seq)),
        });
    }
    Ok(parts)
}

/// A parsed user data header (TS 23.040 §9.2.3.24).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UdhView<'a> {
    /// UDH length in octets, including the UDHL octet itself.
    pub header_len: usize,
    /// The last valid concatenation IE (8- or 16-bit reference), if any.
    pub concat: Option<ConcatInfo>,
    /// The user data after the UDH.
    pub payload: &'a [u8],
}

impl UdhView<'_> {
    /// Fill bits before the first septet of packed GSM text after this UDH.
    pub fn fill_bits(&self) -> u8 {
        fill_bits_for_udh(self.header_len)
    }
}

/// Parses the UDH at the start of `short_message` (call only when esm_class has UDHI 0x40).
/// IEs other than concatenation are skipped; a concatenation IE of the wrong length, with
/// total 0, seq 0 or seq > total is ignored as TS 23.040 §9.2.3.24.1 prescribes; when several
/// are present the last valid one wins. A UDHL or IE length running past the data is an error.
pub fn split_udh(short_message: &[u8]) -> Result<UdhView<'_>, SmsError> {
    let (&udhl, rest) = short_message.split_first().ok_or(SmsError::MalformedUdh(
        "UDHI set but short_message is empty",
    ))?;
    let udhl = usize::from(udhl);
    let (mut ies, payload) = match (rest.get(..udhl), rest.get(udhl..)) {
        (Some(h), Some(p)) => (h, p),
        _ => return Err(SmsError::MalformedUdh("UDHL runs past short_message")),
    };
    let mut concat = None;
    while let Some((&iei, tail)) = ies.split_first() {
        let (&iel, tail) = tail
            .split_first()
            .ok_or(SmsError::MalformedUdh("IE without length octet"))?;
        let iel = usize::from(iel);
        let (data, next) = match (tail.get(..iel), tail.get(iel..)) {
            (Some(d), Some(n)) => (d, n),
            _ => return Err(SmsError::MalformedUdh("IE runs past UDH")),
        };
        let info = match (iei, data) {
            (IEI_CONCAT_8, &[r, total, seq]) => Some(ConcatInfo {
                reference: u16::from(r),
                total,
                seq,
            }),
            (IEI_CONCAT_16, &[hi, lo, total, seq]) => Some(ConcatInfo {
                reference: u16::from_be_bytes([hi, lo]),
                total,
                seq,
            }),
            _ => None,
        };
        if let Some(info) = info.filter(ConcatInfo::is_valid) {
            concat = Some(info);
        }
        ies = next;
    }
    Ok(UdhView {
        header_len: 1 + udhl,
        concat,
        payload,
    })
}

/// The concatenation info and payload of a `short_message` that starts with a UDH;
/// `Ok(None)` when the UDH has no valid concatenation IE (use [`split_udh`] for the payload).
pub fn parse_udh(short_message: &[u8]) -> Result<Option<(ConcatInfo, &[u8])>, SmsError> {
    let v = split_udh(short_message)?;
    Ok(v.concat.map(|c| (c, v.payload)))
}
