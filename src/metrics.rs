//! Per-shard counters and their Prometheus text rendering.
//!
//! Each shard writes only its own [`ShardCounters`] (relaxed atomics: no lock, no ordering
//! cost on x86), except the ring counters, which the sending shard bumps on the receiver's
//! entry so that `enqueued - dequeued` is the ring's current depth. The admin endpoint reads
//! them all. Counters are observability, not state: nothing on the data path reads them.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

macro_rules! counters {
    ($( $(#[$doc:meta])* $name:ident ),* $(,)?) => {
        /// One shard's counters.
        #[derive(Debug, Default)]
        pub struct ShardCounters {
            $( $(#[$doc])* pub $name: AtomicU64, )*
        }

        impl ShardCounters {
            /// (name, value) of every counter, in declaration order.
            pub fn snapshot(&self) -> Vec<(&'static str, u64)> {
                vec![$( (stringify!($name), self.$name.load(Ordering::Relaxed)), )*]
            }
        }
    };
}

counters! {
    /// SIP requests received, by method.
    sip_in_register, sip_in_publish, sip_in_subscribe, sip_in_message, sip_in_other,
    /// SIP responses received (to NOTIFY / relayed MESSAGE).
    sip_in_response,
    /// SIP responses sent, by class.
    sip_out_2xx, sip_out_3xx_6xx,
    /// SIP requests this node originated.
    sip_out_notify, sip_out_message,
    /// Messages that failed to parse (400 sent where possible).
    sip_parse_errors,
    /// Digest challenges sent and failures.
    auth_challenges, auth_failures,
    /// Presence transitions (a subscriber's composed status changed).
    presence_transitions,
    /// Client-transaction retransmissions (Timer E) and timeouts (Timer F).
    txn_retransmissions, txn_timeouts,
    /// Retransmitted requests absorbed by server transactions (Timers J/K).
    txn_absorbed,
    /// Ring traffic into this shard, and sends that found a ring full.
    ring_enqueued, ring_dequeued, ring_full,
    /// Open TCP connections (gauge).
    tcp_connections,
    /// Socket send errors.
    send_errors,
    /// Subscribers this shard owns (gauge, refreshed on every shard timer tick).
    subscribers,
    /// submit_sm the SMSC answered with a throttling status (ESME_RTHROTTLED / ESME_RMSGQFUL):
    /// an SMSC rate limit, not back-pressure between shards, so not counted as `ring_full`.
    sms_throttled,
}

/// Renders every shard's counters as Prometheus text exposition format 0.0.4.
pub fn render(shards: &[ShardCounters], admin_connections: usize) -> String {
    let mut out = String::new();
    let Some(first) = shards.first() else {
        return out;
    };
    for (index, (name, _)) in first.snapshot().into_iter().enumerate() {
        let kind = if matches!(name, "tcp_connections" | "subscribers") {
            "gauge"
        } else {
            "counter"
        };
        let metric = if kind == "counter" {
            format!("smartchat_{name}_total")
        } else {
            format!("smartchat_{name}")
        };
        let _ = writeln!(out, "# TYPE {metric} {kind}");
        for (shard, counters) in shards.iter().enumerate() {
            let value = counters.snapshot().get(index).map_or(0, |(_, v)| *v);
            let _ = writeln!(out, "{metric}{{shard=\"{shard}\"}} {value}");
        }
    }
    let _ = writeln!(out, "# TYPE smartchat_ring_depth gauge");
    for (shard, counters) in shards.iter().enumerate() {
        let depth = counters
            .ring_enqueued
            .load(Ordering::Relaxed)
            .saturating_sub(counters.ring_dequeued.load(Ordering::Relaxed));
        let _ = writeln!(out, "smartchat_ring_depth{{shard=\"{shard}\"}} {depth}");
    }
    let _ = writeln!(out, "# TYPE smartchat_shard0_tcp_connections gauge");
    let _ = writeln!(out, "smartchat_shard0_tcp_connections {admin_connections}");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_one_line_per_shard_and_ring_depth() {
        let shards: Vec<ShardCounters> = (0..2).map(|_| ShardCounters::default()).collect();
        shards[1].sip_in_message.fetch_add(7, Ordering::Relaxed);
        shards[1].ring_enqueued.fetch_add(5, Ordering::Relaxed);
        shards[1].ring_dequeued.fetch_add(3, Ordering::Relaxed);
        let text = render(&shards, 0);
        assert!(
            text.contains("smartchat_sip_in_message_total{shard=\"1\"} 7"),
            "{text}"
        );
        assert!(text.contains("smartchat_sip_in_message_total{shard=\"0\"} 0"));
        assert!(text.contains("smartchat_ring_depth{shard=\"1\"} 2"));
        assert!(text.contains("# TYPE smartchat_subscribers gauge"));
    }
}
