//! Optional parameters — TLVs (SMPP 3.4 §3.2.4 format, §5.3.2 definitions).
//!
//! The dataplane needs a few TLVs typed: delivery receipts (`receipted_message_id`,
//! `message_state`, `network_error_code`), long text (`message_payload`) and SAR concatenation
//! (`sar_*`). Every other TLV is kept raw, in order, in [`Tlvs::other`] — §3.2.4 asks receivers
//! to ignore unknown optional parameters, and keeping them lets a proxy pass them on unchanged.
//!
//! A repeated typed TLV keeps its first value typed and the repeats raw in `other`, so nothing
//! a peer sent is lost. Encoding writes the typed TLVs in ascending tag order, then `other` in
//! its stored order; a peer that used this order gets byte-identical re-encoding.

use crate::cstring::{check_cstring, cstring_len};
use crate::error::{BodyError, SmppError};
use crate::field::Field;
use crate::wire::{be_u16, put_u16, Reader};

/// §5.3.2.12 receipted_message_id tag.
pub const TAG_RECEIPTED_MESSAGE_ID: u16 = 0x001E;
/// §5.3.2.22 sar_msg_ref_num tag.
pub const TAG_SAR_MSG_REF_NUM: u16 = 0x020C;
/// §5.3.2.23 sar_total_segments tag.
pub const TAG_SAR_TOTAL_SEGMENTS: u16 = 0x020E;
/// §5.3.2.24 sar_segment_seqnum tag.
pub const TAG_SAR_SEGMENT_SEQNUM: u16 = 0x020F;
/// §5.3.2.25 sc_interface_version tag (bind_*_resp only).
pub const TAG_SC_INTERFACE_VERSION: u16 = 0x0210;
/// §5.3.2.31 network_error_code tag.
pub const TAG_NETWORK_ERROR_CODE: u16 = 0x0423;
/// §5.3.2.32 message_payload tag.
pub const TAG_MESSAGE_PAYLOAD: u16 = 0x0424;
/// §5.3.2.35 message_state tag.
pub const TAG_MESSAGE_STATE: u16 = 0x0427;

/// Octets of a TLV's tag and length fields (§3.2.4).
pub const TLV_HEADER_LEN: usize = 4;

/// §5.2.28 message_state values, carried by the message_state TLV (§5.3.2.35) in receipts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageState {
    /// 1 ENROUTE: the message is in enroute state.
    Enroute,
    /// 2 DELIVERED: the message was delivered to its destination.
    Delivered,
    /// 3 EXPIRED: the validity period expired.
    Expired,
    /// 4 DELETED: the message was deleted.
    Deleted,
    /// 5 UNDELIVERABLE: the message is undeliverable.
    Undeliverable,
    /// 6 ACCEPTED: the message was manually read on behalf of the subscriber by customer service.
    Accepted,
    /// 7 UNKNOWN: the message is in an invalid state.
    Unknown,
    /// 8 REJECTED: the message is in a rejected state.
    Rejected,
    /// Any other value (0, or 9–255): not defined by 3.4, kept as received.
    Other(u8),
}

impl MessageState {
    /// The wire value.
    pub const fn code(self) -> u8 {
        match self {
            MessageState::Enroute => 1,
            MessageState::Delivered => 2,
            MessageState::Expired => 3,
            MessageState::Deleted => 4,
            MessageState::Undeliverable => 5,
            MessageState::Accepted => 6,
            MessageState::Unknown => 7,
            MessageState::Rejected => 8,
            MessageState::Other(code) => code,
        }
    }

    /// Whether no further state change will follow (everything but ENROUTE and unknown codes).
    pub const fn is_final(self) -> bool {
        !matches!(self, MessageState::Enroute | MessageState::Other(_))
    }
}

impl From<u8> for MessageState {
    fn from(code: u8) -> Self {
        match code {
            1 => MessageState::Enroute,
            2 => MessageState::Delivered,
            3 => MessageState::Expired,
            4 => MessageState::Deleted,
            5 => MessageState::Undeliverable,
            6 => MessageState::Accepted,
            7 => MessageState::Unknown,
            8 => MessageState::Rejected,
            other => MessageState::Other(other),
        }
    }
}

impl From<MessageState> for u8 {
    fn from(state: MessageState) -> u8 {
        state.code()
    }
}

