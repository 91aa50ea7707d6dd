//! Store-and-forward to SMS and back (claims C3, C8, C9), sans-IO: the glue between the SIP
//! service, the relay core (`smartchat-relay`), the ESME session (`smartchat-esme`) and the
//! per-shard WAL (`smartchat-wal`, its sans-IO half).
//!
//! Durability is data here, not habit: every relay [`Ready`] is queued with a sequence number;
//! its records are appended to the WAL with that number as the token; its actions (the SIP 202,
//! the deliver_sm_resp, the submit_sm, the IM) run only when the WAL reports that token durable
//! — and, per the relay's rule, only after every earlier Ready is durable too.
//!
//! Routing between shards: a receipt or an MO is about a *phone*; the phone's MSISDN is indexed
//! on the shard `msisdn_owner(msisdn)`, which names the subscriber, whose owner shard holds the
//! relay state (conversations, messages to that phone). An IM produced from an SMS goes to the
//! recipient's owner shard, which decides online / held / SMS from presence.

use super::io::{Outputs, ShardMsg};
use super::routing::owner;
use super::{ClientContext, ShardService};
use smartchat_esme::{DeliverSeq, EsmeEvent, EsmeSession, OwnedAddress, SubmitRequest};
use smartchat_relay::{
    Action, DeliverIm, DeliverSmRef, ImOutcome, ImRequest, MobileOriginated, Ready, RelayError,
    RelayShard, SessionId, SubmitFailure,
};
use smartchat_smpp::{CommandStatus, MessageState};
use smartchat_sms::{ConcatInfo, Reassembler, ReceiptStat, SeptetPacking};
use smartchat_wal::{Durable, Lsn, Wal};
use std::collections::{HashMap, VecDeque};

/// WAL record kind of a relay record.
pub const RECORD_KIND_RELAY: u8 = <smartchat_relay::Record as smartchat_wal::RecordSchema>::KIND;
/// Pending multi-part MOs per shard, and how long a part waits for its siblings.
const MO_REASSEMBLY_PENDING: usize = 10_000;
const MO_REASSEMBLY_AGE_MS: u64 = 5 * 60 * 1000;
/// Checkpoints are at least this far apart (ms).
const CHECKPOINT_MIN_INTERVAL_MS: u64 = 5_000;
/// Relay Readies waiting for durability; beyond it new SMS work is refused (503).
const MAX_PENDING_READIES: usize = 100_000;

/// An SMS-side event travelling to the shard that owns the phone.
#[derive(Debug, Clone)]
pub enum SmsIn {
    Receipt {
        smsc_message_id: String,
        stat: ReceiptStat,
    },
    Mo {
        dest: String,
        text: String,
    },
}

/// Where an SMS-side event is in its journey (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SmsStage {
    /// On its way to the shard indexing the phone's MSISDN.
    Index,
    /// On its way to the subscriber's shard (None: the number is no subscriber).
    Owner { sender_aor: Option<String> },
}

/// The SMS half of a shard's state.
pub struct SmsState {
    pub(crate) relay: RelayShard,
    pub(crate) esme: EsmeSession,
    pub(crate) wal: Wal<u64>,
    /// Readies in order: (sequence, has records, actions).
    pending: VecDeque<(u64, bool, Vec<Action>)>,
    next_ready: u64,
    /// The MESSAGE each Ack202 answers: id → (request bytes, reply path).
    pub(crate) awaiting_202: HashMap<u64, (Vec<u8>, super::io::ReplyPath)>,
    /// WAL records of each message, marked final with it.
    lsns: HashMap<u64, Vec<Lsn>>,
    /// WAL records of conversation assignments: superseded by the next checkpoint.
    conv_lsns: Vec<Lsn>,
    /// A checkpoint being made durable: its Ready sequence and the records it supersedes.
    checkpoint: Option<(u64, Vec<Lsn>)>,
    last_checkpoint_ms: u64,
    reassembler: Reassembler,
    /// Recovery actions held until the ESME is bound.
    recovered: Option<Ready>,
}

impl SmsState {
    pub fn new(
        relay: RelayShard,
        esme: EsmeSession,
        wal: Wal<u64>,
        recovered: Ready,
        lsns: HashMap<u64, Vec<Lsn>>,
        conv_lsns: Vec<Lsn>,
    ) -> Self {
        Self {
            relay,
            esme,
            wal,
            pending: VecDeque::new(),
            next_ready: 1,
            awaiting_202: HashMap::new(),
            lsns,
            conv_lsns,
            checkpoint: None,
            last_checkpoint_ms: 0,
            reassembler: Reassembler::new(MO_REASSEMBLY_PENDING, MO_REASSEMBLY_AGE_MS),
            recovered: (!recovered.is_empty()).then_some(recovered),
        }
    }

    /// True when new SMS work should be refused (WAL nearly full or too much unsynced work).
    pub fn is_full(&self) -> bool {
        let cfg = self.wal.config();
        self.pending.len() >= MAX_PENDING_READIES
            || self.wal.live_segments() + 1 >= cfg.max_segments
    }
}

