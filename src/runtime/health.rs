//! Readiness: what each shard last said about itself, and the verdict `GET /health` serves.
//!
//! Why atomics a shard writes rather than a question the HTTP thread asks: a shard that has
//! died or is stuck in a loop cannot answer a question, and readiness exists precisely to report
//! that. Each shard stamps a heartbeat and its SMSC and WAL state on every timer tick (a few
//! relaxed stores); a guard around the shard's thread marks it failed when it returns an error or
//! panics. The verdict is then a pure function of those values and the clock.

use serde::Serialize;
use smartchat_esme::SessionState;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// A shard whose heartbeat is older than this is reported stalled (down). Generous: a tick is
/// 10 ms, but a loaded 2-core machine can starve a thread for a while.
pub const STALL_AFTER_MS: u64 = 5_000;

/// Where a shard's life is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ShardState {
    Starting,
    Serving,
    Stopping,
    Stopped,
    Failed,
}

/// The SMSC session of one shard, as readiness sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SmscState {
    Disconnected,
    Binding,
    Bound,
    Unbinding,
}

/// One shard's WAL, as readiness sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WalState {
    /// Accepting SMS work.
    Ok,
    /// At its bound: new SMS work gets 503 until segments are reclaimed.
    Full,
    /// A write or fdatasync failed; the writer refuses every batch (restart needed).
    Poisoned,
}

/// The node's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Ok,
    Degraded,
    Down,
}

/// What one shard publishes (written by the shard, read by the HTTP thread).
#[derive(Debug)]
pub struct ShardLiveness {
    state: AtomicU8,
    heartbeat_ms: AtomicU64,
    smsc: AtomicU8,
    wal: AtomicU8,
    tcp_connections: AtomicU64,
}

impl Default for ShardLiveness {
    fn default() -> Self {
        Self {
            state: AtomicU8::new(ShardState::Starting as u8),
            heartbeat_ms: AtomicU64::new(0),
            smsc: AtomicU8::new(SmscState::Disconnected as u8),
            wal: AtomicU8::new(WalState::Ok as u8),
            tcp_connections: AtomicU64::new(0),
        }
    }
}

impl ShardLiveness {
    pub fn set_state(&self, state: ShardState) {
        self.state.store(state as u8, Ordering::Release);
    }

    /// The tick's report: alive at `now_ms`, with this SMSC session and WAL.
    pub fn beat(&self, now_ms: u64, smsc: SmscState, wal: WalState, tcp_connections: usize) {
        self.heartbeat_ms.store(now_ms, Ordering::Release);
        self.smsc.store(smsc as u8, Ordering::Relaxed);
        // Poisoned is sticky: the writer never recovers without a restart.
        if self.wal.load(Ordering::Relaxed) != WalState::Poisoned as u8 {
            self.wal.store(wal as u8, Ordering::Relaxed);
        }
        self.tcp_connections
            .store(tcp_connections as u64, Ordering::Relaxed);
    }

    pub fn wal_poisoned(&self) {
        self.wal.store(WalState::Poisoned as u8, Ordering::Release);
    }

    pub fn state(&self) -> ShardState {
        match self.state.load(Ordering::Acquire) {
            0 => ShardState::Starting,
            1 => ShardState::Serving,
            2 => ShardState::Stopping,
            3 => ShardState::Stopped,
            _ => ShardState::Failed,
        }
    }

    pub fn tcp_connections(&self) -> usize {
        usize::try_from(self.tcp_connections.load(Ordering::Relaxed)).unwrap_or(usize::MAX)
    }

    fn view(&self, id: usize, now_ms: u64) -> ShardView {
        let smsc = match self.smsc.load(Ordering::Relaxed) {
            0 => SmscState::Disconnected,
            1 => SmscState::Binding,
            2 => SmscState::Bound,
            _ => SmscState::Unbinding,
        };
        let wal = match self.wal.load(Ordering::Acquire) {
            0 => WalState::Ok,
            1 => WalState::Full,
            _ => WalState::Poisoned,
        };
        let state = self.state();
        let heartbeat_age_ms = (state == ShardState::Serving)
            .then(|| now_ms.saturating_sub(self.heartbeat_ms.load(Ordering::Acquire)));
        ShardView {
            shard: id,
            state,
            heartbeat_age_ms,
            stalled: heartbeat_age_ms.is_some_and(|age| age > STALL_AFTER_MS),
            smsc,
            wal,
        }
    }
}

