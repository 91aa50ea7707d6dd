//! The ESME side of SMPP 3.4: one [`EsmeSession`] per SMSC connection of a shard.
//!
//! Why sans-IO: the shard's runtime (glommio) owns the socket and the clock; this type only
//! turns inputs (`on_connected`, `on_bytes`, `on_timer`, `submit`, `ack_deliver`, ...) into
//! octets to write (`poll_transmit`) and [`EsmeEvent`]s (`poll_event`), with the time passed in
//! as milliseconds. The same code then runs under a deterministic test clock, against the
//! simulator in memory, or against real SMSCs over TCP.
//!
//! Behaviour, with the SMPP 3.4 sections it follows:
//! - **Bind** (§4.1.5): bind_transceiver on every new connection; a failure or timeout ends the
//!   connection and the session reconnects after an exponential, bounded backoff, reset by the
//!   next successful bind.
//! - **Window** (§2.6 "asynchronous operation"): at most `window` submit_sm await their
//!   submit_sm_resp; more wait in a bounded FIFO queue, and `submit` reports back-pressure
//!   beyond it instead of growing.
//! - **Throttling** (§5.1.3 ESME_RTHROTTLED 0x58, ESME_RMSGQFUL 0x14): the submit goes back into
//!   the queue at its original position — ahead of everything submitted after it — and no
//!   submit_sm is sent for `throttle_pause_ms`. With `order_per_destination` (the default) at
//!   most one submit per destination is in flight, so no later message to the same phone can
//!   overtake a throttled or resent one; across destinations order is not observable.
//! - **Lost responses**: a submit_sm_resp that does not come within `response_timeout_ms`, or a
//!   connection lost with submits in flight, makes the same submit go out again under a new
//!   sequence_number ([`EsmeEvent::Resent`]: the SMSC may now hold a duplicate), up to
//!   `max_submit_attempts` sends; then [`EsmeEvent::SubmitTimedOut`]. A response timeout also
//!   probes the link with enquire_link.
//! - **Keep-alive** (§4.11): enquire_link after `enquire_link_interval_ms` without input; no
//!   answer within the response timeout ends the connection.
//! - **deliver_sm** (§4.6): receipts and MOs become events, and deliver_sm_resp is sent only
//!   when the runtime calls [`EsmeSession::ack_deliver`] — after the message is durable
//!   (DESIGN.md "ack after persist"). Unacknowledged deliveries are bounded; beyond the bound
//!   the SMSC is told ESME_RX_T_APPN and retries later.
//! - **Errors** (§3.3, §4.3): a PDU that does not decode is answered with the `_resp` or
//!   generic_nack the codec names; a bad command_length ends the connection. Network input
//!   never panics.

mod flow;
mod inbound;
mod types;

use std::collections::{HashSet, VecDeque};

use smartchat_smpp::{Bind, CommandStatus, Pdu, PduBody};

use crate::frame::{RxBuffer, SeqGen};

pub use types::{
    AckError, ConfigError, DeliverSeq, DisconnectReason, EsmeConfig, EsmeEvent, EsmeStats,
    OwnedAddress, ResendReason, Sar, SessionState, SubmitError, SubmitRequest,
};

/// A submit waiting for the window, encoded with sequence_number 0.
#[derive(Debug, Clone)]
struct Queued {
    token: u64,
    /// Submission order: the queue is kept sorted by it, so a requeued submit goes back ahead
    /// of everything submitted after it.
    order: u64,
    pdu: Vec<u8>,
    /// Hash of the destination address, for `order_per_destination`.
    dest_key: u64,
    /// How often it was sent without an answer.
    attempts: u32,
    /// Set when the next send is a resend the runtime must hear about.
    resend: Option<ResendReason>,
}

/// A submit on the wire.
#[derive(Debug, Clone)]
struct InFlight {
    item: Queued,
    seq: u32,
    deadline: u64,
}

/// An outstanding request other than submit_sm: its sequence_number and response deadline.
#[derive(Debug, Clone, Copy)]
struct Outstanding {
    seq: u32,
    deadline: u64,
}

/// The ESME session state machine (see the module docs).
#[derive(Debug)]
pub struct EsmeSession {
    config: EsmeConfig,
    state: SessionState,
    /// Connection counter, part of every [`DeliverSeq`].
    connection: u32,
    seq: SeqGen,
    rx: RxBuffer,
    tx: Vec<u8>,
    events: VecDeque<EsmeEvent>,
    queue: VecDeque<Queued>,
    in_flight: Vec<InFlight>,
    /// Destination keys of `in_flight` (only with `order_per_destination`).
    busy_dests: HashSet<u64>,
    next_order: u64,
    /// deliver_sm of the current connection handed out and not yet answered.
    unacked: Vec<u32>,
    bind: Option<Outstanding>,
    enquire: Option<Outstanding>,
    unbind: Option<Outstanding>,
    last_rx: u64,
    paused_until: u64,
    reconnect_at: u64,
    backoff_ms: u64,
    closing: bool,
    stats: EsmeStats,
}

