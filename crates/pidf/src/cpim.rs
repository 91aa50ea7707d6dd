//! message/cpim bodies (RFC 3862), the envelope IMDN rides in (RFC 5438 §6).
//!
//! Layout: message headers (`From`, `To`, `DateTime`, `NS`, `imdn.*`), a blank line, the
//! encapsulated MIME entity's headers (`Content-Type`, ...), a blank line, the body.
//! The parser borrows everything from the input and is tolerant of bare LF line ends; header
//! names are matched case-insensitively, and IMDN headers are found through the `NS:`
//! declaration of `urn:ietf:params:imdn`, whatever prefix the client chose (RFC 3862 §3.2.1),
//! falling back to `imdn.` when a client forgot the declaration. The builder writes CRLF and
//! drops CR/LF from header values so a value can never inject a header.

use crate::error::CpimError;
use crate::time::Timestamp;

/// Largest message/cpim body accepted (a SIP MESSAGE body is far smaller in practice).
pub const MAX_CPIM_BYTES: usize = 64 * 1024;
/// Most headers in one header block.
pub const MAX_CPIM_HEADERS: usize = 32;
/// The IMDN namespace for CPIM headers (RFC 5438 §6.1).
pub const IMDN_CPIM_NS: &str = "urn:ietf:params:imdn";

/// One `Name: value` header line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpimHeader<'a> {
    pub name: &'a str,
    pub value: &'a str,
}

/// A parsed message/cpim body, borrowing from the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CpimMessage<'a> {
    /// Message headers (RFC 3862 §3), in order.
    pub headers: Vec<CpimHeader<'a>>,
    /// Headers of the encapsulated MIME entity (`Content-Type`, ...).
    pub content_headers: Vec<CpimHeader<'a>>,
    /// The encapsulated content.
    pub body: &'a [u8],
}

/// `imdn.Disposition-Notification` values (RFC 5438 §6.3): what the sender asks to be told.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct DispositionRequest {
    pub positive_delivery: bool,
    pub negative_delivery: bool,
    pub display: bool,
    pub processing: bool,
}

impl DispositionRequest {
    /// Parses the comma-separated list; unknown tokens are ignored.
    pub fn parse(value: &str) -> Self {
        let mut d = DispositionRequest::default();
        for tok in value.split(',').map(str::trim) {
            let flag = match tok.to_ascii_lowercase().as_str() {
                "positive-delivery" => &mut d.positive_delivery,
                "negative-delivery" => &mut d.negative_delivery,
                "display" => &mut d.display,
                "processing" => &mut d.processing,
                _ => continue,
            };
            *flag = true;
        }
        d
    }

    /// Whether nothing is requested.
    pub fn is_empty(&self) -> bool {
        *self == DispositionRequest::default()
    }

    fn write(&self, out: &mut Vec<u8>) {
        let mut first = true;
        for (on, tok) in [
            (self.positive_delivery, "positive-delivery"),
            (self.negative_delivery, "negative-delivery"),
            (self.display, "display"),
            (self.processing, "processing"),
        ] {
            if on {
                if !first {
                    out.extend_from_slice(b", ");
                }
                out.extend_from_slice(tok.as_bytes());
                first = false;
            }
        }
    }
}

impl<'a> CpimMessage<'a> {
    /// First message header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&'a str> {
        find(&self.headers, name)
    }

    /// First content header called `name` (case-insensitive).
    pub fn content_header(&self, name: &str) -> Option<&'a str> {
        find(&self.content_headers, name)
    }

    /// The IMDN header `local` (e.g. `Message-ID`), under whichever prefix `NS:` bound to
    /// [`IMDN_CPIM_NS`] (RFC 3862 §3.2.1, RFC 5438 §6.1).
    pub fn imdn_header(&self, local: &str) -> Option<&'a str> {
        let declared: Vec<&str> = self
            .headers
            .iter()
            .filter(|h| h.name.eq_ignore_ascii_case("NS"))
            .filter_map(|h| {
                let (prefix, rest) = h.value.split_once('<')?;
                let uri = rest.strip_suffix('>')?.trim();
                uri.eq_ignore_ascii_case(IMDN_CPIM_NS)
                    .then_some(prefix.trim())
            })
            .collect();
        self.headers.iter().find_map(|h| {
            let (prefix, name) = h.name.rsplit_once('.')?;
            let ok_prefix = if declared.is_empty() {
                prefix.eq_ignore_ascii_case("imdn")
            } else {
                declared.contains(&prefix)
            };
            (ok_prefix && name.eq_ignore_ascii_case(local)).then_some(h.value)
        })
    }

    /// `From` header value (RFC 3862 §3.1.1).
    pub fn from(&self) -> Option<&'a str> {
        self.header("From")
    }

    /// `To` header value (RFC 3862 §3.1.2).
    pub fn to(&self) -> Option<&'a str> {
        self.header("To")
    }

    /// The URI inside `From`'s angle brackets.
    pub fn from_uri(&self) -> Option<&'a str> {
        self.from().map(uri_of)
    }

    /// The URI inside `To`'s angle brackets.
    pub fn to_uri(&self) -> Option<&'a str> {
        self.to().map(uri_of)
    }

    /// `DateTime` header value (RFC 3862 §3.1.5).
    pub fn datetime(&self) -> Option<&'a str> {
        self.header("DateTime")
    }

    /// `imdn.Message-ID` (RFC 5438 §6.2).
    pub fn message_id(&self) -> Option<&'a str> {
        self.imdn_header("Message-ID")
    }

    /// `imdn.Disposition-Notification` (RFC 5438 §6.3); empty when absent.
    pub fn disposition_notification(&self) -> DispositionRequest {
        self.imdn_header("Disposition-Notification")
            .map(DispositionRequest::parse)
            .unwrap_or_default()
    }

    /// The content's `Content-Type`.
    pub fn content_type(&self) -> Option<&'a str> {
        self.content_header("Content-Type")
    }

    /// Whether the content is an IMDN (`message/imdn+xml`, RFC 5438 §10).
    pub fn is_imdn(&self) -> bool {
        self.content_type().is_some_and(|ct| {
            let mime = ct.split(';').next().unwrap_or("").trim();
            mime.eq_ignore_ascii_case("message/imdn+xml")
        })
    }
}

