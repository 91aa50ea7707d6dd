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

use std::borrow::Cow;
use std::ops::Range;

use crate::error::SipError;
use crate::scan;

/// One header as located in the header section: byte ranges relative to the
/// section, no allocation.
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

/// Iterates the header lines of `section`, which must be the bytes after the
/// start line's CRLF up to and including the CRLF of the last header line
/// (i.e. without the final empty line).
pub(crate) struct Lines<'a> {
    section: &'a [u8],
    pos: usize,
    line: usize,
}

impl<'a> Lines<'a> {
    pub(crate) fn new(section: &'a [u8]) -> Self {
        Lines {
            section,
            pos: 0,
            line: 0,
        }
    }

    /// Returns the end of the line starting at `start` (index of its CR) and
    /// the start of the next line, checking the CRLF discipline in one scan.
    fn line_end(&self, start: usize) -> Result<(usize, usize), SipError> {
        let rest = self.section.get(start..).unwrap_or_default();
        let i = memchr::memchr2(b'\r', b'\n', rest).ok_or(SipError::BadLineEnding)?;
        if rest.get(i) != Some(&b'\r') || rest.get(i + 1) != Some(&b'\n') {
            return Err(SipError::BadLineEnding);
        }
        Ok((start + i, start + i + 2))
    }
}

impl Iterator for Lines<'_> {
    type Item = Result<RawHeader, SipError>;

    fn next(&mut self) -> Option<Self::Item> {
        let start = self.pos;
        let first = *self.section.get(start)?;
        self.line += 1;
        let line = self.line;
        if scan::is_ws(first) {
            self.pos = self.section.len();
            return Some(Err(SipError::BadHeader {
                line,
                reason: "continuation line without a header",
            }));
        }
        let (mut end, mut next) = match self.line_end(start) {
            Ok(v) => v,
            Err(e) => {
                self.pos = self.section.len();
                return Some(Err(e));
            }
        };
        let content = self.section.get(start..end).unwrap_or_default();
        let Some(colon) = memchr::memchr(b':', content) else {
            self.pos = self.section.len();
            return Some(Err(SipError::BadHeader {
                line,
                reason: "no colon",
            }));
        };
        let name = content.get(..colon).unwrap_or_default();
        let name_len = name.len() - name.iter().rev().take_while(|b| scan::is_ws(**b)).count();
        let mut folded = false;
        // Bounded: each iteration consumes one line of a finite section.
        while self.section.get(next).is_some_and(|b| scan::is_ws(*b)) {
            match self.line_end(next) {
                Ok((e, n)) => {
                    self.line += 1;
                    folded = true;
                    end = e;
                    next = n;
                }
                Err(e) => {
                    self.pos = self.section.len();
                    return Some(Err(e));
                }
            }
        }
        self.pos = next;
        Some(Ok(RawHeader {
            name: start..start + name_len,
            value: start + colon + 1..end,
            folded,
            line,
        }))
    }
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
/// that terminates it (RFC 3261 §7), searching `buf[from..limit]`. Walks line
/// feeds with memchr: a header section has a few dozen of them.
pub(crate) fn head_end(buf: &[u8], from: usize, limit: usize) -> Option<usize> {
    let hay = buf.get(..limit.min(buf.len()))?;
    let mut i = from;
    while let Some(off) = hay.get(i..).and_then(|r| memchr::memchr(b'\n', r)) {
        let nl = i + off;
        if nl >= 3 && hay.get(nl - 3..=nl) == Some(&b"\r\n\r\n"[..]) {
            return Some(nl + 1);
        }
        i = nl + 1;
    }
    None
}

/// Index of the CR of the first CRLF in `buf` (the end of the start line).
pub(crate) fn first_crlf(buf: &[u8]) -> Option<usize> {
    let nl = memchr::memchr(b'\n', buf)?;
    let cr = nl.checked_sub(1)?;
    (buf.get(cr) == Some(&b'\r')).then_some(cr)
}
