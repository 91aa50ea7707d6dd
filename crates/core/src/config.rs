//! Limits and timing policy for one shard.
//!
//! TIGER_STYLE: every map and queue has a bound, chosen at start-up. Hitting a bound is a typed
//! error that the runtime turns into a SIP response (usually 503 with Retry-After), never an
//! unbounded allocation. The expiry policies carry the RFC knobs: the registrar's minimum and
//! maximum (RFC 3261 §10.3 steps 6–7, 423 + Min-Expires), the ESC's (RFC 3903 §6 step 3) and
//! the notifier's (RFC 6665 §4.2.1.1).

use thiserror::Error;

/// Bounds on every collection a shard owns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Subscribers this shard may own.
    pub max_subscribers: usize,
    /// Contact bindings per AOR (RFC 3261 §10.3 leaves the number to local policy).
    pub max_contacts_per_aor: usize,
    /// Live publications (distinct ETags) per AOR (RFC 3903 §4.1: one per publishing device).
    pub max_publications_per_aor: usize,
    /// Bytes in a published free-text note.
    pub max_note_bytes: usize,
    /// Buddies (authorised watchers) in one profile.
    pub max_buddies: usize,
    /// Watcher dialogs on one presentity.
    pub max_watchers_per_presentity: usize,
    /// Watcher dialogs on the whole shard.
    pub max_watchers_per_shard: usize,
    /// MSISDN → AOR entries that hash to this shard.
    pub max_msisdn_index: usize,
    /// Effects waiting to be drained. A request that could overflow the queue is refused
    /// before it changes anything; drain after every call.
    pub max_pending_effects: usize,
    /// Subscribers whose deadlines one [`crate::PresenceShard::on_timer`] call processes.
    pub max_timer_batch: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_subscribers: 1_000_000,
            max_contacts_per_aor: 8,
            max_publications_per_aor: 8,
            max_note_bytes: 256,
            max_buddies: 1_000,
            max_watchers_per_presentity: 1_000,
            max_watchers_per_shard: 2_000_000,
            max_msisdn_index: 1_000_000,
            max_pending_effects: 65_536,
            max_timer_batch: 1_024,
        }
    }
}

/// Expiry negotiation for one request kind, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExpiryPolicy {
    /// A non-zero request below this is refused with 423 Interval Too Brief + Min-Expires.
    pub min_secs: u32,
    /// Requests above this are shortened to it.
    pub max_secs: u32,
    /// Used when the request carries no expiry at all.
    pub default_secs: u32,
}

impl ExpiryPolicy {
    /// Resolves a requested interval: `Ok(0)` for removal, `Err(min)` for 423, else the
    /// clamped interval.
    pub fn resolve(&self, requested: Option<u32>) -> Result<u32, u32> {
        match requested.unwrap_or(self.default_secs) {
            0 => Ok(0),
            s if s < self.min_secs => Err(self.min_secs),
            s => Ok(s.min(self.max_secs)),
        }
    }

    fn check(&self, name: &'static str) -> Result<(), ConfigError> {
        if self.min_secs == 0
            || self.min_secs > self.default_secs
            || self.default_secs > self.max_secs
        {
            return Err(ConfigError::Expiry(name));
        }
        Ok(())
    }
}

/// Everything a [`crate::PresenceShard`] is configured with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardConfig {
    /// Collection bounds.
    pub limits: Limits,
    /// REGISTER (RFC 3261 §10.3; default 3600 s per §10.2.1.1).
    pub register: ExpiryPolicy,
    /// PUBLISH (RFC 3903 §6; default 3600 s per RFC 3903 §4.1 / RFC 3856 §6).
    pub publish: ExpiryPolicy,
    /// SUBSCRIBE to presence (RFC 6665 §4.2.1.1; RFC 3856 §6.4 default 3600 s).
    pub subscribe: ExpiryPolicy,
    /// At most one NOTIFY per watcher dialog per this many ms (RFC 6665 §4.2.2 rate control);
    /// 0 disables the limit. Changes inside the window are coalesced, never dropped.
    pub min_notify_interval_ms: u64,
    /// Mixed into every SIP-ETag (RFC 3903 §4.1) so tags stay unique across restarts: pass
    /// something that differs per boot (boot time, generation counter).
    pub etag_seed: u64,
}

impl Default for ShardConfig {
    fn default() -> Self {
        let p = ExpiryPolicy {
            min_secs: 60,
            max_secs: 86_400,
            default_secs: 3_600,
        };
        Self {
            limits: Limits::default(),
            register: p,
            publish: p,
            subscribe: p,
            min_notify_interval_ms: 1_000,
            etag_seed: 0,
        }
    }
}

/// A configuration that cannot work.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConfigError {
    /// An expiry policy must satisfy `0 < min <= default <= max`.
    #[error("{0} expiry policy must satisfy 0 < min <= default <= max")]
    Expiry(&'static str),
    /// Every limit must be at least 1.
    #[error("limit {0} must be at least 1")]
    ZeroLimit(&'static str),
    /// `max_pending_effects` must hold one request's worst case: a NOTIFY per watcher of one
    /// presentity plus three more effects.
    #[error("max_pending_effects must be at least max_watchers_per_presentity + 3")]
    EffectQueueTooSmall,
    /// The shard id is not below the map's shard count.
    #[error("shard id out of range for the map")]
    ShardOutOfRange,
}

impl ShardConfig {
    /// Checks the invariants the shard relies on.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.register.check("register")?;
        self.publish.check("publish")?;
        self.subscribe.check("subscribe")?;
        let l = &self.limits;
        for (name, v) in [
            ("max_subscribers", l.max_subscribers),
            ("max_contacts_per_aor", l.max_contacts_per_aor),
            ("max_publications_per_aor", l.max_publications_per_aor),
            ("max_watchers_per_presentity", l.max_watchers_per_presentity),
            ("max_watchers_per_shard", l.max_watchers_per_shard),
            ("max_msisdn_index", l.max_msisdn_index),
            ("max_pending_effects", l.max_pending_effects),
            ("max_timer_batch", l.max_timer_batch),
        ] {
            if v == 0 {
                return Err(ConfigError::ZeroLimit(name));
            }
        }
        if l.max_pending_effects < l.max_watchers_per_presentity.saturating_add(3) {
            return Err(ConfigError::EffectQueueTooSmall);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_expiry() {
        let p = ExpiryPolicy {
            min_secs: 60,
            max_secs: 3600,
            default_secs: 600,
        };
        assert_eq!(p.resolve(None), Ok(600));
        assert_eq!(p.resolve(Some(0)), Ok(0));
        assert_eq!(p.resolve(Some(59)), Err(60));
        assert_eq!(p.resolve(Some(60)), Ok(60));
        assert_eq!(p.resolve(Some(99_999)), Ok(3600));
    }

    #[test]
    fn validate_config() {
        assert!(ShardConfig::default().validate().is_ok());
        let mut c = ShardConfig::default();
        c.publish.min_secs = 0;
        assert_eq!(c.validate(), Err(ConfigError::Expiry("publish")));
        let mut c = ShardConfig::default();
        c.limits.max_pending_effects = 0;
        assert_eq!(
            c.validate(),
            Err(ConfigError::ZeroLimit("max_pending_effects"))
        );
    }
}
