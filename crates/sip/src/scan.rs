//! Byte-level lexing shared by every parser in the crate.
//!
//! RFC 3261 §25.1 defines a handful of character classes (token, word,
//! unreserved, ...) that are used over and over; a single 256-entry table
//! answers "is this byte in class X" with one load, which keeps the hot path
//! (a MESSAGE with a dozen headers) free of branches on ranges. Everything
//! here works on `&str`/`&[u8]` slices of the input and never indexes out of
//! bounds: all access is through iterators, `get` or `split_at` guarded by a
//! prior length check.

use std::borrow::Cow;

use crate::error::SipError;

/// RFC 3261 §25.1 `token`: alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~".
pub(crate) const TOKEN: u8 = 1;
/// RFC 3261 §25.1 `unreserved`: alphanum / mark.
pub(crate) const UNRESERVED: u8 = 2;
/// RFC 3261 §25.1 `user-unreserved`: "&" / "=" / "+" / "$" / "," / ";" / "?" / "/".
pub(crate) const USER_UNRESERVED: u8 = 4;
/// RFC 3261 §25.1 `param-unreserved`: "[" / "]" / "/" / ":" / "&" / "+" / "$".
pub(crate) const PARAM_UNRESERVED: u8 = 8;
/// RFC 3261 §25.1 `hnv-unreserved`: "[" / "]" / "/" / "?" / ":" / "+" / "$".
pub(crate) const HNV_UNRESERVED: u8 = 16;
/// RFC 3261 §25.1 `word` (token plus a few separators), used by Call-ID.
pub(crate) const WORD: u8 = 32;
/// Host name characters (RFC 3261 §25.1 `hostname`), plus "_" which real
/// deployments use in host names.
pub(crate) const HOST: u8 = 64;
/// Password characters (RFC 3261 §25.1 `password`): unreserved / "&" / "=" / "+" / "$" / ",".
pub(crate) const PASSWORD: u8 = 128;

const fn build_table() -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let c = i as u8;
        let alnum = c.is_ascii_alphanumeric();
        let mut v = 0;
        if alnum
            || matches!(
                c,
                b'-' | b'.' | b'!' | b'%' | b'*' | b'_' | b'+' | b'`' | b'\'' | b'~'
            )
        {
            v |= TOKEN;
        }
        let unreserved = alnum
            || matches!(
                c,
                b'-' | b'_' | b'.' | b'!' | b'~' | b'*' | b'\'' | b'(' | b')'
            );
        if unreserved {
            v |= UNRESERVED;
        }
        if matches!(c, b'&' | b'=' | b'+' | b'$' | b',' | b';' | b'?' | b'/') {
            v |= USER_UNRESERVED;
        }
        if matches!(c, b'[' | b']' | b'/' | b':' | b'&' | b'+' | b'$') {
            v |= PARAM_UNRESERVED;
        }
        if matches!(c, b'[' | b']' | b'/' | b'?' | b':' | b'+' | b'$') {
            v |= HNV_UNRESERVED;
        }
        if (v & TOKEN) != 0
            || matches!(
                c,
                b'(' | b')'
                    | b'<'
                    | b'>'
                    | b':'
                    | b'\\'
                    | b'"'
                    | b'/'
                    | b'['
                    | b']'
                    | b'?'
                    | b'{'
                    | b'}'
            )
        {
            v |= WORD;
        }
        if alnum || matches!(c, b'-' | b'.' | b'_') {
            v |= HOST;
        }
        if unreserved || matches!(c, b'&' | b'=' | b'+' | b'$' | b',') {
            v |= PASSWORD;
        }
        t[i] = v;
        i += 1;
    }
    t
}

static TABLE: [u8; 256] = build_table();

/// Whether byte `b` belongs to any of the classes in `mask`.
#[inline]
pub(crate) fn is(b: u8, mask: u8) -> bool {
    TABLE[b as usize] & mask != 0
}

