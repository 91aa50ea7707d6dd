//! Typed errors, one enum per request kind, each mapped to the SIP response it stands for.
//!
//! Network input can produce an error to the peer, never a panic (rustls' rule). Every refusal
//! is decided *before* any state changes, so a failed request leaves the shard as it was
//! (RFC 3261 §10.3: binding updates are committed "if and only if all binding updates and
//! additions succeed").

use thiserror::Error;

use crate::shard_map::Owner;
use crate::subscriber::ProfileError;

/// The request reached a shard that does not own the key. With correct routing this never
/// happens; the runtime forwards the request to `owner` (and logs a routing bug).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("not the owner: owner is {owner:?} at map revision {revision}")]
pub struct NotOwner {
    /// Where the key lives according to this shard's map.
    pub owner: Owner,
    /// Revision of that map.
    pub revision: u64,
}

/// Provisioning (add/update/remove subscriber) errors.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SubscriberError {
    /// Wrong shard.
    #[error(transparent)]
    NotOwner(#[from] NotOwner),
    /// The profile is malformed.
    #[error("invalid profile: {0}")]
    Invalid(#[from] ProfileError),
    /// `add` of an AOR that exists.
    #[error("subscriber exists")]
    AlreadyExists,
    /// `update`/`remove` of an AOR that does not exist.
    #[error("unknown subscriber")]
    Unknown,
    /// `max_subscribers` reached.
    #[error("shard full ({limit} subscribers)")]
    TooManySubscribers {
        /// The bound.
        limit: usize,
    },
    /// `max_buddies` exceeded.
    #[error("too many buddies (limit {limit})")]
    TooManyBuddies {
        /// The bound.
        limit: usize,
    },
    /// Drain effects first.
    #[error("effect queue full")]
    EffectQueueFull,
}

/// REGISTER errors (RFC 3261 §10.3).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RegistrarError {
    /// Wrong shard.
    #[error(transparent)]
    NotOwner(#[from] NotOwner),
    /// Step 3: the AOR is not a subscriber → 404 Not Found.
    #[error("unknown user")]
    UnknownUser,
    /// Step 6: `*` with other contacts or a non-zero Expires → 400 Invalid Request.
    #[error("wildcard contact requires Expires: 0 and no other contact")]
    InvalidWildcard,
    /// Step 7: same Call-ID with a CSeq not higher than the binding's → request fails
    /// (500 Server Internal Error with Retry-After, as common registrars do).
    #[error("CSeq out of order for an existing binding")]
    OutOfOrder,
    /// Step 6: non-zero expiry below the minimum → 423 Interval Too Brief + Min-Expires.
    #[error("interval too brief (Min-Expires: {min_expires})")]
    IntervalTooBrief {
        /// Value for the Min-Expires header.
        min_expires: u32,
    },
    /// More bindings than `max_contacts_per_aor` → 503 (local policy).
    #[error("too many contacts (limit {limit})")]
    TooManyContacts {
        /// The bound.
        limit: usize,
    },
    /// Drain effects first → 503.
    #[error("effect queue full")]
    EffectQueueFull,
}

/// PUBLISH errors (RFC 3903 §6).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PublishError {
    /// Wrong shard.
    #[error(transparent)]
    NotOwner(#[from] NotOwner),
    /// The AOR is not a subscriber → 404.
    #[error("unknown user")]
    UnknownUser,
    /// Step 4: no SIP-If-Match and no body → 400 Invalid Request.
    #[error("initial PUBLISH without a body")]
    MissingBody,
    /// No SIP-If-Match and Expires: 0: nothing to remove → 400 Invalid Request.
    #[error("initial PUBLISH with Expires: 0")]
    InitialRemove,
    /// Step 4: SIP-If-Match names no live publication → 412 Conditional Request Failed.
    #[error("unknown entity-tag")]
    UnknownEtag,
    /// Step 3: non-zero expiry below the minimum → 423 Interval Too Brief + Min-Expires.
    #[error("interval too brief (Min-Expires: {min_expires})")]
    IntervalTooBrief {
        /// Value for the Min-Expires header.
        min_expires: u32,
    },
    /// The note exceeds `max_note_bytes` → 413 Request Entity Too Large.
    #[error("note too long (limit {limit} bytes)")]
    NoteTooLong {
        /// The bound.
        limit: usize,
    },
    /// `max_publications_per_aor` reached → 503.
    #[error("too many publications (limit {limit})")]
    TooManyPublications {
        /// The bound.
        limit: usize,
    },
    /// Drain effects first → 503.
    #[error("effect queue full")]
    EffectQueueFull,
}

/// SUBSCRIBE errors (RFC 6665 §4.2.1, RFC 3856 §5).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SubscribeError {
    /// Wrong shard.
    #[error(transparent)]
    NotOwner(#[from] NotOwner),
    /// The presentity is not a subscriber → 404 Not Found.
    #[error("unknown presentity")]
    UnknownPresentity,
    /// RFC 3856 §5: the watcher is not authorised (not a buddy) → 403 Forbidden.
    #[error("watcher not authorised")]
    Forbidden,
    /// An in-dialog SUBSCRIBE for a subscription that does not exist (expired or never
    /// created) → 481 Subscription Does Not Exist (RFC 6665 §4.2.1.2).
    #[error("subscription does not exist")]
    NoSuchSubscription,
    /// Non-zero expiry below the minimum → 423 Interval Too Brief + Min-Expires.
    #[error("interval too brief (Min-Expires: {min_expires})")]
    IntervalTooBrief {
        /// Value for the Min-Expires header.
        min_expires: u32,
    },
    /// `max_watchers_per_presentity` or `max_watchers_per_shard` reached → 503.
    #[error("too many watchers (limit {limit})")]
    TooManyWatchers {
        /// The bound that was hit.
        limit: usize,
    },
    /// Drain effects first → 503.
    #[error("effect queue full")]
    EffectQueueFull,
}

macro_rules! sip_status {
    ($t:ty { $($p:pat => $code:expr),* $(,)? }) => {
        impl $t {
            /// The SIP response status code this error should be answered with.
            pub fn sip_status(&self) -> u16 {
                match self { $($p => $code),* }
            }
        }
    };
}

sip_status!(SubscriberError {
    Self::NotOwner(_) => 500,
    Self::Invalid(_) => 400,
    Self::AlreadyExists => 409,
    Self::Unknown => 404,
    Self::TooManySubscribers { .. } | Self::TooManyBuddies { .. } | Self::EffectQueueFull => 503,
});
sip_status!(RegistrarError {
    Self::NotOwner(_) | Self::OutOfOrder => 500,
    Self::UnknownUser => 404,
    Self::InvalidWildcard => 400,
    Self::IntervalTooBrief { .. } => 423,
    Self::TooManyContacts { .. } | Self::EffectQueueFull => 503,
});
sip_status!(PublishError {
    Self::NotOwner(_) => 500,
    Self::UnknownUser => 404,
    Self::MissingBody | Self::InitialRemove => 400,
    Self::UnknownEtag => 412,
    Self::IntervalTooBrief { .. } => 423,
    Self::NoteTooLong { .. } => 413,
    Self::TooManyPublications { .. } | Self::EffectQueueFull => 503,
});
sip_status!(SubscribeError {
    Self::NotOwner(_) => 500,
    Self::UnknownPresentity => 404,
    Self::Forbidden => 403,
    Self::NoSuchSubscription => 481,
    Self::IntervalTooBrief { .. } => 423,
    Self::TooManyWatchers { .. } | Self::EffectQueueFull => 503,
});
