//! What goes into and comes out of an [`super::EsmeSession`]: configuration, submit requests,
//! events and errors.
//!
//! Why owned types here while the codec borrows: a submit is queued behind the window and an
//! event outlives the receive buffer it was decoded from, so both must own their octets. A
//! submit is encoded once when it is queued (which also validates every field against its
//! SMPP 3.4 limit up front, where the caller can still react) and only its sequence_number is
//! rewritten when it is sent again.

use smartchat_smpp::{
    Address, CommandStatus, MessageState, Pdu, PduBody, SmppError, SubmitSm, Tlvs,
};
use smartchat_sms::ConcatInfo;

/// Session settings. Every queue and timer the session keeps is bounded by one of these.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EsmeConfig {
    /// §5.2.1 system_id for bind_transceiver (at most 15 characters).
    pub system_id: String,
    /// §5.2.2 password (at most 8 characters).
    pub password: String,
    /// §5.2.3 system_type (at most 12 characters, may be empty).
    pub system_type: String,
    /// Most submit_sm awaiting their submit_sm_resp (the SMPP "window"); DESIGN.md suggests
    /// 2–3 × the SMSC's allowed rate per second. At least 1.
    pub window: usize,
    /// Submits queued behind the window (waiting for room, a bind or the end of a throttle
    /// pause). `submit` fails with [`SubmitError::QueueFull`] beyond it.
    pub queue_capacity: usize,
    /// Idle time (nothing received) after which an enquire_link is sent (§4.11); 0 = never.
    pub enquire_link_interval_ms: u64,
    /// How long any request (bind, submit_sm, enquire_link, unbind) may wait for its response.
    pub response_timeout_ms: u64,
    /// First reconnect delay after a connection is lost or a bind fails.
    pub reconnect_backoff_min_ms: u64,
    /// Upper bound of the doubling reconnect delay.
    pub reconnect_backoff_max_ms: u64,
    /// How long the session sends no submit_sm after ESME_RTHROTTLED or ESME_RMSGQFUL.
    pub throttle_pause_ms: u64,
    /// How many times one submit_sm is sent when its response never comes (response timeout or
    /// lost connection) before the session gives up with [`EsmeEvent::SubmitTimedOut`].
    pub max_submit_attempts: u32,
    /// Most deliver_sm (receipts and MOs) handed to the runtime and not yet acknowledged with
    /// [`super::EsmeSession::ack_deliver`]; beyond it deliver_sm is answered ESME_RX_T_APPN so
    /// that the SMSC retries later.
    pub max_unacked_deliveries: usize,
    /// Keep at most one submit_sm per destination address in flight, so that a throttled or
    /// resent submit can never be overtaken by a later one to the same phone.
    pub order_per_destination: bool,
    /// Largest command_length accepted from the SMSC (§3.2).
    pub max_pdu_len: u32,
}

impl Default for EsmeConfig {
    fn default() -> Self {
        EsmeConfig {
            system_id: "smartchat".into(),
            password: String::new(),
            system_type: String::new(),
            window: 32,
            queue_capacity: 4096,
            enquire_link_interval_ms: 30_000,
            response_timeout_ms: 10_000,
            reconnect_backoff_min_ms: 500,
            reconnect_backoff_max_ms: 30_000,
            throttle_pause_ms: 1_000,
            max_submit_attempts: 5,
            max_unacked_deliveries: 1024,
            order_per_destination: true,
            max_pdu_len: smartchat_smpp::DEFAULT_MAX_PDU_LEN,
        }
    }
}

/// A TON/NPI/address triple the session owns (§5.2.5, §5.2.6, §5.2.8).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct OwnedAddress {
    /// Type of number: 0 unknown, 1 international, 5 alphanumeric.
    pub ton: u8,
    /// Numbering plan: 0 unknown, 1 ISDN/E.164.
    pub npi: u8,
    /// The address, at most 20 characters.
    pub addr: String,
}

impl OwnedAddress {
    /// An E.164 number without `+` (TON 1, NPI 1).
    pub fn international(addr: impl Into<String>) -> Self {
        OwnedAddress {
            ton: 1,
            npi: 1,
            addr: addr.into(),
        }
    }

