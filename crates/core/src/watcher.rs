//! Watchers: presence subscriptions and rate-limited NOTIFY (RFC 6665, RFC 3856).
//!
//! * Authorisation (RFC 3856 §5): the presentity's profile lists its buddies; a SUBSCRIBE from
//!   anyone else is refused with 403 (the user may always watch themself). There is no
//!   "pending" state and no RFC 5025 policy document: the buddy list *is* the policy, set by
//!   provisioning. When the policy changes to exclude a watcher, its subscription is
//!   terminated with `reason=rejected` and no body (RFC 6665 §4.1.3).
//! * Every successful SUBSCRIBE — initial, refresh, or Expires: 0 — is answered by an immediate
//!   NOTIFY (RFC 6665 §4.2.2), returned in [`SubscribeOutcome`]. An initial SUBSCRIBE with
//!   Expires: 0 is a *fetch* (RFC 6665 §4.4.3): one terminated NOTIFY, nothing stored.
//! * State changes are sent at most once per `min_notify_interval_ms` per dialog (RFC 6665
//!   §4.2.2: notifiers should rate-limit, e.g. RFC 3856 §6.4's "no more than once every 5
//!   seconds"). A change inside the window marks the dialog *pending*; when the window ends the
//!   **current** status is sent, so intermediate states are coalesced but the final one is never
//!   lost. A status equal to the last one sent to that dialog is not sent again.
//!   The answer to a SUBSCRIBE and terminating NOTIFYs are never held back.

use crate::effect::{DialogKey, Notify, SubscriptionState, TerminationReason};
use crate::error::SubscribeError;
use crate::shard::{Counters, PresenceShard};
use crate::status::Status;

/// A SUBSCRIBE for `Event: presence`, as parsed by the runtime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscribeRequest {
    /// Normalised AOR of the presentity (Request-URI/To).
    pub presentity: String,
    /// Normalised AOR of the watcher (From, after authentication).
    pub watcher: String,
    /// The subscription dialog (our tag chosen by the runtime for an initial SUBSCRIBE).
    pub dialog: DialogKey,
    /// Contact of the SUBSCRIBE: where NOTIFYs go (updated by refreshes).
    pub watcher_target: String,
    /// The Expires header; `None` takes the configured default.
    pub expires_secs: Option<u32>,
    /// The request carried a To tag (a refresh or unsubscribe inside an existing dialog).
    pub in_dialog: bool,
}

/// A successful SUBSCRIBE: answer 200 with `Expires: expires_secs`, then send `notify`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscribeOutcome {
    /// Granted duration (0 when the subscription ended).
    pub expires_secs: u32,
    /// The NOTIFY to send right after the 200 (RFC 6665 §4.2.2).
    pub notify: Notify,
}

/// What the core exposes about one watcher dialog (for tests, metrics, admin).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatcherView {
    /// The dialog.
    pub dialog: DialogKey,
    /// Watcher AOR.
    pub watcher: String,
    /// Absolute expiry (ms).
    pub expires_at: u64,
    /// CSeq of the last NOTIFY.
    pub cseq: u32,
    /// Status in the last NOTIFY sent.
    pub last_status: Option<Status>,
    /// When the last NOTIFY was sent (ms).
    pub last_sent_at: u64,
    /// A coalesced change waits to be sent at this time (ms).
    pub pending_until: Option<u64>,
}

/// One watcher dialog on a presentity.
#[derive(Debug, Clone)]
pub(crate) struct Watcher {
    pub(crate) dialog: DialogKey,
    pub(crate) watcher: String,
    pub(crate) target: String,
    pub(crate) expires_at: u64,
    pub(crate) cseq: u32,
    pub(crate) last_status: Option<Status>,
    pub(crate) last_sent_at: u64,
    pub(crate) pending: bool,
}

fn secs_left(expires_at: u64, now: u64) -> u32 {
    u32::try_from(expires_at.saturating_sub(now).div_ceil(1000)).unwrap_or(u32::MAX)
}

impl Watcher {
    /// Earliest time this dialog needs attention: expiry or the end of a rate-limit window.
    pub(crate) fn deadline(&self, interval: u64) -> u64 {
        if self.pending {
            self.expires_at.min(self.last_sent_at + interval)
        } else {
            self.expires_at
        }
    }

    /// Builds the next NOTIFY of this dialog and records it as sent.
    pub(crate) fn notify(
        &mut self,
        presentity: &str,
        status: Option<Status>,
        subscription_state: SubscriptionState,
        now: u64,
    ) -> Notify {
        self.cseq += 1;
        self.last_status.clone_from(&status);
        self.last_sent_at = now;
        self.pending = false;
        Notify {
            dialog: self.dialog.clone(),
            watcher: self.watcher.clone(),
            watcher_target: self.target.clone(),
            presentity: presentity.to_owned(),
            status,
            subscription_state,
            cseq: self.cseq,
        }
    }

    fn active(&mut self, presentity: &str, status: &Status, now: u64) -> Notify {
        let state = SubscriptionState::Active {
            expires_secs: secs_left(self.expires_at, now),
        };
        self.notify(presentity, Some(status.clone()), state, now)
    }

    /// Brings the watcher up to `status`: sends now if the window is open, else marks pending.
    pub(crate) fn reconcile(
        &mut self,
        presentity: &str,
        status: &Status,
        now: u64,
        interval: u64,
        counters: &mut Counters,
    ) -> Option<Notify> {
        if self.last_status.as_ref() == Some(status) {
            if self.pending {
                self.pending = false;
                counters.notifies_suppressed += 1;
            }
            return None;
        }
        if interval == 0 || now >= self.last_sent_at.saturating_add(interval) {
            counters.notifies_emitted += 1;
            return Some(self.active(presentity, status, now));
        }
        if !self.pending {
            self.pending = true;
            counters.notifies_deferred += 1;
        }
        None
    }