impl ShardService {
    pub(crate) fn relay_now(&self, now: u64) -> u64 {
        self.wall_base_ms + now
    }

    /// Queues a relay Ready: records to the WAL, actions behind them.
    pub(crate) fn submit_ready(&mut self, ready: Ready, now: u64, out: &mut Outputs) {
        if ready.is_empty() {
            return;
        }
        let Some(sms) = self.sms.as_mut() else { return };
        let has_records = !ready.persist.is_empty();
        if !has_records && sms.pending.is_empty() {
            self.run_actions(ready.after_persist, now, out);
            return;
        }
        let seq = sms.next_ready;
        sms.next_ready += 1;
        let now_us = now.saturating_mul(1000);
        let mut refused = None;
        for record in &ready.persist {
            // Serialised straight into the WAL's reused scratch, behind the schema tag.
            match sms.wal.append_typed(record, seq, now_us) {
                Ok(lsn) => match record.message_id() {
                    Some(id) => sms.lsns.entry(id).or_default().push(lsn),
                    // Conversation records carry no message: the next checkpoint supersedes them.
                    None => sms.conv_lsns.push(lsn),
                },
                Err(e) => {
                    refused = Some(e);
                    break;
                }
            }
        }
        if let Some(e) = refused {
            // Not durable, so nothing of this Ready may leave: refuse what it would have acked.
            tracing::warn!(shard = self.id, error = %e, "WAL refused a record; refusing the request");
            self.refuse(ready.after_persist, now, out);
            return;
        }
        sms.pending
            .push_back((seq, has_records, ready.after_persist));
        out.wal_pending = true;
    }

    /// The WAL's next batch to write (the runtime commits it with one write + fdatasync).
    pub fn wal_flush(&mut self, now: u64) -> Option<smartchat_wal::Batch<u64>> {
        let sms = self.sms.as_mut()?;
        sms.wal.flush(now.saturating_mul(1000)).map(|r| r.write)
    }

    /// A batch is durable: release the actions of every Ready it completes, in order.
    pub fn on_wal_durable(&mut self, durable: Durable<u64>, now: u64) -> Outputs {
        let mut out = Outputs::default();
        let Some(sms) = self.sms.as_mut() else {
            return out;
        };
        let tokens = sms.wal.on_durable(durable);
        let Some(&through) = tokens.iter().max() else {
            return out;
        };
        let mut ready_actions = Vec::new();
        while let Some((seq, has_records, _)) = sms.pending.front() {
            if *seq <= through || !has_records {
                if let Some((_, _, actions)) = sms.pending.pop_front() {
                    ready_actions.extend(actions);
                }
            } else {
                break;
            }
        }
        if sms
            .checkpoint
            .as_ref()
            .is_some_and(|(seq, _)| *seq <= through)
        {
            if let Some((_, superseded)) = sms.checkpoint.take() {
                for lsn in superseded {
                    let _ = sms.wal.mark_final(lsn);
                }
            }
        }
        let reclaim = sms.wal.take_reclaimable();
        out.wal_reclaim.extend(reclaim);
        self.run_actions(ready_actions, now, &mut out);
        self.drain_esme(now, &mut out);
        out
    }

    /// A batch could not be written: nothing in it was acknowledged; tell the senders.
    pub fn on_wal_failed(&mut self, tokens: Vec<u64>, now: u64) -> Outputs {
        let mut out = Outputs::default();
        let Some(sms) = self.sms.as_mut() else {
            return out;
        };
        let mut dropped = Vec::new();
        sms.pending.retain(|(seq, _, actions)| {
            if tokens.contains(seq) {
                dropped.extend(actions.iter().cloned());
                false
            } else {
                true
            }
        });
        self.refuse(dropped, now, &mut out);
        out
    }

    /// Answers what a Ready that could not be made durable would have acknowledged: 503 to the
    /// SIP sender, ESME_RMSGQFUL to the SMSC (which retries the deliver_sm later).
    fn refuse(&mut self, actions: Vec<Action>, now: u64, out: &mut Outputs) {
        for action in actions {
            match action {
                Action::Ack202 { id } => {
                    let pending = self.sms.as_mut().and_then(|s| s.awaiting_202.remove(&id));
                    if let Some((bytes, reply)) = pending {
                        if let Ok(msg) = smartchat_sip::parse_datagram(&bytes) {
                            let response = super::outbound::response(
                                &msg,
                                503,
                                "Service Unavailable (storage)",
                                None,
                                &[("Retry-After", "5")],
                                None,
                            );
                            super::handlers::finish(self, &msg, &reply, response, now, out);
                        }
                    }
                }
                Action::AckDeliverSm(r) => self.ack_deliver(r, CommandStatus::MsgQFul, out),
                _ => {}
            }
        }
    }

