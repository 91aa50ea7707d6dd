//! The PDU bodies with structure: binds (§4.1), and submit_sm / deliver_sm (§4.4.1, §4.6.1),
//! which share one layout.
//!
//! Decoded values borrow from the receive buffer, so decoding a PDU allocates nothing except
//! when it carries unknown TLVs. Integer fields are returned as received: whether an esm_class
//! or a TON is acceptable is policy for the caller, not a wire-format question.

use crate::cstring::{cstring_len, read_cstring, write_cstring};
use crate::error::{BodyError, SmppError};
use crate::field::Field;
use crate::tlv::{put_tlv, TlvIter, Tlvs, TAG_SC_INTERFACE_VERSION};
use crate::wire::Reader;

/// Longest short_message sm_length allows (§5.2.21: 0–254 octets).
pub const MAX_SHORT_MESSAGE_LEN: usize = 254;

/// §4.1.1 bind_transmitter, §4.1.3 bind_receiver, §4.1.5 bind_transceiver: one body layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Bind<'a> {
    /// §5.2.1 system_id, at most 15 characters.
    pub system_id: &'a str,
    /// §5.2.2 password, at most 8 characters.
    pub password: &'a str,
    /// §5.2.3 system_type, at most 12 characters.
    pub system_type: &'a str,
    /// §5.2.4 interface_version: 0x34 for SMPP 3.4 (some peers send 0x50 for 5.0).
    pub interface_version: u8,
    /// §5.2.5 addr_ton.
    pub addr_ton: u8,
    /// §5.2.6 addr_npi.
    pub addr_npi: u8,
    /// §5.2.7 address_range, at most 40 characters.
    pub address_range: &'a str,
}

impl<'a> Bind<'a> {
    pub(crate) fn decode(reader: &mut Reader<'a>) -> Result<Self, BodyError> {
        Ok(Bind {
            system_id: read_cstring(reader, Field::SystemId)?,
            password: read_cstring(reader, Field::Password)?,
            system_type: read_cstring(reader, Field::SystemType)?,
            interface_version: reader.u8(Field::InterfaceVersion)?,
            addr_ton: reader.u8(Field::AddrTon)?,
            addr_npi: reader.u8(Field::AddrNpi)?,
            address_range: read_cstring(reader, Field::AddressRange)?,
        })
    }

    pub(crate) fn encoded_len(&self) -> usize {
        cstring_len(self.system_id)
            + cstring_len(self.password)
            + cstring_len(self.system_type)
            + 3
            + cstring_len(self.address_range)
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) -> Result<(), SmppError> {
        write_cstring(out, self.system_id, Field::SystemId)?;
        write_cstring(out, self.password, Field::Password)?;
        write_cstring(out, self.system_type, Field::SystemType)?;
        out.extend_from_slice(&[self.interface_version, self.addr_ton, self.addr_npi]);
        write_cstring(out, self.address_range, Field::AddressRange)
    }
}

/// §4.1.2 / §4.1.4 / §4.1.6 bind_*_resp body.
///
/// An error response may come without any body (the spec's "body not returned" rule that node
/// `smpp` and others apply); it decodes as an empty system_id, and an error response with an
/// empty system_id and no sc_interface_version is encoded without body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BindResp<'a> {
    /// §5.2.1 system_id of the SMSC.
    pub system_id: &'a str,
    /// §5.3.2.25 sc_interface_version TLV (0x0210): the SMPP version the SMSC supports.
    pub sc_interface_version: Option<u8>,
}

impl<'a> BindResp<'a> {
    /// Other TLVs than sc_interface_version are not defined for bind responses; they are
    /// skipped as §3.2.4 asks for unknown optional parameters (but must still be well formed).
    pub(crate) fn decode(reader: &mut Reader<'a>) -> Result<Self, BodyError> {
        if reader.is_empty() {
            return Ok(BindResp {
                system_id: "",
                sc_interface_version: None,
            });
        }
        let system_id = read_cstring(reader, Field::SystemId)?;
        let mut sc_interface_version = None;
        for item in TlvIter::new(reader.rest()) {
            let (tag, value) = item?;
            if tag != TAG_SC_INTERFACE_VERSION || sc_interface_version.is_some() {
                continue;
            }
            let [version] = <[u8; 1]>::try_from(value).map_err(|_| BodyError::TlvBadLength {
                tag,
                length: u16::try_from(value.len()).unwrap_or(u16::MAX),
                expected: 1,
            })?;
            sc_interface_version = Some(version);
        }
        reader.advance(reader.remaining());
        Ok(BindResp {
            system_id,
            sc_interface_version,
        })
    }

    pub(crate) const fn is_empty(&self) -> bool {
        self.system_id.is_empty() && self.sc_interface_version.is_none()
    }

    pub(crate) fn encoded_len(&self) -> usize {
        cstring_len(self.system_id) + self.sc_interface_version.map_or(0, |_| 5)
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) -> Result<(), SmppError> {
        write_cstring(out, self.system_id, Field::SystemId)?;
        if let Some(version) = self.sc_interface_version {
            put_tlv(out, TAG_SC_INTERFACE_VERSION, &[version])?;
        }
        Ok(())
    }
}

/// A TON/NPI/address triple (§5.2.5, §5.2.6, §5.2.8/§5.2.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Address<'a> {
    /// Type of number, e.g. 1 international, 5 alphanumeric.
    pub ton: u8,
    /// Numbering plan indicator, e.g. 1 ISDN/E.164.
    pub npi: u8,
    /// The address, at most 20 characters.
    pub addr: &'a str,
}

