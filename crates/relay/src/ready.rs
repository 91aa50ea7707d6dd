//! The output of every relay input: records to make durable, then actions (raft-rs `Ready`).
//!
//! Why "acknowledge after persist" is a type and not a rule: every acknowledgement the relay
//! produces (SIP 202, SMPP `deliver_sm_resp`) and everything a peer could act on (a
//! `submit_sm`, an IMDN, a WAL reclaim) sits in [`Ready::after_persist`]. The runtime appends
//! [`Ready::persist`] to the WAL (group commit), waits for the fsync, and only then executes
//! the actions. The relay never hands out an action any other way, so "202 before the record
//! is on disk" cannot be written.
//!
//! Order matters across Readies too: a Ready's actions may depend on records of *earlier*
//! Readies (a `DeliverIm` from `on_register` for an IM whose record is still in the group
//! commit). So the rule for the runtime is: the actions of a Ready leave once every record
//! handed over up to and including that Ready is durable (remember the WAL's tail LSN when the
//! Ready arrives; an empty `persist` waits only for that). The simulation executes Readies in
//! exactly this order.

use smartchat_sms::SmsPart;

use crate::record::{MessageKind, Record};

/// Which SMPP connection a `deliver_sm` arrived on: the shard that owns the ESME session and
/// that session's connection counter. Typed, and the full width of both, so that no number of
/// reconnects can alias an old connection (a bit-packed `u32` kept 16 bits of the counter and
/// stopped acknowledging after 65,536 reconnects).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SessionId {
    /// Shard whose ESME session received the PDU (and must send the `deliver_sm_resp`).
    pub shard: u16,
    /// The session's connection counter (bumped on every connect).
    pub connection: u32,
}

impl SessionId {
    /// The connection `connection` of the ESME session on `shard`.
    pub const fn new(shard: u16, connection: u32) -> Self {
        Self { shard, connection }
    }
}

/// Identifies the `deliver_sm` to answer: the SMPP session it came on and its sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DeliverSmRef {
    /// The ESME session and connection it came on.
    pub session: SessionId,
    /// `sequence_number` of the `deliver_sm`.
    pub seq: u32,
}

/// One `submit_sm` to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmitPart {
    /// 0-based part index; echo it in [`crate::RelayShard::on_submitted`] /
    /// [`crate::RelayShard::on_submit_failed`].
    pub part: u8,
    /// `source_addr`: access number + conversation extension.
    pub source: String,
    /// `destination_addr`: the MSISDN.
    pub dest: String,
    /// `data_coding` (0x00 GSM 7-bit or 0x08 UCS-2).
    pub data_coding: u8,
    /// `esm_class` (0x40 when `short_message` starts with a UDH).
    pub esm_class: u8,
    /// `registered_delivery` (1: final receipt requested).
    pub registered_delivery: u8,
    /// Absolute end of validity; the runtime writes it as SMPP relative or absolute time.
    pub validity_until_ms: u64,
    /// `short_message`: UDH (when concatenated) and payload.
    pub short_message: Vec<u8>,
}

impl SubmitPart {
    pub(crate) fn from_sms(
        part: u8,
        sms: SmsPart,
        source: &str,
        dest: &str,
        validity_until_ms: u64,
    ) -> SubmitPart {
        SubmitPart {
            part,
            source: source.to_owned(),
            dest: dest.to_owned(),
            data_coding: sms.data_coding,
            esm_class: if sms.esm_class_udhi {
                smartchat_sms::ESM_CLASS_UDHI
            } else {
                0
            },
            registered_delivery: 1,
            validity_until_ms,
            short_message: sms.short_message,
        }
    }
}

/// Submit these parts of message `id` (all of them the first time; some on a retry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submit {
    /// The message.
    pub id: u64,
    /// `ImToSms` or `Help`.
    pub kind: MessageKind,
    /// Parts to send now.
    pub parts: Vec<SubmitPart>,
}

