//! Stream framing: where one PDU ends in a TCP byte stream (SMPP 3.4 §3.2 — command_length is
//! the only delimiter).
//!
//! The limit is checked as soon as the 4 length octets are in, *before* the caller buffers the
//! rest, so a peer announcing a 2 GiB PDU costs nothing but an error. SMPP 3.4 sets no maximum;
//! real PDUs stay far below 64 KiB (a message_payload TLV is at most 65535 octets).

use crate::error::SmppError;
use crate::header::HEADER_LEN;
use crate::wire::be_u32;

/// The default upper bound for command_length: 64 KiB.
pub const DEFAULT_MAX_PDU_LEN: u32 = 65_536;

/// Finds the length of the PDU at the front of `buf` (§3.2, §5.1.1 command_length).
///
/// - `Ok(Some(len))`: a whole PDU is at `buf[..len]`; pass that slice to [`crate::decode`].
/// - `Ok(None)`: more octets are needed (fewer than 4 are buffered, or the PDU is incomplete).
/// - `Err(SmppError::BadCommandLength { len })`: command_length is below 16 or above `max`.
///   The stream cannot be re-synchronised after that: close the session.
pub fn frame_len(buf: &[u8], max: u32) -> Result<Option<usize>, SmppError> {
    let Some(command_length) = be_u32(buf) else {
        return Ok(None);
    };
    let len = usize::try_from(command_length)
        .ok()
        .filter(|&len| len >= HEADER_LEN && command_length <= max)
        .ok_or(SmppError::BadCommandLength {
            len: command_length,
        })?;
    Ok((buf.len() >= len).then_some(len))
}
