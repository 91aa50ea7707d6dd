//! Whole PDUs: decoding one framed PDU and encoding one into a caller-owned buffer
//! (SMPP 3.4 §3.2 format, §4 PDU definitions).
//!
//! The split of work with [`crate::frame_len`] is deliberate: framing decides *where* a PDU
//! ends (and rejects absurd lengths before anything is buffered), [`decode`] turns exactly
//! those octets into a borrowed [`Pdu`]. Encoding appends to a `Vec` the caller reuses, so the
//! steady state allocates nothing.

pub use crate::body::{Address, Bind, BindResp, SubmitSm};
use crate::command::CommandId;
use crate::cstring::{cstring_len, read_cstring, write_cstring};
use crate::error::{BodyError, SmppError};
use crate::field::Field;
use crate::header::{PduHeader, RawHeader, HEADER_LEN, MIN_COMMAND_LENGTH};
use crate::status::CommandStatus;
use crate::wire::{be_u32, Reader};

/// One decoded (or to-be-encoded) PDU. command_length and command_id are not stored: they
/// follow from the body ([`Pdu::encoded_len`], [`Pdu::command_id`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pdu<'a> {
    /// §5.1.4 sequence_number.
    pub sequence_number: u32,
    /// §5.1.3 command_status (ESME_ROK in requests).
    pub command_status: CommandStatus,
    /// The command and its fields.
    pub body: PduBody<'a>,
}