impl From<SessionState> for SmscState {
    fn from(s: SessionState) -> Self {
        match s {
            SessionState::Disconnected => SmscState::Disconnected,
            SessionState::Binding => SmscState::Binding,
            SessionState::Bound => SmscState::Bound,
            SessionState::Unbinding => SmscState::Unbinding,
        }
    }
}

/// Every shard's liveness, shared by the shards and the HTTP thread.
#[derive(Debug)]
pub struct NodeHealth {
    started: Instant,
    shards: Box<[ShardLiveness]>,
}

impl NodeHealth {
    pub fn new(shards: usize, started: Instant) -> Arc<Self> {
        Arc::new(Self {
            started,
            shards: (0..shards).map(|_| ShardLiveness::default()).collect(),
        })
    }

    pub fn shard(&self, id: usize) -> Option<&ShardLiveness> {
        self.shards.get(id)
    }

    pub fn shard_count(&self) -> usize {
        self.shards.len()
    }

    /// Milliseconds since the node started (the shards' clock).
    pub fn now_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// The readiness report as of now.
    pub fn report(&self) -> HealthReport {
        let now = self.now_ms();
        let shards: Vec<ShardView> = self
            .shards
            .iter()
            .enumerate()
            .map(|(id, s)| s.view(id, now))
            .collect();
        HealthReport::assess(shards, now)
    }
}

/// One shard in the report.
#[derive(Debug, Clone, Serialize)]
pub struct ShardView {
    pub shard: usize,
    pub state: ShardState,
    /// Milliseconds since the shard's last tick (only while serving).
    pub heartbeat_age_ms: Option<u64>,
    pub stalled: bool,
    pub smsc: SmscState,
    pub wal: WalState,
}

/// The node's SMSC binds, summed over the shards' sessions.
#[derive(Debug, Clone, Serialize)]
pub struct SmscSummary {
    /// `bound` (every session), `partial`, or `unbound` (none).
    pub state: &'static str,
    pub bound_sessions: usize,
    pub sessions: usize,
}

/// The WALs, summed over the shards.
#[derive(Debug, Clone, Serialize)]
pub struct WalSummary {
    /// The worst shard's state.
    pub state: WalState,
    pub poisoned_shards: usize,
    pub full_shards: usize,
}

/// What `GET /health` serves (JSON), with its HTTP status.
#[derive(Debug, Clone, Serialize)]
pub struct HealthReport {
    pub status: Verdict,
    /// Why the node is not `ok`, one line each.
    pub reasons: Vec<String>,
    pub uptime_ms: u64,
    pub shards: Vec<ShardView>,
    pub smsc: SmscSummary,
    pub wal: WalSummary,
}

impl HealthReport {
    /// Down: a shard is not serving (starting, stopping, failed) or stalled, or a WAL is
    /// poisoned. Degraded: the node accepts and queues, but an SMSC session is not bound or a
    /// WAL is full. Ok otherwise.
    pub fn assess(shards: Vec<ShardView>, uptime_ms: u64) -> Self {
        let mut down = Vec::new();
        let mut degraded = Vec::new();
        for s in &shards {
            match s.state {
                ShardState::Serving if s.stalled => down.push(format!(
                    "shard {} stalled (no heartbeat for {} ms)",
                    s.shard,
                    s.heartbeat_age_ms.unwrap_or(0)
                )),
                ShardState::Serving => {}
                other => down.push(format!("shard {} is {other:?}", s.shard).to_lowercase()),
            }
            match s.wal {
                WalState::Poisoned => down.push(format!("shard {} WAL poisoned", s.shard)),
                WalState::Full => degraded.push(format!("shard {} WAL full", s.shard)),
                WalState::Ok => {}
            }
            if s.smsc != SmscState::Bound && s.state == ShardState::Serving {
                degraded
                    .push(format!("shard {} SMSC session {:?}", s.shard, s.smsc).to_lowercase());
            }
        }
        let bound = shards.iter().filter(|s| s.smsc == SmscState::Bound).count();
        let poisoned = shards
            .iter()
            .filter(|s| s.wal == WalState::Poisoned)
            .count();
        let full = shards.iter().filter(|s| s.wal == WalState::Full).count();
        let status = if !down.is_empty() {
            Verdict::Down
        } else if !degraded.is_empty() {
            Verdict::Degraded
        } else {
            Verdict::Ok
        };
        let smsc_state = match bound {
            0 => "unbound",
            n if n == shards.len() => "bound",
            _ => "partial",
        };
        let wal_state = if poisoned > 0 {
            WalState::Poisoned
        } else if full > 0 {
            WalState::Full
        } else {
            WalState::Ok
        };
        down.append(&mut degraded);
        Self {
            status,
            reasons: down,
            uptime_ms,
            smsc: SmscSummary {
                state: smsc_state,
                bound_sessions: bound,
                sessions: shards.len(),
            },
            wal: WalSummary {
                state: wal_state,
                poisoned_shards: poisoned,
                full_shards: full,
            },
            shards,
        }
    }

