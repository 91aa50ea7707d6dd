//! Rebuilding a shard from its WAL, and writing a checkpoint that replaces the WAL's history.
//!
//! Recovery is a fold over the records in LSN order: a [`MessageRecord`] creates a message,
//! [`StateChange`]s move it, a final state drops it; [`crate::record::ConversationRecord`]s
//! rebuild the extension tables. What is left is exactly the set of messages that were
//! acknowledged and never finished. For each of them:
//!
//! * an SMS part with **no recorded SMSC answer** (no `Submitted`, `PartDelivered` or `Retry`)
//!   is resubmitted now and listed in [`Recovery::resubmitted`] so the node can log it. This
//!   is at-least-once: the SMSC may have taken the part just before the crash, but a message
//!   that got a 202 is never lost;
//! * a part with a `Retry` keeps its attempt count and is retried at its recorded time;
//! * a `Submitted` part waits for its receipt (its SMSC id is indexed again);
//! * an SMS→IM or released held IM is delivered again ([`Recovery::redelivered`]); held ones
//!   go back to their queue.
//!
//! Bounds are not enforced on recovered messages: they were acknowledged, so they are kept
//! even if the configuration shrank; the bounds apply to new admissions.

use crate::config::RelayConfig;
use crate::error::ConfigError;
use crate::message::{Msg, Part, Phase};
use crate::ready::{Action, Ready};
use crate::record::{ArchivedRecord, MessageKind, MessageRecord, Record, State, StateChange};
use crate::shard::{deliver_im, RelayShard};
use crate::text::part_count;

/// Parts of one message resubmitted by recovery because no SMSC answer was recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resubmission {
    /// The message.
    pub id: u64,
    /// 0-based part indices.
    pub parts: Vec<u8>,
}

/// What recovery found and what to send now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recovery {
    /// `Submit`s and `DeliverIm`s to send at once (`persist` is empty).
    pub ready: Ready,
    /// SMS parts resubmitted (no SMSC answer was recorded for them).
    pub resubmitted: Vec<Resubmission>,
    /// SMS→IM / released held IMs delivered again.
    pub redelivered: Vec<u64>,
    /// Non-final messages rebuilt.
    pub in_flight: usize,
    /// State records whose message record was not found (already reclaimed): ignored.
    pub orphan_records: usize,
}

#[derive(Debug)]
struct Rebuilt {
    rec: MessageRecord,
    parts: Vec<Option<Part>>,
    held_until: Option<u64>,
}

impl RelayShard {
    /// Rebuilds a shard from `records` in LSN order (owned records).
    pub fn recover<I>(
        cfg: RelayConfig,
        records: I,
        now_ms: u64,
    ) -> Result<(RelayShard, Recovery), ConfigError>
    where
        I: IntoIterator,
        I::Item: std::borrow::Borrow<Record>,
    {
        let mut b = Builder::new(cfg, now_ms)?;
        for r in records {
            b.apply(std::borrow::Borrow::borrow(&r));
        }
        Ok(b.finish(now_ms))
    }

    /// Rebuilds a shard from validated archived records (see [`crate::access_record`]) in LSN
    /// order. State records of messages already final (or reclaimed) are skipped in place,
    /// without being copied.
    pub fn recover_archived<'a, I>(
        cfg: RelayConfig,
        records: I,
        now_ms: u64,
    ) -> Result<(RelayShard, Recovery), ConfigError>
    where
        I: IntoIterator<Item = &'a ArchivedRecord>,
    {
        let mut b = Builder::new(cfg, now_ms)?;
        for r in records {
            if let ArchivedRecord::State(s) = r {
                if !b.rebuilt.contains_key(&s.id.to_native()) {
                    b.recovery.orphan_records += 1;
                    continue;
                }
            }
            b.apply(&Record::from_archived(r));
        }
        Ok(b.finish(now_ms))
    }

    /// The shard's live state as records: every conversation assignment, and for every
    /// non-final message its record and the state changes that rebuild its phase. Written as
    /// one batch, it supersedes all earlier WAL segments (which may then be deleted).
    pub fn checkpoint(&self, now_ms: u64) -> Vec<Record> {
        let mut out: Vec<Record> = self
            .conv
            .snapshot()
            .into_iter()
            .map(Record::Conversation)
            .collect();
        for m in self.msgs.values() {
            out.push(Record::Message(m.rec.clone()));
            let id = m.rec.id;
            let mut state = |state| {
                out.push(Record::State(StateChange {
                    id,
                    state,
                    at_ms: now_ms,
                }))
            };
            match &m.phase {
                Phase::Sms { parts } => {
                    for (part, p) in (0u8..).zip(parts) {
                        match p {
                            Part::Sending { failures: 0 } => {}
                            Part::Sending { failures } => state(State::Retry {
                                part,
                                attempt: *failures,
                                next_at_ms: now_ms,
                            }),
                            Part::Waiting {
                                failures,
                                next_at_ms,
                            } => state(State::Retry {
                                part,
                                attempt: *failures,
                                next_at_ms: *next_at_ms,
                            }),
                            Part::Submitted { smsc_message_id } => state(State::Submitted {
                                part,
                                smsc_message_id: smsc_message_id.clone(),
                            }),
                            Part::Delivered => state(State::PartDelivered { part }),
                        }
                    }
                }
                Phase::Held { until_ms } => state(State::Held {
                    until_ms: *until_ms,
                }),
                Phase::Delivering { .. } => {}
            }
        }
        out
    }
}

