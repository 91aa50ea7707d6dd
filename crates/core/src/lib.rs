//! # smartchat-core — the sans-IO presence and routing core
//!
//! This crate is the patent's *service server* (CN101262453B, claims C1–C7) reduced to pure
//! state machines: it knows who is registered where (RFC 3261 §10 registrar), what they
//! published (RFC 3903), who may watch them and who does (RFC 6665 / RFC 3856), composes one
//! status per user — available, busy, mobile, offline — and decides where an IM goes (C2/C3).
//!
//! ## Why sans-IO
//! Nothing here touches sockets, files, clocks, threads or glommio (DESIGN.md "Sans-IO core").
//! Time comes in as `now: u64` milliseconds; outputs are return values and a bounded queue of
//! [`Effect`]s. That is what lets `tests/simulation.rs` run thousands of seeded histories over
//! several shards in virtual time, and lets the runtime batch its I/O per reactor tick.
//!
//! ## Shape
//! * [`Subscriber`] — the provisioned profile (rkyv-archived for in-place snapshot reads;
//!   CSV import/export in [`parse_subscribers_csv`] / [`write_subscribers_csv`]).
//! * [`ShardMap`] — the versioned, stable hash map from AOR (and MSISDN) to owning shard.
//! * [`PresenceShard`] — one per core; owns every subscriber that hashes to it and all their
//!   state. The runtime calls one method per SIP request (`register`, `publish`, `subscribe`,
//!   `route_message`, …), drives `on_timer` at `next_deadline`, and drains effects.
//!
//! ## Driving a shard (what the runtime does per request)
//! ```
//! use smartchat_core::*;
//!
//! let map = ShardMap::new(1, 1).unwrap();
//! let mut shard = PresenceShard::new(ShardId(0), map, ShardConfig::default()).unwrap();
//! let alice = "sip:alice@example.com";
//! let row = "sip:alice@example.com,+8613800000001,on,secret,sip:bob@example.com";
//! for sub in parse_subscribers_csv(row).unwrap() {
//!     shard.add_subscriber(sub).unwrap();
//! }
//! // SUBSCRIBE from a buddy: 200, then the NOTIFY in the outcome (status: mobile).
//! let sub = SubscribeRequest {
//!     presentity: alice.into(),
//!     watcher: "sip:bob@example.com".into(),
//!     dialog: DialogKey { call_id: "s1".into(), from_tag: "b".into(), to_tag: "a".into() },
//!     watcher_target: "sip:bob@192.0.2.7".into(),
//!     expires_secs: Some(3600),
//!     in_dialog: false,
//! };
//! let out = shard.subscribe(&sub, 0).unwrap();
//! assert_eq!(out.notify.status, Some(Status::Mobile { msisdn: "+8613800000001".into() }));
//! // An IM now goes out as SMS (C3).
//! assert!(matches!(shard.route_message(alice, 0), Ok(RouteDecision::Mobile { .. })));
//! // REGISTER: alice is online; her watcher gets a NOTIFY through the effect queue.
//! let reg = RegisterRequest {
//!     call_id: "r1".into(),
//!     cseq: 1,
//!     expires_secs: Some(600),
//!     contacts: RegisterContacts::Bindings(vec![ContactBinding {
//!         uri: "sip:alice@192.0.2.1:5060".into(),
//!         expires_secs: None,
//!         q: None,
//!     }]),
//! };
//! shard.register(alice, &reg, 10_000).unwrap();
//! let mut effects = Vec::new();
//! shard.drain_effects(&mut effects);
//! assert!(effects.iter().any(|e| matches!(e, Effect::Notify(n) if n.status == Some(Status::Available))));
//! // The runtime sleeps until the next deadline and then calls on_timer.
//! assert_eq!(shard.next_deadline(), Some(610_000));
//! shard.on_timer(610_000);
//! assert_eq!(shard.status(alice), Some(&Status::Mobile { msisdn: "+8613800000001".into() }));
//! ```
//!
//! Keys are normalised AOR strings (`sip:user@host`, see [`normalize_aor`]); the SIP codec is a
//! separate crate this one does not depend on.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod aor;
mod config;
mod csv;
mod effect;
mod error;
mod provision;
mod publication;
mod registrar;
mod route;
mod shard;
mod shard_map;
mod status;
mod subscriber;
mod watcher;

pub use aor::{normalize_aor, validate_msisdn, AorError, MsisdnError};
pub use config::{ConfigError, ExpiryPolicy, Limits, ShardConfig};
pub use csv::{parse_subscribers_csv, write_subscribers_csv, CsvError, CsvErrorKind};
pub use effect::{DialogKey, Effect, Notify, SubscriptionState, TerminationReason};
pub use error::{NotOwner, PublishError, RegistrarError, SubscribeError, SubscriberError};
pub use provision::MsisdnIndexError;
pub use publication::PublishOutcome;
pub use registrar::{
    BindingView, ContactBinding, RegisterContacts, RegisterOutcome, RegisterRequest,
};
pub use route::RouteDecision;
pub use shard::{Counters, PresenceShard};
pub use shard_map::{fnv1a64, IndexFull, MapError, MsisdnIndex, Owner, ShardId, ShardMap};
pub use status::{compose_status, PublishedState, Status};
pub use subscriber::{
    access_snapshot, encode_snapshot, ArchivedSubscriber, ProfileError, SnapshotError, Subscriber,
};
pub use watcher::{SubscribeOutcome, SubscribeRequest, WatcherView};