    /// The borrowed form the codec encodes.
    pub fn as_address(&self) -> Address<'_> {
        Address {
            ton: self.ton,
            npi: self.npi,
            addr: &self.addr,
        }
    }
}

/// SAR concatenation TLVs (§5.3.2.22–24), the alternative to a UDH.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sar {
    /// sar_msg_ref_num.
    pub msg_ref_num: u16,
    /// sar_total_segments.
    pub total_segments: u8,
    /// sar_segment_seqnum (1-based).
    pub segment_seqnum: u8,
}

/// One submit_sm (§4.4.1) as the node asks for it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubmitRequest {
    /// §5.2.11 service_type (empty: SMSC default).
    pub service_type: String,
    /// §5.2.8 source address (the service number plus the conversation's extension).
    pub source: OwnedAddress,
    /// §5.2.9 destination (the recipient's MSISDN).
    pub dest: OwnedAddress,
    /// §5.2.12 esm_class; 0x40 when `short_message` starts with a UDH.
    pub esm_class: u8,
    /// §5.2.13 protocol_id.
    pub protocol_id: u8,
    /// §5.2.14 priority_flag.
    pub priority_flag: u8,
    /// §5.2.16 validity_period (empty or 16 characters).
    pub validity_period: String,
    /// §5.2.17 registered_delivery; bit 0 asks for a delivery receipt.
    pub registered_delivery: u8,
    /// §5.2.19 data_coding (0 GSM 7-bit default alphabet, 8 UCS-2).
    pub data_coding: u8,
    /// §5.2.22 short_message, at most 254 octets (UDH included).
    pub short_message: Vec<u8>,
    /// §5.3.2.32 message_payload, instead of `short_message` for long text.
    pub message_payload: Option<Vec<u8>>,
    /// §5.3.2.22–24 SAR TLVs.
    pub sar: Option<Sar>,
}

impl SubmitRequest {
    /// The submit_sm PDU with `sequence_number`.
    pub fn to_pdu(&self, sequence_number: u32) -> Pdu<'_> {
        let sar = self.sar;
        Pdu {
            sequence_number,
            command_status: CommandStatus::Ok,
            body: PduBody::SubmitSm(SubmitSm {
                service_type: &self.service_type,
                source: self.source.as_address(),
                dest: self.dest.as_address(),
                esm_class: self.esm_class,
                protocol_id: self.protocol_id,
                priority_flag: self.priority_flag,
                schedule_delivery_time: "",
                validity_period: &self.validity_period,
                registered_delivery: self.registered_delivery,
                replace_if_present_flag: 0,
                data_coding: self.data_coding,
                sm_default_msg_id: 0,
                short_message: &self.short_message,
                tlvs: Tlvs {
                    message_payload: self.message_payload.as_deref(),
                    sar_msg_ref_num: sar.map(|s| s.msg_ref_num),
                    sar_total_segments: sar.map(|s| s.total_segments),
                    sar_segment_seqnum: sar.map(|s| s.segment_seqnum),
                    ..Tlvs::default()
                },
            }),
        }
    }
}

/// Identifies one received deliver_sm until the runtime acknowledges it. It carries the
/// connection it arrived on, so an ack that comes after a reconnect can never answer a
/// different PDU that happens to reuse the sequence_number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DeliverSeq {
    /// Connection counter of the session (bumped on every `on_connected`).
    pub connection: u32,
    /// The deliver_sm's sequence_number.
    pub sequence_number: u32,
}

/// Why a submit_sm is sent again with the same token (a duplicate at the SMSC is possible).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResendReason {
    /// Its submit_sm_resp did not come within the response timeout.
    ResponseTimeout,
    /// The connection was lost while it was in flight.
    ConnectionLost,
}

