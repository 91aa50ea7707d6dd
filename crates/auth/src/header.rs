//! Parsing of `Authorization` / `Proxy-Authorization` values (RFC 3261 §25.1 `credentials`,
//! RFC 2617 §3.2.2 `digest-response`).
//!
//! Real UAs differ in spacing (sipp writes no space after commas), in quoting (`qop="auth"` vs
//! `qop=auth`, `nc` quoted or not) and in parameter order, so the parser accepts a token or a
//! quoted-string for every parameter, any linear whitespace, and empty list elements (`a=1,,b=2`,
//! as the `#rule` of RFC 7230 §7 allows). It rejects what could be used to smuggle a second
//! value: duplicate directives and unterminated quoted-strings.

use std::borrow::Cow;

use crate::digest::{Algorithm, Qop};
use crate::error::AuthError;

/// Longest header value accepted (bytes). Real values are ~300–600 bytes.
pub const MAX_HEADER_LEN: usize = 4096;
/// Most `name=value` parameters accepted, known or not.
pub const MAX_PARAMS: usize = 32;

/// A parsed `Digest` credentials header, borrowing from the header value.
///
/// Strings are `Cow::Borrowed` unless the quoted-string contained `\` escapes (RFC 3261 §25.1
/// `quoted-pair`), in which case they are unescaped into an owned string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestCredentials<'a> {
    /// `username` (RFC 2617 §3.2.2).
    pub username: Cow<'a, str>,
    /// `realm`.
    pub realm: Cow<'a, str>,
    /// `nonce`, as issued by the server.
    pub nonce: Cow<'a, str>,
    /// `uri` (the `digest-uri`; should equal the Request-URI).
    pub uri: Cow<'a, str>,
    /// `response`, hex as sent by the client.
    pub response: Cow<'a, str>,
    /// `algorithm`; MD5 when absent (RFC 2617 §3.2.1).
    pub algorithm: Algorithm,
    /// `qop`; `None` for the RFC 2069 compatible mode.
    pub qop: Option<Qop>,
    /// `nc` exactly as sent (it enters the hash verbatim).
    pub nc: Option<Cow<'a, str>>,
    /// `cnonce`.
    pub cnonce: Option<Cow<'a, str>>,
    /// `opaque`, to be echoed back unchanged.
    pub opaque: Option<Cow<'a, str>>,
}

impl DigestCredentials<'_> {
    /// The nonce count as a number (`nc` is 8 hex digits, RFC 2617 §3.2.2).
    pub fn nonce_count(&self) -> Option<u32> {
        let nc = self.nc.as_deref()?;
        if nc.is_empty() || nc.len() > 8 {
            return None;
        }
        u32::from_str_radix(nc, 16).ok()
    }
}

/// Parses an `Authorization` or `Proxy-Authorization` header value (without the header name).
///
/// RFC 3261 §22.4 / RFC 2617 §3.2.2. Unknown parameters (e.g. `userhash`, vendor extensions) are
/// ignored; `username`, `realm`, `nonce`, `uri` and `response` are required, and `cnonce` and `nc`
/// are required when `qop` is present.
pub fn parse_authorization(value: &str) -> Result<DigestCredentials<'_>, AuthError> {
    if value.len() > MAX_HEADER_LEN {
        return Err(AuthError::TooLong {
            len: value.len(),
            max: MAX_HEADER_LEN,
        });
    }
    let mut cur = Cursor { s: value, pos: 0 };
    cur.skip_ws();
    let scheme = cur.token();
    if !scheme.eq_ignore_ascii_case("Digest") {
        return Err(AuthError::NotDigest);
    }
    if !cur.at_ws_or_end() {
        return Err(AuthError::Syntax { at: cur.pos });
    }

    let mut f = Fields::default();
    let mut count = 0usize;
    loop {
        // Separators: whitespace and (possibly repeated) commas.
        while cur.skip_ws() || cur.eat(b',') {}
        if cur.is_end() {
            break;
        }
        count += 1;
        if count > MAX_PARAMS {
            return Err(AuthError::TooManyParams { max: MAX_PARAMS });
        }
        let name = cur.token();
        if name.is_empty() {
            return Err(AuthError::Syntax { at: cur.pos });
        }
        cur.skip_ws();
        if !cur.eat(b'=') {
            return Err(AuthError::Syntax { at: cur.pos });
        }
        cur.skip_ws();
        let val = if cur.peek() == Some(b'"') {
            cur.quoted()?
        } else {
            let v = cur.token();
            if v.is_empty() {
                return Err(AuthError::Syntax { at: cur.pos });
            }
            Cow::Borrowed(v)
        };
        cur.skip_ws();
        if !cur.is_end() && cur.peek() != Some(b',') {
            return Err(AuthError::Syntax { at: cur.pos });
        }
        f.set(name, val)?;
    }
    f.finish()
}

