//! name-addr / addr-spec values and generic header parameters.
//!
//! From, To, Contact, Route, Record-Route, Refer-To and Referred-By all share
//! RFC 3261 §25.1 `(name-addr / addr-spec) *(SEMI generic-param)`. The one
//! subtle rule is §20.10: without angle brackets, a `;` ends the URI and
//! starts header parameters, and a URI with `?` headers must be bracketed
//! (RFC 4475 §3.1.2.13). Display names are either a quoted-string (unescaped
//! into an owned string only when it holds a quoted-pair) or a run of tokens
//! (RFC 4475 §3.1.1.6 allows no space before `<`).

use std::borrow::Cow;
use std::fmt;

use crate::error::SipError;
use crate::scan::{self, TOKEN};
use crate::sink::{put_line_safe, Counter, Sink};
use crate::uri::{find_param, write_params, Param, Uri};

/// Parses `*(SEMI generic-param)` (RFC 3261 §25.1): `;name[=value]` with
/// optional whitespace around `;` and `=`, values being a token, a host
/// (IPv6 included) or a quoted-string (kept with its quotes).
pub(crate) fn parse_generic_params<'a>(
    mut s: &'a str,
    out: &mut Vec<Param<'a>>,
) -> Result<(), SipError> {
    loop {
        s = scan::trim_start(s);
        let Some(after_semi) = s.strip_prefix(';') else {
            return if s.is_empty() {
                Ok(())
            } else {
                Err(SipError::BadParam)
            };
        };
        if out.len() >= scan::MAX_PARAMS {
            return Err(SipError::TooManyItems);
        }
        s = scan::trim_start(after_semi);
        let name_len = s.bytes().take_while(|b| scan::is(*b, TOKEN)).count();
        let (name, rest) = s.split_at(name_len);
        if name.is_empty() {
            return Err(SipError::BadParam);
        }
        s = scan::trim_start(rest);
        let mut value = None;
        if let Some(after_eq) = s.strip_prefix('=') {
            s = scan::trim_start(after_eq);
            let len = if s.starts_with('"') {
                scan::quoted_len(s).ok_or(SipError::BadParam)?
            } else {
                s.bytes()
                    .take_while(|b| scan::is(*b, TOKEN) || matches!(b, b':' | b'[' | b']'))
                    .count()
            };
            if len == 0 {
                return Err(SipError::BadParam);
            }
            let (v, rest) = s.split_at(len);
            value = Some(v);
            s = rest;
        }
        out.push(Param { name, value });
    }
}

/// A `name-addr` or `addr-spec` with its header parameters
/// (RFC 3261 §20.10, §20.20, §20.39).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameAddr<'a> {
    /// Display name without quotes, quoted-pairs undone.
    pub display: Option<Cow<'a, str>>,
    pub uri: Uri<'a>,
    /// Header parameters (after the URI), e.g. `tag`, `expires`, `q`.
    pub params: Vec<Param<'a>>,
}

impl<'a> NameAddr<'a> {
    /// Parses one value (not a comma-separated list).
    pub fn parse(s: &'a str) -> Result<NameAddr<'a>, SipError> {
        Self::parse_as(s, "name-addr")
    }

    /// As [`NameAddr::parse`], naming the header in structural errors.
    pub(crate) fn parse_as(s: &'a str, what: &'static str) -> Result<NameAddr<'a>, SipError> {
        let bad = SipError::BadNameAddr(what);
        let s = scan::trim(s);
        let mut params = Vec::new();
        let (display, uri, rest) = if s.starts_with('"') {
            let qlen = scan::quoted_len(s).ok_or(bad.clone())?;
            let (q, rest) = s.split_at(qlen);
            let rest = scan::trim_start(rest);
            let (uri, rest) = Self::bracketed(rest, &bad)?;
            (Some(scan::unquote(q)), uri, rest)
        } else {
            // One scan: a '<' before any ';' means name-addr, else addr-spec.
            let delim = s.bytes().position(|b| b == b'<' || b == b';');
            match delim {
                Some(lt) if s.as_bytes().get(lt) == Some(&b'<') => {
                    let (disp, rest) = s.split_at(lt);
                    let disp = scan::trim(disp);
                    let display = if disp.is_empty() {
                        None
                    } else if disp
                        .split([' ', '\t'])
                        .filter(|w| !w.is_empty())
                        .all(scan::is_token)
                    {
                        Some(Cow::Borrowed(disp))
                    } else {
                        return Err(bad);
                    };
                    let (uri, rest) = Self::bracketed(rest, &bad)?;
                    (display, uri, rest)
                }
                _ => {
                    // addr-spec: the URI ends at the first ';' and may not carry
                    // headers (RFC 3261 §20.10).
                    let end = delim.unwrap_or(s.len());
                    let (u, rest) = s.split_at(end);
                    let uri = Uri::parse(scan::trim(u))?;
                    if uri.headers.is_some() || uri.host.contains('?') {
                        return Err(bad);
                    }
                    (None, uri, rest)
                }
            }
        };
        parse_generic_params(rest, &mut params)?;
        Ok(NameAddr {
            display,
            uri,
            params,
        })
    }

