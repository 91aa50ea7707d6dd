//! [`RelayShard`]: the store-and-forward state of one shard, and the IM-side inputs.
//!
//! Why one struct owns everything (messages, timers, the SMSC-id index, held queues,
//! conversations, rate buckets): the shard is single-threaded (thread-per-core), so every
//! input is a plain `&mut self` call that returns a [`Ready`]; there is nothing to lock and a
//! replay from a seed is exact. Inputs about the SMSC live in `smsc.rs`, inputs from phones
//! and IM delivery outcomes in `mo.rs`, recovery in `recover.rs`.
//!
//! Which shard: call every method on the shard that owns the *phone user's* AOR (the
//! recipient of an IM→SMS, the sender of an MO): the conversation table of a phone lives there.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use smartchat_sms::ReceiptStat;

use crate::address::{render, valid_aor, valid_msisdn};
use crate::config::RelayConfig;
use crate::conversation::Conversations;
use crate::error::{Bound, ConfigError, RelayError};
use crate::message::{Msg, Part, Pending, Phase};
use crate::ratelimit::RateTable;
use crate::ready::{Action, DeliverIm, ImdnStatus, Ready, Submit};
use crate::record::{Imdn, MessageKind, MessageRecord, Record, State, StateChange};
use crate::text::{encode_sms, submit_parts};

/// An IM handed to the relay (the SIP MESSAGE, parsed by the runtime).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImRequest {
    /// From: the sender's AOR.
    pub from_aor: String,
    /// To: the recipient's AOR.
    pub to_aor: String,
    /// The body.
    pub text: String,
    /// Its Content-Type.
    pub content_type: String,
    /// IMDN request (`Disposition-Notification`, `imdn.Message-ID`).
    pub imdn: Option<Imdn>,
    /// Call-ID of the MESSAGE.
    pub sip_call_id: String,
}

/// A receipt that came before its `submit_sm_resp` (some SMSCs race them).
#[derive(Debug, Clone)]
pub(crate) struct EarlyReceipt {
    pub smsc_message_id: String,
    pub stat: ReceiptStat,
    pub at_ms: u64,
}

/// The relay state of one shard. See the crate docs for the flow.
#[derive(Debug)]
pub struct RelayShard {
    pub(crate) cfg: RelayConfig,
    pub(crate) msgs: BTreeMap<u64, Msg>,
    /// (deadline, id) of every non-final message.
    pub(crate) timers: BTreeSet<(u64, u64)>,
    pub(crate) scheduled: HashMap<u64, u64>,
    /// SMSC message id → (id, part).
    pub(crate) by_smsc: HashMap<String, (u64, u8)>,
    pub(crate) early: VecDeque<EarlyReceipt>,
    /// Recipient AOR → held message ids, oldest first.
    pub(crate) held: HashMap<String, BTreeSet<u64>>,
    pub(crate) conv: Conversations,
    pub(crate) msisdn_rate: RateTable,
    pub(crate) sender_rate: RateTable,
    pub(crate) next_id: u64,
    pub(crate) last_purge_ms: u64,
}

/// What a new outgoing SMS is made of.
pub(crate) struct SmsDraft {
    pub kind: MessageKind,
    pub from_aor: String,
    pub to_aor: String,
    pub to_msisdn: String,
    pub text: String,
    pub content_type: String,
    pub imdn: Option<Imdn>,
    pub sip_call_id: String,
}

