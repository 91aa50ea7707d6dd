//! How `smartchat status` and `smartchat stats` print `GET /status` for a person.
//!
//! Kept apart from the HTTP client so the layout is tested on a JSON value, and working from
//! `serde_json::Value` rather than the server's types so that a CLI of one version still prints
//! what it can of another version's answer (a missing field prints as `-`).

use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;

fn field(v: &Value, path: &[&str]) -> String {
    let mut cur = v;
    for key in path {
        match cur.get(key) {
            Some(next) => cur = next,
            None => return "-".to_owned(),
        }
    }
    match cur {
        Value::String(s) => s.clone(),
        Value::Null => "-".to_owned(),
        other => other.to_string(),
    }
}

/// The status table: node summary, totals, then one line per shard.
pub fn table(v: &Value) -> String {
    let mut out = String::new();
    let uptime_s = v
        .get("uptime_ms")
        .and_then(Value::as_u64)
        .map_or("-".to_owned(), |ms| format!("{:.1}s", ms as f64 / 1000.0));
    let _ = writeln!(
        out,
        "status {}  uptime {}  shards {}  version {}",
        field(v, &["status"]),
        uptime_s,
        field(v, &["shard_count"]),
        field(v, &["version"]),
    );
    if let Some(reasons) = v.get("reasons").and_then(Value::as_array) {
        for r in reasons {
            let _ = writeln!(out, "  reason: {}", r.as_str().unwrap_or_default());
        }
    }
    let _ = writeln!(
        out,
        "smsc {} ({}/{} sessions bound{})  wal {}",
        field(v, &["smsc", "state"]),
        field(v, &["smsc", "bound_sessions"]),
        field(v, &["smsc", "sessions"]),
        if v.get("smsc_simulator").and_then(Value::as_bool) == Some(true) {
            ", built-in simulator"
        } else {
            ""
        },
        field(v, &["wal", "state"]),
    );
    let t = |k: &str| field(v, &["totals", k]);
    let _ = writeln!(
        out,
        "subscribers {}  contacts {}  watchers {}  transactions {}/{}  sms in flight {}  smsc window {}  smsc queue {}",
        t("subscribers"),
        t("contacts"),
        t("watchers"),
        t("server_transactions"),
        t("client_transactions"),
        t("relay_in_flight"),
        t("smsc_in_flight"),
        t("smsc_queued"),
    );
    let _ = writeln!(
        out,
        "{:<6}{:<10}{:>10} {:<13}{:<9}{:>8}{:>9}{:>9}{:>8}{:>8}{:>7}{:>6}{:>6}",
        "shard",
        "state",
        "beat_ms",
        "smsc",
        "wal",
        "subs",
        "contacts",
        "watchers",
        "s_txn",
        "c_txn",
        "smsc_q",
        "ring",
        "tcp"
    );
    for shard in v
        .get("shards")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let s = |k: &str| field(shard, &["state", k]);
        let _ = writeln!(
            out,
            "{:<6}{:<10}{:>10} {:<13}{:<9}{:>8}{:>9}{:>9}{:>8}{:>8}{:>7}{:>6}{:>6}",
            field(shard, &["shard"]),
            field(shard, &["health", "state"]),
            field(shard, &["health", "heartbeat_age_ms"]),
            field(shard, &["health", "smsc"]),
            field(shard, &["health", "wal"]),
            s("subscribers"),
            s("contacts"),
            s("watchers"),
            s("server_transactions"),
            s("client_transactions"),
            s("smsc_queued"),
            field(shard, &["ring_depth"]),
            field(shard, &["tcp_connections"]),
        );
    }
    out
}

/// Every counter summed over the shards.
fn counter_totals(v: &Value) -> BTreeMap<String, u64> {
    let mut totals = BTreeMap::new();
    for shard in v
        .get("shards")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(counters) = shard.get("counters").and_then(Value::as_object) {
            for (name, value) in counters {
                *totals.entry(name.clone()).or_insert(0) += value.as_u64().unwrap_or(0);
            }
        }
    }
    totals
}

/// `name total rate/s` for every counter, the rate from two samples.
pub fn rates(first: &Value, second: &Value) -> String {
    let elapsed_ms = second
        .get("uptime_ms")
        .and_then(Value::as_u64)
        .zip(first.get("uptime_ms").and_then(Value::as_u64))
        .map_or(0, |(b, a)| b.saturating_sub(a));
    let before = counter_totals(first);
    let after = counter_totals(second);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<28}{:>14}{:>12}   (rates over {:.2}s)",
        "counter",
        "total",
        "per_second",
        elapsed_ms as f64 / 1000.0
    );
    for (name, total) in &after {
        let delta = total.saturating_sub(before.get(name).copied().unwrap_or(0));
        let rate = if elapsed_ms == 0 {
            0.0
        } else {
            delta as f64 * 1000.0 / elapsed_ms as f64
        };
        let _ = writeln!(out, "{name:<28}{total:>14}{rate:>12.1}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample(uptime: u64, messages: u64) -> Value {
        json!({
            "status": "degraded", "reasons": ["shard 1 smsc session disconnected"],
            "uptime_ms": uptime, "shard_count": 2, "version": "0.1.0",
            "smsc": {"state": "partial", "bound_sessions": 1, "sessions": 2},
            "wal": {"state": "ok"}, "totals": {"subscribers": 7, "contacts": 2},
            "shards": [
                {"shard": 0, "health": {"state": "serving", "smsc": "bound", "wal": "ok"},
                 "state": {"subscribers": 3}, "counters": {"sip_in_message": messages}},
                {"shard": 1, "health": {"state": "serving", "smsc": "disconnected", "wal": "ok"},
                 "state": null, "counters": {"sip_in_message": 1}}
            ]
        })
    }

    #[test]
    fn table_has_a_line_per_shard_and_the_totals() {
        let text = table(&sample(1500, 4));
        assert!(
            text.starts_with("status degraded  uptime 1.5s  shards 2"),
            "{text}"
        );
        assert!(text.contains("subscribers 7  contacts 2"), "{text}");
        assert!(text.contains("reason: shard 1 smsc"), "{text}");
        let shard_lines: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("0 ") || l.starts_with("1 "))
            .collect();
        assert_eq!(shard_lines.len(), 2, "{text}");
        assert!(shard_lines[1].contains("disconnected"), "{text}");
    }

    #[test]
    fn rates_come_from_the_delta() {
        let text = rates(&sample(1000, 5), &sample(3000, 25));
        let line = text
            .lines()
            .find(|l| l.starts_with("sip_in_message"))
            .expect("counter line");
        let cols: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(cols, ["sip_in_message", "26", "10.0"], "{text}");
    }
}
