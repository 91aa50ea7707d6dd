//! Builders for the messages the server sends.
//!
//! Responses copy the request's Via (all of them, in order), From, To,
//! Call-ID and CSeq (RFC 3261 §8.2.6.2) and add a To tag when asked and
//! missing. Both builders borrow everything and write into a caller-owned,
//! reused `Vec<u8>`, so sending allocates nothing in steady state. Both
//! always write Content-Length: required on stream transports (RFC 3261
//! §18.3) and harmless on UDP. Values are written on one line: a CR or LF in
//! a caller-supplied value becomes SP, so no value can inject a header.

use crate::header::HeaderName;
use crate::message::SipMessage;
use crate::name_addr::NameAddr;
use crate::sink::{put_line_safe, Counter, Sink};

fn put_header<S: Sink>(out: &mut S, name: &str, value: &str) {
    put_line_safe(out, name);
    out.put(b": ");
    put_line_safe(out, value);
    out.put(b"\r\n");
}

fn put_tail<S: Sink>(out: &mut S, extra: &[(&str, &str)], body: Option<(&str, &[u8])>) {
    for (n, v) in extra {
        put_header(out, n, v);
    }
    let bytes = match body {
        Some((ct, b)) => {
            put_header(out, "Content-Type", ct);
            b
        }
        None => &[],
    };
    out.put(b"Content-Length: ");
    out.put_u64(bytes.len() as u64);
    out.put(b"\r\n\r\n");
    out.put(bytes);
}

/// A response to a parsed request (RFC 3261 §8.2.6).
#[derive(Debug, Clone)]
pub struct ResponseBuilder<'r> {
    req: &'r SipMessage<'r>,
    code: u16,
    reason: &'r str,
    to_tag: Option<&'r str>,
    extra: Vec<(&'r str, &'r str)>,
    body: Option<(&'r str, &'r [u8])>,
}

/// Starts a response with status `code` and `reason` to `req`.
pub fn response_to<'r>(req: &'r SipMessage<'_>, code: u16, reason: &'r str) -> ResponseBuilder<'r> {
    ResponseBuilder {
        req,
        code,
        reason,
        to_tag: None,
        extra: Vec::new(),
        body: None,
    }
}

impl<'r> ResponseBuilder<'r> {
    /// Adds `;tag=t` to To unless the request's To already has a tag
    /// (RFC 3261 §8.2.6.2).
    pub fn to_tag(mut self, t: &'r str) -> Self {
        self.to_tag = Some(t);
        self
    }

    /// Appends a header after the copied ones.
    pub fn header(mut self, name: &'r str, value: &'r str) -> Self {
        self.extra.push((name, value));
        self
    }

    /// Sets the body and its Content-Type.
    pub fn body(mut self, content_type: &'r str, bytes: &'r [u8]) -> Self {
        self.body = Some((content_type, bytes));
        self
    }

    /// Appends the response to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.reserve(self.encoded_len());
        self.write(out);
    }

    /// Exact number of bytes [`ResponseBuilder::encode`] writes.
    pub fn encoded_len(&self) -> usize {
        let mut c = Counter::default();
        self.write(&mut c);
        c.0
    }

    fn write<S: Sink>(&self, out: &mut S) {
        out.put(b"SIP/2.0 ");
        out.put_u64(u64::from(self.code));
        out.put(b" ");
        put_line_safe(out, self.reason);
        out.put(b"\r\n");
        for via in self.req.header_lines(&HeaderName::Via) {
            put_header(out, "Via", via);
        }
        if let Some(v) = self.req.header(&HeaderName::From) {
            put_header(out, "From", v);
        }
        if let Some(v) = self.req.header(&HeaderName::To) {
            put_line_safe(out, "To: ");
            put_line_safe(out, v);
            if let Some(t) = self.to_tag {
                if NameAddr::parse(v).is_ok_and(|na| na.tag().is_none()) {
                    out.put(b";tag=");
                    put_line_safe(out, t);
                }
            }
            out.put(b"\r\n");
        }
        if let Some(v) = self.req.header(&HeaderName::CallId) {
            put_header(out, "Call-ID", v);
        }
        if let Some(v) = self.req.header(&HeaderName::CSeq) {
            put_header(out, "CSeq", v);
        }
        put_tail(out, &self.extra, self.body);
    }
}

/// A request originated by the server (MESSAGE, NOTIFY, ...; RFC 3261 §8.1).
/// The caller supplies every header (Via, Max-Forwards, From, To, Call-ID,
/// CSeq, ...) in the order it wants them written.
#[derive(Debug, Clone)]
pub struct RequestBuilder<'r> {
    method: &'r str,
    uri: &'r str,
    headers: Vec<(&'r str, &'r str)>,
    body: Option<(&'r str, &'r [u8])>,
}

impl<'r> RequestBuilder<'r> {
    /// Starts `method request_uri SIP/2.0`.
    pub fn new(method: &'r str, request_uri: &'r str) -> Self {
        RequestBuilder {
            method,
            uri: request_uri,
            headers: Vec::new(),
            body: None,
        }
    }

    /// Appends a header.
    pub fn header(mut self, name: &'r str, value: &'r str) -> Self {
        self.headers.push((name, value));
        self
    }

    /// Sets the body and its Content-Type.
    pub fn body(mut self, content_type: &'r str, bytes: &'r [u8]) -> Self {
        self.body = Some((content_type, bytes));
        self
    }

    /// Appends the request to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.reserve(self.encoded_len());
        self.write(out);
    }

    /// Exact number of bytes [`RequestBuilder::encode`] writes.
    pub fn encoded_len(&self) -> usize {
        let mut c = Counter::default();
        self.write(&mut c);
        c.0
    }

    fn write<S: Sink>(&self, out: &mut S) {
        put_line_safe(out, self.method);
        out.put(b" ");
        put_line_safe(out, self.uri);
        out.put(b" SIP/2.0\r\n");
        put_tail(out, &self.headers, self.body);
    }
}