/// Deliver this IM (a SIP MESSAGE) and report with [`crate::RelayShard::on_im_outcome`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliverIm {
    /// The message.
    pub id: u64,
    /// From: the sender's AOR.
    pub from: String,
    /// To / Request-URI: the recipient's AOR.
    pub to: String,
    /// Body.
    pub text: String,
    /// Content-Type of the body.
    pub content_type: String,
    /// The sender's `imdn.Message-ID`, if any (so the recipient can answer with an IMDN).
    pub imdn_message_id: Option<String>,
}

/// RFC 5438 delivery-notification status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImdnStatus {
    /// `<delivered/>`.
    Delivered,
    /// `<failed/>`.
    Failed,
}

/// Something the runtime does once the records of the same [`Ready`] are durable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Answer the SIP MESSAGE that created message `id` with 202 Accepted.
    Ack202 {
        /// The message.
        id: u64,
    },
    /// Answer this `deliver_sm` with `deliver_sm_resp` OK.
    AckDeliverSm(DeliverSmRef),
    /// Send `submit_sm`s.
    Submit(Submit),
    /// Send a SIP MESSAGE.
    DeliverIm(DeliverIm),
    /// Send an IMDN (RFC 5438) to the original sender.
    SendImdn {
        /// The original sender's AOR.
        to: String,
        /// `imdn.Message-ID` of the original IM.
        original_message_id: String,
        /// What happened.
        status: ImdnStatus,
    },
    /// Send a service IM (plain text) to an IM user, e.g. "your held message expired".
    Notice {
        /// The user.
        to: String,
        /// Text.
        text: String,
    },
    /// An MO named no recipient, but this phone got a help SMS less than `help_cooldown_ms`
    /// ago: nothing is sent (an auto-responder would otherwise loop with us). Log it.
    HelpSuppressed {
        /// The phone.
        msisdn: String,
    },
    /// Message `id` reached a final state; the WAL may reclaim its records.
    Final {
        /// The message.
        id: u64,
    },
}

/// Records to make durable, and what may happen once they are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ready {
    /// Append these to the WAL, in order, and fsync.
    pub persist: Vec<Record>,
    /// Then do these, in order.
    pub after_persist: Vec<Action>,
}

impl Ready {
    /// Nothing to write and nothing to do.
    pub fn is_empty(&self) -> bool {
        self.persist.is_empty() && self.after_persist.is_empty()
    }

    /// Appends another Ready (records and actions keep their order).
    pub fn merge(&mut self, other: Ready) {
        self.persist.extend(other.persist);
        self.after_persist.extend(other.after_persist);
    }

    /// Ids of the messages this Ready makes final.
    pub fn final_ids(&self) -> impl Iterator<Item = u64> + '_ {
        self.after_persist.iter().filter_map(|a| match a {
            Action::Final { id } => Some(*id),
            _ => None,
        })
    }

    /// The `Submit` actions.
    pub fn submits(&self) -> impl Iterator<Item = &Submit> + '_ {
        self.after_persist.iter().filter_map(|a| match a {
            Action::Submit(s) => Some(s),
            _ => None,
        })
    }

    /// The `DeliverIm` actions.
    pub fn deliveries(&self) -> impl Iterator<Item = &DeliverIm> + '_ {
        self.after_persist.iter().filter_map(|a| match a {
            Action::DeliverIm(d) => Some(d),
            _ => None,
        })
    }

    pub(crate) fn record(&mut self, r: Record) {
        self.persist.push(r);
    }

    pub(crate) fn act(&mut self, a: Action) {
        self.after_persist.push(a);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_keeps_order_and_finals_are_found() {
        let mut a = Ready::default();
        assert!(a.is_empty());
        a.act(Action::Ack202 { id: 1 });
        let mut b = Ready::default();
        b.act(Action::Final { id: 1 });
        b.act(Action::Final { id: 3 });
        a.merge(b);
        assert_eq!(a.after_persist.first(), Some(&Action::Ack202 { id: 1 }));
        assert_eq!(a.final_ids().collect::<Vec<_>>(), vec![1, 3]);
        assert!(!a.is_empty());
    }
}