    fn run_actions(&mut self, actions: Vec<Action>, now: u64, out: &mut Outputs) {
        for action in actions {
            match action {
                Action::Ack202 { id } => self.ack_202(id, now, out),
                Action::AckDeliverSm(r) => self.ack_deliver(r, CommandStatus::Ok, out),
                Action::Submit(submit) => {
                    for part in submit.parts {
                        let token = (submit.id << 8) | u64::from(part.part);
                        let request = SubmitRequest {
                            source: OwnedAddress {
                                ton: 0,
                                npi: 1,
                                addr: part.source.clone(),
                            },
                            dest: OwnedAddress::international(part.dest.trim_start_matches('+')),
                            esm_class: part.esm_class,
                            registered_delivery: part.registered_delivery,
                            data_coding: part.data_coding,
                            short_message: part.short_message.clone(),
                            ..SubmitRequest::default()
                        };
                        let relay_now = self.relay_now(now);
                        let Some(sms) = self.sms.as_mut() else { return };
                        if let Err(e) = sms.esme.submit(token, &request, now) {
                            tracing::info!(shard = self.id, id = submit.id, error = %e, "submit deferred");
                            let ready = sms.relay.on_submit_failed(
                                submit.id,
                                part.part,
                                SubmitFailure::Temporary,
                                relay_now,
                            );
                            self.submit_ready(ready, now, out);
                        }
                    }
                }
                Action::DeliverIm(im) => {
                    let target = owner(&self.map, &im.to);
                    let msg = ShardMsg::DeliverIm {
                        im,
                        origin: self.id,
                    };
                    if target == self.id {
                        let more = self.on_deliver_im(msg, now);
                        out.merge(more);
                    } else {
                        out.to_shard(target, msg);
                    }
                }
                Action::SendImdn {
                    to,
                    original_message_id,
                    status,
                } => {
                    let body = imdn_body(&to, &original_message_id, status, self.wall_secs(now));
                    self.notify_user(&to, "message/cpim", body, now, out);
                }
                Action::Notice { to, text } => self.notify_user(&to, "text/plain", text, now, out),
                Action::HelpSuppressed { msisdn } => {
                    tracing::info!(shard = self.id, %msisdn, "help SMS suppressed (rate)");
                }
                Action::Final { id } => {
                    if let Some(sms) = self.sms.as_mut() {
                        for lsn in sms.lsns.remove(&id).unwrap_or_default() {
                            let _ = sms.wal.mark_final(lsn);
                        }
                        out.wal_reclaim.extend(sms.wal.take_reclaimable());
                    }
                }
            }
        }
    }

    fn ack_202(&mut self, id: u64, now: u64, out: &mut Outputs) {
        let Some((bytes, reply)) = self.sms.as_mut().and_then(|s| s.awaiting_202.remove(&id))
        else {
            return; // recovered after a restart: the sender was never told, and that is fine
        };
        if let Ok(msg) = smartchat_sip::parse_datagram(&bytes) {
            let tag = self.new_tag();
            let response = super::outbound::response(&msg, 202, "Accepted", Some(&tag), &[], None);
            self.count(|c| &c.sip_out_2xx);
            super::handlers::finish(self, &msg, &reply, response, now, out);
        }
    }

    /// deliver_sm_resp, on the shard whose session received the deliver_sm.
    fn ack_deliver(&mut self, r: DeliverSmRef, status: CommandStatus, out: &mut Outputs) {
        let (shard, seq) = deliver_seq(r);
        if shard == self.id {
            if let Some(sms) = self.sms.as_mut() {
                if let Err(e) = sms.esme.ack_deliver(seq, status) {
                    tracing::info!(shard = self.id, error = %e, "deliver_sm ack not sent");
                }
            }
        } else {
            out.to_shard(shard, ShardMsg::AckDeliverSm { seq, status });
        }
    }

    pub(crate) fn on_ack_deliver(
        &mut self,
        seq: DeliverSeq,
        status: CommandStatus,
        now: u64,
    ) -> Outputs {
        let mut out = Outputs::default();
        if let Some(sms) = self.sms.as_mut() {
            if let Err(e) = sms.esme.ack_deliver(seq, status) {
                tracing::info!(shard = self.id, error = %e, "deliver_sm ack not sent");
            }
        }
        self.drain_esme(now, &mut out);
        out
    }