struct Builder {
    shard: RelayShard,
    rebuilt: std::collections::BTreeMap<u64, Rebuilt>,
    max_id: u64,
    recovery: Recovery,
}

impl Builder {
    fn new(cfg: RelayConfig, now_ms: u64) -> Result<Builder, ConfigError> {
        Ok(Builder {
            shard: RelayShard::new(cfg, now_ms)?,
            rebuilt: std::collections::BTreeMap::new(),
            max_id: 0,
            recovery: Recovery::default(),
        })
    }

    fn apply(&mut self, r: &Record) {
        match r {
            Record::Conversation(c) => self.shard.conv.apply(c),
            Record::Message(m) => {
                self.max_id = self.max_id.max(m.id);
                match m.kind {
                    MessageKind::ImToSms => {
                        if let Some(p) = &m.to_msisdn {
                            self.shard.conv.set_last(p, &m.from_aor, m.accepted_at_ms);
                        }
                    }
                    MessageKind::SmsToIm => {
                        if let Some(p) = &m.from_msisdn {
                            self.shard.conv.set_last(p, &m.to_aor, m.accepted_at_ms);
                        }
                    }
                    MessageKind::HeldIm | MessageKind::Help => {}
                }
                let cfg = &self.shard.cfg;
                let n = match m.kind {
                    MessageKind::ImToSms | MessageKind::Help => {
                        part_count(&m.text, m.id, cfg.packed_gsm7)
                    }
                    MessageKind::SmsToIm | MessageKind::HeldIm => 0,
                };
                let held_until = (m.kind == MessageKind::HeldIm).then_some(m.validity_until_ms);
                self.rebuilt.entry(m.id).or_insert_with(|| Rebuilt {
                    rec: m.clone(),
                    parts: vec![None; n],
                    held_until,
                });
            }
            Record::State(s) => {
                let Some(b) = self.rebuilt.get_mut(&s.id) else {
                    self.recovery.orphan_records += 1;
                    return;
                };
                if s.state.is_final() {
                    self.rebuilt.remove(&s.id);
                    return;
                }
                let parts = &mut b.parts;
                match &s.state {
                    State::Submitted {
                        part,
                        smsc_message_id,
                    } => {
                        if let Some(p) = parts.get_mut(usize::from(*part)) {
                            *p = Some(Part::Submitted {
                                smsc_message_id: smsc_message_id.clone(),
                            });
                        }
                    }
                    State::PartDelivered { part } => {
                        if let Some(p) = parts.get_mut(usize::from(*part)) {
                            *p = Some(Part::Delivered);
                        }
                    }
                    State::Retry {
                        part,
                        attempt,
                        next_at_ms,
                    } => {
                        if let Some(p) = parts.get_mut(usize::from(*part)) {
                            if !p.as_ref().is_some_and(Part::accepted_by_smsc) {
                                *p = Some(Part::Waiting {
                                    failures: *attempt,
                                    next_at_ms: *next_at_ms,
                                });
                            }
                        }
                    }
                    State::Held { until_ms } => b.held_until = Some(*until_ms),
                    _ => {}
                }
            }
        }
    }

    fn finish(mut self, now_ms: u64) -> (RelayShard, Recovery) {
        let mut ready = Ready::default();
        for (id, b) in std::mem::take(&mut self.rebuilt) {
            let sms = matches!(b.rec.kind, MessageKind::ImToSms | MessageKind::Help);
            let expired = now_ms >= b.rec.validity_until_ms;
            let mut resubmit = Vec::new();
            let phase = if sms {
                let parts = (0u8..)
                    .zip(b.parts)
                    .map(|(i, p)| {
                        p.unwrap_or_else(|| {
                            if !expired {
                                resubmit.push(i);
                            }
                            Part::Sending { failures: 0 }
                        })
                    })
                    .collect();
                Phase::Sms { parts }
            } else if let Some(until_ms) = b.held_until {
                Phase::Held { until_ms }
            } else {
                ready.act(Action::DeliverIm(deliver_im(&b.rec)));
                self.recovery.redelivered.push(id);
                Phase::Delivering { since_ms: now_ms }
            };
            let m = Msg { rec: b.rec, phase };
            if !resubmit.is_empty() {
                ready.act(Action::Submit(self.shard.submit_for(&m, &resubmit)));
                self.recovery
                    .resubmitted
                    .push(crate::recover::Resubmission {
                        id,
                        parts: resubmit,
                    });
            }
            self.shard.insert(m);
        }
        self.shard.next_id = self.shard.next_id.max(self.max_id.saturating_add(1));
        self.recovery.in_flight = self.shard.msgs.len();
        self.recovery.ready = ready;
        (self.shard, self.recovery)
    }
}
