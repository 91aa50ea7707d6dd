//! Inputs from the SMSC side (`submit_sm_resp`, delivery receipts) and the timer.
//!
//! Why per-part state: a concatenated SMS is several `submit_sm`s, each with its own response,
//! SMSC id and receipt; any of them can fail on its own. Why temporary failures are persisted
//! (as [`State::Retry`]) but throttling is not: a temporary error is an SMSC *answer* — after a
//! restart the part waits for its retry instead of being resubmitted at once, and the attempt
//! count survives, so "bounded attempts" holds across crashes. `ESME_RTHROTTLED` is
//! back-pressure on the session, frequent under load; writing it would turn congestion into
//! WAL traffic, and losing it in a crash only means an earlier resubmission.
//!
//! Receipt states (SMPP 3.4 §5.2.28): `DELIVRD` → part delivered; `EXPIRED` → message
//! `Expired`; `UNDELIV`, `REJECTD`, `DELETED`, `UNKNOWN` → message `Failed`; `ENROUTE`,
//! `ACCEPTD` and unknown words are intermediate and only acknowledged (`ACCEPTD` is final in
//! the spec but says nothing about the handset; such a message ends `Unconfirmed`).

use smartchat_sms::ReceiptStat;

use crate::error::RelayError;
use crate::message::{Part, Phase};
use crate::ready::{Action, DeliverSmRef, Ready};
use crate::record::{FailReason, Record, State, StateChange};
use crate::shard::{EarlyReceipt, RelayShard};

/// How a `submit_sm` failed (the runtime maps `command_status` and session errors).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubmitFailure {
    /// `ESME_RTHROTTLED` (0x58) or `ESME_RMSGQFUL` (0x14): back-pressure, retried after
    /// `throttle_delay_ms` without counting an attempt.
    Throttled,
    /// Any other temporary condition (`ESME_RSYSERR`, response timeout, session lost, ...):
    /// retried with exponential backoff, at most `max_attempts` submissions.
    Temporary,
    /// A permanent rejection (`ESME_RINVDSTADR`, ...): the message fails.
    Permanent {
        /// The `command_status`.
        command_status: u32,
    },
}

const MAX_SMSC_ID: usize = 64;

impl RelayShard {
    /// `submit_sm_resp` OK for `part` of message `id`. Persists the SMSC id (so a restart does
    /// not resubmit) and indexes it for receipts. Unknown or already answered parts are ignored.
    pub fn on_submitted(
        &mut self,
        id: u64,
        part: u8,
        smsc_message_id: &str,
        now_ms: u64,
    ) -> Result<Ready, RelayError> {
        if smsc_message_id.is_empty() || smsc_message_id.len() > MAX_SMSC_ID {
            return Err(RelayError::InvalidSmscMessageId {
                len: smsc_message_id.len(),
            });
        }
        let mut ready = Ready::default();
        let Some(slot) = self.part_mut(id, part) else {
            return Ok(ready);
        };
        if slot.accepted_by_smsc() {
            return Ok(ready); // duplicate response
        }
        *slot = Part::Submitted {
            smsc_message_id: smsc_message_id.to_owned(),
        };
        self.by_smsc.insert(smsc_message_id.to_owned(), (id, part));
        ready.record(Record::State(StateChange {
            id,
            state: State::Submitted {
                part,
                smsc_message_id: smsc_message_id.to_owned(),
            },
            at_ms: now_ms,
        }));
        self.reschedule(id);
        if let Some(pos) = self
            .early
            .iter()
            .position(|e| e.smsc_message_id == smsc_message_id)
        {
            if let Some(e) = self.early.remove(pos) {
                self.apply_receipt(id, part, &e.stat, now_ms, &mut ready);
            }
        }
        Ok(ready)
    }

    /// `submit_sm` for `part` of message `id` failed.
    pub fn on_submit_failed(
        &mut self,
        id: u64,
        part: u8,
        failure: SubmitFailure,
        now_ms: u64,
    ) -> Ready {
        let mut ready = Ready::default();
        let retry = self.cfg.retry;
        let Some(slot) = self.part_mut(id, part) else {
            return ready;
        };
        let Part::Sending { failures } = *slot else {
            return ready; // a late answer for a part that moved on
        };
        let (failures, delay, persist) = match failure {
            SubmitFailure::Permanent { command_status } => {
                let reason = FailReason::SubmitRejected { command_status };
                self.finish(id, State::Failed { reason }, now_ms, &mut ready);
                return ready;
            }
            SubmitFailure::Throttled => (failures, retry.throttle_delay_ms, false),
            SubmitFailure::Temporary => {
                let f = failures.saturating_add(1);
                if f >= retry.max_attempts {
                    let reason = FailReason::RetriesExhausted;
                    self.finish(id, State::Failed { reason }, now_ms, &mut ready);
                    return ready;
                }
                (f, retry.backoff_ms(f, (id << 8) | u64::from(part)), true)
            }
        };
        let next_at_ms = now_ms.saturating_add(delay);
        let validity = self.msgs.get(&id).map_or(0, |m| m.rec.validity_until_ms);
        if next_at_ms >= validity {
            self.finish(id, State::Expired, now_ms, &mut ready);
            return ready;
        }
        if let Some(slot) = self.part_mut(id, part) {
            *slot = Part::Waiting {
                failures,
                next_at_ms,
            };
        }
        if persist {
            ready.record(Record::State(StateChange {
                id,
                state: State::Retry {
                    part,
                    attempt: failures,
                    next_at_ms,
                },
                at_ms: now_ms,
            }));
        }
        self.reschedule(id);
        ready
    }