    fn view(&self, interval: u64) -> WatcherView {
        WatcherView {
            dialog: self.dialog.clone(),
            watcher: self.watcher.clone(),
            expires_at: self.expires_at,
            cseq: self.cseq,
            last_status: self.last_status.clone(),
            last_sent_at: self.last_sent_at,
            pending_until: self.pending.then(|| self.last_sent_at + interval),
        }
    }
}

impl PresenceShard {
    /// Handles a SUBSCRIBE to presence (RFC 6665 §4.2.1, RFC 3856 §6). Checks, in order:
    /// ownership, 404 unknown presentity, 403 unauthorised watcher, 423 too brief, 481
    /// in-dialog request for an unknown subscription, 503 limits.
    pub fn subscribe(
        &mut self,
        req: &SubscribeRequest,
        now: u64,
    ) -> Result<SubscribeOutcome, SubscribeError> {
        self.owns(&req.presentity)?;
        let slot = self
            .slot_of(&req.presentity)
            .ok_or(SubscribeError::UnknownPresentity)?;
        if !self.has_room(slot) {
            return Err(SubscribeError::EffectQueueFull);
        }
        self.expire(slot, now);
        let result = self.subscribe_in(slot, req, now);
        self.settle(slot, now);
        if result.is_ok() {
            self.counters.subscribes += 1;
            self.counters.notifies_emitted += 1;
        }
        result
    }

    fn subscribe_in(
        &mut self,
        slot: u32,
        req: &SubscribeRequest,
        now: u64,
    ) -> Result<SubscribeOutcome, SubscribeError> {
        let limits = &self.config.limits;
        let (per_presentity, per_shard) = (
            limits.max_watchers_per_presentity,
            limits.max_watchers_per_shard,
        );
        let policy = self.config.subscribe;
        let shard_full = self.watcher_count >= per_shard;
        let e = self.entry_mut(slot);
        if !e.sub.may_watch(&req.watcher) {
            return Err(SubscribeError::Forbidden);
        }
        let expires = policy
            .resolve(req.expires_secs)
            .map_err(|min_expires| SubscribeError::IntervalTooBrief { min_expires })?;
        let status = e.compose();
        let presentity = e.sub.aor.clone();
        let terminated = SubscriptionState::Terminated {
            reason: TerminationReason::Timeout,
        };
        let pos = e.watchers.iter().position(|w| w.dialog == req.dialog);
        let pos = match pos {
            Some(i) if e.watchers[i].watcher != req.watcher => None,
            other => other,
        };
        let notify = match (pos, expires) {
            (None, _) if req.in_dialog => return Err(SubscribeError::NoSuchSubscription),
            (None, 0) => {
                // Fetch: a one-shot NOTIFY from a throw-away dialog state.
                let mut w = new_watcher(req, now);
                w.notify(&presentity, Some(status), terminated, now)
            }
            (None, secs) => {
                if e.watchers.len() >= per_presentity {
                    return Err(SubscribeError::TooManyWatchers {
                        limit: per_presentity,
                    });
                }
                if shard_full {
                    return Err(SubscribeError::TooManyWatchers { limit: per_shard });
                }
                let mut w = new_watcher(req, now + u64::from(secs) * 1000);
                let n = w.active(&presentity, &status, now);
                e.watchers.push(w);
                self.watcher_count += 1;
                n
            }
            (Some(i), 0) => {
                let mut w = e.watchers.remove(i);
                w.target.clone_from(&req.watcher_target);
                self.watcher_count -= 1;
                w.notify(&presentity, Some(status), terminated, now)
            }
            (Some(i), secs) => {
                let w = &mut e.watchers[i];
                w.expires_at = now + u64::from(secs) * 1000;
                w.target.clone_from(&req.watcher_target);
                w.active(&presentity, &status, now)
            }
        };
        Ok(SubscribeOutcome {
            expires_secs: expires,
            notify,
        })
    }

    /// The NOTIFY in `dialog` failed with 481 or timed out: RFC 6665 §4.2.2 says the
    /// subscription is gone. Removes it without a further NOTIFY; returns whether it existed.
    pub fn notify_failed(&mut self, presentity: &str, dialog: &DialogKey, now: u64) -> bool {
        let Some(slot) = self.slot_of(presentity) else {
            return false;
        };
        let e = self.entry_mut(slot);
        let before = e.watchers.len();
        e.watchers.retain(|w| &w.dialog != dialog);
        let removed = before != e.watchers.len();
        if removed {
            self.watcher_count -= 1;
            self.settle(slot, now);
        }
        removed
    }

    /// The watcher dialogs on `presentity`, in subscription order.
    pub fn watchers(&self, presentity: &str) -> Vec<WatcherView> {
        let interval = self.config.min_notify_interval_ms;
        self.entry_of(presentity)
            .map(|e| e.watchers.iter().map(|w| w.view(interval)).collect())
            .unwrap_or_default()
    }
}

fn new_watcher(req: &SubscribeRequest, expires_at: u64) -> Watcher {
    Watcher {
        dialog: req.dialog.clone(),
        watcher: req.watcher.clone(),
        target: req.watcher_target.clone(),
        expires_at,
        cseq: 0,
        last_status: None,
        last_sent_at: 0,
        pending: false,
    }
}
