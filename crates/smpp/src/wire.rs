//! A bounds-checked cursor over a PDU body, and the matching big-endian writers (§3.1: all
//! integers are big-endian "network byte order").
//!
//! Every read goes through `split_first`/`split_at_checked`-style checks, so a short or lying
//! peer can only produce a [`BodyError`], never an out-of-bounds panic.

use crate::error::BodyError;
use crate::field::Field;

/// Cursor over the not-yet-decoded octets of one PDU body.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) const fn new(body: &'a [u8]) -> Self {
        Reader { rest: body }
    }

    pub(crate) const fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    pub(crate) const fn remaining(&self) -> usize {
        self.rest.len()
    }

    /// The octets not read yet.
    pub(crate) const fn rest(&self) -> &'a [u8] {
        self.rest
    }

    pub(crate) fn u8(&mut self, field: Field) -> Result<u8, BodyError> {
        let (&value, rest) = self
            .rest
            .split_first()
            .ok_or(BodyError::Truncated { field })?;
        self.rest = rest;
        Ok(value)
    }

    /// `len` raw octets, or `Truncated { field }` when fewer remain.
    pub(crate) fn bytes(&mut self, len: usize, field: Field) -> Result<&'a [u8], BodyError> {
        if len > self.rest.len() {
            return Err(BodyError::Truncated { field });
        }
        let (taken, rest) = self.rest.split_at(len);
        self.rest = rest;
        Ok(taken)
    }

    /// Moves the cursor forward by `len` octets already inspected through [`Reader::rest`].
    /// Callers guarantee `len <= remaining()`; a larger value just empties the reader.
    pub(crate) fn advance(&mut self, len: usize) {
        self.rest = self.rest.get(len..).unwrap_or_default();
    }

    /// Fails with `TrailingBytes` unless the body has been consumed completely.
    pub(crate) fn finish(&self) -> Result<(), BodyError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(BodyError::TrailingBytes {
                count: self.rest.len(),
            })
        }
    }
}

/// Reads a big-endian u16 from the front of `buf`, if there are two octets.
pub(crate) fn be_u16(buf: &[u8]) -> Option<u16> {
    buf.first_chunk::<2>().map(|b| u16::from_be_bytes(*b))
}

/// Reads a big-endian u32 from the front of `buf`, if there are four octets.
pub(crate) fn be_u32(buf: &[u8]) -> Option<u32> {
    buf.first_chunk::<4>().map(|b| u32::from_be_bytes(*b))
}

pub(crate) fn put_u16(out: &mut Vec<u8>, value: u16) {
    out.extend_from_slice(&value.to_be_bytes());
}

pub(crate) fn put_u32(out: &mut Vec<u8>, value: u32) {
    out.extend_from_slice(&value.to_be_bytes());
}