impl<'a> Address<'a> {
    fn decode(reader: &mut Reader<'a>, addr_field: Field) -> Result<Self, BodyError> {
        Ok(Address {
            ton: reader.u8(Field::AddrTon)?,
            npi: reader.u8(Field::AddrNpi)?,
            addr: read_cstring(reader, addr_field)?,
        })
    }

    fn encoded_len(&self) -> usize {
        2 + cstring_len(self.addr)
    }

    fn encode(&self, out: &mut Vec<u8>, addr_field: Field) -> Result<(), SmppError> {
        out.extend_from_slice(&[self.ton, self.npi]);
        write_cstring(out, self.addr, addr_field)
    }
}

/// §4.4.1 submit_sm body; §4.6.1 deliver_sm uses the same layout (there schedule_delivery_time,
/// validity_period, replace_if_present_flag and sm_default_msg_id are unused and sent empty/0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmitSm<'a> {
    /// §5.2.11 service_type, at most 5 characters; empty for the SMSC default.
    pub service_type: &'a str,
    /// §5.2.8 source_addr_ton / _npi / source_addr.
    pub source: Address<'a>,
    /// §5.2.9 dest_addr_ton / _npi / destination_addr.
    pub dest: Address<'a>,
    /// §5.2.12 esm_class (0x04 in deliver_sm marks a delivery receipt, 0x40 a UDH).
    pub esm_class: u8,
    /// §5.2.13 protocol_id.
    pub protocol_id: u8,
    /// §5.2.14 priority_flag.
    pub priority_flag: u8,
    /// §5.2.15 schedule_delivery_time: empty or 16 characters (length-checked only).
    pub schedule_delivery_time: &'a str,
    /// §5.2.16 validity_period: empty or 16 characters (length-checked only).
    pub validity_period: &'a str,
    /// §5.2.17 registered_delivery (bit 0: ask for a delivery receipt).
    pub registered_delivery: u8,
    /// §5.2.18 replace_if_present_flag.
    pub replace_if_present_flag: u8,
    /// §5.2.19 data_coding (0 SMSC default alphabet, 8 UCS-2, ...).
    pub data_coding: u8,
    /// §5.2.20 sm_default_msg_id.
    pub sm_default_msg_id: u8,
    /// §5.2.22 short_message, at most 254 octets; sm_length (§5.2.21) is derived from it.
    pub short_message: &'a [u8],
    /// Optional parameters (§4.4.1 / §4.6.1 tables).
    pub tlvs: Tlvs<'a>,
}

impl<'a> SubmitSm<'a> {
    pub(crate) fn decode(reader: &mut Reader<'a>) -> Result<Self, BodyError> {
        let service_type = read_cstring(reader, Field::ServiceType)?;
        let source = Address::decode(reader, Field::SourceAddr)?;
        let dest = Address::decode(reader, Field::DestinationAddr)?;
        let esm_class = reader.u8(Field::EsmClass)?;
        let protocol_id = reader.u8(Field::ProtocolId)?;
        let priority_flag = reader.u8(Field::PriorityFlag)?;
        let schedule_delivery_time = read_cstring(reader, Field::ScheduleDeliveryTime)?;
        let validity_period = read_cstring(reader, Field::ValidityPeriod)?;
        let registered_delivery = reader.u8(Field::RegisteredDelivery)?;
        let replace_if_present_flag = reader.u8(Field::ReplaceIfPresentFlag)?;
        let data_coding = reader.u8(Field::DataCoding)?;
        let sm_default_msg_id = reader.u8(Field::SmDefaultMsgId)?;
        let sm_length = reader.u8(Field::SmLength)?;
        if usize::from(sm_length) > MAX_SHORT_MESSAGE_LEN {
            return Err(BodyError::SmLengthTooLarge { sm_length });
        }
        let short_message = reader.bytes(usize::from(sm_length), Field::ShortMessage)?;
        let tlvs = Tlvs::decode(reader)?;
        Ok(SubmitSm {
            service_type,
            source,
            dest,
            esm_class,
            protocol_id,
            priority_flag,
            schedule_delivery_time,
            validity_period,
            registered_delivery,
            replace_if_present_flag,
            data_coding,
            sm_default_msg_id,
            short_message,
            tlvs,
        })
    }

    pub(crate) fn encoded_len(&self) -> usize {
        let fixed_octets = 3 + 4 + 1; // esm_class..priority_flag, 4 flag octets, sm_length
        cstring_len(self.service_type)
            + self.source.encoded_len()
            + self.dest.encoded_len()
            + cstring_len(self.schedule_delivery_time)
            + cstring_len(self.validity_period)
            + fixed_octets
            + self
                .short_message
                .len()
                .saturating_add(self.tlvs.encoded_len())
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) -> Result<(), SmppError> {
        let sm_length = u8::try_from(self.short_message.len())
            .ok()
            .filter(|&len| usize::from(len) <= MAX_SHORT_MESSAGE_LEN)
            .ok_or(SmppError::ShortMessageTooLong {
                len: self.short_message.len(),
            })?;
        write_cstring(out, self.service_type, Field::ServiceType)?;
        self.source.encode(out, Field::SourceAddr)?;
        self.dest.encode(out, Field::DestinationAddr)?;
        out.extend_from_slice(&[self.esm_class, self.protocol_id, self.priority_flag]);
        write_cstring(
            out,
            self.schedule_delivery_time,
            Field::ScheduleDeliveryTime,
        )?;
        write_cstring(out, self.validity_period, Field::ValidityPeriod)?;
        out.extend_from_slice(&[
            self.registered_delivery,
            self.replace_if_present_flag,
            self.data_coding,
            self.sm_default_msg_id,
            sm_length,
        ]);
        out.extend_from_slice(self.short_message);
        self.tlvs.encode(out)
    }
}
