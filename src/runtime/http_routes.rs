//! The admin API's paths (the token check and the bounds are in [`super::http`]).
//!
//! | method | path                | token | what |
//! |--------|---------------------|-------|------|
//! | GET    | /health             | no    | readiness JSON (200 ok/degraded, 503 down) |
//! | GET    | /metrics            | no    | Prometheus text |
//! | GET    | /status             | yes   | shards, subscribers, contacts, SMSC, queues, counters (JSON) |
//! | GET    | /subscribers        | yes   | every subscriber as CSV |
//! | POST   | /subscribers        | yes   | CSV lines (header optional): add or replace each |
//! | DELETE | /subscribers/{aor}  | yes   | remove one subscriber |
//! | GET    | /presence/{aor}     | yes   | status, contacts, watcher count (JSON) |
//! | POST   | /simulator/mo?from=MSISDN&to=ADDR | yes | built-in SMSC: inject an MO (body = text) |
//! | GET    | /simulator/submits  | yes   | built-in SMSC: every submit_sm it accepted, as CSV |
//! | GET    | /simulator/counters | yes   | built-in SMSC: its counters |

use super::admin::{AdminJob, JobReply, Work, UPSERT_CHUNK};
use super::http::{HttpContext, Reply};
use crate::service::io::{AdminOp, AdminReply};
use futures_channel::oneshot;
use hyper::Method;
use serde_json::json;

pub(crate) async fn route(
    ctx: &HttpContext,
    method: &Method,
    path: &str,
    query: &str,
    body: &[u8],
) -> Reply {
    match (method.as_str(), path) {
        ("GET", "/health") => {
            let report = ctx.health.report();
            Reply::json(report.http_status(), &report)
        }
        ("GET", "/metrics") => {
            let shard0_connections = ctx.health.shard(0).map_or(0, |s| s.tcp_connections());
            Reply {
                status: 200,
                content_type: "text/plain; version=0.0.4",
                body: crate::metrics::render(&ctx.counters, shard0_connections).into_bytes(),
            }
        }
        ("GET", "/status") => status(ctx).await,
        ("GET", "/subscribers") => export(ctx).await,
        ("POST", "/subscribers") => import(ctx, body).await,
        ("DELETE", p) if p.starts_with("/subscribers/") => {
            let aor = percent_decode(&p["/subscribers/".len()..]);
            let owner = crate::service::admin::owner(&ctx.map, &aor);
            match call(ctx, owner, Work::Op(AdminOp::Remove(aor))).await {
                Ok(JobReply::Op(AdminReply::Done)) => Reply::text(200, "removed"),
                Ok(JobReply::Op(AdminReply::NotFound)) => Reply::text(404, "no such subscriber"),
                Ok(JobReply::Op(AdminReply::Failed(why))) => Reply::text(507, why),
                Ok(other) => Reply::text(500, format!("{other:?}")),
                Err(reply) => reply,
            }
        }
        ("GET", p) if p.starts_with("/presence/") => {
            let aor = percent_decode(&p["/presence/".len()..]);
            let owner = crate::service::admin::owner(&ctx.map, &aor);
            match call(ctx, owner, Work::Op(AdminOp::Presence(aor))).await {
                Ok(JobReply::Op(AdminReply::Presence {
                    status,
                    contacts,
                    watchers,
                })) => Reply::json(
                    200,
                    &json!({"status": status, "contacts": contacts, "watchers": watchers.len()}),
                ),
                Ok(JobReply::Op(AdminReply::NotFound)) => Reply::text(404, "no such subscriber"),
                Ok(other) => Reply::text(500, format!("{other:?}")),
                Err(reply) => reply,
            }
        }
        ("POST", "/simulator/mo") => {
            let Some(sim) = ctx.simulator.as_ref() else {
                return Reply::text(
                    409,
                    "no built-in SMSC simulator (an external SMSC is configured)",
                );
            };
            let param = |name: &str| {
                query
                    .split('&')
                    .filter_map(|kv| kv.split_once('='))
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| percent_decode(v))
            };
            let (Some(from), Some(to)) = (param("from"), param("to")) else {
                return Reply::text(400, "need ?from=MSISDN&to=ADDRESS and the text as body");
            };
            let text = String::from_utf8_lossy(body);
            match sim.inject_mo(&from, &to, &text) {
                Ok(parts) => Reply::text(200, format!("{parts} part(s) queued")),
                Err(e) => Reply::text(503, e.to_string()),
            }
        }
        ("GET", "/simulator/submits") => {
            let Some(sim) = ctx.simulator.as_ref() else {
                return Reply::text(409, "no built-in SMSC simulator");
            };
            let mut csv = String::from("message_id,source,dest,data_coding,esm_class,text\n");
            for s in sim.submits() {
                let text = s.text.unwrap_or_default().replace(['\n', '\r', ','], " ");
                csv.push_str(&format!(
                    "{},{},{},{},{},{}\n",
                    s.message_id, s.source, s.dest, s.data_coding, s.esm_class, text
                ));
            }
            Reply {
                status: 200,
                content_type: "text/csv",
                body: csv.into_bytes(),
            }
        }
        ("GET", "/simulator/counters") => {
            let Some(sim) = ctx.simulator.as_ref() else {
                return Reply::text(409, "no built-in SMSC simulator");
            };
            Reply::text(200, format!("{:?}", sim.counters()))
        }
        _ => Reply::text(404, "unknown endpoint"),
    }
}

