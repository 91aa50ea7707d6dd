//! Message framing on stream transports (RFC 3261 §18.3).
//!
//! Over TCP/TLS a message ends where its Content-Length says, so the framer
//! finds the end of the header section, reads Content-Length with the same
//! line splitter the parser uses, and reports where the message lies in the
//! buffer. It never buffers past the size bound: headers that do not end
//! within `max` bytes, or a Content-Length that would take the message past
//! `max`, are rejected as soon as that is known, before the rest arrives.
//! Leading CRLFs (RFC 3261 §7.5; RFC 5626 §4.4.1 keep-alives) are skipped
//! and reported. After a framing or parse error the stream cannot be
//! resynchronised and the connection should be closed (RFC 4475 §3.1.2.3).

use crate::error::SipError;
use crate::header::HeaderName;
use crate::lines::{self, Lines};
use crate::scan;

/// Where a complete message lies in the buffer: `buf[skip..skip + len]`,
/// after `skip` bytes of leading CR/LF.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame {
    pub skip: usize,
    /// Message length; 0 when the buffer held only CRLF keep-alives
    /// (a `CRLFCRLF` ping, RFC 5626 §4.4.1, expects a `CRLF` pong).
    pub len: usize,
}

impl Frame {
    /// Whether this frame is only keep-alive bytes (nothing to parse).
    pub fn is_keepalive(&self) -> bool {
        self.len == 0
    }

    /// Bytes to drain from the front of the buffer once handled.
    pub fn consumed(&self) -> usize {
        self.skip.saturating_add(self.len)
    }
}

/// Finds the first complete message in `buf` (RFC 3261 §18.3).
///
/// `Ok(Some(frame))` when a message (or only keep-alive CRLFs) is at
/// `buf[frame.skip..frame.skip + frame.len]`; `Ok(None)` when more bytes are
/// needed; `Err` when the headers exceed `max`, the message would exceed
/// `max` ([`SipError::TooLarge`]), Content-Length is missing, invalid or
/// duplicated, or the header lines are malformed.
pub fn frame_stream(buf: &[u8], max: usize) -> Result<Option<Frame>, SipError> {
    frame(buf, max, &mut State::default())
}

/// What a previous call learnt about the message at the front of the buffer.
#[derive(Debug, Default, Clone, Copy)]
struct State {
    /// No CRLFCRLF starts before this offset (relative to the message start).
    scanned: usize,
    /// Once the headers are complete: total message length.
    total: Option<usize>,
}

fn frame(buf: &[u8], max: usize, st: &mut State) -> Result<Option<Frame>, SipError> {
    let skip = buf
        .iter()
        .take_while(|b| matches!(b, b'\r' | b'\n'))
        .count();
    let msg = buf.get(skip..).unwrap_or_default();
    if msg.is_empty() {
        return Ok((skip > 0).then_some(Frame { skip, len: 0 }));
    }
    let total = match st.total {
        Some(t) => t,
        None => {
            let limit = msg.len().min(max);
            let Some(head_end) = lines::head_end(msg, st.scanned, limit) else {
                if msg.len() >= max {
                    return Err(SipError::TooLarge {
                        size: msg.len(),
                        max,
                    });
                }
                st.scanned = limit.saturating_sub(3);
                return Ok(None);
            };
            let cl = content_length(msg, head_end, max)?;
            let total = head_end.checked_add(cl).ok_or(SipError::BadContentLength)?;
            if total > max {
                return Err(SipError::TooLarge { size: total, max });
            }
            st.total = Some(total);
            total
        }
    };
    Ok((msg.len() >= total).then_some(Frame { skip, len: total }))
}

/// Reads the single Content-Length of the header section ending at `head_end`.
fn content_length(msg: &[u8], head_end: usize, max: usize) -> Result<usize, SipError> {
    let sl_end = lines::first_crlf(msg)?;
    // Ends with the empty line, which stops the iterator.
    let section = msg.get(sl_end + 2..head_end).unwrap_or_default();
    let mut found = None;
    for raw in Lines::new(section) {
        let raw = raw?;
        let name = section.get(raw.name.clone()).unwrap_or_default();
        if !matches!(crate::header::known(name), Some(HeaderName::ContentLength)) {
            continue;
        }
        if found.is_some() {
            return Err(SipError::BadContentLength);
        }
        let value = section.get(raw.value.clone()).unwrap_or_default();
        let value = std::str::from_utf8(value).map_err(|_| SipError::BadContentLength)?;
        let n = scan::parse_u64(&lines::unfold(value, raw.folded), u64::MAX)
            .ok_or(SipError::BadContentLength)?;
        let n = usize::try_from(n).map_err(|_| SipError::TooLarge {
            size: usize::MAX,
            max,
        })?;
        if n > max {
            return Err(SipError::TooLarge { size: n, max });
        }
        found = Some(n);
    }
    found.ok_or(SipError::MissingContentLength)
}

/// Incremental framer for one connection: remembers how far it has scanned
/// and the length of a message whose headers are complete, so a message
/// arriving in many small reads is scanned once, not once per read.
///
/// Contract: between calls the caller only appends to the buffer, and after
/// `Ok(Some(frame))` it removes exactly `frame.consumed()` bytes from the
/// front (or calls [`StreamFramer::reset`] if it did anything else).
#[derive(Debug, Clone)]
pub struct StreamFramer {
    max: usize,
    state: State,
}

impl StreamFramer {
    /// A framer bounding messages to `max` bytes.
    pub fn new(max: usize) -> Self {
        StreamFramer {
            max,
            state: State::default(),
        }
    }

    /// As [`frame_stream`], resuming where the previous call stopped.
    pub fn next_frame(&mut self, buf: &[u8]) -> Result<Option<Frame>, SipError> {
        let r = frame(buf, self.max, &mut self.state);
        if !matches!(r, Ok(None)) {
            self.state = State::default();
        }
        r
    }

    /// Forgets what was learnt about the buffer.
    pub fn reset(&mut self) {
        self.state = State::default();
    }
}