impl EsmeSession {
    /// A disconnected session that wants to connect at once.
    pub fn new(config: EsmeConfig) -> Result<Self, ConfigError> {
        if config.window == 0 {
            return Err(ConfigError::ZeroWindow);
        }
        if config.max_submit_attempts == 0 {
            return Err(ConfigError::ZeroAttempts);
        }
        if config.response_timeout_ms == 0 {
            return Err(ConfigError::ZeroResponseTimeout);
        }
        if config.reconnect_backoff_min_ms > config.reconnect_backoff_max_ms {
            return Err(ConfigError::Backoff {
                min: config.reconnect_backoff_min_ms,
                max: config.reconnect_backoff_max_ms,
            });
        }
        let mut probe = Vec::new();
        bind_pdu(&config, 1)
            .encode(&mut probe)
            .map_err(ConfigError::Bind)?;
        Ok(EsmeSession {
            backoff_ms: config.reconnect_backoff_min_ms,
            config,
            state: SessionState::Disconnected,
            connection: 0,
            seq: SeqGen::default(),
            rx: RxBuffer::default(),
            tx: Vec::new(),
            events: VecDeque::new(),
            queue: VecDeque::new(),
            in_flight: Vec::new(),
            busy_dests: HashSet::new(),
            next_order: 0,
            unacked: Vec::new(),
            bind: None,
            enquire: None,
            unbind: None,
            last_rx: 0,
            paused_until: 0,
            reconnect_at: 0,
            closing: false,
            stats: EsmeStats::default(),
        })
    }

    /// The configuration in force.
    pub fn config(&self) -> &EsmeConfig {
        &self.config
    }

    /// The connection state.
    pub fn state(&self) -> SessionState {
        self.state
    }

    /// Counters for metrics.
    pub fn stats(&self) -> EsmeStats {
        self.stats
    }

    /// Submits on the wire awaiting their response.
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// Submits waiting for the window.
    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    /// Whether the runtime should open a connection now (disconnected, backoff elapsed, not
    /// closed).
    pub fn wants_connect(&self, now: u64) -> bool {
        self.state == SessionState::Disconnected && !self.closing && now >= self.reconnect_at
    }

    /// The transport is up: send bind_transceiver (§4.1.5).
    pub fn on_connected(&mut self, now: u64) {
        if self.state != SessionState::Disconnected {
            self.disconnect(DisconnectReason::Replaced, now);
        }
        self.connection = self.connection.wrapping_add(1);
        self.stats.connections += 1;
        self.rx.clear();
        self.tx.clear();
        self.last_rx = now;
        let seq = self.seq.next();
        let encoded = bind_pdu(&self.config, seq).encode(&mut self.tx);
        debug_assert!(encoded.is_ok(), "checked in new(): {encoded:?}");
        self.bind = Some(Outstanding {
            seq,
            deadline: now.saturating_add(self.config.response_timeout_ms),
        });
        self.state = SessionState::Binding;
    }

    /// Opening the connection failed: try again after the backoff.
    pub fn on_connect_failed(&mut self, now: u64) {
        if self.state == SessionState::Disconnected && !self.closing {
            self.disconnect(DisconnectReason::ConnectFailed, now);
        }
    }

    /// The transport closed (by the peer, an I/O error, or after our own Disconnected event).
    pub fn on_disconnected(&mut self, now: u64) {
        if self.state != SessionState::Disconnected {
            self.tx.clear();
            self.disconnect(DisconnectReason::TransportClosed, now);
        }
    }

    /// Octets received from the SMSC, in order, any chunking.
    pub fn on_bytes(&mut self, bytes: &[u8], now: u64) {
        if self.state == SessionState::Disconnected {
            return;
        }
        self.last_rx = now;
        let mut rx = std::mem::take(&mut self.rx);
        rx.push(bytes);
        // Bounded: every iteration consumes a whole PDU of at least 16 octets.
        loop {
            match rx.next_frame(self.config.max_pdu_len) {
                Ok(Some(frame)) => self.handle_frame(frame, now),
                Ok(None) => break,
                Err(err) => {
                    let len = match err {
                        smartchat_smpp::SmppError::BadCommandLength { len } => len,
                        _ => 0,
                    };
                    self.disconnect(DisconnectReason::Desynchronised(len), now);
                }
            }
            if self.state == SessionState::Disconnected {
                rx.clear();
                break;
            }
        }
        self.rx = rx;
        self.pump(now);
    }

    /// Queues a submit_sm for `token` (the caller's handle; it comes back in exactly one final
    /// event: `Submitted`, `SubmitFailed` or `SubmitTimedOut`). The PDU is encoded and checked
    /// here, and sent when the session is bound, the window has room and no throttle pause is
    /// running. Queueing while disconnected is allowed: it is sent after the next bind.
    pub fn submit(
        &mut self,
        token: u64,
        request: &SubmitRequest,
        now: u64,
    ) -> Result<(), SubmitError> {
        if self.closing {
            return Err(SubmitError::NotBound);
        }
        let mut pdu = Vec::new();
        request.to_pdu(0).encode(&mut pdu)?;
        let waiting = self.queue.len() + self.in_flight.len();
        if waiting >= self.config.window + self.config.queue_capacity {
            return Err(if self.config.queue_capacity == 0 {
                SubmitError::WindowFull
            } else {
                SubmitError::QueueFull {
                    capacity: self.config.queue_capacity,
                }
            });
        }
        let order = self.next_order;
        self.next_order += 1;
        self.queue.push_back(Queued {
            token,
            order,
            pdu,
            dest_key: dest_key(&request.dest.addr),
            attempts: 0,
            resend: None,
        });
        self.pump(now);
        Ok(())
    }