impl RelayShard {
    /// An empty shard. Ids start at `now_ms * 1024` so that they stay unique across restarts
    /// even after the WAL reclaimed every record (fewer than 1024 messages per ms on average).
    pub fn new(cfg: RelayConfig, now_ms: u64) -> Result<RelayShard, ConfigError> {
        cfg.validate()?;
        Ok(RelayShard {
            conv: Conversations::new(
                cfg.extension_digits,
                cfg.max_extensions_per_phone,
                cfg.max_phones,
                cfg.last_correspondent_window_ms,
            ),
            msisdn_rate: RateTable::new(cfg.msisdn_rate, cfg.max_rate_entries),
            sender_rate: RateTable::new(cfg.sender_rate, cfg.max_rate_entries),
            msgs: BTreeMap::new(),
            timers: BTreeSet::new(),
            scheduled: HashMap::new(),
            by_smsc: HashMap::new(),
            early: VecDeque::new(),
            held: HashMap::new(),
            next_id: now_ms.saturating_mul(1024).max(1),
            last_purge_ms: now_ms,
            cfg,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &RelayConfig {
        &self.cfg
    }

    /// Non-final messages.
    pub fn in_flight(&self) -> usize {
        self.msgs.len()
    }

    /// Ids of the non-final messages, ascending.
    pub fn in_flight_ids(&self) -> impl Iterator<Item = u64> + '_ {
        self.msgs.keys().copied()
    }

    /// What a non-final message waits for; `None` once it is final (or never existed).
    pub fn pending(&self, id: u64) -> Option<Pending> {
        self.msgs.get(&id).map(|m| Pending::of(m, &self.cfg))
    }

    /// Held messages waiting for `aor` to register.
    pub fn held_for(&self, aor: &str) -> usize {
        self.held.get(aor).map_or(0, BTreeSet::len)
    }

    /// The conversation tables (read-only).
    pub fn conversations(&self) -> &Conversations {
        &self.conv
    }

    /// When [`RelayShard::on_timer`] must be called next.
    pub fn next_deadline(&self) -> Option<u64> {
        self.timers.first().map(|&(at, _)| at)
    }

    /// IM → SMS (claims C3, C8): the recipient `im.to_aor` is *mobile*; send `im` as SMS to
    /// `to_msisdn`. On success the Ready persists the message (and a new conversation
    /// extension) and then acknowledges (`Ack202`) and submits all parts.
    pub fn accept_im_for_sms(
        &mut self,
        im: ImRequest,
        to_msisdn: &str,
        now_ms: u64,
    ) -> Result<Ready, RelayError> {
        self.check_im(&im)?;
        if !valid_msisdn(to_msisdn) {
            return Err(RelayError::address("to_msisdn", to_msisdn));
        }
        self.check_capacity()?;
        let text = render(&self.cfg.template, &im.from_aor, &im.to_aor, &im.text);
        let draft = SmsDraft {
            kind: MessageKind::ImToSms,
            from_aor: im.from_aor,
            to_aor: im.to_aor,
            to_msisdn: to_msisdn.to_owned(),
            text,
            content_type: im.content_type,
            imdn: im.imdn,
            sip_call_id: im.sip_call_id,
        };
        let mut ready = Ready::default();
        let (id, submit) = self.admit_sms(draft, now_ms, &mut ready)?;
        ready.act(Action::Ack202 { id });
        ready.act(Action::Submit(submit));
        Ok(ready)
    }

    /// Holds `im` for a recipient who is offline without the service (msilo): persisted,
    /// acknowledged, released in order by [`RelayShard::on_register`], expired after `hold_ms`.
    pub fn hold_im(&mut self, im: ImRequest, now_ms: u64) -> Result<Ready, RelayError> {
        self.check_im(&im)?;
        self.check_capacity()?;
        if self.held_for(&im.to_aor) >= self.cfg.max_held_per_recipient {
            return Err(RelayError::Full(Bound::HeldForRecipient));
        }
        let id = self.alloc_id();
        let until_ms = now_ms.saturating_add(self.cfg.hold_ms);
        let rec = MessageRecord {
            id,
            kind: MessageKind::HeldIm,
            from_aor: im.from_aor,
            to_aor: im.to_aor,
            to_msisdn: None,
            from_msisdn: None,
            source_address: None,
            text: im.text,
            content_type: im.content_type,
            imdn: im.imdn,
            sip_call_id: im.sip_call_id,
            accepted_at_ms: now_ms,
            validity_until_ms: until_ms,
        };
        let mut ready = Ready::default();
        ready.record(Record::Message(rec.clone()));
        ready.act(Action::Ack202 { id });
        self.insert(Msg {
            rec,
            phase: Phase::Held { until_ms },
        });
        Ok(ready)
    }

    /// `to_aor` registered: release its held messages, oldest first, as `DeliverIm`s (report
    /// each with [`RelayShard::on_im_outcome`]). Nothing to persist: a crash before the
    /// outcome simply holds them again.
    pub fn on_register(&mut self, to_aor: &str, now_ms: u64) -> Ready {
        let mut ready = Ready::default();
        let ids = self.held.remove(to_aor).unwrap_or_default();
        for id in ids {
            if let Some(m) = self.msgs.get_mut(&id) {
                m.phase = Phase::Delivering { since_ms: now_ms };
                ready.act(Action::DeliverIm(deliver_im(&m.rec)));
                self.reschedule(id);
            }
        }
        ready
    }

    fn check_im(&self, im: &ImRequest) -> Result<(), RelayError> {
        if !valid_aor(&im.from_aor) {
            return Err(RelayError::address("from_aor", &im.from_aor));
        }
        if !valid_aor(&im.to_aor) {
            return Err(RelayError::address("to_aor", &im.to_aor));
        }
        self.check_text(&im.text)
    }

    pub(crate) fn check_text(&self, text: &str) -> Result<(), RelayError> {
        if text.len() > self.cfg.max_text_bytes {
            return Err(RelayError::TextTooLong {
                bytes: text.len(),
                max_parts: self.cfg.max_sms_parts,
            });
        }
        Ok(())
    }

    pub(crate) fn check_capacity(&self) -> Result<(), RelayError> {
        if self.msgs.len() >= self.cfg.max_messages {
            return Err(RelayError::Full(Bound::Messages));
        }
        Ok(())
    }

    pub(crate) fn alloc_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id = self.next_id.saturating_add(1);
        id
    }

    /// Admits a new outgoing SMS: encodes it, charges the rate buckets, picks the source
    /// address (conversation extension for IMs, the bare access number for service SMS) and
    /// persists it. Nothing changes when it fails.
    pub(crate) fn admit_sms(
        &mut self,
        d: SmsDraft,
        now_ms: u64,
        ready: &mut Ready,
    ) -> Result<(u64, Submit), RelayError> {
        self.check_text(&d.text)?;
        let id = self.next_id;
        let parts = encode_sms(&d.text, id, self.cfg.max_sms_parts, self.cfg.packed_gsm7)?;
        let charge_sender = d.kind == MessageKind::ImToSms;
        self.msisdn_rate.check(&d.to_msisdn, now_ms)?;
        if charge_sender {
            self.sender_rate.check(&d.from_aor, now_ms)?;
        }
        self.msisdn_rate.make_room(&d.to_msisdn, now_ms)?;
        if charge_sender {
            self.sender_rate.make_room(&d.from_aor, now_ms)?;
            self.sender_rate.take(&d.from_aor, now_ms);
        }
        self.msisdn_rate.take(&d.to_msisdn, now_ms);
        let source = if d.kind == MessageKind::Help {
            self.cfg.access_number.clone()
        } else {
            let (ext, new) = self.conv.extension_for(&d.to_msisdn, &d.from_aor, now_ms);
            self.conv.set_last(&d.to_msisdn, &d.from_aor, now_ms);
            if let Some(c) = new {
                ready.record(Record::Conversation(c));
            }
            format!(
                "{}{}",
                self.cfg.access_number,
                self.conv.format_extension(ext)
            )
        };
        let id = self.alloc_id();
        let validity = now_ms.saturating_add(self.cfg.validity_ms);
        let n = parts.len();
        let submit = Submit {
            id,
            kind: d.kind,
            parts: (0u8..=u8::MAX)
                .zip(parts)
                .map(|(i, p)| {
                    crate::ready::SubmitPart::from_sms(i, p, &source, &d.to_msisdn, validity)
                })
                .collect(),
        };
        let rec = MessageRecord {
            id,
            kind: d.kind,
            from_aor: d.from_aor,
            to_aor: d.to_aor,
            to_msisdn: Some(d.to_msisdn),
            from_msisdn: None,
            source_address: Some(source),
            text: d.text,
            content_type: d.content_type,
            imdn: d.imdn,
            sip_call_id: d.sip_call_id,
            accepted_at_ms: now_ms,
            validity_until_ms: validity,
        };
        ready.record(Record::Message(rec.clone()));
        self.insert(Msg {
            rec,
            phase: Phase::Sms {
                parts: vec![Part::Sending { failures: 0 }; n],
            },
        });
        Ok((id, submit))
    }

    /// The `submit_sm`s for parts `only` of message `m`.
    pub(crate) fn submit_for(&self, m: &Msg, only: &[u8]) -> Submit {
        let r = &m.rec;
        Submit {
            id: r.id,
            kind: r.kind,
            parts: submit_parts(
                &r.text,
                r.id,
                self.cfg.packed_gsm7,
                r.source_address
                    .as_deref()
                    .unwrap_or(&self.cfg.access_number),
                r.to_msisdn.as_deref().unwrap_or_default(),
                r.validity_until_ms,
                Some(only),
            ),
        }
    }

    /// Adds a non-final message and schedules it.
    pub(crate) fn insert(&mut self, m: Msg) {
        let id = m.rec.id;
        if let Some(aor) = m.held_for() {
            self.held.entry(aor.to_owned()).or_default().insert(id);
        }
        if let Phase::Sms { parts } = &m.phase {
            for (i, p) in (0u8..).zip(parts) {
                if let Part::Submitted { smsc_message_id } = p {
                    self.by_smsc.insert(smsc_message_id.clone(), (id, i));
                }
            }
        }
        self.msgs.insert(id, m);
        self.reschedule(id);
    }

    /// Puts message `id` in the held queue of its recipient until `until_ms`.
    pub(crate) fn hold(&mut self, id: u64, until_ms: u64) {
        if let Some(m) = self.msgs.get_mut(&id) {
            m.phase = Phase::Held { until_ms };
            let aor = m.rec.to_aor.clone();
            self.held.entry(aor).or_default().insert(id);
            self.reschedule(id);
        }
    }

    /// Re-derives the timer of message `id` from its state.
    pub(crate) fn reschedule(&mut self, id: u64) {
        if let Some(old) = self.scheduled.remove(&id) {
            self.timers.remove(&(old, id));
        }
        if let Some(m) = self.msgs.get(&id) {
            let at = m.deadline(&self.cfg);
            self.timers.insert((at, id));
            self.scheduled.insert(id, at);
        }
    }

    /// Makes message `id` final: persists `state`, tells the sender if they asked, and lets
    /// the WAL reclaim it. A no-op for unknown ids (already final).
    pub(crate) fn finish(&mut self, id: u64, state: State, now_ms: u64, ready: &mut Ready) {
        let Some(m) = self.msgs.remove(&id) else {
            return;
        };
        if let Some(at) = self.scheduled.remove(&id) {
            self.timers.remove(&(at, id));
        }
        if let Some(q) = self.held.get_mut(&m.rec.to_aor) {
            q.remove(&id);
            if q.is_empty() {
                self.held.remove(&m.rec.to_aor);
            }
        }
        if let Phase::Sms { parts } = &m.phase {
            for p in parts {
                if let Part::Submitted { smsc_message_id } = p {
                    self.by_smsc.remove(smsc_message_id);
                }
            }
        }
        let rec = m.rec;
        let status = match &state {
            State::Delivered => rec
                .imdn
                .as_ref()
                .filter(|i| i.delivered)
                .map(|_| ImdnStatus::Delivered),
            State::Failed { .. } | State::Expired => rec
                .imdn
                .as_ref()
                .filter(|i| i.failed)
                .map(|_| ImdnStatus::Failed),
            _ => None,
        };
        let held_kind = matches!(rec.kind, MessageKind::HeldIm | MessageKind::SmsToIm);
        ready.record(Record::State(StateChange {
            id,
            state: state.clone(),
            at_ms: now_ms,
        }));
        if let (Some(status), Some(imdn)) = (status, &rec.imdn) {
            ready.act(Action::SendImdn {
                to: rec.from_aor.clone(),
                original_message_id: imdn.message_id.clone(),
                status,
            });
        } else if state == State::Expired
            && held_kind
            && self.cfg.notice_on_hold_expiry
            && !rec.from_aor.is_empty()
        {
            let text = render(&self.cfg.hold_expiry_text, &rec.from_aor, &rec.to_aor, "");
            ready.act(Action::Notice {
                to: rec.from_aor,
                text,
            });
        }
        ready.act(Action::Final { id });
    }
}

/// The SIP MESSAGE that delivers a stored IM.
pub(crate) fn deliver_im(rec: &MessageRecord) -> DeliverIm {
    DeliverIm {
        id: rec.id,
        from: rec.from_aor.clone(),
        to: rec.to_aor.clone(),
        text: rec.text.clone(),
        content_type: rec.content_type.clone(),
        imdn_message_id: rec.imdn.as_ref().map(|i| i.message_id.clone()),
    }
}
