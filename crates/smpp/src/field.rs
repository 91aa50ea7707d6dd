//! Names of the PDU fields the codec reads and writes, with their SMPP 3.4 size limits.
//!
//! Errors name the field they are about so that (a) logs say exactly what a peer got wrong and
//! (b) the codec can pick the field-specific `command_status` the spec defines for it (an
//! over-long `source_addr` is ESME_RINVSRCADR, not a generic length error).

use crate::status::CommandStatus;

/// A mandatory field or typed TLV of the PDUs this crate codes (SMPP 3.4 §5.2, §5.3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// §5.2.1 system_id, C-octet string max 16.
    SystemId,
    /// §5.2.2 password, C-octet string max 9.
    Password,
    /// §5.2.3 system_type, C-octet string max 13.
    SystemType,
    /// §5.2.4 interface_version, 1 octet.
    InterfaceVersion,
    /// §5.2.5 addr_ton / source_addr_ton / dest_addr_ton, 1 octet.
    AddrTon,
    /// §5.2.6 addr_npi / source_addr_npi / dest_addr_npi, 1 octet.
    AddrNpi,
    /// §5.2.7 address_range, C-octet string max 41.
    AddressRange,
    /// §5.2.11 service_type, C-octet string max 6.
    ServiceType,
    /// §5.2.8 source_addr, C-octet string max 21.
    SourceAddr,
    /// §5.2.9 destination_addr, C-octet string max 21.
    DestinationAddr,
    /// §5.2.12 esm_class, 1 octet.
    EsmClass,
    /// §5.2.13 protocol_id, 1 octet.
    ProtocolId,
    /// §5.2.14 priority_flag, 1 octet.
    PriorityFlag,
    /// §5.2.15 schedule_delivery_time, C-octet string max 17 (empty or 16 characters).
    ScheduleDeliveryTime,
    /// §5.2.16 validity_period, C-octet string max 17 (empty or 16 characters).
    ValidityPeriod,
    /// §5.2.17 registered_delivery, 1 octet.
    RegisteredDelivery,
    /// §5.2.18 replace_if_present_flag, 1 octet.
    ReplaceIfPresentFlag,
    /// §5.2.19 data_coding, 1 octet.
    DataCoding,
    /// §5.2.20 sm_default_msg_id, 1 octet.
    SmDefaultMsgId,
    /// §5.2.21 sm_length, 1 octet (0–254).
    SmLength,
    /// §5.2.22 short_message, 0–254 octets.
    ShortMessage,
    /// §5.2.23 message_id, C-octet string max 65.
    MessageId,
    /// §5.3.2.12 receipted_message_id TLV, C-octet string max 65.
    ReceiptedMessageId,
}

impl Field {
    /// The spec's field name.
    pub const fn spec_name(self) -> &'static str {
        match self {
            Field::SystemId => "system_id",
            Field::Password => "password",
            Field::SystemType => "system_type",
            Field::InterfaceVersion => "interface_version",
            Field::AddrTon => "addr_ton",
            Field::AddrNpi => "addr_npi",
            Field::AddressRange => "address_range",
            Field::ServiceType => "service_type",
            Field::SourceAddr => "source_addr",
            Field::DestinationAddr => "destination_addr",
            Field::EsmClass => "esm_class",
            Field::ProtocolId => "protocol_id",
            Field::PriorityFlag => "priority_flag",
            Field::ScheduleDeliveryTime => "schedule_delivery_time",
            Field::ValidityPeriod => "validity_period",
            Field::RegisteredDelivery => "registered_delivery",
            Field::ReplaceIfPresentFlag => "replace_if_present_flag",
            Field::DataCoding => "data_coding",
            Field::SmDefaultMsgId => "sm_default_msg_id",
            Field::SmLength => "sm_length",
            Field::ShortMessage => "short_message",
            Field::MessageId => "message_id",
            Field::ReceiptedMessageId => "receipted_message_id",
        }
    }

    /// For C-octet string fields, the maximum size in octets *including* the terminating NUL,
    /// as the §4 PDU tables give it; `None` for integer and octet-string fields.
    ///
    /// message_id and receipted_message_id: 65 (64 characters + NUL) is the 3.4 table's own
    /// limit. It is kept deliberately although many ESMEs and SMSCs truncate ids to the 9/10
    /// characters of SMPP 3.3 and of the Appendix B receipt text: real SMSCs (Jasmin among
    /// them) hand out 36-character UUIDs, which must pass through untouched.
    pub const fn max_cstring_len(self) -> Option<usize> {
        match self {
            Field::SystemId => Some(16),
            Field::Password => Some(9),
            Field::SystemType => Some(13),
            Field::AddressRange => Some(41),
            Field::ServiceType => Some(6),
            Field::SourceAddr | Field::DestinationAddr => Some(21),
            Field::ScheduleDeliveryTime | Field::ValidityPeriod => Some(17),
            Field::MessageId | Field::ReceiptedMessageId => Some(65),
            _ => None,
        }
    }

    /// The `command_status` that reports an invalid *value* of this field (§5.1.3): the
    /// field-specific code where the spec has one.
    pub const fn invalid_value_status(self) -> CommandStatus {
        match self {
            Field::SystemId => CommandStatus::InvSysId,
            Field::Password => CommandStatus::InvPaswd,
            Field::SystemType => CommandStatus::InvSysTyp,
            Field::InterfaceVersion | Field::AddressRange => CommandStatus::BindFail,
            Field::ServiceType => CommandStatus::InvSerTyp,
            Field::SourceAddr => CommandStatus::InvSrcAdr,
            Field::DestinationAddr => CommandStatus::InvDstAdr,
            Field::EsmClass => CommandStatus::InvEsmClass,
            Field::PriorityFlag => CommandStatus::InvPrtFlg,
            Field::ScheduleDeliveryTime => CommandStatus::InvSched,
            Field::ValidityPeriod => CommandStatus::InvExpiry,
            Field::RegisteredDelivery => CommandStatus::InvRegDlvFlg,
            Field::ReplaceIfPresentFlag => CommandStatus::InvRepFlag,
            Field::SmDefaultMsgId => CommandStatus::InvDftMsgId,
            Field::SmLength | Field::ShortMessage => CommandStatus::InvMsgLen,
            Field::MessageId => CommandStatus::InvMsgId,
            Field::ReceiptedMessageId => CommandStatus::InvOptParamVal,
            // The codec never judges these integer values; a caller that does should pick the
            // precise code itself (e.g. ESME_RINVSRCTON vs ESME_RINVDSTTON).
            Field::AddrTon | Field::AddrNpi | Field::ProtocolId | Field::DataCoding => {
                CommandStatus::UnknownErr
            }
        }
    }

    /// The `command_status` that reports a body which ends inside this field: the declared
    /// command_length is too short for the body (ESME_RINVCMDLEN), except for the message text,
    /// where sm_length is what disagrees with the PDU (ESME_RINVMSGLEN).
    pub const fn truncated_status(self) -> CommandStatus {
        match self {
            Field::SmLength | Field::ShortMessage => CommandStatus::InvMsgLen,
            _ => CommandStatus::InvCmdLen,
        }
    }
}

impl std::fmt::Display for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.spec_name())
    }
}