/// Why the session went to [`SessionState::Disconnected`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DisconnectReason {
    /// The runtime reported the transport closed.
    #[error("connection closed by the transport")]
    TransportClosed,
    /// The runtime could not open a connection.
    #[error("could not connect")]
    ConnectFailed,
    /// Our unbind was answered (or [`super::EsmeSession::close`] ended a bind attempt).
    #[error("unbound")]
    Closed,
    /// The SMSC sent unbind (§4.2.1); it was answered.
    #[error("the SMSC unbound")]
    PeerUnbound,
    /// bind_transceiver_resp carried an error (§4.1.6).
    #[error("bind failed: {0}")]
    BindFailed(CommandStatus),
    /// No bind_transceiver_resp within the response timeout.
    #[error("no bind response")]
    BindTimeout,
    /// No enquire_link_resp within the response timeout (§4.11).
    #[error("no enquire_link response")]
    EnquireLinkTimeout,
    /// No unbind_resp within the response timeout.
    #[error("no unbind response")]
    UnbindTimeout,
    /// A command_length outside 16..=max: the stream cannot be re-synchronised (§3.2).
    #[error("stream desynchronised: command_length {0}")]
    Desynchronised(u32),
    /// `on_connected` was called while a connection was still up.
    #[error("connection replaced")]
    Replaced,
}

/// Connection states (§2.2 "SMPP Session States", seen from the ESME).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SessionState {
    /// No transport; `wants_connect` says when to open one.
    Disconnected,
    /// bind_transceiver sent, waiting for its response.
    Binding,
    /// BOUND_TRX: submits flow, deliver_sm arrives.
    Bound,
    /// unbind sent, waiting for unbind_resp.
    Unbinding,
}

/// What the session reports to the runtime, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EsmeEvent {
    /// bind_transceiver_resp ESME_ROK: submits flow now.
    Bound {
        /// The SMSC's system_id.
        smsc_system_id: String,
    },
    /// bind_transceiver_resp (or generic_nack) with an error; the session reconnects after
    /// its backoff (credentials may be fixed on the SMSC meanwhile).
    BindFailed {
        /// The status the SMSC answered.
        status: CommandStatus,
    },
    /// submit_sm_resp ESME_ROK (§4.4.2). Final for `token`.
    Submitted {
        /// The caller's token.
        token: u64,
        /// The SMSC's message id (up to 64 characters; UUIDs happen).
        message_id: String,
    },
    /// submit_sm_resp with an error other than throttling. Final for `token`.
    SubmitFailed {
        /// The caller's token.
        token: u64,
        /// The SMSC's status.
        status: CommandStatus,
        /// `false` when the same message may succeed later (ESME_RSYSERR, ESME_RX_T_APPN).
        permanent: bool,
    },
    /// The submit was sent `attempts` times without any response. Final for `token`; the
    /// outcome is unknown (the SMSC may have accepted it).
    SubmitTimedOut {
        /// The caller's token.
        token: u64,
        /// How often it was sent.
        attempts: u32,
    },
    /// The submit is being sent again; the SMSC may end up with two copies.
    Resent {
        /// The caller's token.
        token: u64,
        /// Why.
        reason: ResendReason,
    },
    /// ESME_RTHROTTLED / ESME_RMSGQFUL: the submit waits at the head of the queue and no
    /// submit is sent before `resume_at`. Not final.
    Throttled {
        /// The caller's token.
        token: u64,
        /// The status that paused the session.
        status: CommandStatus,
        /// When sending resumes (ms, the session's clock).
        resume_at: u64,
    },
    /// A delivery receipt (deliver_sm with esm_class message type 0x04 or 0x20, §5.2.12).
    /// Answer it with [`super::EsmeSession::ack_deliver`] once its state change is durable.
    DeliveryReceipt {
        /// What to pass to `ack_deliver`.
        seq: DeliverSeq,
        /// The message id of the receipted submit (TLV §5.3.2.12, else the text's `id:`).
        receipted_message_id: String,
        /// The state (TLV §5.3.2.35, else the text's `stat:`); `None` when neither says.
        message_state: Option<MessageState>,
        /// network_error_code TLV (§5.3.2.31): network type, then the 2-octet code.
        network_error_code: Option<[u8; 3]>,
        /// The text's `err:` field (vendor specific), when there is a text.
        receipt_err: Option<String>,
        /// The receipt text (Appendix B), when the SMSC sent one.
        receipt_text: Option<String>,
        /// The receipt's source_addr: the phone the message went to.
        source: String,
        /// The receipt's destination_addr: the address that submitted.
        dest: String,
    },
    /// An SMS from a phone (deliver_sm, §4.6.1). Answer it with
    /// [`super::EsmeSession::ack_deliver`] once it is durable.
    MobileOriginated {
        /// What to pass to `ack_deliver`.
        seq: DeliverSeq,
        /// The phone's number (source_addr).
        source: String,
        /// The number it was sent to (destination_addr): access number plus extension.
        dest: String,
        /// §5.2.12 esm_class as received.
        esm_class: u8,
        /// §5.2.19 data_coding of `short_message`.
        data_coding: u8,
        /// The user data: short_message (or message_payload) **without** its UDH when the
        /// UDH parsed; as received otherwise.
        short_message: Vec<u8>,
        /// Concatenation from the UDH (TS 23.040 §9.2.3.24.1/.8) or the SAR TLVs.
        concat: Option<ConcatInfo>,
    },
    /// The connection is gone. The runtime writes what `poll_transmit` still returns (best
    /// effort) and closes the socket; `wants_connect` says when to try again.
    Disconnected {
        /// Why.
        reason: DisconnectReason,
    },
}