/// Whether every byte of `s` is in `mask` and `s` is non-empty.
#[inline]
pub(crate) fn all(s: &str, mask: u8) -> bool {
    !s.is_empty() && s.bytes().all(|b| is(b, mask))
}

/// RFC 3261 §25.1 `token`.
#[inline]
pub(crate) fn is_token(s: &str) -> bool {
    all(s, TOKEN)
}

/// SP or HTAB (RFC 3261 §25.1 `WSP`).
#[inline]
pub(crate) fn is_ws(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Trims SP/HTAB on both sides (not Unicode whitespace: a BOM or NBSP is data).
#[inline]
pub(crate) fn trim(s: &str) -> &str {
    let b = s.as_bytes();
    let start = b.iter().position(|c| !is_ws(*c)).unwrap_or(b.len());
    let end = b.iter().rposition(|c| !is_ws(*c)).map_or(start, |e| e + 1);
    s.get(start..end).unwrap_or_default()
}

#[inline]
pub(crate) fn trim_start(s: &str) -> &str {
    let n = s.bytes().take_while(|c| is_ws(*c)).count();
    s.get(n..).unwrap_or_default()
}

/// Position of the first `c` (an ASCII byte) in `s`: a plain loop, faster
/// than a generic char searcher on the short strings SIP values are.
#[inline]
pub(crate) fn find(s: &str, c: u8) -> Option<usize> {
    s.bytes().position(|b| b == c)
}

/// `s.split_once(c)` for an ASCII byte `c`.
#[inline]
pub(crate) fn split_once(s: &str, c: u8) -> Option<(&str, &str)> {
    let i = find(s, c)?;
    Some((s.get(..i)?, s.get(i + 1..)?))
}

/// Whether characters in `s` are either in `mask` or a well-formed `%HH` escape
/// (RFC 3261 §25.1 `escaped`).
pub(crate) fn all_escaped(s: &str, mask: u8) -> bool {
    escaped_class(s, mask).is_some()
}

/// [`all_escaped`] that also says whether an escape was seen: `None` if a
/// character is outside `mask` or an escape is malformed, `Some(has_escape)`
/// otherwise (so the caller only unescapes when there is something to do).
pub(crate) fn escaped_class(s: &str, mask: u8) -> Option<bool> {
    let b = s.as_bytes();
    let mut i = 0;
    let mut seen = false;
    while let Some(&c) = b.get(i) {
        if c == b'%' {
            match (b.get(i + 1), b.get(i + 2)) {
                (Some(h), Some(l)) if h.is_ascii_hexdigit() && l.is_ascii_hexdigit() => {
                    seen = true;
                    i += 3;
                }
                _ => return None,
            }
        } else if is(c, mask) {
            i += 1;
        } else {
            return None;
        }
    }
    Some(seen)
}

fn hex_val(b: u8) -> u8 {
    match b {
        b'0'..=b'9' => b - b'0',
        b'a'..=b'f' => b - b'a' + 10,
        b'A'..=b'F' => b - b'A' + 10,
        _ => 0,
    }
}

/// Decodes `%HH` escapes (RFC 3261 §19.1.2, RFC 3986 §2.1), once and never
/// recursively: "%2541" becomes "%41". Borrowed when there is nothing to
/// decode. Fails if an escape is malformed or the result is not UTF-8.
pub fn unescape(s: &str) -> Result<Cow<'_, str>, SipError> {
    if !s.as_bytes().contains(&b'%') {
        return Ok(Cow::Borrowed(s));
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c == b'%' {
            match (b.get(i + 1), b.get(i + 2)) {
                (Some(&h), Some(&l)) if h.is_ascii_hexdigit() && l.is_ascii_hexdigit() => {
                    out.push(hex_val(h) << 4 | hex_val(l));
                    i += 3;
                }
                _ => return Err(SipError::BadUri),
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    String::from_utf8(out)
        .map(Cow::Owned)
        .map_err(|_| SipError::BadUri)
}

/// Case-insensitive comparison of `raw` (possibly %-escaped) with `name`.
pub(crate) fn eq_unescaped(raw: &str, name: &str) -> bool {
    if raw.eq_ignore_ascii_case(name) {
        return true;
    }
    raw.contains('%') && unescape(raw).is_ok_and(|u| u.eq_ignore_ascii_case(name))
}

/// Parses a decimal number made only of ASCII digits (leading zeros allowed,
/// RFC 3261 §25.1 `1*DIGIT`), without overflow: `None` if empty, non-digit or
/// larger than `max`.
pub(crate) fn parse_u64(s: &str, max: u64) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let mut v: u64 = 0;
    for b in s.bytes() {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
        if v > max {
            return None;
        }
    }
    Some(v)
}

/// `parse_u64` bounded to `u32`.
pub(crate) fn parse_u32(s: &str) -> Option<u32> {
    parse_u64(s, u64::from(u32::MAX)).and_then(|v| u32::try_from(v).ok())
}

/// Returns the length of the quoted-string (RFC 3261 §25.1) at the start of
/// `s`, quotes included, or `None` if `s` does not start with one or it is
/// unterminated.
pub(crate) fn quoted_len(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    if b.first() != Some(&b'"') {
        return None;
    }
    let mut i = 1;
    while let Some(&c) = b.get(i) {
        match c {
            b'\\' => {
                // quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F)
                match b.get(i + 1) {
                    Some(&n) if n <= 0x7f && n != b'\r' && n != b'\n' => i += 2,
                    _ => return None,
                }
            }
            b'"' => return Some(i + 1),
            b'\r' | b'\n' => return None,
            _ => i += 1,
        }
    }
    None
}

/// Removes the quotes and quoted-pair backslashes of a quoted-string
/// (RFC 3261 §25.1). `q` must be a complete quoted-string as measured by
/// [`quoted_len`]; anything else is returned as is.
pub(crate) fn unquote(q: &str) -> Cow<'_, str> {
    let inner = q
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(q);
    if !inner.contains('\\') {
        return Cow::Borrowed(inner);
    }
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Splits a header value into comma-separated elements (RFC 3261 §7.3.1),
/// ignoring commas inside quoted-strings and inside `<...>`. Elements are
/// trimmed; empty elements are yielded (callers decide whether that is an
/// error). Bounded by the length of the input.
pub(crate) struct ListSplit<'a> {
    rest: Option<&'a str>,
}

impl<'a> ListSplit<'a> {
    pub(crate) fn new(s: &'a str) -> Self {
        ListSplit { rest: Some(s) }
    }
}

impl<'a> Iterator for ListSplit<'a> {
    type Item = &'a str;
    fn next(&mut self) -> Option<&'a str> {
        let s = self.rest?;
        let b = s.as_bytes();
        let mut i = 0;
        let mut in_quote = false;
        let mut in_angle = false;
        while let Some(&c) = b.get(i) {
            if in_quote {
                match c {
                    b'\\' => i += 1,
                    b'"' => in_quote = false,
                    _ => {}
                }
            } else {
                match c {
                    b'"' => in_quote = true,
                    b'<' => in_angle = true,
                    b'>' => in_angle = false,
                    b',' if !in_angle => {
                        let (head, tail) = s.split_at(i);
                        self.rest = tail.get(1..);
                        return Some(trim(head));
                    }
                    _ => {}
                }
            }
            i += 1;
        }
        self.rest = None;
        Some(trim(s))
    }
}

/// Upper bound on parameters in one URI, Via or name-addr: a flood of
/// `;a;a;a...` must not turn into an unbounded allocation.
pub const MAX_PARAMS: usize = 64;
/// Upper bound on elements in one list-valued accessor (Via hops, Contacts).
pub const MAX_LIST_ITEMS: usize = 128;