/// Parses a message/cpim body (RFC 3862 §2–3).
pub fn parse_cpim(input: &[u8]) -> Result<CpimMessage<'_>, CpimError> {
    if input.len() > MAX_CPIM_BYTES {
        return Err(CpimError::TooLarge {
            len: input.len(),
            max: MAX_CPIM_BYTES,
        });
    }
    let mut pos = 0;
    let mut line = 0;
    let (headers, terminated) = read_block(input, &mut pos, &mut line)?;
    if !terminated {
        return Err(CpimError::NoHeaderEnd);
    }
    let (content_headers, _) = read_block(input, &mut pos, &mut line)?;
    Ok(CpimMessage {
        headers,
        content_headers,
        body: &input[pos..],
    })
}

/// Reads header lines up to a blank line; returns whether the blank line was found.
fn read_block<'a>(
    input: &'a [u8],
    pos: &mut usize,
    line: &mut usize,
) -> Result<(Vec<CpimHeader<'a>>, bool), CpimError> {
    let mut headers = Vec::new();
    while *pos < input.len() {
        *line += 1;
        let rest = &input[*pos..];
        let (raw, next) = match rest.iter().position(|&b| b == b'\n') {
            Some(i) => (&rest[..i], *pos + i + 1),
            None => (rest, input.len()),
        };
        *pos = next;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if raw.is_empty() {
            return Ok((headers, true));
        }
        if headers.len() >= MAX_CPIM_HEADERS {
            return Err(CpimError::TooManyHeaders {
                max: MAX_CPIM_HEADERS,
            });
        }
        let bad = CpimError::BadHeader { line: *line };
        let text = std::str::from_utf8(raw).map_err(|_| bad.clone())?;
        let (name, value) = text.split_once(':').ok_or(bad.clone())?;
        let name = name.trim();
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(bad);
        }
        headers.push(CpimHeader {
            name,
            value: value.trim(),
        });
    }
    Ok((headers, false))
}

fn find<'a>(headers: &[CpimHeader<'a>], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case(name))
        .map(|h| h.value)
}

fn uri_of(v: &str) -> &str {
    match (v.find('<'), v.rfind('>')) {
        (Some(a), Some(b)) if a < b => &v[a + 1..b],
        _ => v.trim(),
    }
}

/// A message/cpim body to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpimOut<'a> {
    /// Sender URI (`sip:…`/`im:…`), or a full `Name <uri>` value.
    pub from: &'a str,
    /// Recipient URI, or a full `Name <uri>` value.
    pub to: &'a str,
    /// `DateTime` (RFC 3862 §3.1.5); required by RFC 5438 §6.2 whenever IMDN is used.
    pub datetime: Option<Timestamp<'a>>,
    /// `imdn.Message-ID` (RFC 5438 §6.2).
    pub message_id: Option<&'a str>,
    /// `imdn.Disposition-Notification` (RFC 5438 §6.3); omitted when empty.
    pub disposition: DispositionRequest,
    /// The content's `Content-Type`, e.g. `text/plain;charset=UTF-8` or `message/imdn+xml`.
    pub content_type: &'a str,
    /// The content's `Content-Disposition` (`notification` for an IMDN, RFC 5438 §7.1.1.2).
    pub content_disposition: Option<&'a str>,
    /// The content.
    pub body: &'a [u8],
}

/// Appends a message/cpim body to `out` (RFC 3862 §2, CRLF line ends).
pub fn build_cpim(msg: &CpimOut<'_>, out: &mut Vec<u8>) {
    out.reserve(256 + msg.body.len());
    header_addr(out, "From", msg.from);
    header_addr(out, "To", msg.to);
    if msg.message_id.is_some() || !msg.disposition.is_empty() {
        out.extend_from_slice(b"NS: imdn <urn:ietf:params:imdn>\r\n");
    }
    if let Some(id) = msg.message_id {
        header(out, "imdn.Message-ID", id);
    }
    if let Some(dt) = msg.datetime {
        header(out, "DateTime", &dt.to_rfc3339());
    }
    if !msg.disposition.is_empty() {
        out.extend_from_slice(b"imdn.Disposition-Notification: ");
        msg.disposition.write(out);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    header(out, "Content-Type", msg.content_type);
    if let Some(cd) = msg.content_disposition {
        header(out, "Content-Disposition", cd);
    }
    header(out, "Content-Length", &msg.body.len().to_string());
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(msg.body);
}

fn header(out: &mut Vec<u8>, name: &str, value: &str) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    push_sanitized(out, value.trim());
    out.extend_from_slice(b"\r\n");
}

fn header_addr(out: &mut Vec<u8>, name: &str, value: &str) {
    let v = value.trim();
    if v.contains('<') {
        header(out, name, v);
    } else {
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": <");
        push_sanitized(out, v);
        out.extend_from_slice(b">\r\n");
    }
}

fn push_sanitized(out: &mut Vec<u8>, v: &str) {
    out.extend(v.bytes().filter(|&b| b != b'\r' && b != b'\n'));
}