    /// 200 while the node accepts work (ok or degraded), 503 when down.
    pub fn http_status(&self) -> u16 {
        match self.status {
            Verdict::Down => 503,
            Verdict::Ok | Verdict::Degraded => 200,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serving(health: &NodeHealth, smsc: SmscState, wal: WalState) {
        for id in 0..health.shard_count() {
            let s = health.shard(id).expect("shard");
            s.set_state(ShardState::Serving);
            s.beat(health.now_ms(), smsc, wal, 0);
        }
    }

    #[test]
    fn starting_shards_are_down_then_bound_shards_are_ok() {
        let health = NodeHealth::new(2, Instant::now());
        let report = health.report();
        assert_eq!(report.status, Verdict::Down);
        assert_eq!(report.http_status(), 503);
        serving(&health, SmscState::Bound, WalState::Ok);
        let report = health.report();
        assert_eq!(report.status, Verdict::Ok, "{:?}", report.reasons);
        assert_eq!(report.smsc.state, "bound");
        assert_eq!(report.http_status(), 200);
    }

    #[test]
    fn unbound_smsc_or_full_wal_is_degraded() {
        let health = NodeHealth::new(2, Instant::now());
        serving(&health, SmscState::Disconnected, WalState::Ok);
        let report = health.report();
        assert_eq!(report.status, Verdict::Degraded);
        assert_eq!(report.smsc.state, "unbound");
        assert_eq!(report.http_status(), 200);
        serving(&health, SmscState::Bound, WalState::Full);
        assert_eq!(health.report().status, Verdict::Degraded);
    }

    #[test]
    fn a_failed_shard_or_a_poisoned_wal_is_down() {
        let health = NodeHealth::new(3, Instant::now());
        serving(&health, SmscState::Bound, WalState::Ok);
        health
            .shard(2)
            .expect("shard")
            .set_state(ShardState::Failed);
        let report = health.report();
        assert_eq!(report.status, Verdict::Down);
        assert!(
            report.reasons.iter().any(|r| r.contains("shard 2")),
            "{:?}",
            report.reasons
        );

        let health = NodeHealth::new(2, Instant::now());
        serving(&health, SmscState::Bound, WalState::Ok);
        health.shard(1).expect("shard").wal_poisoned();
        // A later tick does not clear it.
        health
            .shard(1)
            .expect("shard")
            .beat(health.now_ms(), SmscState::Bound, WalState::Ok, 0);
        let report = health.report();
        assert_eq!(report.status, Verdict::Down);
        assert_eq!(report.wal.state, WalState::Poisoned);
        assert_eq!(report.http_status(), 503);
    }

    #[test]
    fn a_stale_heartbeat_is_a_stalled_shard() {
        let view = |age| ShardView {
            shard: 1,
            state: ShardState::Serving,
            heartbeat_age_ms: Some(age),
            stalled: age > STALL_AFTER_MS,
            smsc: SmscState::Bound,
            wal: WalState::Ok,
        };
        assert_eq!(HealthReport::assess(vec![view(10)], 0).status, Verdict::Ok);
        let report = HealthReport::assess(vec![view(STALL_AFTER_MS + 1)], 0);
        assert_eq!(report.status, Verdict::Down);
        assert!(report.reasons[0].contains("stalled"));
    }
}
