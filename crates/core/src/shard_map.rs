//! Which shard owns a subscriber: the versioned routing map.
//!
//! DESIGN.md "Shards": each shard owns a disjoint subscriber range, and every shard holds a copy
//! of the map so routing needs no lock. DESIGN.md "Beyond one node": the map is *versioned* — an
//! update whose revision is not newer than the current one is ignored, so updates delivered late
//! or twice are harmless — and "the owner is elsewhere" is a routing outcome ([`Owner`]) rather
//! than an error. Today the outcome is another shard; a remote node would be one more variant,
//! which is why [`Owner`] is `#[non_exhaustive]`.
//!
//! The hash must be identical in every process and every run (a REGISTER handled before a
//! restart must land on the same shard after it), so we use FNV-1a 64 — fixed constants, no
//! per-process seed — followed by the MurmurHash3 `fmix64` finaliser (FNV's high bits mix
//! poorly on short keys), then Lemire's multiply-shift range reduction.

use std::collections::HashMap;

use thiserror::Error;

/// Index of a shard (one per core) on this node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ShardId(pub u16);

/// Where a request for a given key must be handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Owner {
    /// The shard asking owns the key.
    Local,
    /// Another shard on this node owns it: forward through the ring to that shard.
    Shard(ShardId),
}

/// The subscriber-key → shard map, versioned.
///
/// `shard_count` must be at least 1; [`ShardMap::new`] enforces that, [`ShardMap::apply`]
/// refuses updates that break it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardMap {
    /// Monotonic version; updates with a revision `<=` this one are stale.
    pub revision: u64,
    /// Number of shards the key space is split into.
    pub shard_count: u16,
}

/// An invalid map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum MapError {
    /// A map must have at least one shard.
    #[error("shard_count must be at least 1")]
    ZeroShards,
}

impl ShardMap {
    /// A map at `revision` splitting keys over `shard_count` shards.
    pub fn new(revision: u64, shard_count: u16) -> Result<Self, MapError> {
        if shard_count == 0 {
            return Err(MapError::ZeroShards);
        }
        Ok(Self {
            revision,
            shard_count,
        })
    }

    /// The shard that owns a normalised AOR (see [`crate::normalize_aor`]).
    pub fn owner(&self, aor: &str) -> ShardId {
        self.bucket(aor.as_bytes())
    }

    /// The shard that holds the MSISDN → AOR index entry for `msisdn` (E.164, e.g.
    /// `+8613800000001`), so that an SMS from a phone (C9) can find its sender's AOR and from
    /// that the AOR's owner.
    pub fn msisdn_owner(&self, msisdn: &str) -> ShardId {
        self.bucket(msisdn.as_bytes())
    }

    /// Routing outcome for `aor` as seen from shard `here`.
    pub fn route(&self, aor: &str, here: ShardId) -> Owner {
        Self::relative(self.owner(aor), here)
    }

    /// Routing outcome for the MSISDN index entry of `msisdn` as seen from shard `here`.
    pub fn route_msisdn(&self, msisdn: &str, here: ShardId) -> Owner {
        Self::relative(self.msisdn_owner(msisdn), here)
    }

    /// Adopts `update` if it is newer. Returns whether it was applied; a stale or duplicate
    /// update (revision `<=` current) or an invalid one (zero shards) is ignored.
    pub fn apply(&mut self, update: ShardMap) -> bool {
        if update.revision <= self.revision || update.shard_count == 0 {
            return false;
        }
        *self = update;
        true
    }

    fn relative(owner: ShardId, here: ShardId) -> Owner {
        if owner == here {
            Owner::Local
        } else {
            Owner::Shard(owner)
        }
    }

    fn bucket(&self, key: &[u8]) -> ShardId {
        let h = fmix64(fnv1a64(key));
        let n = u64::from(self.shard_count);
        ShardId(((u128::from(h) * u128::from(n)) >> 64) as u16)
    }
}

/// FNV-1a 64-bit hash: fixed constants, stable across runs, processes and platforms.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// MurmurHash3 64-bit finaliser: spreads every input bit over every output bit.
pub(crate) fn fmix64(mut k: u64) -> u64 {
    k ^= k >> 33;
    k = k.wrapping_mul(0xff51_afd7_ed55_8ccd);
    k ^= k >> 33;
    k = k.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    k ^ (k >> 33)
}

