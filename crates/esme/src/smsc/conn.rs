//! One SMPP connection of the simulator (SMPP 3.4 §2.2 session states, seen from the SMSC).
//!
//! Why the shared [`Smsc`] is passed into every call instead of being owned: the throttle,
//! the message-id counter and the records span connections (a throttle every 3rd submit means
//! every 3rd submit the *SMSC* sees), while each connection's buffers and windows are its own.
//! The TCP server keeps the `Smsc` behind a mutex; in-memory tests just borrow it.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use smartchat_smpp::{
    decode, BindResp, CommandId, CommandStatus, ErrorReply, MessageState, Pdu, PduBody, SmppError,
    SubmitSm, Tlvs,
};
use smartchat_sms::{decode_short_message, ConcatInfo, Payload, SeptetPacking, ESM_CLASS_UDHI};

use super::util::receipt_text;
use super::{OutKind, Outbound, Smsc};
use crate::frame::{patch_sequence, RxBuffer, SeqGen};

/// The kind of bind an ESME made (§4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BindMode {
    /// bind_transmitter: may submit, receives nothing.
    Transmitter,
    /// bind_receiver: receives deliver_sm, may not submit.
    Receiver,
    /// bind_transceiver: both.
    Transceiver,
}

impl BindMode {
    fn can_submit(self) -> bool {
        self != BindMode::Receiver
    }

