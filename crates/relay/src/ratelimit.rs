//! Token buckets per recipient MSISDN and per sender AOR, in a bounded table.
//!
//! Why: SMS pumping (artificially inflated traffic) turns an IM→SMS gateway into a money
//! printer for whoever owns the destination numbers; a bucket per destination caps what one
//! number can cost, a bucket per sender caps what one account can spend.
//!
//! Why evicting only *refilled* buckets: a bucket that has refilled to `burst` carries no
//! information (a fresh one is identical), so the least recently used entry may go if it is
//! full again. If even that one is still draining, the table is hot — forgetting it would hand
//! an attacker a fresh burst by churning keys — so the insert fails with
//! [`RelayError::Full`] and the caller answers 503.
//!
//! Tokens are kept in milli-tokens with integer arithmetic, so replays are exact.

use std::collections::{BTreeMap, HashMap};

use crate::config::RateLimit;
use crate::error::{Bound, RelayError};

const MILLI: u64 = 1000;

#[derive(Debug, Clone)]
struct Bucket {
    milli_tokens: u64,
    updated_ms: u64,
    stamp: u64,
}

/// A bounded table of token buckets with one [`RateLimit`].
#[derive(Debug, Clone)]
pub struct RateTable {
    limit: RateLimit,
    capacity: usize,
    buckets: HashMap<String, Bucket>,
    /// stamp → key, least recently used first.
    lru: BTreeMap<u64, String>,
    next_stamp: u64,
}

impl RateTable {
    /// An empty table of at most `capacity` keys.
    pub fn new(limit: RateLimit, capacity: usize) -> RateTable {
        RateTable {
            limit,
            capacity: capacity.max(1),
            buckets: HashMap::new(),
            lru: BTreeMap::new(),
            next_stamp: 0,
        }
    }

    /// Keys tracked.
    pub fn len(&self) -> usize {
        self.buckets.len()
    }

    /// True when no key is tracked.
    pub fn is_empty(&self) -> bool {
        self.buckets.is_empty()
    }

    fn full_milli(&self) -> u64 {
        u64::from(self.limit.burst) * MILLI
    }

    /// Milli-tokens `key` holds at `now_ms` (a key never seen holds a full bucket).
    fn level(&self, key: &str, now_ms: u64) -> u64 {
        self.buckets.get(key).map_or(self.full_milli(), |b| {
            let elapsed = now_ms.saturating_sub(b.updated_ms);
            // per_minute tokens per 60_000 ms = per_minute milli-tokens per 60 ms.
            let refill = elapsed.saturating_mul(u64::from(self.limit.per_minute)) / 60;
            b.milli_tokens.saturating_add(refill).min(self.full_milli())
        })
    }

    /// `Err(RateLimited)` if `key` has no whole token at `now_ms`, else `Ok`. Changes nothing.
    pub fn check(&self, key: &str, now_ms: u64) -> Result<(), RelayError> {
        let level = self.level(key, now_ms);
        if level >= MILLI {
            return Ok(());
        }
        let missing = MILLI - level;
        // ms until `missing` milli-tokens refill, rounded up to whole seconds.
        let per_minute = u64::from(self.limit.per_minute.max(1));
        let wait_ms = (missing * 60).div_ceil(per_minute);
        let secs = wait_ms.div_ceil(1000).max(1);
        Err(RelayError::RateLimited {
            retry_after_s: u32::try_from(secs).unwrap_or(u32::MAX),
        })
    }

    /// Can `key` be inserted (or is it present)? Evicts the LRU entry if it has refilled.
    pub fn make_room(&mut self, key: &str, now_ms: u64) -> Result<(), RelayError> {
        if self.buckets.contains_key(key) || self.buckets.len() < self.capacity {
            return Ok(());
        }
        let oldest = self.lru.first_key_value().map(|(_, k)| k.clone());
        match oldest {
            Some(k) if self.level(&k, now_ms) >= self.full_milli() => {
                self.remove(&k);
                Ok(())
            }
            _ => Err(RelayError::Full(Bound::RateTable)),
        }
    }

    /// Takes one token from `key`; call after [`RateTable::check`] and
    /// [`RateTable::make_room`] succeeded for every table involved.
    pub fn take(&mut self, key: &str, now_ms: u64) {
        let level = self.level(key, now_ms).saturating_sub(MILLI);
        let stamp = self.next_stamp;
        self.next_stamp += 1;
        if let Some(old) = self.buckets.get(key).map(|b| b.stamp) {
            self.lru.remove(&old);
        }
        self.lru.insert(stamp, key.to_owned());
        self.buckets.insert(
            key.to_owned(),
            Bucket {
                milli_tokens: level,
                updated_ms: now_ms,
                stamp,
            },
        );
    }

    /// Forgets every bucket that has refilled (nothing is lost); returns how many.
    pub fn purge_refilled(&mut self, now_ms: u64) -> usize {
        let full = self.full_milli();
        let done: Vec<String> = self
            .buckets
            .keys()
            .filter(|k| self.level(k, now_ms) >= full)
            .cloned()
            .collect();
        for k in &done {
            self.remove(k);
        }
        done.len()
    }

    fn remove(&mut self, key: &str) {
        if let Some(b) = self.buckets.remove(key) {
            self.lru.remove(&b.stamp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(cap: usize) -> RateTable {
        RateTable::new(
            RateLimit {
                per_minute: 6,
                burst: 2,
            },
            cap,
        )
    }

    #[test]
    fn burst_then_limited_with_retry_after_then_refills() {
        let mut t = table(10);
        for _ in 0..2 {
            t.check("a", 0).expect("burst");
            t.make_room("a", 0).expect("room");
            t.take("a", 0);
        }
        // 6 per minute: one token every 10 s.
        assert_eq!(
            t.check("a", 0),
            Err(RelayError::RateLimited { retry_after_s: 10 })
        );
        assert_eq!(
            t.check("a", 9_500),
            Err(RelayError::RateLimited { retry_after_s: 1 })
        );
        assert_eq!(t.check("a", 10_000), Ok(()));
        assert_eq!(t.check("b", 0), Ok(()), "other keys are independent");
    }

    #[test]
    fn hot_table_refuses_new_keys_but_evicts_refilled_ones() {
        let mut t = table(2);
        for k in ["a", "b"] {
            t.make_room(k, 0).expect("room");
            t.take(k, 0);
        }
        assert_eq!(t.make_room("c", 0), Err(RelayError::Full(Bound::RateTable)));
        assert_eq!(t.make_room("a", 0), Ok(()), "present keys always fit");
        // After 10 s "a" (the LRU entry) has refilled to 2 tokens.
        assert_eq!(t.make_room("c", 10_000), Ok(()));
        t.take("c", 10_000);
        assert_eq!(t.len(), 2);
        assert_eq!(t.purge_refilled(1_000_000), 2);
        assert!(t.is_empty());
    }
}