/// The MSISDN → AOR entries that hash to one shard ([`ShardMap::msisdn_owner`]).
///
/// The shard that owns a *subscriber* emits [`crate::Effect::IndexMsisdn`] /
/// [`crate::Effect::UnindexMsisdn`] when a profile's MSISDN appears, changes or disappears; the
/// runtime delivers them to the shard that owns the *MSISDN*, which applies them here. Inserts
/// are last-writer-wins and removals only remove the entry if it still names the same AOR, so
/// the two effects of a number moving between users may arrive in either order.
#[derive(Debug, Clone, Default)]
pub struct MsisdnIndex {
    map: HashMap<String, String>,
    limit: usize,
}

/// The index is at its configured bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("MSISDN index full ({limit} entries)")]
pub struct IndexFull {
    /// The configured bound.
    pub limit: usize,
}

impl MsisdnIndex {
    /// An empty index holding at most `limit` numbers.
    pub fn new(limit: usize) -> Self {
        Self {
            map: HashMap::new(),
            limit,
        }
    }

    /// Maps `msisdn` to `aor`, replacing (and returning) any previous AOR.
    pub fn insert(&mut self, msisdn: &str, aor: &str) -> Result<Option<String>, IndexFull> {
        if let Some(cur) = self.map.get_mut(msisdn) {
            return Ok(Some(std::mem::replace(cur, aor.to_owned())));
        }
        if self.map.len() >= self.limit {
            return Err(IndexFull { limit: self.limit });
        }
        self.map.insert(msisdn.to_owned(), aor.to_owned());
        Ok(None)
    }

    /// Removes `msisdn` if it still maps to `aor`; returns whether something was removed.
    pub fn remove(&mut self, msisdn: &str, aor: &str) -> bool {
        if self.map.get(msisdn).is_some_and(|a| a == aor) {
            self.map.remove(msisdn);
            true
        } else {
            false
        }
    }

    /// The AOR registered for `msisdn`.
    pub fn get(&self, msisdn: &str) -> Option<&str> {
        self.map.get(msisdn).map(String::as_str)
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// No entries.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_is_stable_and_spread() {
        // Pinned values: a change here would re-home every subscriber.
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        let map = ShardMap::new(1, 8).unwrap();
        let pinned = map.owner("sip:alice@example.com");
        assert_eq!(
            pinned,
            ShardMap::new(9, 8).unwrap().owner("sip:alice@example.com")
        );
        let mut counts = [0u32; 8];
        for i in 0..8000 {
            counts[usize::from(map.owner(&format!("sip:user{i}@example.com")).0)] += 1;
        }
        assert!(
            counts.iter().all(|&c| (800..1200).contains(&c)),
            "{counts:?}"
        );
    }

    #[test]
    fn route_and_stale_updates() {
        let mut map = ShardMap::new(5, 4).unwrap();
        let owner = map.owner("sip:bob@example.com");
        assert_eq!(map.route("sip:bob@example.com", owner), Owner::Local);
        let other = ShardId((owner.0 + 1) % 4);
        assert_eq!(map.route("sip:bob@example.com", other), Owner::Shard(owner));
        assert!(!map.apply(ShardMap {
            revision: 5,
            shard_count: 2
        }));
        assert!(!map.apply(ShardMap {
            revision: 4,
            shard_count: 2
        }));
        assert!(!map.apply(ShardMap {
            revision: 6,
            shard_count: 0
        }));
        assert_eq!(map.shard_count, 4);
        assert!(map.apply(ShardMap {
            revision: 6,
            shard_count: 2
        }));
        assert_eq!(
            map,
            ShardMap {
                revision: 6,
                shard_count: 2
            }
        );
        assert_eq!(ShardMap::new(0, 0), Err(MapError::ZeroShards));
    }

    #[test]
    fn msisdn_index_order_independent_moves() {
        let mut idx = MsisdnIndex::new(1);
        assert_eq!(idx.insert("+8613800000001", "sip:a@x.com"), Ok(None));
        assert_eq!(
            idx.insert("+8613800000002", "sip:b@x.com"),
            Err(IndexFull { limit: 1 })
        );
        // The number moves to b: the insert for b arrives before the removal for a.
        assert_eq!(
            idx.insert("+8613800000001", "sip:b@x.com"),
            Ok(Some("sip:a@x.com".into()))
        );
        assert!(!idx.remove("+8613800000001", "sip:a@x.com"));
        assert_eq!(idx.get("+8613800000001"), Some("sip:b@x.com"));
        assert!(idx.remove("+8613800000001", "sip:b@x.com"));
        assert!(idx.is_empty());
    }
}