    /// An IM to a mobile (or unreachable, with service) user: into the relay.
    /// An error is the SIP response the caller sends instead (e.g. SMS refused).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn im_to_sms(
        &mut self,
        msg: &smartchat_sip::SipMessage<'_>,
        bytes: &[u8],
        reply: &super::io::ReplyPath,
        to_aor: &str,
        msisdn: &str,
        now: u64,
        out: &mut Outputs,
    ) -> Result<(), (u16, String)> {
        let relay_now = self.relay_now(now);
        let sms = self.sms_with_room()?;
        let request = im_request(msg, to_aor);
        match sms.relay.accept_im_for_sms(request, msisdn, relay_now) {
            Ok(ready) => {
                self.accept_ready(ready, bytes, reply, now, out);
                Ok(())
            }
            Err(RelayError::RateLimited { retry_after_s }) => Err((
                503,
                format!("Service Unavailable (SMS rate limit; retry in {retry_after_s}s)"),
            )),
            Err(RelayError::TextTooLong { .. }) => Err((513, "Message Too Large".into())),
            Err(e) => Err((503, format!("Service Unavailable ({e})"))),
        }
    }

    /// The SMS state, if it can take new work: the error is the SIP answer when it cannot.
    fn sms_with_room(&mut self) -> Result<&mut SmsState, (u16, String)> {
        let Some(sms) = self.sms.as_mut() else {
            return Err((480, "Temporarily Unavailable".into()));
        };
        if sms.is_full() {
            return Err((503, "Service Unavailable (store full)".into()));
        }
        Ok(sms)
    }

    /// Queues a Ready that answers a MESSAGE: its Ack202 will answer `bytes` on `reply`.
    fn accept_ready(
        &mut self,
        ready: Ready,
        bytes: &[u8],
        reply: &super::io::ReplyPath,
        now: u64,
        out: &mut Outputs,
    ) {
        if let Some(sms) = self.sms.as_mut() {
            for action in &ready.after_persist {
                if let Action::Ack202 { id } = action {
                    sms.awaiting_202
                        .insert(*id, (bytes.to_vec(), reply.clone()));
                }
            }
        }
        self.submit_ready(ready, now, out);
    }

    /// Holds an IM for an offline user without the service (delivered on REGISTER).
    pub(crate) fn hold_im(
        &mut self,
        msg: &smartchat_sip::SipMessage<'_>,
        bytes: &[u8],
        reply: &super::io::ReplyPath,
        to_aor: &str,
        now: u64,
        out: &mut Outputs,
    ) -> Result<(), (u16, String)> {
        let relay_now = self.relay_now(now);
        let sms = self.sms_with_room()?;
        match sms.relay.hold_im(im_request(msg, to_aor), relay_now) {
            Ok(ready) => {
                self.accept_ready(ready, bytes, reply, now, out);
                Ok(())
            }
            Err(e) => Err((480, format!("Temporarily Unavailable ({e})"))),
        }
    }

    /// A user came online somewhere: release what this shard holds for them.
    pub(crate) fn on_user_online(&mut self, aor: &str, now: u64, out: &mut Outputs) {
        let relay_now = self.relay_now(now);
        if let Some(sms) = self.sms.as_mut() {
            let ready = sms.relay.on_register(aor, relay_now);
            self.submit_ready(ready, now, out);
        }
    }

    /// Every ESME call is followed by this: bytes to the SMSC, events into the relay.
    pub(crate) fn drain_esme(&mut self, now: u64, out: &mut Outputs) {
        for _ in 0..10_000 {
            let Some(sms) = self.sms.as_mut() else { return };
            while let Some(bytes) = sms.esme.poll_transmit() {
                out.smsc.extend_from_slice(&bytes);
            }
            let Some(event) = sms.esme.poll_event() else {
                return;
            };
            self.on_esme_event(event, now, out);
        }
    }

    fn on_esme_event(&mut self, event: EsmeEvent, now: u64, out: &mut Outputs) {
        let relay_now = self.relay_now(now);
        match event {
            EsmeEvent::Bound { smsc_system_id } => {
                tracing::info!(shard = self.id, smsc = %smsc_system_id, "bound to the SMSC");
                if let Some(ready) = self.sms.as_mut().and_then(|s| s.recovered.take()) {
                    self.submit_ready(ready, now, out);
                }
            }
            EsmeEvent::BindFailed { status } => {
                tracing::error!(shard = self.id, ?status, "SMSC refused the bind")
            }
            EsmeEvent::Submitted { token, message_id } => {
                let Some(sms) = self.sms.as_mut() else { return };
                match sms.relay.on_submitted(
                    token >> 8,
                    (token & 0xff) as u8,
                    &message_id,
                    relay_now,
                ) {
                    Ok(ready) => self.submit_ready(ready, now, out),
                    Err(e) => {
                        tracing::warn!(shard = self.id, error = %e, "submit_sm_resp not applied")
                    }
                }
            }
            EsmeEvent::SubmitFailed {
                token,
                status,
                permanent,
            } => {
                let failure = if permanent {
                    SubmitFailure::Permanent {
                        command_status: status.into(),
                    }
                } else if matches!(status, CommandStatus::Throttled | CommandStatus::MsgQFul) {
                    SubmitFailure::Throttled
                } else {
                    SubmitFailure::Temporary
                };
                let Some(sms) = self.sms.as_mut() else { return };
                let ready = sms.relay.on_submit_failed(
                    token >> 8,
                    (token & 0xff) as u8,
                    failure,
                    relay_now,
                );
                self.submit_ready(ready, now, out);
            }
            EsmeEvent::SubmitTimedOut { token, attempts } => {
                tracing::warn!(
                    shard = self.id,
                    token,
                    attempts,
                    "submit_sm unanswered; retrying later (a duplicate is possible)"
                );
                let Some(sms) = self.sms.as_mut() else { return };
                let ready = sms.relay.on_submit_failed(
                    token >> 8,
                    (token & 0xff) as u8,
                    SubmitFailure::Temporary,
                    relay_now,
                );
                self.submit_ready(ready, now, out);
            }
            EsmeEvent::Resent { token, reason } => {
                tracing::info!(
                    shard = self.id,
                    token,
                    ?reason,
                    "submit_sm resent; the SMSC may see a duplicate"
                );
            }
            EsmeEvent::Throttled { .. } => self.count(|c| &c.sms_throttled),
            EsmeEvent::DeliveryReceipt {
                seq,
                receipted_message_id,
                message_state,
                receipt_text,
                source,
                ..
            } => {
                let stat = message_state
                    .map(stat_of)
                    .or_else(|| {
                        receipt_text
                            .as_deref()
                            .and_then(|t| smartchat_sms::parse_receipt(t).ok())
                            .map(|r| r.stat.clone())
                    })
                    .unwrap_or(ReceiptStat::Unknown);
                let event = SmsIn::Receipt {
                    smsc_message_id: receipted_message_id,
                    stat,
                };
                self.route_sms_in(event, source, self.deliver_ref(seq), now, out);
            }
            EsmeEvent::MobileOriginated {
                seq,
                source,
                dest,
                data_coding,
                short_message,
                concat,
                ..
            } => {
                let text = smartchat_sms::decode_text(
                    data_coding,
                    &short_message,
                    SeptetPacking::Unpacked,
                )
                .unwrap_or_else(|_| String::from_utf8_lossy(&short_message).into_owned());
                let text = match concat {
                    None => Some(text),
                    Some(info) => self.reassemble(&source, &dest, info, text, now),
                };
                match text {
                    Some(text) => {
                        let event = SmsIn::Mo { dest, text };
                        self.route_sms_in(event, source, self.deliver_ref(seq), now, out);
                    }
                    // A part of a longer SMS: acknowledge it; the last part carries the message.
                    None => self.ack_deliver(self.deliver_ref(seq), CommandStatus::Ok, out),
                }
            }
            EsmeEvent::Disconnected { reason } => {
                tracing::warn!(shard = self.id, ?reason, "SMSC session down")
            }
        }
    }

    fn reassemble(
        &mut self,
        source: &str,
        dest: &str,
        info: ConcatInfo,
        text: String,
        now: u64,
    ) -> Option<String> {
        let key = format!("{source}>{dest}");
        let sms = self.sms.as_mut()?;
        sms.reassembler.push(&key, info, text, now).ok().flatten()
    }

    fn deliver_ref(&self, seq: DeliverSeq) -> DeliverSmRef {
        deliver_ref(self.id, seq)
    }

    /// Sends an SMS-side event towards the phone's subscriber shard (module docs).
    fn route_sms_in(
        &mut self,
        event: SmsIn,
        msisdn: String,
        ack: DeliverSmRef,
        now: u64,
        out: &mut Outputs,
    ) {
        let msisdn = normalise_msisdn(&msisdn);
        let index_shard = usize::from(self.map.msisdn_owner(&msisdn).0);
        let msg = ShardMsg::SmsIn {
            event,
            msisdn,
            ack,
            stage: SmsStage::Index,
        };
        if index_shard == self.id {
            let more = self.on_sms_in(msg, now);
            out.merge(more);
        } else {
            out.to_shard(index_shard, msg);
        }
    }

    pub(crate) fn on_sms_in(&mut self, msg: ShardMsg, now: u64) -> Outputs {
        let mut out = Outputs::default();
        let ShardMsg::SmsIn {
            event,
            msisdn,
            ack,
            stage,
        } = msg
        else {
            return out;
        };
        match stage {
            SmsStage::Index => {
                let sender_aor = self
                    .presence
                    .lookup_msisdn(&msisdn)
                    .ok()
                    .flatten()
                    .map(str::to_owned);
                let target = sender_aor
                    .as_deref()
                    .map_or(self.id, |aor| owner(&self.map, aor));
                let next = ShardMsg::SmsIn {
                    event,
                    msisdn,
                    ack,
                    stage: SmsStage::Owner { sender_aor },
                };
                if target == self.id {
                    return self.on_sms_in(next, now);
                }
                out.to_shard(target, next);
            }
            SmsStage::Owner { sender_aor } => {
                let relay_now = self.relay_now(now);
                let Some(sms) = self.sms.as_mut() else {
                    return out;
                };
                let ready = match event {
                    SmsIn::Receipt {
                        smsc_message_id,
                        stat,
                    } => sms
                        .relay
                        .on_receipt(&smsc_message_id, &stat, ack, relay_now),
                    SmsIn::Mo { dest, text } => {
                        let mo = MobileOriginated {
                            source_msisdn: msisdn.clone(),
                            sender_aor,
                            dest_address: dest,
                            text,
                            deliver_sm: ack,
                        };
                        match sms.relay.on_mobile_originated(mo, relay_now) {
                            Ok(ready) => ready,
                            Err(e) => {
                                tracing::warn!(shard = self.id, %msisdn, error = %e, "MO refused; SMSC will retry");
                                self.ack_deliver(ack, CommandStatus::MsgQFul, &mut out);
                                return out;
                            }
                        }
                    }
                };
                self.submit_ready(ready, now, &mut out);
            }
        }
        self.drain_esme(now, &mut out);
        out
    }

    /// An IM made from an SMS, on the recipient's shard: deliver by presence, report back.
    pub(crate) fn on_deliver_im(&mut self, msg: ShardMsg, now: u64) -> Outputs {
        let mut out = Outputs::default();
        let ShardMsg::DeliverIm { im, origin } = msg else {
            return out;
        };
        let outcome = match self.presence.route_message(&im.to, now) {
            Ok(smartchat_core::RouteDecision::DeliverOnline { contacts }) => {
                if super::routing::send_im(self, &im, contacts, origin, now, &mut out) {
                    return out; // the outcome follows the transaction
                }
                ImOutcome::Offline
            }
            Ok(smartchat_core::RouteDecision::Mobile { msisdn }) => ImOutcome::Mobile { msisdn },
            Ok(smartchat_core::RouteDecision::OfflineNoService) => ImOutcome::Offline,
            Ok(smartchat_core::RouteDecision::UnknownUser) | Err(_) => ImOutcome::NoSuchUser,
        };
        self.im_outcome(im.id, origin, outcome, now, &mut out);
        out
    }

    /// Reports an IM's fate to the shard whose relay produced it (id 0: a notification).
    pub(crate) fn im_outcome(
        &mut self,
        id: u64,
        origin: usize,
        outcome: ImOutcome,
        now: u64,
        out: &mut Outputs,
    ) {
        if id == 0 {
            return;
        }
        if origin == self.id {
            let relay_now = self.relay_now(now);
            if let Some(sms) = self.sms.as_mut() {
                let ready = sms.relay.on_im_outcome(id, outcome, relay_now);
                self.submit_ready(ready, now, out);
            }
        } else {
            out.to_shard(origin, ShardMsg::ImOutcome { id, outcome });
        }
    }

    /// A notification (IMDN or notice) from the service to a user, best effort.
    fn notify_user(
        &mut self,
        to: &str,
        content_type: &str,
        body: String,
        now: u64,
        out: &mut Outputs,
    ) {
        let im = DeliverIm {
            id: 0,
            from: format!("sip:smartchat@{}", self.settings.domain),
            to: to.to_owned(),
            text: body,
            content_type: content_type.to_owned(),
            imdn_message_id: None,
        };
        let target = owner(&self.map, to);
        let msg = ShardMsg::DeliverIm {
            im,
            origin: self.id,
        };
        if target == self.id {
            let more = self.on_deliver_im(msg, now);
            out.merge(more);
        } else {
            out.to_shard(target, msg);
        }
    }

    /// Writes a checkpoint of the relay's live state once the WAL holds a quarter of its segment
    /// bound: everything before it (conversation assignments, records of messages still in
    /// flight) is then superseded and can be reclaimed, so one long-lived message never pins
    /// the log and conversations survive any reclaim.
    pub(crate) fn maybe_checkpoint(&mut self, now: u64, out: &mut Outputs) {
        let relay_now = self.relay_now(now);
        let Some(sms) = self.sms.as_mut() else { return };
        let threshold = (sms.wal.config().max_segments / 4).max(2);
        if sms.checkpoint.is_some()
            || sms.wal.live_segments() < threshold
            || now < sms.last_checkpoint_ms + CHECKPOINT_MIN_INTERVAL_MS
        {
            return;
        }
        sms.last_checkpoint_ms = now;
        let records = sms.relay.checkpoint(relay_now);
        let old_lsns = std::mem::take(&mut sms.lsns);
        let old_conv = std::mem::take(&mut sms.conv_lsns);
        let seq = sms.next_ready;
        sms.next_ready += 1;
        let now_us = now.saturating_mul(1000);
        for record in &records {
            // Serialised straight into the WAL's reused scratch, behind the schema tag.
            match sms.wal.append_typed(record, seq, now_us) {
                Ok(lsn) => match record.message_id() {
                    Some(id) => sms.lsns.entry(id).or_default().push(lsn),
                    None => sms.conv_lsns.push(lsn),
                },
                Err(e) => {
                    // No room even for the checkpoint: keep the old records as they were.
                    tracing::warn!(shard = self.id, error = %e, "WAL checkpoint refused");
                    for (id, lsns) in old_lsns {
                        sms.lsns.entry(id).or_default().extend(lsns);
                    }
                    sms.conv_lsns.extend(old_conv);
                    return;
                }
            }
        }
        let mut superseded: Vec<Lsn> = old_lsns.into_values().flatten().collect();
        superseded.extend(old_conv);
        tracing::info!(
            shard = self.id,
            records = records.len(),
            superseded = superseded.len(),
            "WAL checkpoint"
        );
        sms.checkpoint = Some((seq, superseded));
        sms.pending.push_back((seq, true, Vec::new()));
        out.wal_pending = true;
    }

    /// SMS timers: relay retries/expiries, ESME keep-alive and reconnects, MO reassembly.
    pub(crate) fn sms_timers(&mut self, now: u64, out: &mut Outputs) {
        let relay_now = self.relay_now(now);
        let Some(sms) = self.sms.as_mut() else { return };
        if sms.relay.next_deadline().is_some_and(|d| d <= relay_now) {
            let ready = sms.relay.on_timer(relay_now);
            self.submit_ready(ready, now, out);
        }
        self.maybe_checkpoint(now, out);
        if let Some(sms) = self.sms.as_mut() {
            if sms.esme.next_deadline().is_some_and(|d| d <= now) {
                sms.esme.on_timer(now);
            }
            sms.reassembler.expire(now);
        }
        self.drain_esme(now, out);
    }

    /// Runtime → service: the SMSC connection is up / gone / has bytes.
    pub fn smsc_wants_connect(&self, now: u64) -> bool {
        self.sms.as_ref().is_some_and(|s| s.esme.wants_connect(now))
    }

    pub fn smsc_connected(&mut self, now: u64) -> Outputs {
        let mut out = Outputs::default();
        if let Some(sms) = self.sms.as_mut() {
            sms.esme.on_connected(now);
        }
        self.drain_esme(now, &mut out);
        out
    }

    pub fn smsc_connect_failed(&mut self, now: u64) {
        if let Some(sms) = self.sms.as_mut() {
            sms.esme.on_connect_failed(now);
        }
    }

    pub fn smsc_disconnected(&mut self, now: u64) -> Outputs {
        let mut out = Outputs::default();
        if let Some(sms) = self.sms.as_mut() {
            sms.esme.on_disconnected(now);
        }
        self.drain_esme(now, &mut out);
        out
    }

    pub fn smsc_bytes(&mut self, bytes: &[u8], now: u64) -> Outputs {
        let mut out = Outputs::default();
        if let Some(sms) = self.sms.as_mut() {
            sms.esme.on_bytes(bytes, now);
        }
        self.drain_esme(now, &mut out);
        out
    }
}

