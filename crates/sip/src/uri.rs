//! SIP, SIPS and tel URIs.
//!
//! RFC 3261 §19.1 and §25.1 define the SIP-URI; RFC 3966 the tel URI. The
//! parser is zero-copy except for the user part, which is unescaped because
//! `sip:%75ser@h` and `sip:user@h` are the same URI (RFC 3261 §19.1.4,
//! RFC 4475 §3.1.1.3) and the registrar keys bindings on it. Parameters,
//! password and headers stay as written (escaped); [`Uri::param`] compares
//! names with escapes decoded. Other schemes (RFC 4475 §3.3.2–3.3.4) parse
//! as an opaque [`Scheme::Other`] so the element can answer 416 instead of
//! failing to parse the whole request.

use std::borrow::Cow;
use std::fmt;

use crate::error::SipError;
use crate::scan::{
    self, HNV_UNRESERVED, HOST, PARAM_UNRESERVED, PASSWORD, UNRESERVED, USER_UNRESERVED,
};
use crate::sink::{Counter, Sink};

/// A URI scheme (RFC 3261 §19.1.1, RFC 3966 §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme<'a> {
    Sip,
    Sips,
    Tel,
    /// Any other `absoluteURI` scheme (RFC 3261 §25.1), as written.
    Other(&'a str),
}

impl<'a> Scheme<'a> {
    /// The scheme name, lowercase for the known ones.
    pub fn as_str(&self) -> &'a str {
        match self {
            Scheme::Sip => "sip",
            Scheme::Sips => "sips",
            Scheme::Tel => "tel",
            Scheme::Other(s) => s,
        }
    }
}

/// A `;name[=value]` parameter (RFC 3261 §25.1 `uri-parameter`,
/// `generic-param`). Values are as written: escaped in URIs, quotes included
/// for quoted-string header parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Param<'a> {
    pub name: &'a str,
    pub value: Option<&'a str>,
}

impl<'a> Param<'a> {
    /// The value with quoted-string quotes and escapes removed
    /// (RFC 3261 §25.1 `quoted-string`); tokens are returned as is.
    pub fn unquoted(&self) -> Option<Cow<'a, str>> {
        self.value.map(|v| {
            if v.starts_with('"') {
                scan::unquote(v)
            } else {
                Cow::Borrowed(v)
            }
        })
    }
}

/// Looks a parameter up by case-insensitive name (RFC 3261 §19.1.4).
pub(crate) fn find_param<'a>(params: &[Param<'a>], name: &str) -> Option<Option<&'a str>> {
    params
        .iter()
        .find(|p| scan::eq_unescaped(p.name, name))
        .map(|p| p.value)
}

/// A parsed URI (RFC 3261 §19.1.1). For `tel:` the number is in `host`; for
/// other schemes everything after the colon is in `host`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uri<'a> {
    pub scheme: Scheme<'a>,
    /// Unescaped user part (RFC 3261 §19.1.2); `None` if there is no `@`.
    pub user: Option<Cow<'a, str>>,
    /// Password as written (RFC 3261 §19.1.1; its use is NOT RECOMMENDED).
    pub password: Option<&'a str>,
    /// Host as written (an IPv6 reference keeps its brackets).
    pub host: &'a str,
    pub port: Option<u16>,
    pub params: Vec<Param<'a>>,
    /// The `?hname=hvalue&...` part without the `?`, as written.
    pub headers: Option<&'a str>,
}

fn parse_params<'a>(s: &'a str, out: &mut Vec<Param<'a>>) -> Result<(), SipError> {
    for p in s.split(';') {
        if out.len() >= scan::MAX_PARAMS {
            return Err(SipError::TooManyItems);
        }
        let (name, value) = match scan::split_once(p, b'=') {
            Some((n, v)) => (n, Some(v)),
            None => (p, None),
        };
        let ok = |t: &str| !t.is_empty() && scan::all_escaped(t, UNRESERVED | PARAM_UNRESERVED);
        if !ok(name) || !value.is_none_or(ok) {
            return Err(SipError::BadUri);
        }
        out.push(Param { name, value });
    }
    Ok(())
}

