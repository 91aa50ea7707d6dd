//! SMS from phones to IM users (claim C9) and the outcome of IM deliveries.
//!
//! Routing an MO, in this order (DESIGN.md "Replies from the phone"):
//! 1. an explicit `@user` / `@sip:user@host` prefix (stripped from the text);
//! 2. the conversation named by the extension of the destination number
//!    (`access_number + extension`);
//! 3. the phone's last correspondent within `last_correspondent_window_ms`;
//! 4. otherwise a short help SMS back — never silence. The only exception is a phone that got
//!    a help SMS less than `help_cooldown_ms` ago (or whose SMS budget is spent): answering
//!    again could loop forever with an auto-responder, so the Ready says
//!    [`Action::HelpSuppressed`] instead, explicitly.
//!
//! Every accepted MO is persisted before its `deliver_sm_resp` leaves, so the SMSC never hears
//! "delivered" for an SMS a crash could lose. Delivery to the IM user is at-least-once: after
//! a restart an unanswered `DeliverIm` is sent again.

use crate::address::{parse_at_prefix, render, valid_msisdn};
use crate::error::RelayError;
use crate::message::{Msg, Phase};
use crate::ready::{Action, DeliverSmRef, Ready};
use crate::record::{FailReason, MessageKind, MessageRecord, Record, State, StateChange};
use crate::shard::{deliver_im, RelayShard, SmsDraft};

/// Content-Type of IMs made from SMS text.
pub const SMS_CONTENT_TYPE: &str = "text/plain;charset=UTF-8";

/// An SMS from a phone, reassembled and decoded by the runtime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MobileOriginated {
    /// `source_addr`: the phone.
    pub source_msisdn: String,
    /// The phone owner's AOR from the MSISDN index; `None` when the number is no subscriber.
    pub sender_aor: Option<String>,
    /// `destination_addr`: the access number, possibly with a conversation extension.
    pub dest_address: String,
    /// The text.
    pub text: String,
    /// The `deliver_sm` to acknowledge (for a multi-part MO: the last part's).
    pub deliver_sm: DeliverSmRef,
}

/// What became of a `DeliverIm` (the runtime knows the recipient's presence and profile).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImOutcome {
    /// The recipient's UA accepted the MESSAGE (2xx).
    Delivered,
    /// The recipient is offline without the service: hold it until they register.
    Offline,
    /// The recipient is *mobile* (service on, MSISDN known): forward it as SMS.
    Mobile {
        /// The recipient's MSISDN.
        msisdn: String,
    },
    /// No such user.
    NoSuchUser,
    /// Refused for good (e.g. 403/415 from the UA).
    Rejected,
}

impl RelayShard {
    /// An SMS from a phone. On success the Ready persists the message and then acknowledges
    /// the `deliver_sm` and delivers the IM, or sends a help SMS (or says it suppressed one).
    pub fn on_mobile_originated(
        &mut self,
        mo: MobileOriginated,
        now_ms: u64,
    ) -> Result<Ready, RelayError> {
        if !valid_msisdn(&mo.source_msisdn) {
            return Err(RelayError::address("source_msisdn", &mo.source_msisdn));
        }
        self.check_text(&mo.text)?;
        self.check_capacity()?;
        let mut ready = Ready::default();
        let Some(sender) = mo.sender_aor.clone() else {
            let text = self.cfg.not_subscribed_text.clone();
            self.help(&mo.source_msisdn, text, mo.deliver_sm, now_ms, &mut ready);
            return Ok(ready);
        };
        let prefixed =
            parse_at_prefix(&mo.text, &self.cfg.domain).map(|p| (p.aor, p.rest.to_owned()));
        let target = match prefixed {
            Some((aor, rest)) => Some((aor, rest)),
            None => self
                .conv
                .parse_extension(&mo.dest_address, &self.cfg.access_number)
                .and_then(|ext| self.conv.lookup(&mo.source_msisdn, ext))
                .or_else(|| self.conv.last(&mo.source_msisdn, now_ms))
                .map(|aor| (aor, mo.text.clone())),
        };
        let Some((to_aor, text)) = target.filter(|(_, t)| !t.trim().is_empty()) else {
            let text = self.cfg.help_text.clone();
            self.help(&mo.source_msisdn, text, mo.deliver_sm, now_ms, &mut ready);
            return Ok(ready);
        };
        self.conv.set_last(&mo.source_msisdn, &to_aor, now_ms);
        let id = self.alloc_id();
        let rec = MessageRecord {
            id,
            kind: MessageKind::SmsToIm,
            from_aor: sender,
            to_aor,
            to_msisdn: None,
            from_msisdn: Some(mo.source_msisdn),
            source_address: Some(mo.dest_address),
            text,
            content_type: SMS_CONTENT_TYPE.to_owned(),
            imdn: None,
            sip_call_id: String::new(),
            accepted_at_ms: now_ms,
            validity_until_ms: now_ms.saturating_add(self.cfg.hold_ms),
        };
        ready.record(Record::Message(rec.clone()));
        ready.act(Action::AckDeliverSm(mo.deliver_sm));
        ready.act(Action::DeliverIm(deliver_im(&rec)));
        self.insert(Msg {
            rec,
            phase: Phase::Delivering { since_ms: now_ms },
        });
        Ok(ready)
    }