    /// Answers a deliver_sm reported as [`EsmeEvent::DeliveryReceipt`] or
    /// [`EsmeEvent::MobileOriginated`] with deliver_sm_resp `status` (§4.6.2): ESME_ROK once it
    /// is durable, ESME_RX_T_APPN to have the SMSC retry, ESME_RX_P_APPN to refuse for good.
    pub fn ack_deliver(&mut self, seq: DeliverSeq, status: CommandStatus) -> Result<(), AckError> {
        let live = matches!(self.state, SessionState::Bound | SessionState::Unbinding);
        if seq.connection != self.connection || !live {
            return Err(AckError::StaleConnection(seq));
        }
        let index = self
            .unacked
            .iter()
            .position(|&s| s == seq.sequence_number)
            .ok_or(AckError::Unknown(seq))?;
        self.unacked.swap_remove(index);
        self.push_pdu(&Pdu {
            sequence_number: seq.sequence_number,
            command_status: status,
            body: PduBody::DeliverSmResp { message_id: "" },
        });
        Ok(())
    }

    /// Ends the session: unbind when bound (§4.2.1), and never reconnect. Submits still in
    /// flight may be answered until unbind_resp; what is left afterwards comes back from
    /// [`EsmeSession::take_unsent`].
    pub fn close(&mut self, now: u64) {
        self.closing = true;
        match self.state {
            SessionState::Bound => {
                let seq = self.seq.next();
                self.push_pdu(&Pdu {
                    sequence_number: seq,
                    command_status: CommandStatus::Ok,
                    body: PduBody::Unbind,
                });
                self.unbind = Some(Outstanding {
                    seq,
                    deadline: now.saturating_add(self.config.response_timeout_ms),
                });
                self.state = SessionState::Unbinding;
            }
            SessionState::Binding => self.disconnect(DisconnectReason::Closed, now),
            SessionState::Disconnected | SessionState::Unbinding => {}
        }
    }

    /// Removes and returns the tokens of submits that got no final answer and are not on the
    /// wire (after a disconnect that is all of them), in submission order.
    pub fn take_unsent(&mut self) -> Vec<u64> {
        self.queue.drain(..).map(|q| q.token).collect()
    }

    /// Octets to write to the SMSC: everything produced since the last call, coalesced into
    /// one buffer (one write per reactor tick).
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        if self.tx.is_empty() {
            None
        } else {
            Some(std::mem::take(&mut self.tx))
        }
    }

    /// The next event, in the order they happened.
    pub fn poll_event(&mut self) -> Option<EsmeEvent> {
        self.events.pop_front()
    }

    /// Appends an encoded PDU to the output. Our own PDUs are built from checked fields; should
    /// one still fail to encode, it is not sent (and the response timeout recovers).
    fn push_pdu(&mut self, pdu: &Pdu<'_>) {
        let encoded = pdu.encode(&mut self.tx);
        debug_assert!(encoded.is_ok(), "own PDU failed to encode: {encoded:?}");
    }

    /// Moves to Disconnected: in-flight submits go back to the queue (as resends), pending
    /// deliveries are forgotten (the SMSC redelivers them) and the reconnect is scheduled.
    fn disconnect(&mut self, reason: DisconnectReason, now: u64) {
        self.state = SessionState::Disconnected;
        self.rx.clear();
        self.bind = None;
        self.enquire = None;
        self.unbind = None;
        self.unacked.clear();
        self.paused_until = 0;
        let in_flight = std::mem::take(&mut self.in_flight);
        self.busy_dests.clear();
        for flight in in_flight {
            self.retry_or_give_up(flight.item, ResendReason::ConnectionLost);
        }
        if !self.closing {
            self.reconnect_at = now.saturating_add(self.backoff_ms);
            self.backoff_ms = self
                .backoff_ms
                .saturating_mul(2)
                .clamp(1, self.config.reconnect_backoff_max_ms.max(1));
        }
        self.events.push_back(EsmeEvent::Disconnected { reason });
    }
}

/// bind_transceiver (§4.1.5) with the configured credentials.
fn bind_pdu(config: &EsmeConfig, seq: u32) -> Pdu<'_> {
    Pdu {
        sequence_number: seq,
        command_status: CommandStatus::Ok,
        body: PduBody::BindTransceiver(Bind {
            system_id: &config.system_id,
            password: &config.password,
            system_type: &config.system_type,
            interface_version: 0x34,
            addr_ton: 0,
            addr_npi: 0,
            address_range: "",
        }),
    }
}

/// FNV-1a of the destination address: a collision only serialises two destinations.
fn dest_key(addr: &str) -> u64 {
    addr.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}