    fn bracketed(s: &'a str, bad: &SipError) -> Result<(Uri<'a>, &'a str), SipError> {
        let inner = s.strip_prefix('<').ok_or(bad.clone())?;
        let gt = scan::find(inner, b'>').ok_or(bad.clone())?;
        let (u, rest) = inner.split_at(gt);
        let uri = Uri::parse(u)?;
        Ok((uri, rest.get(1..).unwrap_or_default()))
    }

    /// The `tag` parameter (RFC 3261 §19.3).
    pub fn tag(&self) -> Option<&'a str> {
        self.param("tag").flatten()
    }

    /// A header parameter by case-insensitive name: `Some(None)` when present
    /// without a value.
    pub fn param(&self, name: &str) -> Option<Option<&'a str>> {
        find_param(&self.params, name)
    }

    /// The Contact `expires` parameter (RFC 3261 §20.10), if present and a
    /// valid 32-bit delta-seconds.
    pub fn expires(&self) -> Option<u32> {
        self.param("expires").flatten().and_then(scan::parse_u32)
    }

    /// The Contact `q` parameter (RFC 3261 §20.10) in thousandths, 0..=1000.
    pub fn q_millis(&self) -> Option<u16> {
        self.param("q").flatten().and_then(parse_qvalue)
    }

    /// The Contact `q` parameter as a float in 0.0..=1.0.
    pub fn q(&self) -> Option<f32> {
        self.q_millis().map(|m| f32::from(m) / 1000.0)
    }

    /// Writes `"display" <uri>;params` (always bracketed, so any URI is safe).
    pub fn encode(&self, out: &mut Vec<u8>) {
        self.write(out);
    }

    /// Exact number of bytes [`NameAddr::encode`] writes.
    pub fn encoded_len(&self) -> usize {
        let mut c = Counter::default();
        self.write(&mut c);
        c.0
    }

    pub(crate) fn write<S: Sink>(&self, out: &mut S) {
        if let Some(d) = &self.display {
            out.put(b"\"");
            let mut start = 0;
            let b = d.as_bytes();
            for (i, &c) in b.iter().enumerate() {
                // quoted-pair for '"', '\' and controls other than HT, CR, LF
                // (RFC 3261 §25.1); CR/LF cannot be quoted and become SP.
                let ctl = (c < 0x20 && !matches!(c, b'\t' | b'\r' | b'\n')) || c == 0x7f;
                if c == b'"' || c == b'\\' || ctl {
                    put_line_safe(out, d.get(start..i).unwrap_or_default());
                    out.put(&[b'\\', c]);
                    start = i + 1;
                }
            }
            put_line_safe(out, d.get(start..).unwrap_or_default());
            out.put(b"\" ");
        }
        out.put(b"<");
        self.uri.write(out);
        out.put(b">");
        write_params(out, &self.params);
    }
}

/// RFC 3261 §25.1 `qvalue = ("0" ["." 0*3DIGIT]) / ("1" ["." 0*3("0")])`.
fn parse_qvalue(s: &str) -> Option<u16> {
    let (int, frac) = scan::split_once(s, b'.').unwrap_or((s, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut millis: u16 = 0;
    for (i, b) in frac.bytes().enumerate() {
        millis += u16::from(b - b'0') * [100, 10, 1].get(i).copied().unwrap_or(0);
    }
    match int {
        "0" => Some(millis),
        "1" if millis == 0 => Some(1000),
        _ => None,
    }
}

impl fmt::Display for NameAddr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut v = Vec::with_capacity(self.encoded_len());
        self.write(&mut v);
        f.write_str(&String::from_utf8_lossy(&v))
    }
}