    /// A help (service) SMS to `msisdn`, or `HelpSuppressed`; acknowledges `ack` either way.
    fn help(
        &mut self,
        msisdn: &str,
        text: String,
        ack: DeliverSmRef,
        now_ms: u64,
        ready: &mut Ready,
    ) {
        let cooldown = self.cfg.help_cooldown_ms;
        let sent = self.conv.help_allowed(msisdn, now_ms, cooldown)
            && self.service_sms(msisdn, text, now_ms, ready, Some(ack));
        if sent {
            self.conv.note_help(msisdn, now_ms);
        } else {
            ready.act(Action::AckDeliverSm(ack));
            ready.act(Action::HelpSuppressed {
                msisdn: msisdn.to_owned(),
            });
        }
    }

    /// Admits a `Help` SMS; false when the phone's SMS budget (or the table) refuses it.
    fn service_sms(
        &mut self,
        msisdn: &str,
        text: String,
        now_ms: u64,
        ready: &mut Ready,
        ack: Option<DeliverSmRef>,
    ) -> bool {
        let draft = SmsDraft {
            kind: MessageKind::Help,
            from_aor: String::new(),
            to_aor: String::new(),
            to_msisdn: msisdn.to_owned(),
            text,
            content_type: SMS_CONTENT_TYPE.to_owned(),
            imdn: None,
            sip_call_id: String::new(),
        };
        match self.admit_sms(draft, now_ms, ready) {
            Ok((_, submit)) => {
                if let Some(ack) = ack {
                    ready.act(Action::AckDeliverSm(ack));
                }
                ready.act(Action::Submit(submit));
                true
            }
            Err(_) => false,
        }
    }

    /// The outcome of the `DeliverIm` of message `id`. Ignored unless that delivery is
    /// outstanding (a late or repeated answer).
    pub fn on_im_outcome(&mut self, id: u64, outcome: ImOutcome, now_ms: u64) -> Ready {
        let mut ready = Ready::default();
        let Some(m) = self.msgs.get(&id) else {
            return ready;
        };
        if !matches!(m.phase, Phase::Delivering { .. }) {
            return ready;
        }
        let rec = m.rec.clone();
        match outcome {
            ImOutcome::Delivered => self.finish(id, State::Delivered, now_ms, &mut ready),
            ImOutcome::Offline => self.hold_or_expire(id, now_ms, &mut ready),
            ImOutcome::Mobile { msisdn } => {
                let text = render(&self.cfg.template, &rec.from_aor, &rec.to_aor, &rec.text);
                let draft = SmsDraft {
                    kind: MessageKind::ImToSms,
                    from_aor: rec.from_aor,
                    to_aor: rec.to_aor,
                    to_msisdn: msisdn,
                    text,
                    content_type: rec.content_type,
                    imdn: rec.imdn,
                    sip_call_id: rec.sip_call_id,
                };
                let mut fwd = Ready::default();
                match valid_msisdn(&draft.to_msisdn)
                    .then(|| self.admit_sms(draft, now_ms, &mut fwd))
                {
                    Some(Ok((new_id, submit))) => {
                        ready.merge(fwd);
                        // The sender's IMDN request travels with the SMS; no IMDN for this one.
                        if let Some(m) = self.msgs.get_mut(&id) {
                            m.rec.imdn = None;
                        }
                        self.finish(id, State::Forwarded { new_id }, now_ms, &mut ready);
                        ready.act(Action::Submit(submit));
                    }
                    // Rate-limited, too long as SMS, or a bad number: keep it as an IM.
                    _ => self.hold_or_expire(id, now_ms, &mut ready),
                }
            }
            ImOutcome::NoSuchUser => {
                let reason = FailReason::NoSuchUser;
                self.finish(id, State::Failed { reason }, now_ms, &mut ready);
                if let (MessageKind::SmsToIm, Some(phone)) = (rec.kind, rec.from_msisdn) {
                    let text = render(&self.cfg.no_such_user_text, "", &rec.to_aor, "");
                    if !self.service_sms(&phone, text, now_ms, &mut ready, None) {
                        ready.act(Action::HelpSuppressed { msisdn: phone });
                    }
                }
            }
            ImOutcome::Rejected => {
                let reason = FailReason::Rejected;
                self.finish(id, State::Failed { reason }, now_ms, &mut ready);
            }
        }
        ready
    }

    /// Holds message `id` until its hold end (persisted), or expires it if that has passed.
    pub(crate) fn hold_or_expire(&mut self, id: u64, now_ms: u64, ready: &mut Ready) {
        let Some(until_ms) = self.msgs.get(&id).map(|m| m.rec.validity_until_ms) else {
            return;
        };
        if now_ms >= until_ms {
            self.finish(id, State::Expired, now_ms, ready);
            return;
        }
        ready.record(Record::State(StateChange {
            id,
            state: State::Held { until_ms },
            at_ms: now_ms,
        }));
        self.hold(id, until_ms);
    }
}
