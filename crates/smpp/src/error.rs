//! Codec errors, and what to answer a peer whose PDU could not be decoded.
//!
//! SMPP obliges the receiver to answer every request, even a broken one (§3.3 "Error handling",
//! §4.3 generic_nack). So a decode error is not just a reason to log: it must carry what the
//! answer needs — the `sequence_number`, the `command_id` (to choose between the matching
//! `_resp` and generic_nack) and the `command_status` that names the problem. [`SmppError::reply`]
//! packages that, and [`SmppError::nack_status`] is its minimal form.

use crate::command::CommandId;
use crate::field::Field;
use crate::pdu::{BindResp, Pdu, PduBody};
use crate::status::CommandStatus;

/// Why a PDU body (the octets after the 16-octet header) could not be decoded (§3.2, §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    /// The body ended inside a fixed-size field.
    #[error("body ends inside {field}")]
    Truncated {
        /// The field that was cut off.
        field: Field,
    },
    /// The body ended before the NUL that terminates a C-octet string (§3.1).
    #[error("{field} has no terminating NUL before the end of the body")]
    Unterminated {
        /// The string field.
        field: Field,
    },
    /// A C-octet string is longer than its field allows (§4 PDU tables).
    #[error("{field} is longer than {max} octets including the NUL")]
    CStringTooLong {
        /// The string field.
        field: Field,
        /// The limit, NUL included.
        max: usize,
    },
    /// A C-octet string is not UTF-8 (the spec says ASCII; UTF-8 is accepted as a superset).
    #[error("{field} is not ASCII/UTF-8")]
    NotUtf8 {
        /// The string field.
        field: Field,
    },
    /// sm_length is 255; §5.2.21 allows 0–254.
    #[error("sm_length {sm_length} is above 254")]
    SmLengthTooLarge {
        /// The received sm_length.
        sm_length: u8,
    },
    /// Fewer than the 4 octets of a TLV tag and length remain (§3.2.4).
    #[error("TLV header truncated: {available} octets left, 4 needed")]
    TlvHeaderTruncated {
        /// Octets left in the body.
        available: usize,
    },
    /// A TLV's length runs past the end of the body (§3.2.4).
    #[error("TLV 0x{tag:04X} of length {length} runs past the end of the body ({available} octets left)")]
    TlvPastEnd {
        /// The TLV tag.
        tag: u16,
        /// Its declared length.
        length: u16,
        /// Octets left after its header.
        available: usize,
    },
    /// A fixed-size TLV (§5.3.2) has the wrong length.
    #[error("TLV 0x{tag:04X} has length {length}, {expected} expected")]
    TlvBadLength {
        /// The TLV tag.
        tag: u16,
        /// Its declared length.
        length: u16,
        /// The length §5.3.2 defines for it.
        expected: u16,
    },
    /// A typed TLV's value is invalid (e.g. a receipted_message_id over 65 octets).
    #[error("TLV 0x{tag:04X} value is invalid: {why}")]
    TlvBadValue {
        /// The TLV tag.
        tag: u16,
        /// What is wrong with it.
        why: &'static str,
    },
    /// Octets follow the last field of a PDU that carries no TLVs.
    #[error("{count} octets follow the last field")]
    TrailingBytes {
        /// How many.
        count: usize,
    },
}

impl BodyError {
    /// The `command_status` to answer with (§5.1.3).
    pub const fn status(&self) -> CommandStatus {
        match self {
            BodyError::Truncated { field } | BodyError::Unterminated { field } => {
                field.truncated_status()
            }
            BodyError::CStringTooLong { field, .. } | BodyError::NotUtf8 { field } => {
                field.invalid_value_status()
            }
            BodyError::SmLengthTooLarge { .. } => CommandStatus::InvMsgLen,
            BodyError::TlvHeaderTruncated { .. } | BodyError::TlvPastEnd { .. } => {
                CommandStatus::InvOptParStream
            }
            BodyError::TlvBadLength { .. } => CommandStatus::InvParLen,
            BodyError::TlvBadValue { .. } => CommandStatus::InvOptParamVal,
            BodyError::TrailingBytes { .. } => CommandStatus::InvCmdLen,
        }
    }
}

