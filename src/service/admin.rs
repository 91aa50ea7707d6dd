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