/// [`super::EsmeSession::submit`] refused the request; nothing was queued.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubmitError {
    /// The window is full and the session keeps no queue (`queue_capacity` 0).
    #[error("submit window full")]
    WindowFull,
    /// Window and queue are full: back-pressure, try again after an answer.
    #[error("submit queue full ({capacity} waiting)")]
    QueueFull {
        /// The configured queue capacity.
        capacity: usize,
    },
    /// The session is closing or closed; it will not bind again.
    #[error("session closed")]
    NotBound,
    /// A field breaks its SMPP 3.4 limit (e.g. short_message over 254 octets).
    #[error("invalid submit_sm: {0}")]
    Invalid(#[from] SmppError),
}

/// [`super::EsmeSession::ack_deliver`] had nothing to answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AckError {
    /// That deliver_sm arrived on an earlier connection; the SMSC will deliver it again.
    #[error("deliver_sm {0:?} belongs to a closed connection")]
    StaleConnection(DeliverSeq),
    /// No deliver_sm with that sequence_number is waiting (already answered?).
    #[error("no deliver_sm {0:?} is waiting for an answer")]
    Unknown(DeliverSeq),
}

/// An [`EsmeConfig`] that cannot work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// `window` is 0.
    #[error("window must be at least 1")]
    ZeroWindow,
    /// `max_submit_attempts` is 0.
    #[error("max_submit_attempts must be at least 1")]
    ZeroAttempts,
    /// `response_timeout_ms` is 0.
    #[error("response_timeout_ms must be above 0")]
    ZeroResponseTimeout,
    /// The backoff bounds are inverted.
    #[error("reconnect_backoff_min_ms {min} is above reconnect_backoff_max_ms {max}")]
    Backoff {
        /// The minimum.
        min: u64,
        /// The maximum.
        max: u64,
    },
    /// system_id, password or system_type does not fit bind_transceiver (§4.1.5).
    #[error("bind_transceiver cannot be encoded: {0}")]
    Bind(SmppError),
}

/// Counters of things that are not events but are worth a metric.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EsmeStats {
    /// Connections started (`on_connected`).
    pub connections: u64,
    /// submit_sm PDUs written, resends included.
    pub submits_sent: u64,
    /// Resends after a timeout or a lost connection.
    pub resends: u64,
    /// ESME_RTHROTTLED / ESME_RMSGQFUL answers.
    pub throttled: u64,
    /// generic_nack or error `_resp` sent for PDUs we could not take.
    pub nacks_sent: u64,
    /// Responses whose sequence_number matched nothing (late, after a resend).
    pub unmatched_responses: u64,
    /// deliver_sm answered ESME_RX_T_APPN because too many were unacknowledged.
    pub deliveries_refused: u64,
    /// Receipts without any usable message id (answered ESME_RX_P_APPN).
    pub receipts_unusable: u64,
    /// enquire_link sent.
    pub enquire_links_sent: u64,
}