#[derive(Default)]
struct Fields<'a> {
    username: Option<Cow<'a, str>>,
    realm: Option<Cow<'a, str>>,
    nonce: Option<Cow<'a, str>>,
    uri: Option<Cow<'a, str>>,
    response: Option<Cow<'a, str>>,
    algorithm: Option<Cow<'a, str>>,
    qop: Option<Cow<'a, str>>,
    nc: Option<Cow<'a, str>>,
    cnonce: Option<Cow<'a, str>>,
    opaque: Option<Cow<'a, str>>,
}

impl<'a> Fields<'a> {
    fn set(&mut self, name: &str, val: Cow<'a, str>) -> Result<(), AuthError> {
        const NAMES: [&str; 10] = [
            "username",
            "realm",
            "nonce",
            "uri",
            "response",
            "algorithm",
            "qop",
            "nc",
            "cnonce",
            "opaque",
        ];
        let Some(idx) = NAMES.iter().position(|n| n.eq_ignore_ascii_case(name)) else {
            return Ok(()); // unknown parameter: ignored (RFC 2617 §3.2.2 auth-param)
        };
        let slot = match idx {
            0 => &mut self.username,
            1 => &mut self.realm,
            2 => &mut self.nonce,
            3 => &mut self.uri,
            4 => &mut self.response,
            5 => &mut self.algorithm,
            6 => &mut self.qop,
            7 => &mut self.nc,
            8 => &mut self.cnonce,
            _ => &mut self.opaque,
        };
        if slot.is_some() {
            return Err(AuthError::Duplicate(NAMES[idx]));
        }
        *slot = Some(val);
        Ok(())
    }

    fn finish(self) -> Result<DigestCredentials<'a>, AuthError> {
        let algorithm = match self.algorithm.as_deref() {
            None => Algorithm::Md5,
            Some(a) => Algorithm::from_name(a).ok_or(AuthError::UnsupportedAlgorithm)?,
        };
        let qop = match self.qop.as_deref() {
            None => None,
            Some(q) => Some(Qop::from_name(q).ok_or(AuthError::UnsupportedQop)?),
        };
        if qop.is_some() {
            if self.cnonce.is_none() {
                return Err(AuthError::Missing("cnonce"));
            }
            if self.nc.is_none() {
                return Err(AuthError::Missing("nc"));
            }
        }
        Ok(DigestCredentials {
            username: self.username.ok_or(AuthError::Missing("username"))?,
            realm: self.realm.ok_or(AuthError::Missing("realm"))?,
            nonce: self.nonce.ok_or(AuthError::Missing("nonce"))?,
            uri: self.uri.ok_or(AuthError::Missing("uri"))?,
            response: self.response.ok_or(AuthError::Missing("response"))?,
            algorithm,
            qop,
            nc: self.nc,
            cnonce: self.cnonce,
            opaque: self.opaque,
        })
    }
}

/// A byte cursor over a `&str`; every slice it returns ends on an ASCII byte, hence on a char
/// boundary.
struct Cursor<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.pos).copied()
    }

    fn is_end(&self) -> bool {
        self.pos >= self.s.len()
    }

    fn at_ws_or_end(&self) -> bool {
        matches!(self.peek(), None | Some(b' ' | b'\t' | b'\r' | b'\n'))
    }

    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Skips LWS (spaces, tabs and folded line breaks). Returns whether anything was skipped.
    fn skip_ws(&mut self) -> bool {
        let start = self.pos;
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            self.pos += 1;
        }
        self.pos > start
    }

    /// RFC 3261 §25.1 `token`.
    fn token(&mut self) -> &'a str {
        let start = self.pos;
        while let Some(b) = self.peek() {
            let tchar = b.is_ascii_alphanumeric()
                || matches!(
                    b,
                    b'-' | b'.' | b'!' | b'%' | b'*' | b'_' | b'+' | b'`' | b'\'' | b'~'
                );
            if !tchar {
                break;
            }
            self.pos += 1;
        }
        &self.s[start..self.pos]
    }

    /// RFC 3261 §25.1 `quoted-string`, cursor on the opening quote.
    fn quoted(&mut self) -> Result<Cow<'a, str>, AuthError> {
        self.pos += 1;
        let start = self.pos;
        let rest = &self.s[start..];
        let Some(end) = rest.find(['"', '\\']) else {
            return Err(AuthError::Unterminated);
        };
        if rest.as_bytes()[end] == b'"' {
            self.pos = start + end + 1;
            return Ok(Cow::Borrowed(&rest[..end]));
        }
        // Slow path: at least one quoted-pair.
        let mut owned = String::with_capacity(rest.len());
        let mut chars = rest.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    self.pos = start + i + 1;
                    return Ok(Cow::Owned(owned));
                }
                '\\' => match chars.next() {
                    Some((_, escaped)) => owned.push(escaped),
                    None => return Err(AuthError::Unterminated),
                },
                c => owned.push(c),
            }
        }
        Err(AuthError::Unterminated)
    }
}
