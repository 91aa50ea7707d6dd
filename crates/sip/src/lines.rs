//! Header-section line splitting, shared by the datagram parser and the
//! stream framer.
//!
//! Framing (RFC 3261 §18.3) must find Content-Length exactly where the parser
//! will find it; if the two disagreed about what a line or a fold is, a peer
//! could make the framer and the parser see different messages (request
//! smuggling). So both walk the header section with this one iterator: lines
//! end in CRLF only (a bare CR or LF is an error), a line starting with SP or
//! HTAB continues the previous header (RFC 3261 §7.3.1), and the name is
//! whatever precedes the first colon, minus trailing whitespace (`HCOLON`).
//!
//! The per-line scan is a hand-rolled 8-bytes-at-a-time search: it is the
//! inner loop of every parse.

use std::borrow::Cow;
use std::ops::Range;
use std::sync::OnceLock;

use crate::error::SipError;
use crate::scan;

/// One header as located in the buffer given to [`Lines`]: byte ranges
/// relative to it, no allocation.
#[derive(Debug, Clone)]
pub(crate) struct RawHeader {
    /// The name, trailing whitespace removed (may be empty or a non-token:
    /// the caller validates).
    pub name: Range<usize>,
    /// From just after the colon to the end of the last continuation line,
    /// CRLFs of folds included.
    pub value: Range<usize>,
    /// Whether continuation lines follow the first line.
    pub folded: bool,
    /// 1-based line number within the header section (for error messages).
    pub line: usize,
}

/// Iterates the header lines that start at the beginning of `buf` (just
/// after the start line's CRLF) up to the empty line that ends the header
/// section. Running out of bytes before the empty line is
/// [`SipError::Incomplete`]. Each line
/// costs one word-at-a-time search for its end plus a short scan of the name.
pub(crate) struct Lines<'a> {
    buf: &'a [u8],
    pos: usize,
    line: usize,
    done: bool,
}

impl<'a> Lines<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Lines {
            buf,
            pos: 0,
            line: 0,
            done: false,
        }
    }

    /// Returns the index of the CR ending the line that starts at `start`,
    /// requiring CRLF with no bare CR or LF before it.
    fn line_end(&self, start: usize) -> Result<usize, SipError> {
        let rest = self.buf.get(start..).unwrap_or_default();
        let i = find_cr_or_lf(rest).ok_or(SipError::Incomplete)?;
        match (rest.get(i), rest.get(i + 1)) {
            (Some(b'\r'), Some(b'\n')) => Ok(start + i),
            (Some(b'\r'), None) => Err(SipError::Incomplete),
            _ => Err(SipError::BadLineEnding),
        }
    }

    fn next_header(&mut self) -> Result<Option<RawHeader>, SipError> {
        let start = self.pos;
        let first = match (self.buf.get(start), self.buf.get(start + 1)) {
            (Some(b'\r'), Some(b'\n')) => return Ok(None),
            (None, _) | (Some(b'\r'), None) => return Err(SipError::Incomplete),
            (Some(b), _) => *b,
        };
        self.line += 1;
        let line = self.line;
        if scan::is_ws(first) {
            return Err(SipError::BadHeader {
                line,
                reason: "continuation line without a header",
            });
        }
        let mut end = self.line_end(start)?;
        // Names are short: a plain scan finds the colon quickly.
        let colon = self
            .buf
            .get(start..end)
            .and_then(|l| l.iter().position(|b| *b == b':'))
            .map(|c| start + c)
            .ok_or(SipError::BadHeader {
                line,
                reason: "no colon",
            })?;
        let name = self.buf.get(start..colon).unwrap_or_default();
        let name_len = name.len() - name.iter().rev().take_while(|b| scan::is_ws(**b)).count();
        let mut next = end + 2;
        let mut folded = false;
        // Bounded: each iteration consumes one line of a finite buffer.
        while self.buf.get(next).is_some_and(|b| scan::is_ws(*b)) {
            let e = self.line_end(next)?;
            self.line += 1;
            folded = true;
            end = e;
            next = e + 2;
        }
        self.pos = next;
        Ok(Some(RawHeader {
            name: start..start + name_len,
            value: colon + 1..end,
            folded,
            line,
        }))
    }
}

impl Iterator for Lines<'_> {
    type Item = Result<RawHeader, SipError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let r = self.next_header();
        if !matches!(r, Ok(Some(_))) {
            self.done = true;
        }
        r.transpose()
    }
}

/// Index of the first CR or LF in `b`, eight bytes at a time (SWAR): header
/// lines are a few dozen bytes, too short for a vectorised search to pay off
/// its setup. In each word, `(x - 0x01..) & !x & 0x80..` flags zero bytes of
/// `x`; its lowest flag is always exact, and so is the lowest of the two
/// masks OR-ed together.
#[inline]
fn find_cr_or_lf(b: &[u8]) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let mut chunks = b.chunks_exact(8);
    let mut off = 0;
    for c in &mut chunks {
        let Ok(word) = <[u8; 8]>::try_from(c) else {
            break;
        };
        let w = u64::from_le_bytes(word);
        let (x, y) = (w ^ (LO * u64::from(b'\r')), w ^ (LO * u64::from(b'\n')));
        let t = ((x.wrapping_sub(LO) & !x) | (y.wrapping_sub(LO) & !y)) & HI;
        if t != 0 {
            return Some(off + (t.trailing_zeros() / 8) as usize);
        }
        off += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|c| *c == b'\r' || *c == b'\n')
        .map(|i| off + i)
}

/// Undoes line folding (RFC 3261 §7.3.1): each `*WSP CRLF 1*WSP` becomes one
/// SP and the value is trimmed. Borrowed unless there was a fold.
pub(crate) fn unfold(value: &str, folded: bool) -> Cow<'_, str> {
    if !folded {
        return Cow::Borrowed(scan::trim(value));
    }
    let mut out = String::with_capacity(value.len());
    for piece in value
        .split("\r\n")
        .map(scan::trim)
        .filter(|p| !p.is_empty())
    {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(piece);
    }
    Cow::Owned(out)
}

/// Finds the end of the header section: the index just past the CRLFCRLF
/// that terminates it (RFC 3261 §7), searching `buf[from..limit]` with one
/// vectorised substring search (the searcher is built once per process).
pub(crate) fn head_end(buf: &[u8], from: usize, limit: usize) -> Option<usize> {
    static FINDER: OnceLock<memchr::memmem::Finder<'static>> = OnceLock::new();
    let finder = FINDER.get_or_init(|| memchr::memmem::Finder::new(b"\r\n\r\n"));
    let from = from.min(limit);
    let hay = buf.get(from..limit.min(buf.len()))?;
    finder.find(hay).map(|i| from + i + 4)
}

/// Index of the CR of the first CRLF in `buf` (the end of the start line).
pub(crate) fn first_crlf(buf: &[u8]) -> Result<usize, SipError> {
    let nl = memchr::memchr(b'\n', buf).ok_or(SipError::Incomplete)?;
    let cr = nl.checked_sub(1).ok_or(SipError::BadLineEnding)?;
    if buf.get(cr) == Some(&b'\r') {
        Ok(cr)
    } else {
        Err(SipError::BadLineEnding)
    }
}