/// The body of each PDU this crate codes, one variant per command (§4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PduBody<'a> {
    /// §4.1.5 bind_transceiver.
    BindTransceiver(Bind<'a>),
    /// §4.1.1 bind_transmitter.
    BindTransmitter(Bind<'a>),
    /// §4.1.3 bind_receiver.
    BindReceiver(Bind<'a>),
    /// §4.1.6 bind_transceiver_resp.
    BindTransceiverResp(BindResp<'a>),
    /// §4.1.2 bind_transmitter_resp.
    BindTransmitterResp(BindResp<'a>),
    /// §4.1.4 bind_receiver_resp.
    BindReceiverResp(BindResp<'a>),
    /// §4.1.7 outbind: the SMSC asks the ESME to bind_receiver.
    Outbind {
        /// §5.2.1 system_id of the SMSC.
        system_id: &'a str,
        /// §5.2.2 password.
        password: &'a str,
    },
    /// §4.4.1 submit_sm.
    SubmitSm(SubmitSm<'a>),
    /// §4.4.2 submit_sm_resp. An error response may have no body at all; that decodes as an
    /// empty message_id, and an error response with an empty message_id encodes without body.
    SubmitSmResp {
        /// §5.2.23 message_id assigned by the SMSC (up to 64 characters).
        message_id: &'a str,
    },
    /// §4.6.1 deliver_sm (same layout as submit_sm).
    DeliverSm(SubmitSm<'a>),
    /// §4.6.2 deliver_sm_resp (same empty-body rule as submit_sm_resp).
    DeliverSmResp {
        /// §5.2.23 message_id: unused by 3.4, normally empty.
        message_id: &'a str,
    },
    /// §4.11.1 enquire_link.
    EnquireLink,
    /// §4.11.2 enquire_link_resp.
    EnquireLinkResp,
    /// §4.2.1 unbind.
    Unbind,
    /// §4.2.2 unbind_resp.
    UnbindResp,
    /// §4.3.1 generic_nack (the error is in the header's command_status).
    GenericNack,
}

impl PduBody<'_> {
    /// The command_id this body is sent with.
    pub const fn command_id(&self) -> CommandId {
        match self {
            PduBody::BindTransceiver(_) => CommandId::BindTransceiver,
            PduBody::BindTransmitter(_) => CommandId::BindTransmitter,
            PduBody::BindReceiver(_) => CommandId::BindReceiver,
            PduBody::BindTransceiverResp(_) => CommandId::BindTransceiverResp,
            PduBody::BindTransmitterResp(_) => CommandId::BindTransmitterResp,
            PduBody::BindReceiverResp(_) => CommandId::BindReceiverResp,
            PduBody::Outbind { .. } => CommandId::Outbind,
            PduBody::SubmitSm(_) => CommandId::SubmitSm,
            PduBody::SubmitSmResp { .. } => CommandId::SubmitSmResp,
            PduBody::DeliverSm(_) => CommandId::DeliverSm,
            PduBody::DeliverSmResp { .. } => CommandId::DeliverSmResp,
            PduBody::EnquireLink => CommandId::EnquireLink,
            PduBody::EnquireLinkResp => CommandId::EnquireLinkResp,
            PduBody::Unbind => CommandId::Unbind,
            PduBody::UnbindResp => CommandId::UnbindResp,
            PduBody::GenericNack => CommandId::GenericNack,
        }
    }
}

/// A `_resp` whose body is only a message_id: may be absent from an error response.
fn decode_message_id<'a>(reader: &mut Reader<'a>) -> Result<&'a str, BodyError> {
    if reader.is_empty() {
        return Ok("");
    }
    let message_id = read_cstring(reader, Field::MessageId)?;
    // SMPP 5.0 peers may append TLVs to submit_sm_resp/deliver_sm_resp; 3.4 defines none, so
    // they are checked for well-formedness and dropped.
    for item in crate::tlv::TlvIter::new(reader.rest()) {
        item?;
    }
    reader.advance(reader.remaining());
    Ok(message_id)
}

/// The body of `command_id`, or `Ok(None)` for the 3.4 commands this crate has no codec for.
fn decode_body<'a>(
    command_id: CommandId,
    reader: &mut Reader<'a>,
) -> Result<Option<PduBody<'a>>, BodyError> {
    let body = match command_id {
        CommandId::BindTransceiver => PduBody::BindTransceiver(Bind::decode(reader)?),
        CommandId::BindTransmitter => PduBody::BindTransmitter(Bind::decode(reader)?),
        CommandId::BindReceiver => PduBody::BindReceiver(Bind::decode(reader)?),
        CommandId::BindTransceiverResp => PduBody::BindTransceiverResp(BindResp::decode(reader)?),
        CommandId::BindTransmitterResp => PduBody::BindTransmitterResp(BindResp::decode(reader)?),
        CommandId::BindReceiverResp => PduBody::BindReceiverResp(BindResp::decode(reader)?),
        CommandId::Outbind => PduBody::Outbind {
            system_id: read_cstring(reader, Field::SystemId)?,
            password: read_cstring(reader, Field::Password)?,
        },
        CommandId::SubmitSm => PduBody::SubmitSm(SubmitSm::decode(reader)?),
        CommandId::SubmitSmResp => PduBody::SubmitSmResp {
            message_id: decode_message_id(reader)?,
        },
        CommandId::DeliverSm => PduBody::DeliverSm(SubmitSm::decode(reader)?),
        CommandId::DeliverSmResp => PduBody::DeliverSmResp {
            message_id: decode_message_id(reader)?,
        },
        CommandId::EnquireLink => PduBody::EnquireLink,
        CommandId::EnquireLinkResp => PduBody::EnquireLinkResp,
        CommandId::Unbind => PduBody::Unbind,
        CommandId::UnbindResp => PduBody::UnbindResp,
        CommandId::GenericNack => PduBody::GenericNack,
        CommandId::QuerySm
        | CommandId::QuerySmResp
        | CommandId::ReplaceSm
        | CommandId::ReplaceSmResp
        | CommandId::CancelSm
        | CommandId::CancelSmResp
        | CommandId::SubmitMulti
        | CommandId::SubmitMultiResp
        | CommandId::AlertNotification
        | CommandId::DataSm
        | CommandId::DataSmResp => return Ok(None),
    };
    reader.finish()?;
    Ok(Some(body))
}

/// Decodes exactly one PDU: `buf` must be the whole PDU and nothing else (what
/// [`crate::frame_len`] delimits). §3.2 header, §4 bodies.
///
/// Errors carry what the answer needs ([`SmppError::reply`]): an undefined command_id gives
/// [`SmppError::UnknownCommand`] with the sequence_number, a bad body gives
/// [`SmppError::Malformed`] with command_id, sequence_number and the reason.
pub fn decode(buf: &[u8]) -> Result<Pdu<'_>, SmppError> {
    if let Some(command_length) = be_u32(buf) {
        if command_length < MIN_COMMAND_LENGTH {
            return Err(SmppError::BadCommandLength {
                len: command_length,
            });
        }
    }
    let raw = RawHeader::read(buf)?;
    let declared = usize::try_from(raw.command_length).unwrap_or(usize::MAX);
    if buf.len() < declared {
        return Err(SmppError::Incomplete {
            needed: declared,
            available: buf.len(),
        });
    }
    if buf.len() > declared {
        return Err(SmppError::LengthMismatch {
            command_length: raw.command_length,
            available: buf.len(),
        });
    }
    let sequence_number = raw.sequence_number;
    let command_id = CommandId::from_code(raw.command_id).ok_or(SmppError::UnknownCommand {
        command_id: raw.command_id,
        sequence_number,
    })?;
    let mut reader = Reader::new(buf.get(HEADER_LEN..).unwrap_or_default());
    let body = match decode_body(command_id, &mut reader) {
        Ok(Some(body)) => body,
        Ok(None) => {
            return Err(SmppError::UnsupportedCommand {
                command_id,
                sequence_number,
            })
        }
        Err(reason) => {
            return Err(SmppError::Malformed {
                command_id,
                sequence_number,
                reason,
            })
        }
    };
    Ok(Pdu {
        sequence_number,
        command_status: CommandStatus::from_code(raw.command_status),
        body,
    })
}

impl Pdu<'_> {
    /// The command_id this PDU is sent with.
    pub const fn command_id(&self) -> CommandId {
        self.body.command_id()
    }

    /// The header [`Pdu::encode`] writes (command_length saturates at `u32::MAX` for a PDU
    /// too long to encode).
    pub fn header(&self) -> PduHeader {
        PduHeader {
            command_length: u32::try_from(self.encoded_len()).unwrap_or(u32::MAX),
            command_id: self.command_id(),
            command_status: self.command_status,
            sequence_number: self.sequence_number,
        }
    }

    /// An error response whose fields are all empty goes out without body (§4.4.2 etc.).
    fn is_bodyless_error_response(&self) -> bool {
        if self.command_status.is_ok() {
            return false;
        }
        match &self.body {
            PduBody::BindTransceiverResp(resp)
            | PduBody::BindTransmitterResp(resp)
            | PduBody::BindReceiverResp(resp) => resp.is_empty(),
            PduBody::SubmitSmResp { message_id } | PduBody::DeliverSmResp { message_id } => {
                message_id.is_empty()
            }
            _ => false,
        }
    }

    /// Octets [`Pdu::encode`] appends (header included), whether or not the fields are valid.
    pub fn encoded_len(&self) -> usize {
        if self.is_bodyless_error_response() {
            return HEADER_LEN;
        }
        let body_len = match &self.body {
            PduBody::BindTransceiver(bind)
            | PduBody::BindTransmitter(bind)
            | PduBody::BindReceiver(bind) => bind.encoded_len(),
            PduBody::BindTransceiverResp(resp)
            | PduBody::BindTransmitterResp(resp)
            | PduBody::BindReceiverResp(resp) => resp.encoded_len(),
            PduBody::Outbind {
                system_id,
                password,
            } => cstring_len(system_id) + cstring_len(password),
            PduBody::SubmitSm(sm) | PduBody::DeliverSm(sm) => sm.encoded_len(),
            PduBody::SubmitSmResp { message_id } | PduBody::DeliverSmResp { message_id } => {
                cstring_len(message_id)
            }
            PduBody::EnquireLink
            | PduBody::EnquireLinkResp
            | PduBody::Unbind
            | PduBody::UnbindResp
            | PduBody::GenericNack => 0,
        };
        HEADER_LEN.saturating_add(body_len)
    }

    /// Appends the encoded PDU to `out`, after checking every field against its SMPP 3.4 limit
    /// (C-octet string sizes, short_message ≤ 254, TLV values ≤ 65535 octets). On error `out`
    /// is left as it was. No maximum PDU size is applied here: that is the receiver's setting.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), SmppError> {
        let len = self.encoded_len();
        let command_length = u32::try_from(len).map_err(|_| SmppError::PduTooLong { len })?;
        let start = out.len();
        out.reserve(len);
        PduHeader {
            command_length,
            command_id: self.command_id(),
            command_status: self.command_status,
            sequence_number: self.sequence_number,
        }
        .encode(out);
        let written = self.encode_body(out);
        if written.is_err() {
            out.truncate(start);
        }
        written
    }

    fn encode_body(&self, out: &mut Vec<u8>) -> Result<(), SmppError> {
        if self.is_bodyless_error_response() {
            return Ok(());
        }
        match &self.body {
            PduBody::BindTransceiver(bind)
            | PduBody::BindTransmitter(bind)
            | PduBody::BindReceiver(bind) => bind.encode(out),
            PduBody::BindTransceiverResp(resp)
            | PduBody::BindTransmitterResp(resp)
            | PduBody::BindReceiverResp(resp) => resp.encode(out),
            PduBody::Outbind {
                system_id,
                password,
            } => {
                write_cstring(out, system_id, Field::SystemId)?;
                write_cstring(out, password, Field::Password)
            }
            PduBody::SubmitSm(sm) | PduBody::DeliverSm(sm) => sm.encode(out),
            PduBody::SubmitSmResp { message_id } | PduBody::DeliverSmResp { message_id } => {
                write_cstring(out, message_id, Field::MessageId)
            }
            PduBody::EnquireLink
            | PduBody::EnquireLinkResp
            | PduBody::Unbind
            | PduBody::UnbindResp
            | PduBody::GenericNack => Ok(()),
        }
    }
}
