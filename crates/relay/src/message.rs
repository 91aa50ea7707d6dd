//! The in-memory state of one non-final message, and when it next needs attention.
//!
//! A message is in exactly one phase:
//!
//! ```text
//!  ImToSms / Help:  Sms { parts }  ──all parts delivered──> Delivered
//!                     │  each part: Sending ─resp ok─> Submitted ─receipt DELIVRD─> Delivered
//!                     │             Sending ─temporary─> Waiting(next_at) ─due─> Sending
//!                     ├─ any part permanent error / failed receipt ──> Failed
//!                     ├─ validity over, some part never accepted by the SMSC ──> Expired
//!                     └─ validity + grace over, receipts missing ──> Unconfirmed
//!  SmsToIm / HeldIm: Delivering ─delivered─> Delivered
//!                     │  ─offline─> Held ─REGISTER─> Delivering
//!                     │  ─recipient is mobile─> Forwarded (a new ImToSms carries it on)
//!                     └─ Held past its hold time ──> Expired
//! ```
//!
//! Why the deadline is derived, never stored independently: [`Msg::deadline`] is a pure
//! function of the phase, so the shard's timer index can be re-derived after every change and
//! can never disagree with the state it schedules.
//!
//! Multi-part SMS: the message is delivered when *every* part's receipt says delivered (a
//! phone shows a concatenated SMS only when it has all parts, so the first part's receipt
//! proves nothing about the rest), and failed as soon as any part fails.

use crate::config::RelayConfig;
use crate::record::{MessageKind, MessageRecord};

/// One SMS part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Part {
    /// A `submit_sm` is outstanding; `failures` temporary failures so far.
    Sending { failures: u16 },
    /// Waiting for a retry at `next_at_ms`.
    Waiting { failures: u16, next_at_ms: u64 },
    /// Accepted by the SMSC; waiting for its receipt.
    Submitted { smsc_message_id: String },
    /// Receipt said delivered.
    Delivered,
}

impl Part {
    pub(crate) fn accepted_by_smsc(&self) -> bool {
        matches!(self, Part::Submitted { .. } | Part::Delivered)
    }
}

/// What a non-final message is waiting for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Phase {
    /// SMS kinds: per-part submission state.
    Sms { parts: Vec<Part> },
    /// A `DeliverIm` is out since `since_ms`.
    Delivering { since_ms: u64 },
    /// Waiting for the recipient's REGISTER until `until_ms`.
    Held { until_ms: u64 },
}

/// A non-final message.
#[derive(Debug, Clone)]
pub(crate) struct Msg {
    pub rec: MessageRecord,
    pub phase: Phase,
}

impl Msg {
    /// When the shard must look at this message again.
    pub(crate) fn deadline(&self, cfg: &RelayConfig) -> u64 {
        match &self.phase {
            Phase::Sms { parts } => {
                let validity = self.rec.validity_until_ms;
                let end = if parts.iter().all(Part::accepted_by_smsc) {
                    validity.saturating_add(cfg.receipt_grace_ms)
                } else {
                    validity
                };
                parts
                    .iter()
                    .filter_map(|p| match p {
                        Part::Waiting { next_at_ms, .. } => Some(*next_at_ms),
                        _ => None,
                    })
                    .fold(end, u64::min)
            }
            Phase::Delivering { since_ms } => since_ms.saturating_add(cfg.im_delivery_timeout_ms),
            Phase::Held { until_ms } => *until_ms,
        }
    }

    /// The IM recipient a held message waits for.
    pub(crate) fn held_for(&self) -> Option<&str> {
        matches!(self.phase, Phase::Held { .. }).then_some(self.rec.to_aor.as_str())
    }
}

/// What an SMS part is doing, for [`Pending`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartStatus {
    /// `submit_sm` outstanding.
    Sending,
    /// Retry scheduled at this time.
    RetryAt(u64),
    /// Accepted by the SMSC, receipt outstanding.
    Submitted,
    /// Delivered.
    Delivered,
}

/// What a non-final message is waiting for (a read-only view for operators and tests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PendingPhase {
    /// SMS parts in flight.
    Sms(Vec<PartStatus>),
    /// A SIP MESSAGE is out.
    Delivering,
    /// Held until the recipient registers or the time runs out.
    Held {
        /// Hold end.
        until_ms: u64,
    },
}

/// A non-final message, as [`crate::RelayShard::pending`] shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// Its kind.
    pub kind: MessageKind,
    /// What it waits for.
    pub phase: PendingPhase,
    /// When the shard looks at it again at the latest (a retry, a timeout, an expiry).
    pub deadline_ms: u64,
}

impl Pending {
    pub(crate) fn of(m: &Msg, cfg: &RelayConfig) -> Pending {
        let phase = match &m.phase {
            Phase::Sms { parts } => PendingPhase::Sms(
                parts
                    .iter()
                    .map(|p| match p {
                        Part::Sending { .. } => PartStatus::Sending,
                        Part::Waiting { next_at_ms, .. } => PartStatus::RetryAt(*next_at_ms),
                        Part::Submitted { .. } => PartStatus::Submitted,
                        Part::Delivered => PartStatus::Delivered,
                    })
                    .collect(),
            ),
            Phase::Delivering { .. } => PendingPhase::Delivering,
            Phase::Held { until_ms } => PendingPhase::Held {
                until_ms: *until_ms,
            },
        };
        Pending {
            kind: m.rec.kind,
            phase,
            deadline_ms: m.deadline(cfg),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(parts: Vec<Part>) -> Msg {
        Msg {
            rec: MessageRecord {
                id: 1,
                kind: MessageKind::ImToSms,
                from_aor: String::new(),
                to_aor: String::new(),
                to_msisdn: None,
                from_msisdn: None,
                source_address: None,
                text: String::new(),
                content_type: String::new(),
                imdn: None,
                sip_call_id: String::new(),
                accepted_at_ms: 0,
                validity_until_ms: 1000,
            },
            phase: Phase::Sms { parts },
        }
    }

    #[test]
    fn deadline_is_earliest_retry_then_validity_then_grace() {
        let cfg = RelayConfig {
            receipt_grace_ms: 500,
            ..RelayConfig::default()
        };
        let sub = || Part::Submitted {
            smsc_message_id: "x".into(),
        };
        let waiting = Part::Waiting {
            failures: 1,
            next_at_ms: 300,
        };
        assert_eq!(msg(vec![sub(), waiting]).deadline(&cfg), 300);
        assert_eq!(
            msg(vec![sub(), Part::Sending { failures: 0 }]).deadline(&cfg),
            1000
        );
        assert_eq!(msg(vec![sub(), Part::Delivered]).deadline(&cfg), 1500);
        let mut held = msg(vec![]);
        held.phase = Phase::Held { until_ms: 42 };
        assert_eq!(held.deadline(&cfg), 42);
        assert_eq!(held.held_for(), Some(""));
        let p = Pending::of(&held, &cfg);
        assert_eq!(p.phase, PendingPhase::Held { until_ms: 42 });
    }
}
