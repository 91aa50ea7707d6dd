//! Flow control of the ESME session: the submit window, the throttle pause, response timeouts
//! and keep-alive — everything driven by the clock.
//!
//! Why submits are requeued by their submission order rather than pushed to the front: when
//! several submits of one window are throttled or time out, each must go back *ahead of
//! everything submitted after it* and *behind everything submitted before it*; sorting by the
//! order number gives exactly that and survives any interleaving of answers.

use smartchat_smpp::{CommandStatus, Pdu, PduBody};

use super::{
    DisconnectReason, EsmeEvent, EsmeSession, InFlight, Outstanding, Queued, ResendReason,
    SessionState,
};
use crate::frame::patch_sequence;

/// How far past the head of the queue `pump` looks for a submit whose destination is free,
/// in multiples of the window (bounds the work per call).
const LOOKAHEAD_WINDOWS: usize = 4;

impl EsmeSession {
    /// Time passed: fire whatever deadline is due (bind, submit, enquire_link and unbind
    /// responses; keep-alive; end of a throttle pause).
    pub fn on_timer(&mut self, now: u64) {
        match self.state {
            SessionState::Disconnected => return,
            SessionState::Binding => {
                if self.bind.is_some_and(|b| now >= b.deadline) {
                    self.disconnect(DisconnectReason::BindTimeout, now);
                }
                return;
            }
            SessionState::Bound | SessionState::Unbinding => {}
        }
        if self.unbind.is_some_and(|u| now >= u.deadline) {
            self.disconnect(DisconnectReason::UnbindTimeout, now);
            return;
        }
        if self.enquire.is_some_and(|e| now >= e.deadline) {
            self.disconnect(DisconnectReason::EnquireLinkTimeout, now);
            return;
        }
        self.expire_submits(now);
        let interval = self.config.enquire_link_interval_ms;
        if self.state == SessionState::Bound
            && interval > 0
            && now >= self.last_rx.saturating_add(interval)
        {
            self.send_enquire_link(now);
        }
        self.pump(now);
    }

    /// When `on_timer` next has something to do (or, disconnected, when `wants_connect`
    /// turns true); `None` when nothing is scheduled.
    pub fn next_deadline(&self) -> Option<u64> {
        match self.state {
            SessionState::Disconnected => (!self.closing).then_some(self.reconnect_at),
            SessionState::Binding => self.bind.map(|b| b.deadline),
            SessionState::Bound | SessionState::Unbinding => {
                let keep_alive = match (self.state, self.enquire) {
                    (_, Some(e)) => Some(e.deadline),
                    (SessionState::Bound, None) if self.config.enquire_link_interval_ms > 0 => {
                        Some(
                            self.last_rx
                                .saturating_add(self.config.enquire_link_interval_ms),
                        )
                    }
                    _ => None,
                };
                let pause =
                    (self.paused_until > 0 && !self.queue.is_empty()).then_some(self.paused_until);
                let submits = self.in_flight.iter().map(|f| f.deadline).min();
                [keep_alive, pause, submits, self.unbind.map(|u| u.deadline)]
                    .into_iter()
                    .flatten()
                    .min()
            }
        }
    }

    /// Sends queued submits while bound, unpaused and the window has room.
    pub(super) fn pump(&mut self, now: u64) {
        if self.state != SessionState::Bound {
            return;
        }
        if now < self.paused_until {
            return;
        }
        self.paused_until = 0;
        while self.in_flight.len() < self.config.window {
            let Some(index) = self.next_sendable() else {
                break;
            };
            let Some(mut item) = self.queue.remove(index) else {
                break;
            };
            let seq = self.seq.next();
            patch_sequence(&mut item.pdu, seq);
            self.tx.extend_from_slice(&item.pdu);
            self.stats.submits_sent += 1;
            if let Some(reason) = item.resend.take() {
                self.stats.resends += 1;
                self.events.push_back(EsmeEvent::Resent {
                    token: item.token,
                    reason,
                });
            }
            if self.config.order_per_destination {
                self.busy_dests.insert(item.dest_key);
            }
            self.in_flight.push(InFlight {
                item,
                seq,
                deadline: now.saturating_add(self.config.response_timeout_ms),
            });
        }
    }