/// The relay's view of a MESSAGE: text and IMDN request (from a message/cpim body if present).
fn im_request(msg: &smartchat_sip::SipMessage<'_>, to_aor: &str) -> ImRequest {
    let from_aor = msg.from().map(|f| f.uri.aor()).unwrap_or_default();
    let content_type = msg.content_type().unwrap_or("text/plain").to_owned();
    let mut text = String::from_utf8_lossy(msg.body).into_owned();
    let mut imdn = None;
    if content_type
        .to_ascii_lowercase()
        .starts_with("message/cpim")
    {
        if let Ok(cpim) = smartchat_pidf::parse_cpim(msg.body) {
            text = String::from_utf8_lossy(cpim.body).into_owned();
            let dn = cpim.disposition_notification();
            if let (Some(id), false) = (cpim.message_id(), dn.is_empty()) {
                imdn = Some(smartchat_relay::Imdn {
                    message_id: id.to_owned(),
                    delivered: dn.positive_delivery,
                    failed: dn.negative_delivery,
                });
            }
        }
    }
    ImRequest {
        from_aor,
        to_aor: to_aor.to_owned(),
        text,
        content_type,
        imdn,
        sip_call_id: msg.call_id().unwrap_or_default().to_owned(),
    }
}

/// An IMDN delivery notification (RFC 5438 §7.2.1.1) in a message/cpim body.
fn imdn_body(
    to: &str,
    message_id: &str,
    status: smartchat_relay::ImdnStatus,
    wall_secs: u64,
) -> String {
    let delivery = match status {
        smartchat_relay::ImdnStatus::Delivered => smartchat_pidf::DeliveryStatus::Delivered,
        smartchat_relay::ImdnStatus::Failed => smartchat_pidf::DeliveryStatus::Failed,
    };
    let mut xml = String::new();
    smartchat_pidf::build_imdn(
        &smartchat_pidf::DeliveryReport {
            message_id,
            datetime: smartchat_pidf::Timestamp::Unix(wall_secs),
            recipient_uri: None,
            original_recipient_uri: None,
            status: delivery,
        },
        &mut xml,
    );
    let mut out = Vec::new();
    smartchat_pidf::build_cpim(
        &smartchat_pidf::CpimOut {
            from: "<sip:smartchat@localhost>",
            to,
            datetime: Some(smartchat_pidf::Timestamp::Unix(wall_secs)),
            message_id: None,
            disposition: smartchat_pidf::DispositionRequest::default(),
            content_type: "message/imdn+xml",
            content_disposition: Some("notification"),
            body: xml.as_bytes(),
        },
        &mut out,
    );
    String::from_utf8_lossy(&out).into_owned()
}