/// The optional parameters of a submit_sm / deliver_sm (§4.4.1, §4.6.1 "Optional Parameters").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tlvs<'a> {
    /// §5.3.2.12 receipted_message_id (0x001E): the SMSC message id a receipt is about.
    /// Accepted on the wire with or without its NUL; encoded with it.
    pub receipted_message_id: Option<&'a str>,
    /// §5.3.2.35 message_state (0x0427): the state a receipt reports.
    pub message_state: Option<MessageState>,
    /// §5.3.2.32 message_payload (0x0424): message text too long for short_message.
    pub message_payload: Option<&'a [u8]>,
    /// §5.3.2.22 sar_msg_ref_num (0x020C): concatenated message reference.
    pub sar_msg_ref_num: Option<u16>,
    /// §5.3.2.23 sar_total_segments (0x020E).
    pub sar_total_segments: Option<u8>,
    /// §5.3.2.24 sar_segment_seqnum (0x020F).
    pub sar_segment_seqnum: Option<u8>,
    /// §5.3.2.31 network_error_code (0x0423): network type, then a 2-octet error code.
    pub network_error_code: Option<[u8; 3]>,
    /// Every other TLV as `(tag, value)`, in received order. Put only tags without a typed
    /// field here: a typed tag in `other` is encoded as is but decodes into its typed field.
    pub other: Vec<(u16, &'a [u8])>,
}

/// Iterates over `(tag, value)` pairs of a TLV stream (§3.2.4). Stops after the first error;
/// every step consumes at least 4 octets, so the iteration is bounded by the body length.
#[derive(Debug, Clone)]
pub(crate) struct TlvIter<'a> {
    rest: &'a [u8],
}

impl<'a> TlvIter<'a> {
    pub(crate) const fn new(stream: &'a [u8]) -> Self {
        TlvIter { rest: stream }
    }
}

impl<'a> Iterator for TlvIter<'a> {
    type Item = Result<(u16, &'a [u8]), BodyError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let stream = std::mem::take(&mut self.rest);
        let (Some(tag), Some(length)) = (be_u16(stream), stream.get(2..).and_then(be_u16)) else {
            return Some(Err(BodyError::TlvHeaderTruncated {
                available: stream.len(),
            }));
        };
        let after_header = stream.get(TLV_HEADER_LEN..).unwrap_or_default();
        if usize::from(length) > after_header.len() {
            return Some(Err(BodyError::TlvPastEnd {
                tag,
                length,
                available: after_header.len(),
            }));
        }
        let (value, rest) = after_header.split_at(usize::from(length));
        self.rest = rest;
        Some(Ok((tag, value)))
    }
}

fn fixed<const N: usize>(tag: u16, value: &[u8]) -> Result<[u8; N], BodyError> {
    <[u8; N]>::try_from(value).map_err(|_| BodyError::TlvBadLength {
        tag,
        length: u16::try_from(value.len()).unwrap_or(u16::MAX),
        expected: N as u16,
    })
}

/// receipted_message_id: a C-octet string of at most 65 octets; the NUL is optional on input
/// because many SMSCs leave it out when the TLV length already delimits the value.
fn receipted_message_id(value: &[u8]) -> Result<&str, BodyError> {
    let tag = TAG_RECEIPTED_MESSAGE_ID;
    let max = Field::ReceiptedMessageId.max_cstring_len().unwrap_or(65);
    let text = value.strip_suffix(&[0]).unwrap_or(value);
    if text.len() >= max {
        return Err(BodyError::TlvBadValue {
            tag,
            why: "longer than 64 characters",
        });
    }
    if text.contains(&0) {
        return Err(BodyError::TlvBadValue {
            tag,
            why: "NUL inside the id",
        });
    }
    std::str::from_utf8(text).map_err(|_| BodyError::TlvBadValue {
        tag,
        why: "not ASCII/UTF-8",
    })
}

