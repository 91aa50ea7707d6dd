//! C-octet strings (SMPP 3.4 §3.1 "C-Octet String"): ASCII characters ended by a NUL, with a
//! per-field maximum size that *includes* the NUL.
//!
//! Decoding searches for the NUL only within the field's maximum, so a peer that never sends
//! one costs at most `max` octets of scanning and yields a typed error naming the field.
//! Decoded strings borrow from the receive buffer (no allocation). The spec says ASCII; any
//! UTF-8 is accepted because it is a superset and some SMSCs put UTF-8 in system_type or ids.

use crate::error::{BodyError, SmppError};
use crate::field::Field;
use crate::wire::Reader;

/// Fallback limit for a field without a table limit (never used by the codec's own fields).
const UNBOUNDED_FIELD_MAX: usize = 256;

fn limit(field: Field) -> usize {
    field.max_cstring_len().unwrap_or(UNBOUNDED_FIELD_MAX)
}

/// Reads one C-octet string of `field` (§3.1), consuming its NUL.
pub(crate) fn read_cstring<'a>(
    reader: &mut Reader<'a>,
    field: Field,
) -> Result<&'a str, BodyError> {
    let max = limit(field);
    let rest = reader.rest();
    let window = rest.get(..max).unwrap_or(rest);
    let Some(nul_at) = window.iter().position(|&b| b == 0) else {
        return Err(if rest.len() >= max {
            BodyError::CStringTooLong { field, max }
        } else {
            BodyError::Unterminated { field }
        });
    };
    let text = window.get(..nul_at).unwrap_or_default();
    let text = std::str::from_utf8(text).map_err(|_| BodyError::NotUtf8 { field })?;
    reader.advance(nul_at + 1);
    Ok(text)
}

/// The encoded size of `text` as a C-octet string.
pub(crate) const fn cstring_len(text: &str) -> usize {
    text.len() + 1
}

/// Checks `text` against `field`'s limit and for embedded NULs (encoding side).
pub(crate) fn check_cstring(text: &str, field: Field) -> Result<(), SmppError> {
    let max = limit(field);
    if cstring_len(text) > max {
        return Err(SmppError::CStringTooLong { field, max });
    }
    if text.as_bytes().contains(&0) {
        return Err(SmppError::CStringContainsNul { field });
    }
    Ok(())
}

/// Appends `text` and its NUL after checking it with [`check_cstring`].
pub(crate) fn write_cstring(out: &mut Vec<u8>, text: &str, field: Field) -> Result<(), SmppError> {
    check_cstring(text, field)?;
    out.extend_from_slice(text.as_bytes());
    out.push(0);
    Ok(())
}