/// Every error of this crate: framing, decoding and encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SmppError {
    /// command_length is below the 16-octet header or above the receiver's limit (§3.2).
    /// The stream cannot be re-synchronised: close the session.
    #[error("command_length {len} is below 16 or above the configured maximum")]
    BadCommandLength {
        /// The received command_length.
        len: u32,
    },
    /// [`crate::decode`] got fewer octets than the PDU needs (use [`crate::frame_len`] first).
    #[error("buffer holds {available} octets, the PDU needs {needed}")]
    Incomplete {
        /// Octets needed (16 while the header itself is incomplete).
        needed: usize,
        /// Octets given.
        available: usize,
    },
    /// [`crate::decode`] got more octets than command_length says: it decodes exactly one PDU.
    #[error("buffer holds {available} octets but command_length is {command_length}")]
    LengthMismatch {
        /// The received command_length.
        command_length: u32,
        /// Octets given.
        available: usize,
    },
    /// command_id is not defined by SMPP 3.4 (§5.1.2.1): answer generic_nack ESME_RINVCMDID.
    #[error("unknown command_id 0x{command_id:08X} (sequence_number {sequence_number})")]
    UnknownCommand {
        /// The received command_id.
        command_id: u32,
        /// The received sequence_number, for the generic_nack.
        sequence_number: u32,
    },
    /// A 3.4 command this codec has no body for (query_sm, replace_sm, cancel_sm, submit_multi,
    /// alert_notification, data_sm and their responses).
    #[error("{command_id} is not supported by this codec (sequence_number {sequence_number})")]
    UnsupportedCommand {
        /// The command.
        command_id: CommandId,
        /// The received sequence_number, for the answer.
        sequence_number: u32,
    },
    /// The header is fine but the body is not.
    #[error("malformed {command_id} (sequence_number {sequence_number}): {reason}")]
    Malformed {
        /// The command whose body failed.
        command_id: CommandId,
        /// The received sequence_number, for the answer.
        sequence_number: u32,
        /// What is wrong.
        reason: BodyError,
    },
    /// Encoding: a C-octet string does not fit its field (§4 PDU tables).
    #[error("{field} is longer than {max} octets including the NUL")]
    CStringTooLong {
        /// The field.
        field: Field,
        /// The limit, NUL included.
        max: usize,
    },
    /// Encoding: a C-octet string contains a NUL, which would end it early on the wire.
    #[error("{field} contains a NUL octet")]
    CStringContainsNul {
        /// The field.
        field: Field,
    },
    /// Encoding: short_message is over the 254 octets sm_length allows (§5.2.21).
    #[error("short_message is {len} octets; at most 254 (use message_payload for more)")]
    ShortMessageTooLong {
        /// Its length.
        len: usize,
    },
    /// Encoding: a TLV value is over the 65535 octets its 16-bit length can say (§3.2.4).
    #[error("TLV 0x{tag:04X} value is {len} octets; at most 65535")]
    TlvTooLong {
        /// The TLV tag.
        tag: u16,
        /// Its length.
        len: usize,
    },
    /// Encoding: the PDU would not fit a 32-bit command_length.
    #[error("PDU would be {len} octets, more than command_length can say")]
    PduTooLong {
        /// The length it would have.
        len: usize,
    },
}

/// What to send back for a request that could not be decoded: the `_resp` of that command when
/// this crate can build it, generic_nack otherwise (§4.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorReply {
    /// The answering command: a `_resp` or [`CommandId::GenericNack`].
    pub command_id: CommandId,
    /// The failed request's sequence_number.
    pub sequence_number: u32,
    /// The error status to put in the answer's header.
    pub command_status: CommandStatus,
}

impl ErrorReply {
    /// The answer as a PDU with an empty body (error responses carry no body: §4.4.2 and
    /// friends say it is "not returned if the command_status field contains a non-zero value").
    pub fn to_pdu(&self) -> Pdu<'static> {
        let no_system_id = BindResp {
            system_id: "",
            sc_interface_version: None,
        };
        let body = match self.command_id {
            CommandId::BindTransceiverResp => PduBody::BindTransceiverResp(no_system_id),
            CommandId::BindTransmitterResp => PduBody::BindTransmitterResp(no_system_id),
            CommandId::BindReceiverResp => PduBody::BindReceiverResp(no_system_id),
            CommandId::SubmitSmResp => PduBody::SubmitSmResp { message_id: "" },
            CommandId::DeliverSmResp => PduBody::DeliverSmResp { message_id: "" },
            CommandId::EnquireLinkResp => PduBody::EnquireLinkResp,
            CommandId::UnbindResp => PduBody::UnbindResp,
            _ => PduBody::GenericNack,
        };
        Pdu {
            sequence_number: self.sequence_number,
            command_status: self.command_status,
            body,
        }
    }
}

/// Requests whose `_resp` this crate can build; others are answered with generic_nack.
const fn answer_for(request: CommandId) -> CommandId {
    match request {
        CommandId::BindTransceiver
        | CommandId::BindTransmitter
        | CommandId::BindReceiver
        | CommandId::SubmitSm
        | CommandId::DeliverSm
        | CommandId::EnquireLink
        | CommandId::Unbind => match request.response() {
            Some(resp) => resp,
            None => CommandId::GenericNack,
        },
        _ => CommandId::GenericNack,
    }
}

impl SmppError {
    /// What to answer the peer, or `None` when nothing should be sent:
    /// - the offending PDU is a response (bit 31 of command_id): answering responses invites
    ///   generic_nack ping-pong, so they are logged, never answered;
    /// - there is no sequence_number to answer (framing errors), or the error is ours (encoding).
    pub fn reply(&self) -> Option<ErrorReply> {
        let (request, sequence_number, command_status) = match *self {
            SmppError::UnknownCommand {
                command_id,
                sequence_number,
            } => {
                if command_id & crate::command::RESPONSE_BIT != 0 {
                    return None;
                }
                return Some(ErrorReply {
                    command_id: CommandId::GenericNack,
                    sequence_number,
                    command_status: CommandStatus::InvCmdId,
                });
            }
            SmppError::UnsupportedCommand {
                command_id,
                sequence_number,
            } => (command_id, sequence_number, CommandStatus::InvCmdId),
            SmppError::Malformed {
                command_id,
                sequence_number,
                reason,
            } => (command_id, sequence_number, reason.status()),
            _ => return None,
        };
        if request.is_response() {
            return None;
        }
        let command_id = match self {
            SmppError::UnsupportedCommand { .. } => CommandId::GenericNack,
            _ => answer_for(request),
        };
        Some(ErrorReply {
            command_id,
            sequence_number,
            command_status,
        })
    }

    /// `(sequence_number, command_status)` of the answer the peer needs, if any
    /// (see [`SmppError::reply`] for when there is none and which command carries it).
    pub fn nack_status(&self) -> Option<(u32, CommandStatus)> {
        self.reply()
            .map(|reply| (reply.sequence_number, reply.command_status))
    }

    /// Whether the byte stream can no longer be trusted to be on a PDU boundary, so that the
    /// only safe move is to close the session (§3.2: command_length is the sole framing).
    pub const fn desynchronises_stream(&self) -> bool {
        matches!(self, SmppError::BadCommandLength { .. })
    }
}
