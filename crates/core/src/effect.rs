//! Outputs of a shard, as data.
//!
//! Like quinn-proto, the core never sends anything: each call leaves [`Effect`]s in the shard's
//! bounded queue and the runtime drains it ([`crate::PresenceShard::poll_effect`] /
//! [`crate::PresenceShard::drain_effects`]) after every call, turning them into SIP NOTIFYs,
//! ring messages to other shards, or metrics. The NOTIFY that *answers* a SUBSCRIBE is returned
//! in the outcome instead, because RFC 6665 §4.2.2 requires it right after the 200.

use crate::shard_map::ShardId;
use crate::status::Status;

/// Identifies a subscription dialog (RFC 3261 §12: Call-ID, remote tag, local tag).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DialogKey {
    /// Call-ID of the SUBSCRIBE.
    pub call_id: String,
    /// The watcher's tag (From tag of the SUBSCRIBE).
    pub from_tag: String,
    /// Our tag (To tag of the 200 to the SUBSCRIBE; chosen by the runtime).
    pub to_tag: String,
}

/// RFC 6665 §4.1.3 / §8.2.3 reasons in `Subscription-State: terminated;reason=...`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TerminationReason {
    /// Not refreshed in time, or the watcher unsubscribed (Expires: 0).
    Timeout,
    /// The authorisation policy changed: the watcher was removed from the buddy list.
    Rejected,
    /// The presentity no longer exists (subscriber deprovisioned).
    Noresource,
    /// The notifier ended the subscription for another reason (e.g. shutdown, re-homing);
    /// the watcher may re-subscribe at once.
    Deactivated,
}

impl TerminationReason {
    /// The token for the `reason` parameter.
    pub fn as_str(self) -> &'static str {
        match self {
            TerminationReason::Timeout => "timeout",
            TerminationReason::Rejected => "rejected",
            TerminationReason::Noresource => "noresource",
            TerminationReason::Deactivated => "deactivated",
        }
    }
}

/// The `Subscription-State` header of a NOTIFY (RFC 6665 §8.2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscriptionState {
    /// `active;expires=N` (seconds remaining, rounded up).
    Active {
        /// Seconds until the subscription expires.
        expires_secs: u32,
    },
    /// `terminated;reason=...`; the dialog usage is over (RFC 6665 §4.4.1).
    Terminated {
        /// Why.
        reason: TerminationReason,
    },
}

/// A NOTIFY to send in a watcher's dialog (RFC 6665 §4.2.2, RFC 3856 §6.7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notify {
    /// The subscription dialog.
    pub dialog: DialogKey,
    /// The watcher's AOR (To of the NOTIFY).
    pub watcher: String,
    /// Remote target: the Contact of the SUBSCRIBE (Request-URI of the NOTIFY).
    pub watcher_target: String,
    /// The presentity's AOR (From of the NOTIFY).
    pub presentity: String,
    /// The state to put in the PIDF body. `None` means "send no body": only on termination with
    /// reason `rejected` or `noresource`, where state must not (or cannot) be disclosed.
    pub status: Option<Status>,
    /// `Subscription-State`.
    pub subscription_state: SubscriptionState,
    /// Local CSeq of this NOTIFY in the dialog: 1 for the first, then +1 each.
    pub cseq: u32,
}

/// One output of a shard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Send this NOTIFY.
    Notify(Notify),
    /// The composed status of `aor` changed (C4/C6/C7): for metrics, ParlayX presence
    /// notifications, or flushing stored IMs when the user comes online (C8).
    PresenceChanged {
        /// Whose status.
        aor: String,
        /// The new status.
        status: Status,
    },
    /// Deliver to `shard`: map `msisdn` → `aor` in its [`crate::MsisdnIndex`].
    IndexMsisdn {
        /// The shard owning the MSISDN ([`crate::ShardMap::msisdn_owner`]).
        shard: ShardId,
        /// E.164 number.
        msisdn: String,
        /// The subscriber's AOR.
        aor: String,
    },
    /// Deliver to `shard`: remove `msisdn` → `aor` from its index.
    UnindexMsisdn {
        /// The shard owning the MSISDN.
        shard: ShardId,
        /// E.164 number.
        msisdn: String,
        /// The AOR it must still map to for the removal to apply.
        aor: String,
    },
}
