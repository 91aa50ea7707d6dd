//! UCS-2 as SMSCs actually use it for `data_coding` 0x08: big-endian UTF-16, surrogate pairs
//! included (TS 23.038 §6.2.3 says UCS-2, but handsets and SMSCs have carried UTF-16 there for
//! years, and emoji only exist outside the BMP).
//!
//! Why lossy decoding by default: a part boundary chosen by a foreign SMSC may cut a surrogate
//! pair, and refusing the whole message over it would turn one odd glyph into a lost SMS. So
//! [`ucs2_decode`] maps a lone surrogate to U+FFFD; [`ucs2_decode_strict`] gives a typed
//! [`SmsError::LoneSurrogate`] for callers that want to know. Encoding cannot meet a lone
//! surrogate: a Rust `&str` never holds one. Lengths are counted in UTF-16 code units, which is
//! what the 70 / 67 / 66 per-part limits count.

use crate::SmsError;

/// Appends `text` as big-endian UTF-16 to `out`.
pub fn ucs2_encode(text: &str, out: &mut Vec<u8>) {
    out.reserve(text.len() * 2);
    for unit in text.encode_utf16() {
        out.extend_from_slice(&unit.to_be_bytes());
    }
}

/// Length of `text` in UTF-16 code units (a character outside the BMP counts two).
#[inline]
pub fn ucs2_len(text: &str) -> usize {
    text.chars().map(char::len_utf16).sum()
}

/// Decodes big-endian UTF-16; a lone surrogate becomes U+FFFD. Odd length is an error.
pub fn ucs2_decode(bytes: &[u8]) -> Result<String, SmsError> {
    decode(bytes, false)
}

/// Decodes big-endian UTF-16; a lone surrogate is [`SmsError::LoneSurrogate`].
pub fn ucs2_decode_strict(bytes: &[u8]) -> Result<String, SmsError> {
    decode(bytes, true)
}

fn decode(bytes: &[u8], strict: bool) -> Result<String, SmsError> {
    if !bytes.len().is_multiple_of(2) {
        return Err(SmsError::OddUcs2Length(bytes.len()));
    }
    let units = bytes
        .chunks_exact(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]));
    let mut s = String::with_capacity(bytes.len());
    let mut index = 0usize;
    for r in char::decode_utf16(units) {
        match r {
            Ok(ch) => {
                s.push(ch);
                index += ch.len_utf16() * 2;
            }
            Err(e) => {
                if strict {
                    return Err(SmsError::LoneSurrogate {
                        unit: e.unpaired_surrogate(),
                        index,
                    });
                }
                s.push(char::REPLACEMENT_CHARACTER);
                index += 2;
            }
        }
    }
    Ok(s)
}
