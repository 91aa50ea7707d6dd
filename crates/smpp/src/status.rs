//! `command_status` values (SMPP 3.4 §5.1.3).
//!
//! Why an enum and not bare `u32`s: the runtime branches on a handful of codes (throttling and
//! queue-full are back-pressure, bind failures end a session), and a typo in a hex literal is a
//! silent bug. Every code the 3.4 table names has a variant whose name is the spec name without
//! the `ESME_R` prefix; anything else — reserved ranges, SMPP extension codes (0x100–0x3FF),
//! SMSC vendor codes (0x400–0x4FF) — is kept losslessly as [`CommandStatus::Other`].

macro_rules! command_status_table {
    ($( $(#[$doc:meta])* $variant:ident = $code:literal, $spec_name:literal; )*) => {
        /// A PDU header's `command_status` field (SMPP 3.4 §5.1.3 "command_status").
        ///
        /// [`CommandStatus::Other`] only ever holds a code without a named variant when it
        /// comes from [`CommandStatus::from`]; constructing `Other(0x58)` by hand is legal and
        /// encodes to the same octets as [`CommandStatus::Throttled`], but compares unequal.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum CommandStatus {
            $( $(#[$doc])* $variant, )*
            /// A code the SMPP 3.4 table does not name: reserved, SMPP extension or SMSC vendor
            /// specific (§5.1.3 ranges 0x100–0x3FF and 0x400–0x4FF).
            Other(u32),
        }

        impl CommandStatus {
            /// Every named status, in code order (handy for tests and status pages).
            pub const ALL_NAMED: &'static [CommandStatus] = &[ $( CommandStatus::$variant, )* ];

            /// The 32-bit wire value.
            pub const fn code(self) -> u32 {
                match self {
                    $( CommandStatus::$variant => $code, )*
                    CommandStatus::Other(code) => code,
                }
            }

            /// The status for a wire value; codes without a name become [`CommandStatus::Other`].
            pub const fn from_code(code: u32) -> Self {
                match code {
                    $( $code => CommandStatus::$variant, )*
                    other => CommandStatus::Other(other),
                }
            }

            /// The spec's symbolic name, e.g. `"ESME_RTHROTTLED"`; `None` for [`CommandStatus::Other`].
            pub const fn spec_name(self) -> Option<&'static str> {
                match self {
                    $( CommandStatus::$variant => Some($spec_name), )*
                    CommandStatus::Other(_) => None,
                }
            }
        }
    };
}

command_status_table! {
    /// ESME_ROK 0x00: no error.
    Ok = 0x0000_0000, "ESME_ROK";
    /// ESME_RINVMSGLEN 0x01: message length is invalid.
    InvMsgLen = 0x0000_0001, "ESME_RINVMSGLEN";
    /// ESME_RINVCMDLEN 0x02: command length is invalid.
    InvCmdLen = 0x0000_0002, "ESME_RINVCMDLEN";
    /// ESME_RINVCMDID 0x03: invalid command ID.
    InvCmdId = 0x0000_0003, "ESME_RINVCMDID";
    /// ESME_RINVBNDSTS 0x04: incorrect BIND status for given command.
    InvBndSts = 0x0000_0004, "ESME_RINVBNDSTS";
    /// ESME_RALYBND 0x05: ESME already in bound state.
    AlyBnd = 0x0000_0005, "ESME_RALYBND";
    /// ESME_RINVPRTFLG 0x06: invalid priority flag.
    InvPrtFlg = 0x0000_0006, "ESME_RINVPRTFLG";
    /// ESME_RINVREGDLVFLG 0x07: invalid registered delivery flag.
    InvRegDlvFlg = 0x0000_0007, "ESME_RINVREGDLVFLG";
    /// ESME_RSYSERR 0x08: system error.
    SysErr = 0x0000_0008, "ESME_RSYSERR";
    /// ESME_RINVSRCADR 0x0A: invalid source address.
    InvSrcAdr = 0x0000_000A, "ESME_RINVSRCADR";
    /// ESME_RINVDSTADR 0x0B: invalid destination address.
    InvDstAdr = 0x0000_000B, "ESME_RINVDSTADR";
    /// ESME_RINVMSGID 0x0C: message ID is invalid.
    InvMsgId = 0x0000_000C, "ESME_RINVMSGID";
    /// ESME_RBINDFAIL 0x0D: bind failed.
    BindFail = 0x0000_000D, "ESME_RBINDFAIL";
    /// ESME_RINVPASWD 0x0E: invalid password.
    InvPaswd = 0x0000_000E, "ESME_RINVPASWD";
    /// ESME_RINVSYSID 0x0F: invalid system ID.
    InvSysId = 0x0000_000F, "ESME_RINVSYSID";
    /// ESME_RCANCELFAIL 0x11: cancel_sm failed.
    CancelFail = 0x0000_0011, "ESME_RCANCELFAIL";
    /// ESME_RREPLACEFAIL 0x13: replace_sm failed.
    ReplaceFail = 0x0000_0013, "ESME_RREPLACEFAIL";
    /// ESME_RMSGQFUL 0x14: message queue full.
    MsgQFul = 0x0000_0014, "ESME_RMSGQFUL";
    /// ESME_RINVSERTYP 0x15: invalid service type.
    InvSerTyp = 0x0000_0015, "ESME_RINVSERTYP";
    /// ESME_RINVNUMDESTS 0x33: invalid number of destinations.
    InvNumDests = 0x0000_0033, "ESME_RINVNUMDESTS";
    /// ESME_RINVDLNAME 0x34: invalid distribution list name.
    InvDlName = 0x0000_0034, "ESME_RINVDLNAME";
    /// ESME_RINVDESTFLAG 0x40: destination flag is invalid (submit_multi).
    InvDestFlag = 0x0000_0040, "ESME_RINVDESTFLAG";
    /// ESME_RINVSUBREP 0x42: invalid "submit with replace" request.
    InvSubRep = 0x0000_0042, "ESME_RINVSUBREP";
    /// ESME_RINVESMCLASS 0x43: invalid esm_class field data.
    InvEsmClass = 0x0000_0043, "ESME_RINVESMCLASS";
    /// ESME_RCNTSUBDL 0x44: cannot submit to distribution list.
    CntSubDl = 0x0000_0044, "ESME_RCNTSUBDL";
    /// ESME_RSUBMITFAIL 0x45: submit_sm or submit_multi failed.
    SubmitFail = 0x0000_0045, "ESME_RSUBMITFAIL";
    /// ESME_RINVSRCTON 0x48: invalid source address TON.
    InvSrcTon = 0x0000_0048, "ESME_RINVSRCTON";
    /// ESME_RINVSRCNPI 0x49: invalid source address NPI.
    InvSrcNpi = 0x0000_0049, "ESME_RINVSRCNPI";
    /// ESME_RINVDSTTON 0x50: invalid destination address TON.
    InvDstTon = 0x0000_0050, "ESME_RINVDSTTON";
    /// ESME_RINVDSTNPI 0x51: invalid destination address NPI.
    InvDstNpi = 0x0000_0051, "ESME_RINVDSTNPI";
    /// ESME_RINVSYSTYP 0x53: invalid system_type field.
    InvSysTyp = 0x0000_0053, "ESME_RINVSYSTYP";
    /// ESME_RINVREPFLAG 0x54: invalid replace_if_present flag.
    InvRepFlag = 0x0000_0054, "ESME_RINVREPFLAG";
    /// ESME_RINVNUMMSGS 0x55: invalid number of messages.
    InvNumMsgs = 0x0000_0055, "ESME_RINVNUMMSGS";
    /// ESME_RTHROTTLED 0x58: throttling error (ESME has exceeded allowed message limits).
    Throttled = 0x0000_0058, "ESME_RTHROTTLED";
    /// ESME_RINVSCHED 0x61: invalid scheduled delivery time.
    InvSched = 0x0000_0061, "ESME_RINVSCHED";
    /// ESME_RINVEXPIRY 0x62: invalid message validity period (expiry time).
    InvExpiry = 0x0000_0062, "ESME_RINVEXPIRY";
    /// ESME_RINVDFTMSGID 0x63: predefined message invalid or not found.
    InvDftMsgId = 0x0000_0063, "ESME_RINVDFTMSGID";
    /// ESME_RX_T_APPN 0x64: ESME receiver temporary app error code.
    RxTAppn = 0x0000_0064, "ESME_RX_T_APPN";
    /// ESME_RX_P_APPN 0x65: ESME receiver permanent app error code.
    RxPAppn = 0x0000_0065, "ESME_RX_P_APPN";
    /// ESME_RX_R_APPN 0x66: ESME receiver reject message error code.
    RxRAppn = 0x0000_0066, "ESME_RX_R_APPN";
    /// ESME_RQUERYFAIL 0x67: query_sm request failed.
    QueryFail = 0x0000_0067, "ESME_RQUERYFAIL";
    /// ESME_RINVOPTPARSTREAM 0xC0: error in the optional part of the PDU body.
    InvOptParStream = 0x0000_00C0, "ESME_RINVOPTPARSTREAM";
    /// ESME_ROPTPARNOTALLWD 0xC1: optional parameter not allowed.
    OptParNotAllwd = 0x0000_00C1, "ESME_ROPTPARNOTALLWD";
    /// ESME_RINVPARLEN 0xC2: invalid parameter length.
    InvParLen = 0x0000_00C2, "ESME_RINVPARLEN";
    /// ESME_RMISSINGOPTPARAM 0xC3: expected optional parameter missing.
    MissingOptParam = 0x0000_00C3, "ESME_RMISSINGOPTPARAM";
    /// ESME_RINVOPTPARAMVAL 0xC4: invalid optional parameter value.
    InvOptParamVal = 0x0000_00C4, "ESME_RINVOPTPARAMVAL";
    /// ESME_RDELIVERYFAILURE 0xFE: delivery failure (used for data_sm_resp).
    DeliveryFailure = 0x0000_00FE, "ESME_RDELIVERYFAILURE";
    /// ESME_RUNKNOWNERR 0xFF: unknown error.
    UnknownErr = 0x0000_00FF, "ESME_RUNKNOWNERR";
}

impl CommandStatus {
    /// Whether the same PDU is worth sending again later: the SMSC is overloaded
    /// (ESME_RTHROTTLED, ESME_RMSGQFUL), failed internally (ESME_RSYSERR), or the receiving ESME
    /// reported a temporary application error (ESME_RX_T_APPN, §5.1.3). Everything else —
    /// including unnamed vendor codes, whose meaning we cannot know — is treated as permanent.
    pub const fn is_temporary(self) -> bool {
        matches!(
            self,
            CommandStatus::Throttled
                | CommandStatus::MsgQFul
                | CommandStatus::SysErr
                | CommandStatus::RxTAppn
        )
    }

    /// Whether this is ESME_ROK.
    pub const fn is_ok(self) -> bool {
        matches!(self, CommandStatus::Ok)
    }
}

impl From<u32> for CommandStatus {
    fn from(code: u32) -> Self {
        CommandStatus::from_code(code)
    }
}

impl From<CommandStatus> for u32 {
    fn from(status: CommandStatus) -> u32 {
        status.code()
    }
}

impl std::fmt::Display for CommandStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.spec_name() {
            Some(name) => write!(f, "{name} (0x{:08X})", self.code()),
            None => write!(f, "command_status 0x{:08X}", self.code()),
        }
    }
}
