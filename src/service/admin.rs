//! Administrative operations on the shard that owns the subscriber.
//!
//! Upserts and removals are returned as [`StoreOp`]s in the outputs, so the runtime makes them
//! durable before the reply leaves; presence effects (a removed subscriber's watchers get a
//! terminating NOTIFY, a changed profile may change the composed status) go out with it.

use super::io::{AdminOp, AdminReply, Outputs, StoreOp};
use super::{routing, ShardService};

/// Applies one admin operation on this shard.
pub(crate) fn apply(
    svc: &mut ShardService,
    op: AdminOp,
    now: u64,
    out: &mut Outputs,
) -> AdminReply {
    match op {
        AdminOp::Upsert(sub) => match routing::upsert_subscriber(svc, (*sub).clone(), now, out) {
            Ok(()) => {
                out.persist.push(StoreOp::Upsert(sub));
                AdminReply::Done
            }
            Err(why) => AdminReply::Failed(why),
        },
        AdminOp::Remove(aor) => {
            if routing::remove_subscriber(svc, &aor, now, out) {
                out.persist.push(StoreOp::Remove(aor));
                AdminReply::Done
            } else {
                AdminReply::NotFound
            }
        }
        AdminOp::Export => AdminReply::Subscribers(routing::all_subscribers(svc)),
        AdminOp::Presence(aor) => match routing::presence_of(svc, &aor, now) {
            Some((status, contacts, watchers)) => AdminReply::Presence {
                status,
                contacts,
                watchers,
            },
            None => AdminReply::NotFound,
        },
    }
}

/// The shard that owns `aor` under `map` (the admin HTTP thread routes with it, outside any
/// shard).
pub fn owner(map: &smartchat_core::ShardMap, aor: &str) -> super::io::ShardId {
    routing::owner(map, aor)
}

/// What one shard holds and queues, for `GET /status` (`smartchat status`).
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ShardSnapshot {
    pub subscribers: usize,
    /// Registered contact bindings.
    pub contacts: usize,
    /// Presence watcher dialogs.
    pub watchers: usize,
    pub server_transactions: usize,
    pub client_transactions: usize,
    /// MESSAGEs waiting for the SMS fallback delay.
    pub fallbacks_waiting: usize,
    /// The SMSC session: state, submits in the window and waiting for it.
    pub smsc_state: String,
    pub smsc_in_flight: usize,
    pub smsc_queued: usize,
    pub smsc_reconnects: u64,
    pub sms_submits_sent: u64,
    pub sms_throttled: u64,
    /// Store-and-forward messages not yet final.
    pub relay_in_flight: usize,
    pub wal_live_segments: usize,
    pub wal_full: bool,
}

/// A snapshot of `svc` (walks the subscribers once for the contact count).
pub(crate) fn snapshot(svc: &ShardService) -> ShardSnapshot {
    let mut snap = ShardSnapshot {
        subscribers: svc.presence.subscriber_count(),
        contacts: svc.presence.contact_count(),
        watchers: svc.presence.watcher_count(),
        server_transactions: svc.server_txns.len(),
        client_transactions: svc.client_txns.len(),
        fallbacks_waiting: svc.fallbacks.len(),
        smsc_state: "none".to_owned(),
        ..ShardSnapshot::default()
    };
    if let Some(sms) = &svc.sms {
        let stats = sms.esme.stats();
        snap.smsc_state = format!("{:?}", sms.esme.state()).to_lowercase();
        snap.smsc_in_flight = sms.esme.in_flight();
        snap.smsc_queued = sms.esme.queued();
        snap.smsc_reconnects = stats.connections.saturating_sub(1);
        snap.sms_submits_sent = stats.submits_sent;
        snap.sms_throttled = stats.throttled;
        snap.relay_in_flight = sms.relay.in_flight();
        snap.wal_live_segments = sms.wal.live_segments();
        snap.wal_full = sms.is_full();
    }
    snap
}
