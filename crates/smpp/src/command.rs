//! `command_id` values (SMPP 3.4 §5.1.2.1).
//!
//! All 3.4 commands are named here — even those this crate has no body codec for (query_sm,
//! replace_sm, cancel_sm, submit_multi, alert_notification, data_sm) — so that a peer using them
//! gets a typed "unsupported" answer instead of being confused with a corrupt stream.

/// Bit 31 of a `command_id` marks a response (§5.1.2.1).
pub const RESPONSE_BIT: u32 = 0x8000_0000;

macro_rules! command_id_table {
    ($( $(#[$doc:meta])* $variant:ident = $code:literal, $spec_name:literal; )*) => {
        /// A PDU header's `command_id` (SMPP 3.4 §5.1.2.1 table).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum CommandId {
            $( $(#[$doc])* $variant, )*
        }

        impl CommandId {
            /// Every SMPP 3.4 command, in table order.
            pub const ALL: &'static [CommandId] = &[ $( CommandId::$variant, )* ];

            /// The 32-bit wire value.
            pub const fn code(self) -> u32 {
                match self {
                    $( CommandId::$variant => $code, )*
                }
            }

            /// The command for a wire value, or `None` when SMPP 3.4 does not define it.
            pub const fn from_code(code: u32) -> Option<Self> {
                match code {
                    $( $code => Some(CommandId::$variant), )*
                    _ => None,
                }
            }

            /// The spec's name, e.g. `"submit_sm_resp"`.
            pub const fn spec_name(self) -> &'static str {
                match self {
                    $( CommandId::$variant => $spec_name, )*
                }
            }
        }
    };
}

command_id_table! {
    /// §4.3.1 generic_nack.
    GenericNack = 0x8000_0000, "generic_nack";
    /// §4.1.3 bind_receiver.
    BindReceiver = 0x0000_0001, "bind_receiver";
    /// §4.1.4 bind_receiver_resp.
    BindReceiverResp = 0x8000_0001, "bind_receiver_resp";
    /// §4.1.1 bind_transmitter.
    BindTransmitter = 0x0000_0002, "bind_transmitter";
    /// §4.1.2 bind_transmitter_resp.
    BindTransmitterResp = 0x8000_0002, "bind_transmitter_resp";
    /// §4.8.1 query_sm (no body codec in this crate).
    QuerySm = 0x0000_0003, "query_sm";
    /// §4.8.2 query_sm_resp (no body codec in this crate).
    QuerySmResp = 0x8000_0003, "query_sm_resp";
    /// §4.4.1 submit_sm.
    SubmitSm = 0x0000_0004, "submit_sm";
    /// §4.4.2 submit_sm_resp.
    SubmitSmResp = 0x8000_0004, "submit_sm_resp";
    /// §4.6.1 deliver_sm.
    DeliverSm = 0x0000_0005, "deliver_sm";
    /// §4.6.2 deliver_sm_resp.
    DeliverSmResp = 0x8000_0005, "deliver_sm_resp";
    /// §4.2.1 unbind.
    Unbind = 0x0000_0006, "unbind";
    /// §4.2.2 unbind_resp.
    UnbindResp = 0x8000_0006, "unbind_resp";
    /// §4.10.1 replace_sm (no body codec in this crate).
    ReplaceSm = 0x0000_0007, "replace_sm";
    /// §4.10.2 replace_sm_resp (no body codec in this crate).
    ReplaceSmResp = 0x8000_0007, "replace_sm_resp";
    /// §4.9.1 cancel_sm (no body codec in this crate).
    CancelSm = 0x0000_0008, "cancel_sm";
    /// §4.9.2 cancel_sm_resp (no body codec in this crate).
    CancelSmResp = 0x8000_0008, "cancel_sm_resp";
    /// §4.1.5 bind_transceiver.
    BindTransceiver = 0x0000_0009, "bind_transceiver";
    /// §4.1.6 bind_transceiver_resp.
    BindTransceiverResp = 0x8000_0009, "bind_transceiver_resp";
    /// §4.1.7 outbind.
    Outbind = 0x0000_000B, "outbind";
    /// §4.11.1 enquire_link.
    EnquireLink = 0x0000_0015, "enquire_link";
    /// §4.11.2 enquire_link_resp.
    EnquireLinkResp = 0x8000_0015, "enquire_link_resp";
    /// §4.5.1 submit_multi (no body codec in this crate).
    SubmitMulti = 0x0000_0021, "submit_multi";
    /// §4.5.2 submit_multi_resp (no body codec in this crate).
    SubmitMultiResp = 0x8000_0021, "submit_multi_resp";
    /// §4.12.1 alert_notification (no body codec in this crate).
    AlertNotification = 0x0000_0102, "alert_notification";
    /// §4.7.1 data_sm (no body codec in this crate).
    DataSm = 0x0000_0103, "data_sm";
    /// §4.7.2 data_sm_resp (no body codec in this crate).
    DataSmResp = 0x8000_0103, "data_sm_resp";
}

impl CommandId {
    /// Whether this is a response PDU (bit 31 set, §5.1.2.1). A response is never answered.
    pub const fn is_response(self) -> bool {
        self.code() & RESPONSE_BIT != 0
    }

    /// The response that answers this request, e.g. `SubmitSm` → `SubmitSmResp`.
    ///
    /// `None` for responses and for the requests that have no response: outbind (§4.1.7) and
    /// alert_notification (§4.12.1).
    pub const fn response(self) -> Option<CommandId> {
        if self.is_response() {
            return None;
        }
        CommandId::from_code(self.code() | RESPONSE_BIT)
    }
}

/// The error of `CommandId::try_from(u32)`: SMPP 3.4 defines no command with this id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("command_id 0x{0:08X} is not defined by SMPP 3.4")]
pub struct UnknownCommandId(pub u32);

impl TryFrom<u32> for CommandId {
    type Error = UnknownCommandId;

    fn try_from(code: u32) -> Result<Self, Self::Error> {
        CommandId::from_code(code).ok_or(UnknownCommandId(code))
    }
}

impl From<CommandId> for u32 {
    fn from(id: CommandId) -> u32 {
        id.code()
    }
}

impl std::fmt::Display for CommandId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.spec_name())
    }
}