fn stat_of(state: MessageState) -> ReceiptStat {
    match state {
        MessageState::Delivered => ReceiptStat::Delivered,
        MessageState::Expired => ReceiptStat::Expired,
        MessageState::Deleted => ReceiptStat::Deleted,
        MessageState::Undeliverable => ReceiptStat::Undeliverable,
        MessageState::Accepted => ReceiptStat::Accepted,
        MessageState::Rejected => ReceiptStat::Rejected,
        MessageState::Enroute => ReceiptStat::Enroute,
        _ => ReceiptStat::Unknown,
    }
}

/// MSISDNs in E.164 with a leading `+` (SMSCs often drop it).
pub(crate) fn normalise_msisdn(addr: &str) -> String {
    let digits = addr.trim().trim_start_matches('+');
    format!("+{digits}")
}

/// The client-transaction context of an IM made from an SMS.
pub(crate) fn sms_im_context(
    id: u64,
    origin: usize,
    remaining: Vec<String>,
    im: &DeliverIm,
) -> ClientContext {
    ClientContext::SmsIm {
        id,
        origin,
        remaining,
        im: Box::new(im.clone()),
    }
}

/// The relay's handle for a `deliver_sm` received on `shard`'s ESME session: the typed
/// [`SessionId`] keeps the whole connection counter, so acks keep matching after any number of
/// reconnects.
fn deliver_ref(shard: usize, seq: DeliverSeq) -> DeliverSmRef {
    DeliverSmRef {
        session: SessionId::new(u16::try_from(shard).unwrap_or(u16::MAX), seq.connection),
        seq: seq.sequence_number,
    }
}