/// Puts `work` on `shard`'s admin ring and waits for the answer (the caller bounds the wait).
/// A full ring or a shard that is gone is 503 at once.
async fn call(ctx: &HttpContext, shard: usize, work: Work) -> Result<JobReply, Reply> {
    let Some(ring) = ctx.admin.get(shard) else {
        return Err(Reply::text(500, format!("no shard {shard}")));
    };
    let (reply, answer) = oneshot::channel();
    match ring.try_send(AdminJob { work, reply }) {
        Ok(()) => {}
        Err(crossbeam::channel::TrySendError::Full(_)) => {
            return Err(Reply::text(
                503,
                format!("shard {shard}'s admin ring is full; retry"),
            ))
        }
        Err(crossbeam::channel::TrySendError::Disconnected(_)) => {
            return Err(Reply::text(503, format!("shard {shard} is not running")))
        }
    }
    answer
        .await
        .map_err(|_| Reply::text(503, format!("shard {shard} stopped before answering")))
}

async fn export(ctx: &HttpContext) -> Reply {
    let mut all = Vec::new();
    for shard in 0..ctx.admin.len() {
        match call(ctx, shard, Work::Op(AdminOp::Export)).await {
            Ok(JobReply::Op(AdminReply::Subscribers(list))) => all.extend(list),
            Ok(other) => return Reply::text(500, format!("{other:?}")),
            Err(reply) => return reply,
        }
    }
    all.sort_by(|a, b| a.aor.cmp(&b.aor));
    let mut csv = String::new();
    smartchat_core::write_subscribers_csv(&all, &mut csv);
    Reply {
        status: 200,
        content_type: "text/csv",
        body: csv.into_bytes(),
    }
}

async fn import(ctx: &HttpContext, body: &[u8]) -> Reply {
    let Ok(text) = std::str::from_utf8(body) else {
        return Reply::text(400, "body is not UTF-8");
    };
    let subscribers = match smartchat_core::parse_subscribers_csv(text) {
        Ok(s) => s,
        Err(e) => return Reply::text(400, e.to_string()),
    };
    let count = subscribers.len();
    let mut by_shard: Vec<Vec<smartchat_core::Subscriber>> = vec![Vec::new(); ctx.admin.len()];
    for sub in subscribers {
        let owner = crate::service::admin::owner(&ctx.map, &sub.aor);
        if let Some(list) = by_shard.get_mut(owner) {
            list.push(sub);
        }
    }
    let mut stored = 0;
    for (shard, mut list) in by_shard.into_iter().enumerate() {
        while !list.is_empty() {
            let rest = list.split_off(list.len().min(UPSERT_CHUNK));
            match call(ctx, shard, Work::UpsertMany(list)).await {
                Ok(JobReply::Upserted(Ok(n))) => stored += n,
                Ok(JobReply::Upserted(Err(why))) => {
                    return Reply::text(507, format!("{why} ({stored} of {count} stored)"))
                }
                Ok(other) => return Reply::text(500, format!("{other:?}")),
                Err(reply) => return reply,
            }
            list = rest;
        }
    }
    Reply::text(200, format!("{stored} subscribers stored"))
}