impl<'a> Tlvs<'a> {
    /// Decodes the rest of a submit_sm / deliver_sm body as a TLV stream (§3.2.4).
    pub(crate) fn decode(reader: &mut Reader<'a>) -> Result<Self, BodyError> {
        let mut tlvs = Tlvs::default();
        for item in TlvIter::new(reader.rest()) {
            let (tag, value) = item?;
            let duplicate = match tag {
                TAG_RECEIPTED_MESSAGE_ID => {
                    set_once(&mut tlvs.receipted_message_id, receipted_message_id(value)?)
                }
                TAG_MESSAGE_STATE => set_once(
                    &mut tlvs.message_state,
                    MessageState::from(u8::from_be_bytes(fixed(tag, value)?)),
                ),
                TAG_MESSAGE_PAYLOAD => set_once(&mut tlvs.message_payload, value),
                TAG_SAR_MSG_REF_NUM => set_once(
                    &mut tlvs.sar_msg_ref_num,
                    u16::from_be_bytes(fixed(tag, value)?),
                ),
                TAG_SAR_TOTAL_SEGMENTS => set_once(
                    &mut tlvs.sar_total_segments,
                    u8::from_be_bytes(fixed(tag, value)?),
                ),
                TAG_SAR_SEGMENT_SEQNUM => set_once(
                    &mut tlvs.sar_segment_seqnum,
                    u8::from_be_bytes(fixed(tag, value)?),
                ),
                TAG_NETWORK_ERROR_CODE => {
                    set_once(&mut tlvs.network_error_code, fixed(tag, value)?)
                }
                _ => true,
            };
            if duplicate {
                tlvs.other.push((tag, value));
            }
        }
        reader.advance(reader.remaining());
        Ok(tlvs)
    }

    /// Octets [`Tlvs::encode`] writes.
    pub fn encoded_len(&self) -> usize {
        let typed = [
            self.receipted_message_id.map(cstring_len),
            self.sar_msg_ref_num.map(|_| 2),
            self.sar_total_segments.map(|_| 1),
            self.sar_segment_seqnum.map(|_| 1),
            self.network_error_code.map(|_| 3),
            self.message_payload.map(<[u8]>::len),
            self.message_state.map(|_| 1),
        ];
        let typed_len = typed
            .iter()
            .flatten()
            .fold(0usize, |sum, len| sum.saturating_add(TLV_HEADER_LEN + len));
        self.other.iter().fold(typed_len, |sum, (_, value)| {
            sum.saturating_add(TLV_HEADER_LEN.saturating_add(value.len()))
        })
    }

    /// Appends the TLVs: typed ones in ascending tag order, then `other` in stored order.
    pub(crate) fn encode(&self, out: &mut Vec<u8>) -> Result<(), SmppError> {
        if let Some(id) = self.receipted_message_id {
            let field = Field::ReceiptedMessageId;
            check_cstring(id, field)?;
            put_tlv_header(out, TAG_RECEIPTED_MESSAGE_ID, cstring_len(id))?;
            out.extend_from_slice(id.as_bytes());
            out.push(0);
        }
        if let Some(reference) = self.sar_msg_ref_num {
            put_tlv(out, TAG_SAR_MSG_REF_NUM, &reference.to_be_bytes())?;
        }
        if let Some(total) = self.sar_total_segments {
            put_tlv(out, TAG_SAR_TOTAL_SEGMENTS, &[total])?;
        }
        if let Some(seqnum) = self.sar_segment_seqnum {
            put_tlv(out, TAG_SAR_SEGMENT_SEQNUM, &[seqnum])?;
        }
        if let Some(code) = &self.network_error_code {
            put_tlv(out, TAG_NETWORK_ERROR_CODE, code)?;
        }
        if let Some(payload) = self.message_payload {
            put_tlv(out, TAG_MESSAGE_PAYLOAD, payload)?;
        }
        if let Some(state) = self.message_state {
            put_tlv(out, TAG_MESSAGE_STATE, &[state.code()])?;
        }
        for &(tag, value) in &self.other {
            put_tlv(out, tag, value)?;
        }
        Ok(())
    }
}

/// Stores `value` if `slot` is empty; returns `true` when it was already set (a repeat).
fn set_once<T>(slot: &mut Option<T>, value: T) -> bool {
    if slot.is_some() {
        return true;
    }
    *slot = Some(value);
    false
}

fn put_tlv_header(out: &mut Vec<u8>, tag: u16, len: usize) -> Result<(), SmppError> {
    let length = u16::try_from(len).map_err(|_| SmppError::TlvTooLong { tag, len })?;
    put_u16(out, tag);
    put_u16(out, length);
    Ok(())
}

pub(crate) fn put_tlv(out: &mut Vec<u8>, tag: u16, value: &[u8]) -> Result<(), SmppError> {
    put_tlv_header(out, tag, value.len())?;
    out.extend_from_slice(value);
    Ok(())
}