    /// A delivery receipt (`deliver_sm` with esm_class 0x04) for `smsc_message_id`. The
    /// `deliver_sm_resp` for it (`ack`) leaves after the state change is durable. A receipt for
    /// an id not yet known is kept briefly (bounded) in case its `submit_sm_resp` is late.
    pub fn on_receipt(
        &mut self,
        smsc_message_id: &str,
        stat: &ReceiptStat,
        ack: DeliverSmRef,
        now_ms: u64,
    ) -> Ready {
        let mut ready = Ready::default();
        ready.act(Action::AckDeliverSm(ack));
        match self.by_smsc.get(smsc_message_id).copied() {
            Some((id, part)) => self.apply_receipt(id, part, stat, now_ms, &mut ready),
            None if smsc_message_id.len() <= MAX_SMSC_ID && self.cfg.max_early_receipts > 0 => {
                if self.early.len() >= self.cfg.max_early_receipts {
                    self.early.pop_front();
                }
                self.early.push_back(EarlyReceipt {
                    smsc_message_id: smsc_message_id.to_owned(),
                    stat: stat.clone(),
                    at_ms: now_ms,
                });
            }
            None => {}
        }
        ready
    }

    fn apply_receipt(
        &mut self,
        id: u64,
        part: u8,
        stat: &ReceiptStat,
        now_ms: u64,
        ready: &mut Ready,
    ) {
        let final_state = match stat {
            ReceiptStat::Delivered => None,
            ReceiptStat::Expired => Some(State::Expired),
            ReceiptStat::Deleted
            | ReceiptStat::Undeliverable
            | ReceiptStat::Rejected
            | ReceiptStat::Unknown => Some(State::Failed {
                reason: FailReason::Receipt {
                    stat: stat.as_str().to_owned(),
                },
            }),
            ReceiptStat::Enroute | ReceiptStat::Accepted | ReceiptStat::Other(_) => return,
        };
        if let Some(state) = final_state {
            self.finish(id, state, now_ms, ready);
            return;
        }
        let Some(slot) = self.part_mut(id, part) else {
            return;
        };
        if *slot == Part::Delivered {
            return; // duplicate receipt
        }
        *slot = Part::Delivered;
        let all = match self.msgs.get(&id).map(|m| &m.phase) {
            Some(Phase::Sms { parts }) => parts.iter().all(|p| *p == Part::Delivered),
            _ => false,
        };
        if all {
            self.finish(id, State::Delivered, now_ms, ready);
        } else {
            ready.record(Record::State(StateChange {
                id,
                state: State::PartDelivered { part },
                at_ms: now_ms,
            }));
            self.reschedule(id);
        }
    }

    fn part_mut(&mut self, id: u64, part: u8) -> Option<&mut Part> {
        match &mut self.msgs.get_mut(&id)?.phase {
            Phase::Sms { parts } => parts.get_mut(usize::from(part)),
            _ => None,
        }
    }

    /// Does whatever is due at `now_ms`: retries, validity and receipt timeouts, hold expiry,
    /// IM delivery timeouts, and housekeeping of the bounded tables.
    pub fn on_timer(&mut self, now_ms: u64) -> Ready {
        let mut ready = Ready::default();
        while let Some(&(at, id)) = self.timers.first() {
            if at > now_ms {
                break;
            }
            self.timers.pop_first();
            self.scheduled.remove(&id);
            self.fire(id, now_ms, &mut ready);
        }
        let ttl = self.cfg.early_receipt_ttl_ms;
        while self
            .early
            .front()
            .is_some_and(|e| now_ms.saturating_sub(e.at_ms) >= ttl)
        {
            self.early.pop_front();
        }
        if now_ms.saturating_sub(self.last_purge_ms) >= 60_000 {
            self.last_purge_ms = now_ms;
            self.msisdn_rate.purge_refilled(now_ms);
            self.sender_rate.purge_refilled(now_ms);
        }
        ready
    }

    fn fire(&mut self, id: u64, now_ms: u64, ready: &mut Ready) {
        let Some(m) = self.msgs.get_mut(&id) else {
            return;
        };
        let validity = m.rec.validity_until_ms;
        match &mut m.phase {
            Phase::Sms { parts } => {
                let all_accepted = parts.iter().all(Part::accepted_by_smsc);
                if now_ms >= validity && !all_accepted {
                    self.finish(id, State::Expired, now_ms, ready);
                    return;
                }
                if now_ms >= validity.saturating_add(self.cfg.receipt_grace_ms) {
                    self.finish(id, State::Unconfirmed, now_ms, ready);
                    return;
                }
                let mut due = Vec::new();
                for (i, p) in (0u8..).zip(parts.iter_mut()) {
                    if let Part::Waiting {
                        failures,
                        next_at_ms,
                    } = *p
                    {
                        if next_at_ms <= now_ms {
                            *p = Part::Sending { failures };
                            due.push(i);
                        }
                    }
                }
                if !due.is_empty() {
                    if let Some(m) = self.msgs.get(&id) {
                        ready.act(Action::Submit(self.submit_for(m, &due)));
                    }
                }
                self.reschedule(id);
            }
            Phase::Delivering { since_ms } => {
                if now_ms >= since_ms.saturating_add(self.cfg.im_delivery_timeout_ms) {
                    // Nobody answered: treat the recipient as offline.
                    self.hold_or_expire(id, now_ms, ready);
                } else {
                    self.reschedule(id);
                }
            }
            Phase::Held { until_ms } => {
                if now_ms >= *until_ms {
                    self.finish(id, State::Expired, now_ms, ready);
                } else {
                    self.reschedule(id);
                }
            }
        }
    }
}