    /// Index of the first queued submit that may go now.
    fn next_sendable(&self) -> Option<usize> {
        if !self.config.order_per_destination {
            return (!self.queue.is_empty()).then_some(0);
        }
        let lookahead = self.config.window.saturating_mul(LOOKAHEAD_WINDOWS);
        self.queue
            .iter()
            .take(lookahead)
            .position(|q| !self.busy_dests.contains(&q.dest_key))
    }

    fn remove_in_flight(&mut self, index: usize) -> InFlight {
        let flight = self.in_flight.swap_remove(index);
        self.busy_dests.remove(&flight.item.dest_key);
        flight
    }

    /// Puts a submit back at its place in submission order.
    pub(super) fn requeue(&mut self, item: Queued) {
        let at = self.queue.partition_point(|q| q.order < item.order);
        self.queue.insert(at, item);
    }

    /// A submit that got no answer: send it again, or give up after `max_submit_attempts`.
    pub(super) fn retry_or_give_up(&mut self, mut item: Queued, reason: ResendReason) {
        item.attempts = item.attempts.saturating_add(1);
        if item.attempts >= self.config.max_submit_attempts {
            self.events.push_back(EsmeEvent::SubmitTimedOut {
                token: item.token,
                attempts: item.attempts,
            });
            return;
        }
        item.resend = Some(reason);
        self.requeue(item);
    }

    /// Submits whose response is overdue are resent (or given up); the link is probed.
    fn expire_submits(&mut self, now: u64) {
        let mut expired = false;
        let mut index = 0;
        // Bounded by the window: each step removes an entry or advances.
        while index < self.in_flight.len() {
            if self.in_flight[index].deadline <= now {
                let flight = self.remove_in_flight(index);
                self.retry_or_give_up(flight.item, ResendReason::ResponseTimeout);
                expired = true;
            } else {
                index += 1;
            }
        }
        if expired && self.state == SessionState::Bound {
            self.send_enquire_link(now);
        }
    }

    fn send_enquire_link(&mut self, now: u64) {
        if self.enquire.is_some() {
            return;
        }
        let seq = self.seq.next();
        self.push_pdu(&Pdu {
            sequence_number: seq,
            command_status: CommandStatus::Ok,
            body: PduBody::EnquireLink,
        });
        self.stats.enquire_links_sent += 1;
        self.enquire = Some(Outstanding {
            seq,
            deadline: now.saturating_add(self.config.response_timeout_ms),
        });
    }

    /// A submit_sm_resp (or a generic_nack naming a submit's sequence_number) arrived.
    pub(super) fn on_submit_resp(
        &mut self,
        seq: u32,
        status: CommandStatus,
        message_id: &str,
        now: u64,
    ) {
        let Some(index) = self.in_flight.iter().position(|f| f.seq == seq) else {
            self.stats.unmatched_responses += 1;
            return;
        };
        let flight = self.remove_in_flight(index);
        let token = flight.item.token;
        match status {
            CommandStatus::Ok => self.events.push_back(EsmeEvent::Submitted {
                token,
                message_id: message_id.to_owned(),
            }),
            CommandStatus::Throttled | CommandStatus::MsgQFul => {
                self.stats.throttled += 1;
                let resume_at = now.saturating_add(self.config.throttle_pause_ms);
                self.paused_until = self.paused_until.max(resume_at).max(1);
                self.events.push_back(EsmeEvent::Throttled {
                    token,
                    status,
                    resume_at: self.paused_until,
                });
                // Not a resend: the SMSC refused it, so no duplicate is possible.
                self.requeue(flight.item);
            }
            _ => self.events.push_back(EsmeEvent::SubmitFailed {
                token,
                status,
                permanent: !status.is_temporary(),
            }),
        }
    }
}