async fn status(ctx: &HttpContext) -> Reply {
    // Ask every shard first, then wait: the shards answer in parallel.
    let mut waiting = Vec::with_capacity(ctx.admin.len());
    for ring in &ctx.admin {
        let (reply, answer) = oneshot::channel();
        let sent = ring.try_send(AdminJob {
            work: Work::Snapshot,
            reply,
        });
        waiting.push(sent.ok().map(|()| answer));
    }
    let report = ctx.health.report();
    let mut shards = Vec::with_capacity(waiting.len());
    let mut totals = crate::service::admin::ShardSnapshot::default();
    for (id, answer) in waiting.into_iter().enumerate() {
        let snapshot = match answer {
            Some(answer) => match tokio::time::timeout(SNAPSHOT_WAIT, answer).await {
                Ok(Ok(JobReply::Snapshot(s))) => Some(*s),
                _ => None,
            },
            None => None,
        };
        if let Some(s) = &snapshot {
            add(&mut totals, s);
        }
        let counters: serde_json::Map<String, serde_json::Value> = ctx
            .counters
            .get(id)
            .map(|c| {
                c.snapshot()
                    .into_iter()
                    .map(|(name, value)| (name.to_owned(), json!(value)))
                    .collect()
            })
            .unwrap_or_default();
        let ring_depth = ctx.counters.get(id).map_or(0, |c| {
            let load =
                |a: &std::sync::atomic::AtomicU64| a.load(std::sync::atomic::Ordering::Relaxed);
            load(&c.ring_enqueued).saturating_sub(load(&c.ring_dequeued))
        });
        shards.push(json!({
            "shard": id,
            "health": report.shards.get(id),
            "tcp_connections": ctx.health.shard(id).map_or(0, |s| s.tcp_connections()),
            "ring_depth": ring_depth,
            "admin_ring_depth": ctx.admin.get(id).map_or(0, |r| r.len()),
            "state": snapshot,
            "counters": counters,
        }));
    }
    Reply::json(
        200,
        &json!({
            "status": report.status,
            "reasons": report.reasons,
            "version": env!("CARGO_PKG_VERSION"),
            "uptime_ms": report.uptime_ms,
            "shard_count": shards.len(),
            "smsc": report.smsc,
            "smsc_simulator": ctx.simulator.is_some(),
            "wal": report.wal,
            "totals": totals,
            "shards": shards,
        }),
    )
}

/// How long `/status` waits for one shard's snapshot before reporting it as unanswered (null).
const SNAPSHOT_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

fn add(total: &mut crate::service::admin::ShardSnapshot, s: &crate::service::admin::ShardSnapshot) {
    total.subscribers += s.subscribers;
    total.contacts += s.contacts;
    total.watchers += s.watchers;
    total.server_transactions += s.server_transactions;
    total.client_transactions += s.client_transactions;
    total.fallbacks_waiting += s.fallbacks_waiting;
    total.smsc_in_flight += s.smsc_in_flight;
    total.smsc_queued += s.smsc_queued;
    total.smsc_reconnects += s.smsc_reconnects;
    total.sms_submits_sent += s.sms_submits_sent;
    total.sms_throttled += s.sms_throttled;
    total.relay_in_flight += s.relay_in_flight;
    total.wal_live_segments += s.wal_live_segments;
    total.wal_full |= s.wal_full;
    total.smsc_state = "-".to_owned();
}

/// Decodes `%XX` escapes in a path segment (AORs contain `:` and `@`, often escaped).
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok());
            if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding_of_aors() {
        assert_eq!(
            percent_decode("sip%3Aalice%40example.com"),
            "sip:alice@example.com"
        );
        assert_eq!(percent_decode("sip:bob@example.com"), "sip:bob@example.com");
        assert_eq!(percent_decode("bad%zz"), "bad%zz");
        assert_eq!(percent_decode("trail%4"), "trail%4");
        assert_eq!(percent_decode("end%41"), "endA");
    }
}