/// Parses `host [":" port]` (RFC 3261 §25.1 `hostport`).
pub(crate) fn parse_hostport(s: &str) -> Result<(&str, Option<u16>), SipError> {
    let (host, port) = if s.starts_with('[') {
        let close = scan::find(s, b']').ok_or(SipError::BadUri)?;
        let (h, rest) = s.split_at(close + 1);
        let inner = h.get(1..h.len() - 1).unwrap_or_default();
        if inner.is_empty()
            || !inner
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        {
            return Err(SipError::BadUri);
        }
        match rest {
            "" => (h, None),
            r => (h, Some(r.strip_prefix(':').ok_or(SipError::BadUri)?)),
        }
    } else {
        match scan::split_once(s, b':') {
            Some((h, p)) => (h, Some(p)),
            None => (s, None),
        }
    };
    if !host.starts_with('[') && !scan::all(host, HOST) {
        return Err(SipError::BadUri);
    }
    let port = match port {
        Some(p) => Some(scan::parse_u64(p, 65535).ok_or(SipError::BadUri)? as u16),
        None => None,
    };
    Ok((host, port))
}

fn is_scheme(s: &str) -> bool {
    let mut b = s.bytes();
    b.next().is_some_and(|c| c.is_ascii_alphabetic())
        && b.all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'))
}

impl<'a> Uri<'a> {
    /// Parses a URI with no surrounding whitespace (RFC 3261 §19.1.1,
    /// RFC 3966 §3 for `tel:`, RFC 3261 §25.1 `absoluteURI` otherwise).
    pub fn parse(s: &'a str) -> Result<Uri<'a>, SipError> {
        let (scheme_str, rest) = scan::split_once(s, b':').ok_or(SipError::BadUri)?;
        if !is_scheme(scheme_str) || rest.is_empty() {
            return Err(SipError::BadUri);
        }
        let scheme = if scheme_str.eq_ignore_ascii_case("sip") {
            Scheme::Sip
        } else if scheme_str.eq_ignore_ascii_case("sips") {
            Scheme::Sips
        } else if scheme_str.eq_ignore_ascii_case("tel") {
            Scheme::Tel
        } else {
            // Opaque: printable ASCII without the delimiters of name-addr.
            if !rest
                .bytes()
                .all(|b| b.is_ascii_graphic() && !matches!(b, b'<' | b'>' | b'"'))
            {
                return Err(SipError::BadUri);
            }
            return Ok(Uri {
                scheme: Scheme::Other(scheme_str),
                user: None,
                password: None,
                host: rest,
                port: None,
                params: Vec::new(),
                headers: None,
            });
        };
        let mut uri = Uri {
            scheme,
            user: None,
            password: None,
            host: "",
            port: None,
            params: Vec::new(),
            headers: None,
        };
        if scheme == Scheme::Tel {
            let (number, params) = match scan::split_once(rest, b';') {
                Some((n, p)) => (n, Some(p)),
                None => (rest, None),
            };
            let tel_char = |b: u8| {
                b.is_ascii_hexdigit() || matches!(b, b'+' | b'*' | b'#' | b'(' | b')' | b'-' | b'.')
            };
            if number.is_empty() || !number.bytes().all(tel_char) {
                return Err(SipError::BadUri);
            }
            uri.host = number;
            if let Some(p) = params {
                parse_params(p, &mut uri.params)?;
            }
            return Ok(uri);
        }
        // One pass locates the delimiters. The first '@' ends the userinfo:
        // '@' cannot appear unescaped after it (RFC 3261 §25.1), while ':',
        // ';' and '?' can appear inside it. After it, the first ';' starts the
        // parameters and the first '?' the headers.
        let b = rest.as_bytes();
        let (mut at, mut colon, mut user_colon, mut semi, mut qmark) =
            (None, None, None, None, None);
        for (i, &c) in b.iter().enumerate() {
            match c {
                b'@' if at.is_none() => {
                    at = Some(i);
                    user_colon = colon;
                    semi = None;
                    qmark = None;
                }
                b':' if colon.is_none() => colon = Some(i),
                b';' if semi.is_none() && qmark.is_none() => semi = Some(i),
                b'?' if qmark.is_none() => qmark = Some(i),
                _ => {}
            }
        }
        let part = |from: usize, to: usize| rest.get(from..to).unwrap_or_default();
        let len = rest.len();
        let host_start = match at {
            Some(a) => {
                let (user, password) = match user_colon {
                    Some(c) => (part(0, c), Some(part(c + 1, a))),
                    None => (part(0, a), None),
                };
                let escapes = scan::escaped_class(user, UNRESERVED | USER_UNRESERVED);
                if user.is_empty()
                    || escapes.is_none()
                    || !password.is_none_or(|p| scan::all_escaped(p, PASSWORD))
                {
                    return Err(SipError::BadUri);
                }
                uri.user = Some(if escapes == Some(true) {
                    scan::unescape(user)?
                } else {
                    Cow::Borrowed(user)
                });
                uri.password = password;
                a + 1
            }
            None => 0,
        };
        if let Some(q) = qmark {
            let h = part(q + 1, len);
            let ok = |t: &str| scan::all_escaped(t, UNRESERVED | HNV_UNRESERVED);
            if h.is_empty()
                || !h.split('&').all(|kv| {
                    scan::split_once(kv, b'=').is_some_and(|(k, v)| !k.is_empty() && ok(k) && ok(v))
                })
            {
                return Err(SipError::BadUri);
            }
            uri.headers = Some(h);
        }
        let params_end = qmark.unwrap_or(len);
        let (host, port) = parse_hostport(part(host_start, semi.unwrap_or(params_end)))?;
        uri.host = host;
        uri.port = port;
        if let Some(sc) = semi {
            parse_params(part(sc + 1, params_end), &mut uri.params)?;
        }
        Ok(uri)
    }

    /// Looks up a URI parameter by case-insensitive (and unescaped) name:
    /// `None` if absent, `Some(None)` if present without a value
    /// (RFC 3261 §19.1.4).
    pub fn param(&self, name: &str) -> Option<Option<&'a str>> {
        find_param(&self.params, name)
    }

