//! Byte-stream plumbing both sides share: the receive buffer that cuts a TCP stream into PDUs
//! (SMPP 3.4 §3.2: command_length is the only delimiter) and the sequence-number generator.
//!
//! Why a buffer with a read offset instead of draining after every PDU: a read of 64 KiB may
//! hold hundreds of small PDUs, and draining each one would move the rest of the buffer every
//! time. The buffer is compacted once per input chunk instead. Its size is bounded by one
//! partial PDU (at most the configured maximum command_length, checked by
//! [`smartchat_smpp::frame_len`] before anything is buffered) plus the chunk being handled.

use smartchat_smpp::{frame_len, SmppError, HEADER_LEN};

/// Receive buffer: appended to by the transport, consumed one whole PDU at a time.
#[derive(Debug, Default)]
pub(crate) struct RxBuffer {
    buf: Vec<u8>,
    start: usize,
}

impl RxBuffer {
    /// Appends received octets (after dropping what earlier frames consumed).
    pub(crate) fn push(&mut self, bytes: &[u8]) {
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// The next whole PDU, `Ok(None)` when more octets are needed, or the framing error when
    /// command_length is outside 16..=`max_pdu_len` (the stream is then unusable: close it).
    pub(crate) fn next_frame(&mut self, max_pdu_len: u32) -> Result<Option<&[u8]>, SmppError> {
        let rest = self.buf.get(self.start..).unwrap_or_default();
        match frame_len(rest, max_pdu_len)? {
            Some(len) => {
                let begin = self.start;
                self.start = begin.saturating_add(len);
                Ok(self.buf.get(begin..self.start))
            }
            None => Ok(None),
        }
    }

    /// Forgets everything buffered (a new connection starts on a PDU boundary).
    pub(crate) fn clear(&mut self) {
        self.buf.clear();
        self.start = 0;
    }
}

/// §5.1.4: sequence_number runs 0x00000001..=0x7FFFFFFF, then wraps to 1.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SeqGen(u32);

impl Default for SeqGen {
    fn default() -> Self {
        SeqGen(1)
    }
}

impl SeqGen {
    pub(crate) fn next(&mut self) -> u32 {
        let seq = self.0;
        self.0 = if seq >= 0x7FFF_FFFF { 1 } else { seq + 1 };
        seq
    }
}

/// Writes `seq` into the sequence_number field (octets 12..16, §3.2) of an encoded PDU, so a
/// submit_sm encoded once at enqueue time can be (re)sent with fresh numbers at no cost.
pub(crate) fn patch_sequence(pdu: &mut [u8], seq: u32) {
    if let Some(field) = pdu.get_mut(HEADER_LEN - 4..HEADER_LEN) {
        field.copy_from_slice(&seq.to_be_bytes());
    }
}
