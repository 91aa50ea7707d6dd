//! The message model and the datagram parser (RFC 3261 §7).
//!
//! [`parse_datagram`] does the minimum every message needs: split the start
//! line, locate and classify each header (undoing line folds), and frame the
//! body by Content-Length. Everything else (Via, From, CSeq, ...) is parsed
//! lazily by the accessors in `access.rs`, so a message the server drops
//! early costs one pass over its header bytes and one allocation.
//!
//! Strictness is deliberate where it protects framing or routing (CRLF only,
//! single SP in the request line, one Content-Length) and liberal where
//! RFC 4475 asks for it (LWS almost anywhere in header values, compact and
//! odd-cased names, leading zeros, empty reason phrases).

use std::borrow::Cow;

use crate::error::SipError;
use crate::header::{Header, HeaderName};
use crate::lines::{self, Lines};
use crate::method::Method;
use crate::scan;
use crate::sink::{put_line_safe, Counter, Sink};
use crate::uri::Uri;

/// Default bound on a message (start line + headers + body), the largest
/// UDP payload (RFC 3261 §18.1.1 allows up to 65,535 bytes).
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 65_535;

/// Bound on header fields in one message.
pub const MAX_HEADERS: usize = 512;

/// The first line of a message (RFC 3261 §7.1, §7.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartLine<'a> {
    /// `Method SP Request-URI SP SIP/2.0`.
    Request { method: Method<'a>, uri: Uri<'a> },
    /// `SIP/2.0 SP Status-Code SP Reason-Phrase`. A reason phrase that is not
    /// UTF-8 is decoded lossily: it is for humans only (RFC 3261 §21).
    Response { code: u16, reason: Cow<'a, str> },
}

/// A parsed message borrowing from the input buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipMessage<'a> {
    pub start: StartLine<'a>,
    /// Header fields in order of appearance, one per header line.
    pub headers: Vec<Header<'a>>,
    /// The message body (RFC 3261 §7.4), framed by Content-Length when present.
    pub body: &'a [u8],
}

/// Parses one whole message received as a datagram (RFC 3261 §18.3), with
/// the [`DEFAULT_MAX_MESSAGE_SIZE`] bound.
///
/// Without Content-Length the body is the rest of the datagram; a
/// Content-Length larger than what is present is an error
/// ([`SipError::TruncatedBody`]); a smaller one truncates the body and the
/// extra bytes are ignored (RFC 4475 §3.1.1.8). Leading CRLFs are skipped.
pub fn parse_datagram(buf: &[u8]) -> Result<SipMessage<'_>, SipError> {
    parse_datagram_with_max(buf, DEFAULT_MAX_MESSAGE_SIZE)
}

/// [`parse_datagram`] with an explicit size bound.
pub fn parse_datagram_with_max(buf: &[u8], max: usize) -> Result<SipMessage<'_>, SipError> {
    if buf.len() > max {
        return Err(SipError::TooLarge {
            size: buf.len(),
            max,
        });
    }
    let skip = buf
        .iter()
        .take_while(|b| matches!(b, b'\r' | b'\n'))
        .count();
    let msg = buf.get(skip..).unwrap_or_default();
    if msg.is_empty() {
        return Err(SipError::Empty);
    }
    let head_end = lines::head_end(msg, 0, msg.len()).ok_or(SipError::Incomplete)?;
    let sl_end = lines::first_crlf(msg)?;
    let start = parse_start_line(msg.get(..sl_end).unwrap_or_default())?;
    // Headers through the empty line: validated as UTF-8 once, then sliced.
    let section = msg.get(sl_end + 2..head_end).unwrap_or_default();
    let text = std::str::from_utf8(section).map_err(|_| SipError::NotUtf8)?;
    let mut headers = Vec::with_capacity(16);
    let mut content_length: Option<usize> = None;
    for raw in Lines::new(section) {
        let raw = raw?;
        if headers.len() >= MAX_HEADERS {
            return Err(SipError::TooManyHeaders(MAX_HEADERS));
        }
        let name = text.get(raw.name.clone()).unwrap_or_default();
        let name = HeaderName::parse(name);
        // Known names are tokens by construction; only unknown ones need the check.
        if matches!(name, HeaderName::Other(n) if !scan::is_token(n)) {
            return Err(SipError::BadHeader {
                line: raw.line,
                reason: "name is not a token",
            });
        }
        let value = lines::unfold(text.get(raw.value.clone()).unwrap_or_default(), raw.folded);
        if matches!(name, HeaderName::ContentLength) {
            if content_length.is_some() {
                return Err(SipError::BadContentLength);
            }
            let n = scan::parse_u64(&value, max as u64).ok_or(SipError::BadContentLength)?;
            content_length = Some(n as usize);
        }
        headers.push(Header { name, value });
    }
    let rest = msg.get(head_end..).unwrap_or_default();
    let body = match content_length {
        None => rest,
        Some(n) => rest.get(..n).ok_or(SipError::TruncatedBody {
            declared: n,
            available: rest.len(),
        })?,
    };
    Ok(SipMessage {
        start,
        headers,
        body,
    })
}