    fn can_receive(self) -> bool {
        self != BindMode::Transmitter
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum ConnState {
    Open,
    Bound { mode: BindMode, system_id: String },
}

/// A deliver_sm due at `due`; ordered so that `BinaryHeap` pops the earliest (FIFO on ties).
#[derive(Debug)]
struct Scheduled {
    due: u64,
    order: u64,
    item: Outbound,
}

impl PartialEq for Scheduled {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Scheduled {}
impl PartialOrd for Scheduled {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Scheduled {
    fn cmp(&self, other: &Self) -> Ordering {
        (other.due, other.order).cmp(&(self.due, self.order))
    }
}

/// A deliver_sm on the wire.
#[derive(Debug)]
struct Sent {
    seq: u32,
    deadline: u64,
    item: Outbound,
}

/// The simulator's side of one connection (see the module docs).
#[derive(Debug)]
pub struct SmscConnection {
    state: ConnState,
    rx: RxBuffer,
    tx: Vec<u8>,
    seq: SeqGen,
    scheduled: BinaryHeap<Scheduled>,
    next_order: u64,
    outstanding: Vec<Sent>,
    closed: bool,
}

impl SmscConnection {
    /// A new, unbound connection.
    pub fn new(smsc: &mut Smsc) -> Self {
        smsc.counters_mut().connections += 1;
        SmscConnection {
            state: ConnState::Open,
            rx: RxBuffer::default(),
            tx: Vec::new(),
            seq: SeqGen::default(),
            scheduled: BinaryHeap::new(),
            next_order: 0,
            outstanding: Vec::new(),
            closed: false,
        }
    }

    /// The bind, once made.
    pub fn bound(&self) -> Option<(BindMode, &str)> {
        match &self.state {
            ConnState::Bound { mode, system_id } => Some((*mode, system_id)),
            ConnState::Open => None,
        }
    }

    /// Whether the connection should be closed once `poll_transmit` is drained (after unbind,
    /// a refused bind or a desynchronised stream).
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Octets to write, coalesced.
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        (!self.tx.is_empty()).then(|| std::mem::take(&mut self.tx))
    }

    /// When `on_timer` next has scheduled work. Injected MOs are not covered: call `on_timer`
    /// as well whenever [`Smsc::pending_mo`] is non-zero.
    pub fn next_deadline(&self) -> Option<u64> {
        let scheduled = self.scheduled.peek().map(|s| s.due);
        let sent = self.outstanding.iter().map(|s| s.deadline).min();
        scheduled.into_iter().chain(sent).min()
    }

    /// Octets received from the ESME.
    pub fn on_bytes(&mut self, smsc: &mut Smsc, bytes: &[u8], now: u64) {
        if self.closed {
            return;
        }
        let mut rx = std::mem::take(&mut self.rx);
        rx.push(bytes);
        // Bounded: each iteration consumes a PDU of at least 16 octets, or stops.
        while !self.closed {
            match rx.next_frame(smsc.config().max_pdu_len) {
                Ok(Some(frame)) => match decode(frame) {
                    Ok(pdu) => self.handle_pdu(smsc, &pdu, now),
                    Err(err) => self.on_decode_error(smsc, &err),
                },
                Ok(None) => break,
                Err(err) => self.on_decode_error(smsc, &err),
            }
        }
        self.rx = rx;
        self.on_timer(smsc, now);
    }

    /// Sends due receipts and MOs (window permitting), takes injected MOs, and redelivers
    /// deliver_sm whose response timed out.
    pub fn on_timer(&mut self, smsc: &mut Smsc, now: u64) {
        if self.closed {
            return;
        }
        let mut index = 0;
        while index < self.outstanding.len() {
            if self.outstanding[index].deadline <= now {
                let sent = self.outstanding.swap_remove(index);
                smsc.counters_mut().deliver_timeouts += 1;
                self.retry_later(smsc, sent.item, now);
            } else {
                index += 1;
            }
        }
        let Some((mode, _)) = self.bound() else {
            return;
        };
        if !mode.can_receive() {
            return;
        }
        let window = smsc.config().deliver_window;
        while self.outstanding.len() < window {
            let item = match self.scheduled.peek() {
                Some(next) if next.due <= now => self.scheduled.pop().map(|s| s.item),
                _ => smsc.take_mo(),
            };
            let Some(item) = item else { break };
            self.send_deliver(smsc, item, now);
        }
    }

    /// The transport is gone: unanswered MOs go back to the simulator for another connection.
    pub fn on_disconnected(&mut self, smsc: &mut Smsc) {
        self.closed = true;
        let sent = std::mem::take(&mut self.outstanding)
            .into_iter()
            .map(|s| s.item);
        let scheduled = std::mem::take(&mut self.scheduled)
            .into_iter()
            .map(|s| s.item);
        for item in sent.chain(scheduled) {
            match item.kind {
                OutKind::Mo => smsc.return_mo(item),
                OutKind::Receipt => smsc.counters_mut().deliveries_dropped += 1,
            }
        }
    }

    fn send_deliver(&mut self, smsc: &mut Smsc, mut item: Outbound, now: u64) {
        if item.attempts == 0 {
            let counters = smsc.counters_mut();
            match item.kind {
                OutKind::Receipt => counters.receipts_sent += 1,
                OutKind::Mo => counters.mo_sent += 1,
            }
        }
        item.attempts += 1;
        let seq = self.seq.next();
        patch_sequence(&mut item.pdu, seq);
        self.tx.extend_from_slice(&item.pdu);
        self.outstanding.push(Sent {
            seq,
            deadline: now.saturating_add(smsc.config().response_timeout_ms),
            item,
        });
    }

    fn retry_later(&mut self, smsc: &mut Smsc, item: Outbound, now: u64) {
        if item.attempts >= smsc.config().max_deliver_attempts {
            smsc.counters_mut().deliveries_dropped += 1;
            return;
        }
        let due = now.saturating_add(smsc.config().redeliver_delay_ms);
        self.schedule(smsc, item, due);
    }

    fn schedule(&mut self, smsc: &mut Smsc, item: Outbound, due: u64) {
        if self.scheduled.len() >= smsc.config().max_scheduled {
            smsc.counters_mut().deliveries_dropped += 1;
            return;
        }
        let order = self.next_order;
        self.next_order += 1;
        self.scheduled.push(Scheduled { due, order, item });
    }

    fn push_pdu(&mut self, pdu: &Pdu<'_>) {
        let encoded = pdu.encode(&mut self.tx);
        debug_assert!(encoded.is_ok(), "own PDU failed to encode: {encoded:?}");
    }

    fn refuse(&mut self, smsc: &mut Smsc, request: CommandId, seq: u32, status: CommandStatus) {
        smsc.counters_mut().nacks_sent += 1;
        let reply = ErrorReply {
            command_id: request.response().unwrap_or(CommandId::GenericNack),
            sequence_number: seq,
            command_status: status,
        };
        self.push_pdu(&reply.to_pdu());
    }

    fn on_decode_error(&mut self, smsc: &mut Smsc, err: &SmppError) {
        if let Some(reply) = err.reply() {
            smsc.counters_mut().nacks_sent += 1;
            self.push_pdu(&reply.to_pdu());
        }
        if err.desynchronises_stream() {
            self.closed = true;
        }
    }

    fn handle_pdu(&mut self, smsc: &mut Smsc, pdu: &Pdu<'_>, now: u64) {
        let seq = pdu.sequence_number;
        match &pdu.body {
            PduBody::BindTransmitter(bind) => self.on_bind(smsc, seq, BindMode::Transmitter, bind),
            PduBody::BindReceiver(bind) => self.on_bind(smsc, seq, BindMode::Receiver, bind),
            PduBody::BindTransceiver(bind) => self.on_bind(smsc, seq, BindMode::Transceiver, bind),
            PduBody::SubmitSm(sm) => self.on_submit(smsc, seq, sm, now),
            PduBody::DeliverSmResp { .. } | PduBody::GenericNack => {
                self.on_deliver_resp(smsc, seq, pdu.command_status, now);
            }
            PduBody::EnquireLink => {
                smsc.counters_mut().enquire_links += 1;
                self.push_pdu(&Pdu {
                    sequence_number: seq,
                    command_status: CommandStatus::Ok,
                    body: PduBody::EnquireLinkResp,
                });
            }
            PduBody::Unbind => {
                smsc.counters_mut().unbinds += 1;
                self.push_pdu(&Pdu {
                    sequence_number: seq,
                    command_status: CommandStatus::Ok,
                    body: PduBody::UnbindResp,
                });
                self.closed = true;
            }
            PduBody::DeliverSm(_) | PduBody::Outbind { .. } => {
                self.refuse(smsc, pdu.command_id(), seq, CommandStatus::InvCmdId);
            }
            // Responses to requests this side never sends are dropped, never answered.
            PduBody::BindTransceiverResp(_)
            | PduBody::BindTransmitterResp(_)
            | PduBody::BindReceiverResp(_)
            | PduBody::SubmitSmResp { .. }
            | PduBody::EnquireLinkResp
            | PduBody::UnbindResp => {}
        }
    }

    fn on_bind(
        &mut self,
        smsc: &mut Smsc,
        seq: u32,
        mode: BindMode,
        bind: &smartchat_smpp::Bind<'_>,
    ) {
        let request = match mode {
            BindMode::Transmitter => CommandId::BindTransmitter,
            BindMode::Receiver => CommandId::BindReceiver,
            BindMode::Transceiver => CommandId::BindTransceiver,
        };
        if self.state != ConnState::Open {
            return self.refuse(smsc, request, seq, CommandStatus::AlyBnd);
        }
        let accounts = &smsc.config().accounts;
        let allowed = accounts.is_empty()
            || accounts
                .iter()
                .any(|a| a.system_id == bind.system_id && a.password == bind.password);
        if !allowed {
            smsc.counters_mut().bind_failures += 1;
            self.refuse(smsc, request, seq, CommandStatus::BindFail);
            self.closed = true;
            return;
        }
        smsc.counters_mut().binds += 1;
        let resp = BindResp {
            system_id: &smsc.config().system_id,
            sc_interface_version: Some(0x34),
        };
        let body = match mode {
            BindMode::Transmitter => PduBody::BindTransmitterResp(resp),
            BindMode::Receiver => PduBody::BindReceiverResp(resp),
            BindMode::Transceiver => PduBody::BindTransceiverResp(resp),
        };
        let encoded = Pdu {
            sequence_number: seq,
            command_status: CommandStatus::Ok,
            body,
        }
        .encode(&mut self.tx);
        debug_assert!(encoded.is_ok());
        self.state = ConnState::Bound {
            mode,
            system_id: bind.system_id.to_owned(),
        };
    }

    fn on_submit(&mut self, smsc: &mut Smsc, seq: u32, sm: &SubmitSm<'_>, now: u64) {
        let (mode, system_id) = match &self.state {
            ConnState::Bound { mode, system_id } if mode.can_submit() => (*mode, system_id.clone()),
            _ => return self.refuse(smsc, CommandId::SubmitSm, seq, CommandStatus::InvBndSts),
        };
        let decoded = decode_submitted(sm);
        let text = decoded.0.clone();
        let message_id = match smsc.accept_submit(&system_id, sm, decoded, now) {
            Ok(id) => id,
            Err(status) => return self.refuse(smsc, CommandId::SubmitSm, seq, status),
        };
        self.push_pdu(&Pdu {
            sequence_number: seq,
            command_status: CommandStatus::Ok,
            body: PduBody::SubmitSmResp {
                message_id: &message_id,
            },
        });
        let due = now.saturating_add(smsc.config().receipt_delay_ms);
        let text = text.unwrap_or_default();
        // §5.2.17 bits 1–0: 01 = receipt on success or failure (10 = failure only: none here).
        if sm.registered_delivery & 0x03 == 0x01 {
            if mode.can_receive() {
                let receipt = receipt_pdu(sm, &message_id, now, due, &text);
                self.schedule(smsc, receipt, due);
            } else {
                smsc.counters_mut().deliveries_dropped += 1;
            }
        }
        if let Some(rest) = text.strip_prefix("echo ").filter(|_| smsc.config().echo_mo) {
            let reply = format!("MO reply: {rest}");
            if let Ok(parts) = smsc.build_mo(sm.dest.addr, sm.source.addr, &reply) {
                for part in parts {
                    if mode.can_receive() {
                        self.schedule(smsc, part, due);
                    } else if smsc.pending_mo() < smsc.config().max_mo_queue {
                        smsc.return_mo(part);
                    }
                }
            }
        }
    }

    fn on_deliver_resp(&mut self, smsc: &mut Smsc, seq: u32, status: CommandStatus, now: u64) {
        let Some(index) = self.outstanding.iter().position(|s| s.seq == seq) else {
            return;
        };
        let sent = self.outstanding.swap_remove(index);
        smsc.counters_mut().deliver_sm_resp += 1;
        if status.is_ok() {
            return;
        }
        if status.is_temporary() {
            self.retry_later(smsc, sent.item, now);
        } else {
            smsc.counters_mut().deliveries_dropped += 1;
        }
    }
}

/// The submitted text (UDH stripped, decoded per data_coding) and its concatenation info.
fn decode_submitted(sm: &SubmitSm<'_>) -> (Option<String>, Option<ConcatInfo>) {
    let data = sm.tlvs.message_payload.unwrap_or(sm.short_message);
    let udhi = sm.esm_class & ESM_CLASS_UDHI != 0;
    let sar = match (
        sm.tlvs.sar_msg_ref_num,
        sm.tlvs.sar_total_segments,
        sm.tlvs.sar_segment_seqnum,
    ) {
        (Some(reference), Some(total), Some(seq)) => Some(ConcatInfo {
            reference,
            total,
            seq,
        }),
        _ => None,
    };
    match decode_short_message(sm.data_coding, data, udhi, SeptetPacking::Unpacked) {
        Ok(part) => {
            let text = match part.payload {
                Payload::Text(text) => Some(text),
                Payload::Binary(_) => None,
            };
            (text, part.concat.or(sar))
        }
        Err(_) => (None, sar),
    }
}

/// The receipt deliver_sm (§4.6.1 with esm_class 0x04, Appendix B text, receipted_message_id
/// and message_state TLVs) for an accepted submit: from its destination back to its source.
fn receipt_pdu(
    sm: &SubmitSm<'_>,
    message_id: &str,
    submit_ms: u64,
    done_ms: u64,
    text: &str,
) -> Outbound {
    let body = receipt_text(message_id, submit_ms, done_ms, text);
    let pdu = Pdu {
        sequence_number: 0,
        command_status: CommandStatus::Ok,
        body: PduBody::DeliverSm(SubmitSm {
            service_type: "",
            source: sm.dest,
            dest: sm.source,
            esm_class: 0x04,
            protocol_id: 0,
            priority_flag: 0,
            schedule_delivery_time: "",
            validity_period: "",
            registered_delivery: 0,
            replace_if_present_flag: 0,
            data_coding: 0,
            sm_default_msg_id: 0,
            short_message: body.as_bytes(),
            tlvs: Tlvs {
                receipted_message_id: Some(message_id),
                message_state: Some(MessageState::Delivered),
                ..Tlvs::default()
            },
        }),
    };
    let mut bytes = Vec::new();
    let encoded = pdu.encode(&mut bytes);
    debug_assert!(encoded.is_ok(), "receipt failed to encode: {encoded:?}");
    Outbound {
        kind: OutKind::Receipt,
        pdu: bytes,
        attempts: 0,
    }
}