    /// The address-of-record key of this URI (RFC 3261 §10.3 step 5):
    /// `scheme:user@host` with scheme and host lowercased, the user part in
    /// canonical escaped form, no port, parameters or headers. For `tel:` it
    /// is `tel:` plus the number without visual separators (RFC 3966 §4).
    pub fn aor(&self) -> String {
        let mut out = String::with_capacity(self.host.len() + 24);
        match self.scheme {
            Scheme::Tel => {
                out.push_str("tel:");
                out.extend(
                    self.host
                        .chars()
                        .filter(|c| !matches!(c, '-' | '.' | '(' | ')'))
                        .map(|c| c.to_ascii_lowercase()),
                );
            }
            Scheme::Other(s) => {
                out.push_str(&s.to_ascii_lowercase());
                out.push(':');
                out.push_str(self.host);
            }
            Scheme::Sip | Scheme::Sips => {
                out.push_str(self.scheme.as_str());
                out.push(':');
                if let Some(u) = &self.user {
                    let mut v = Vec::with_capacity(u.len());
                    put_escaped_user(&mut v, u);
                    out.push_str(&String::from_utf8_lossy(&v));
                    out.push('@');
                }
                out.push_str(&self.host.to_ascii_lowercase());
            }
        }
        out
    }

    /// Writes the URI in canonical form: lowercase known scheme, user part
    /// escaped only where RFC 3261 §25.1 requires, everything else as parsed.
    pub fn encode(&self, out: &mut Vec<u8>) {
        self.write(out);
    }

    /// Exact number of bytes [`Uri::encode`] writes.
    pub fn encoded_len(&self) -> usize {
        let mut c = Counter::default();
        self.write(&mut c);
        c.0
    }

    pub(crate) fn write<S: Sink>(&self, out: &mut S) {
        out.put_str(self.scheme.as_str());
        out.put(b":");
        if let Some(u) = &self.user {
            put_escaped_user(out, u);
            if let Some(p) = self.password {
                out.put(b":");
                out.put_str(p);
            }
            out.put(b"@");
        }
        out.put_str(self.host);
        if let Some(p) = self.port {
            out.put(b":");
            out.put_u64(u64::from(p));
        }
        write_params(out, &self.params);
        if let Some(h) = self.headers {
            out.put(b"?");
            out.put_str(h);
        }
    }
}

pub(crate) fn write_params<S: Sink>(out: &mut S, params: &[Param<'_>]) {
    for p in params {
        out.put(b";");
        out.put_str(p.name);
        if let Some(v) = p.value {
            out.put(b"=");
            out.put_str(v);
        }
    }
}

/// Escapes a user part (RFC 3261 §25.1 `user`): unreserved and
/// user-unreserved characters verbatim, every other byte as `%HH`.
fn put_escaped_user<S: Sink>(out: &mut S, user: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let b = user.as_bytes();
    let mut start = 0;
    for (i, &c) in b.iter().enumerate() {
        if !scan::is(c, UNRESERVED | USER_UNRESERVED) {
            out.put(b.get(start..i).unwrap_or_default());
            out.put(&[b'%', HEX[usize::from(c >> 4)], HEX[usize::from(c & 15)]]);
            start = i + 1;
        }
    }
    out.put(b.get(start..).unwrap_or_default());
}

impl fmt::Display for Uri<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut v = Vec::with_capacity(self.encoded_len());
        self.write(&mut v);
        f.write_str(&String::from_utf8_lossy(&v))
    }
}
