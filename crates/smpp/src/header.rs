//! The 16-octet PDU header (SMPP 3.4 §3.2 "SMPP PDU Format", §5.1 header field definitions).

use crate::command::CommandId;
use crate::error::SmppError;
use crate::status::CommandStatus;
use crate::wire::{be_u32, put_u32};

/// Octets in every PDU header: command_length, command_id, command_status, sequence_number.
pub const HEADER_LEN: usize = 16;

/// The smallest valid command_length: a header without body.
pub(crate) const MIN_COMMAND_LENGTH: u32 = HEADER_LEN as u32;

/// §3.2 PDU header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PduHeader {
    /// §5.1.1 command_length: octets in the whole PDU, this header included.
    pub command_length: u32,
    /// §5.1.2 command_id.
    pub command_id: CommandId,
    /// §5.1.3 command_status: 0 in requests, the outcome in responses.
    pub command_status: CommandStatus,
    /// §5.1.4 sequence_number: pairs a response with its request.
    pub sequence_number: u32,
}

/// The four header words as received, before command_id is interpreted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RawHeader {
    pub(crate) command_length: u32,
    pub(crate) command_id: u32,
    pub(crate) command_status: u32,
    pub(crate) sequence_number: u32,
}

impl RawHeader {
    /// Reads the header words from the front of `buf` (which must hold at least 16 octets).
    pub(crate) fn read(buf: &[u8]) -> Result<Self, SmppError> {
        let incomplete = SmppError::Incomplete {
            needed: HEADER_LEN,
            available: buf.len(),
        };
        let word = |at: usize| buf.get(at..).and_then(be_u32).ok_or(incomplete);
        Ok(RawHeader {
            command_length: word(0)?,
            command_id: word(4)?,
            command_status: word(8)?,
            sequence_number: word(12)?,
        })
    }
}

impl PduHeader {
    /// Decodes the header at the front of `buf` (§3.2). Checks that command_length is at least
    /// 16 and that command_id is defined by 3.4; it does not look at the body.
    pub fn decode(buf: &[u8]) -> Result<Self, SmppError> {
        let raw = RawHeader::read(buf)?;
        if raw.command_length < MIN_COMMAND_LENGTH {
            return Err(SmppError::BadCommandLength {
                len: raw.command_length,
            });
        }
        let command_id = CommandId::from_code(raw.command_id).ok_or(SmppError::UnknownCommand {
            command_id: raw.command_id,
            sequence_number: raw.sequence_number,
        })?;
        Ok(PduHeader {
            command_length: raw.command_length,
            command_id,
            command_status: CommandStatus::from_code(raw.command_status),
            sequence_number: raw.sequence_number,
        })
    }

    /// Appends the 16 header octets.
    pub fn encode(&self, out: &mut Vec<u8>) {
        put_u32(out, self.command_length);
        put_u32(out, self.command_id.code());
        put_u32(out, self.command_status.code());
        put_u32(out, self.sequence_number);
    }
}
