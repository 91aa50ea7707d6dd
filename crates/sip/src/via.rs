//! Via header values (RFC 3261 §20.42, §18.2.1, RFC 3581).
//!
//! The top Via is read on every request: its branch keys the server
//! transaction (RFC 3261 §17.2.3) and its sent-by, `received` and `rport`
//! decide where the response goes (RFC 3261 §18.2.2, RFC 3581 §4). The
//! grammar allows whitespace around the slashes of the sent-protocol and
//! around the port colon (RFC 4475 §3.1.1.1), so the parser walks it token by
//! token rather than splitting on fixed characters.

use std::fmt;

use crate::error::SipError;
use crate::name_addr::parse_generic_params;
use crate::scan::{self, HOST, TOKEN};
use crate::sink::{Counter, Sink};
use crate::uri::{find_param, write_params, Param};

/// One Via value: `SIP/2.0/transport sent-by *(;param)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Via<'a> {
    /// Transport token as written (`UDP`, `TCP`, `TLS`, `SCTP`, `WS`, or an
    /// extension, RFC 4475 §3.1.1.10).
    pub transport: &'a str,
    /// sent-by host (an IPv6 reference keeps its brackets).
    pub host: &'a str,
    pub port: Option<u16>,
    pub params: Vec<Param<'a>>,
}

fn take(s: &str, pred: impl Fn(u8) -> bool) -> (&str, &str) {
    let n = s.bytes().take_while(|b| pred(*b)).count();
    s.split_at(n)
}

/// Expects `c` after optional whitespace, returns the rest after optional whitespace.
fn expect_sep(s: &str, c: char) -> Result<&str, SipError> {
    scan::trim_start(s)
        .strip_prefix(c)
        .map(scan::trim_start)
        .ok_or(SipError::BadVia)
}

impl<'a> Via<'a> {
    /// Parses one Via value (not a comma-separated list).
    pub fn parse(s: &'a str) -> Result<Via<'a>, SipError> {
        let s = scan::trim(s);
        let (name, rest) = take(s, |b| scan::is(b, TOKEN));
        let rest = expect_sep(rest, '/')?;
        let (version, rest) = take(rest, |b| scan::is(b, TOKEN));
        let rest = expect_sep(rest, '/')?;
        let (transport, rest) = take(rest, |b| scan::is(b, TOKEN));
        if !name.eq_ignore_ascii_case("SIP") || version != "2.0" || transport.is_empty() {
            return Err(SipError::BadVia);
        }
        // LWS is mandatory between sent-protocol and sent-by.
        if !rest.starts_with([' ', '\t']) {
            return Err(SipError::BadVia);
        }
        let rest = scan::trim_start(rest);
        let (host, rest) = if rest.starts_with('[') {
            let close = scan::find(rest, b']').ok_or(SipError::BadVia)?;
            rest.split_at(close + 1)
        } else {
            take(rest, |b| scan::is(b, HOST))
        };
        crate::uri::parse_hostport(host).map_err(|_| SipError::BadVia)?;
        let mut rest = scan::trim_start(rest);
        let mut port = None;
        if let Some(after) = rest.strip_prefix(':') {
            let (digits, r) = take(scan::trim_start(after), |b| b.is_ascii_digit());
            port = Some(scan::parse_u64(digits, 65535).ok_or(SipError::BadVia)? as u16);
            rest = r;
        }
        let mut params = Vec::new();
        parse_generic_params(rest, &mut params).map_err(|_| SipError::BadVia)?;
        let via = Via {
            transport,
            host,
            port,
            params,
        };
        via.check_params()?;
        Ok(via)
    }

    /// Validates the parameters RFC 3261 §20.42 / RFC 3581 give a syntax to.
    fn check_params(&self) -> Result<(), SipError> {
        for p in &self.params {
            let ok = if p.name.eq_ignore_ascii_case("rport") {
                p.value.is_none_or(|v| scan::parse_u64(v, 65535).is_some())
            } else if p.name.eq_ignore_ascii_case("ttl") {
                p.value.is_some_and(|v| scan::parse_u64(v, 255).is_some())
            } else if p.name.eq_ignore_ascii_case("branch") {
                p.value.is_some_and(scan::is_token)
            } else if p.name.eq_ignore_ascii_case("received")
                || p.name.eq_ignore_ascii_case("maddr")
            {
                p.value.is_some_and(|v| {
                    v.bytes()
                        .all(|b| scan::is(b, HOST) || b == b':' || b == b'[' || b == b']')
                })
            } else {
                true
            };
            if !ok {
                return Err(SipError::BadVia);
            }
        }
        Ok(())
    }

    /// A parameter by case-insensitive name; `Some(None)` when valueless.
    pub fn param(&self, name: &str) -> Option<Option<&'a str>> {
        find_param(&self.params, name)
    }

    /// The `branch` parameter (RFC 3261 §8.1.1.7).
    pub fn branch(&self) -> Option<&'a str> {
        self.param("branch").flatten()
    }

    /// The `received` parameter (RFC 3261 §18.2.1).
    pub fn received(&self) -> Option<&'a str> {
        self.param("received").flatten()
    }

    /// The `rport` parameter (RFC 3581 §4): `None` if absent, `Some(None)` if
    /// present without a value (a request for symmetric response routing),
    /// `Some(Some(port))` once filled in.
    pub fn rport(&self) -> Option<Option<u16>> {
        self.param("rport")
            .map(|v| v.and_then(|p| scan::parse_u64(p, 65535)).map(|p| p as u16))
    }

    /// The `maddr` parameter (RFC 3261 §18.2.2).
    pub fn maddr(&self) -> Option<&'a str> {
        self.param("maddr").flatten()
    }

    /// Whether the branch carries the RFC 3261 magic cookie (§8.1.1.7).
    pub fn is_rfc3261_branch(&self) -> bool {
        self.branch().is_some_and(|b| b.starts_with("z9hG4bK"))
    }

    /// Writes `SIP/2.0/transport host[:port];params`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        self.write(out);
    }

    /// Exact number of bytes [`Via::encode`] writes.
    pub fn encoded_len(&self) -> usize {
        let mut c = Counter::default();
        self.write(&mut c);
        c.0
    }

    pub(crate) fn write<S: Sink>(&self, out: &mut S) {
        out.put(b"SIP/2.0/");
        out.put_str(self.transport);
        out.put(b" ");
        out.put_str(self.host);
        if let Some(p) = self.port {
            out.put(b":");
            out.put_u64(u64::from(p));
        }
        write_params(out, &self.params);
    }
}

impl fmt::Display for Via<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut v = Vec::with_capacity(self.encoded_len());
        self.write(&mut v);
        f.write_str(&String::from_utf8_lossy(&v))
    }
}