/// The inverse of [`deliver_ref`]: the shard that must answer and the ESME session's handle.
fn deliver_seq(r: DeliverSmRef) -> (usize, DeliverSeq) {
    (
        usize::from(r.session.shard),
        DeliverSeq {
            connection: r.session.connection,
            sequence_number: r.seq,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::{deliver_ref, deliver_seq};
    use smartchat_esme::{EsmeConfig, EsmeEvent, EsmeSession};
    use smartchat_smpp::{
        decode, frame_len, Address, BindResp, CommandId, CommandStatus, Pdu, PduBody, SubmitSm,
        Tlvs,
    };

    fn encode(pdu: &Pdu<'_>) -> Vec<u8> {
        let mut out = Vec::new();
        pdu.encode(&mut out).expect("test PDU encodes");
        out
    }

    /// Sequence number of the bind the session just wrote.
    fn bind_seq(esme: &mut EsmeSession) -> u32 {
        let bytes = esme.poll_transmit().expect("bind written");
        let len = frame_len(&bytes, 65_536).expect("frame").expect("whole");
        let pdu = decode(&bytes[..len]).expect("valid PDU");
        assert_eq!(pdu.command_id(), CommandId::BindTransceiver);
        pdu.sequence_number
    }

    /// Issue 7: the relay's handle kept 16 bits of the connection counter, so after 65,536
    /// reconnects every deliver_sm_resp was refused as stale. Crosses that many reconnects and
    /// acks a deliver_sm through the relay's handle on shard 1.
    #[test]
    fn deliver_sm_is_acked_after_65536_reconnects() {
        let mut esme = EsmeSession::new(EsmeConfig {
            system_id: "esme1".into(),
            password: "pwd".into(),
            ..EsmeConfig::default()
        })
        .expect("valid config");
        let mut now = 0;
        for _ in 0..65_537u32 {
            esme.on_connected(now);
            esme.on_disconnected(now);
            while esme.poll_event().is_some() {}
            now += 1;
        }
        esme.on_connected(now);
        let seq = bind_seq(&mut esme);
        esme.on_bytes(
            &encode(&Pdu {
                sequence_number: seq,
                command_status: CommandStatus::Ok,
                body: PduBody::BindTransceiverResp(BindResp {
                    system_id: "SMSC",
                    sc_interface_version: None,
                }),
            }),
            now,
        );
        let sm = SubmitSm {
            service_type: "",
            source: Address {
                ton: 1,
                npi: 1,
                addr: "491511234567",
            },
            dest: Address {
                ton: 0,
                npi: 1,
                addr: "4000123",
            },
            esm_class: 0,
            protocol_id: 0,
            priority_flag: 0,
            schedule_delivery_time: "",
            validity_period: "",
            registered_delivery: 0,
            replace_if_present_flag: 0,
            data_coding: 0,
            sm_default_msg_id: 0,
            short_message: b"hi",
            tlvs: Tlvs::default(),
        };
        esme.on_bytes(
            &encode(&Pdu {
                sequence_number: 42,
                command_status: CommandStatus::Ok,
                body: PduBody::DeliverSm(sm),
            }),
            now,
        );
        let mut handle = None;
        while let Some(event) = esme.poll_event() {
            if let EsmeEvent::MobileOriginated { seq, .. } = event {
                handle = Some(seq);
            }
        }
        let handle = handle.expect("the deliver_sm is reported");
        assert!(handle.connection > 65_536);
        let relay_ref = deliver_ref(1, handle);
        let (shard, back) = deliver_seq(relay_ref);
        assert_eq!(shard, 1);
        assert_eq!(back, handle);
        esme.ack_deliver(back, CommandStatus::Ok)
            .expect("the ack matches the live connection");
    }
}