fn parse_start_line(line: &[u8]) -> Result<StartLine<'_>, SipError> {
    if memchr::memchr2(b'\r', b'\n', line).is_some() {
        return Err(SipError::BadLineEnding);
    }
    if line
        .get(..4)
        .is_some_and(|p| p.eq_ignore_ascii_case(b"SIP/"))
    {
        let sp = memchr::memchr(b' ', line).ok_or(SipError::BadStartLine)?;
        let (version, rest) = line.split_at(sp);
        if !version.eq_ignore_ascii_case(b"SIP/2.0") {
            return Err(SipError::BadVersion);
        }
        let rest = rest.get(1..).unwrap_or_default();
        let (code, reason) = match memchr::memchr(b' ', rest) {
            Some(i) => (
                rest.get(..i).unwrap_or_default(),
                rest.get(i + 1..).unwrap_or_default(),
            ),
            // "SIP/2.0 200" without the SP: accepted (RFC 4475 §3.1.1.13).
            None => (rest, &b""[..]),
        };
        if code.len() != 3 || !code.iter().all(u8::is_ascii_digit) {
            return Err(SipError::BadStatusCode);
        }
        let code = code.iter().fold(0u16, |a, d| a * 10 + u16::from(d - b'0'));
        if !(100..=699).contains(&code) {
            return Err(SipError::BadStatusCode);
        }
        let reason = match std::str::from_utf8(reason) {
            Ok(s) => Cow::Borrowed(s),
            Err(_) => Cow::Owned(String::from_utf8_lossy(reason).into_owned()),
        };
        return Ok(StartLine::Response { code, reason });
    }
    let line = std::str::from_utf8(line).map_err(|_| SipError::BadStartLine)?;
    let (method, rest) = scan::split_once(line, b' ').ok_or(SipError::BadStartLine)?;
    let (uri, version) = scan::split_once(rest, b' ').ok_or(SipError::BadStartLine)?;
    if method.is_empty() || uri.is_empty() || version.contains([' ', '\t']) {
        return Err(SipError::BadStartLine);
    }
    if !version.eq_ignore_ascii_case("SIP/2.0") {
        let looks_sip = version
            .get(..4)
            .is_some_and(|p| p.eq_ignore_ascii_case("SIP/"));
        return Err(if looks_sip {
            SipError::BadVersion
        } else {
            SipError::BadStartLine
        });
    }
    let method = Method::parse(method)?;
    let uri = Uri::parse(uri)?;
    // Headers are not allowed in a Request-URI (RFC 3261 §19.1.1 table,
    // RFC 4475 §3.1.2.11).
    if uri.headers.is_some() {
        return Err(SipError::BadUri);
    }
    Ok(StartLine::Request { method, uri })
}

impl SipMessage<'_> {
    /// Writes the message in canonical form: `SIP/2.0` upper-case, header
    /// names in their long form (RFC 3261 §7.3.3), one line per header
    /// (values as parsed, so folds are gone), then the body.
    ///
    /// Headers are written as they are; a parsed message's Content-Length
    /// already matches its body, so parsing the output yields an equal
    /// message. Any CR or LF inside a value is written as SP.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.reserve(self.encoded_len());
        self.write(out);
    }

    /// Exact number of bytes [`SipMessage::encode`] writes.
    pub fn encoded_len(&self) -> usize {
        let mut c = Counter::default();
        self.write(&mut c);
        c.0
    }

    fn write<S: Sink>(&self, out: &mut S) {
        match &self.start {
            StartLine::Request { method, uri } => {
                out.put_str(method.as_str());
                out.put(b" ");
                uri.write(out);
                out.put(b" SIP/2.0\r\n");
            }
            StartLine::Response { code, reason } => {
                out.put(b"SIP/2.0 ");
                out.put_u64(u64::from(*code));
                out.put(b" ");
                put_line_safe(out, reason);
                out.put(b"\r\n");
            }
        }
        for h in &self.headers {
            put_line_safe(out, h.name.as_str());
            out.put(b":");
            if !h.value.is_empty() {
                out.put(b" ");
                put_line_safe(out, &h.value);
            }
            out.put(b"\r\n");
        }
        out.put(b"\r\n");
        out.put(self.body);
    }
}
