//! Reassembly of concatenated SMS received over SMPP, whether the concatenation info came in a
//! UDH (TS 23.040 §9.2.3.24.1 / .8) or in the SAR TLVs `sar_msg_ref_num`,
//! `sar_total_segments`, `sar_segment_seqnum` (SMPP 3.4 §5.3.2.22–24).
//!
//! Why bounded and rejecting rather than evicting: parts arrive from the network at the
//! sender's pace, so the buffer caps entries, bytes and age. When it is full a *new* message
//! is refused with [`SmsError::ReassemblyFull`], which the runtime answers with a temporary
//! error (`ESME_RMSGQFUL`) so the SMSC retries later; evicting an older half-received message
//! instead would silently lose parts already acknowledged. Entries older than `max_age_ms`
//! are dropped by [`Reassembler::expire`] (or lazily when their key is reused).
//!
//! Why `BTreeMap`: deterministic iteration and no hash-flooding concerns, with time passed in
//! as `now_ms` so tests replay exactly.

use std::collections::BTreeMap;

use crate::{ConcatInfo, SmsError};

/// Longest source address accepted as a key (SMPP addresses are at most 20 octets; this leaves
/// room for a TON/NPI prefix or a session tag added by the runtime).
pub const MAX_SOURCE_LEN: usize = 64;
/// Byte budget per pending entry used by [`Reassembler::new`].
pub const DEFAULT_BYTES_PER_ENTRY: usize = 4096;

/// Caps of a [`Reassembler`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReassemblyLimits {
    /// Most messages waiting for parts at once.
    pub max_pending: usize,
    /// Most UTF-8 bytes of part text held across all pending messages.
    pub max_bytes: usize,
    /// Age after which a pending message is dropped, from its first part.
    pub max_age_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    source: String,
    reference: u16,
    total: u8,
}

#[derive(Debug)]
struct Entry {
    created_ms: u64,
    serial: u64,
    parts: Vec<Option<String>>,
    received: u8,
    bytes: usize,
}

/// A message that timed out before all its parts arrived (see [`Reassembler::expire_partial`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartialMessage {
    /// The source address it was keyed by.
    pub source: String,
    /// Its concatenation reference.
    pub reference: u16,
    /// Parts it should have had.
    pub total: u8,
    /// Parts that arrived.
    pub received: u8,
    /// The parts that arrived, in sequence order, concatenated.
    pub text: String,
}

/// A bounded buffer of partly received concatenated messages, keyed by (source address,
/// reference, total parts).
#[derive(Debug)]
pub struct Reassembler {
    limits: ReassemblyLimits,
    entries: BTreeMap<Key, Entry>,
    /// (created_ms, serial) → key, oldest first, for O(log n) expiry.
    by_age: BTreeMap<(u64, u64), Key>,
    bytes: usize,
    next_serial: u64,
}

impl Reassembler {
    /// A buffer for `max_pending` messages, each dropped `max_age_ms` after its first part,
    /// with a byte cap of `max_pending * DEFAULT_BYTES_PER_ENTRY`.
    pub fn new(max_pending: usize, max_age_ms: u64) -> Reassembler {
        Reassembler::with_limits(ReassemblyLimits {
            max_pending,
            max_bytes: max_pending.saturating_mul(DEFAULT_BYTES_PER_ENTRY),
            max_age_ms,
        })
    }

    /// A buffer with explicit caps.
    pub fn with_limits(limits: ReassemblyLimits) -> Reassembler {
        Reassembler {
            limits,
            entries: BTreeMap::new(),
            by_age: BTreeMap::new(),
            bytes: 0,
            next_serial: 0,
        }
    }

    /// Messages waiting for parts.
    pub fn pending(&self) -> usize {
        self.entries.len()
    }

    /// Bytes of part text held.
    pub fn pending_bytes(&self) -> usize {
        self.bytes
    }

    /// When the oldest pending message expires, for the runtime's timer.
    pub fn next_deadline(&self) -> Option<u64> {
        self.by_age
            .keys()
            .next()
            .map(|&(created, _)| created.saturating_add(self.limits.max_age_ms))
    }

    /// Adds one part whose concatenation info came from a UDH. Returns the whole text once the
    /// last missing part arrives, `Ok(None)` while parts are missing or when the part is a
    /// duplicate (ignored). A one-part message is returned at once without being stored.
    pub fn push(
        &mut self,
        key_source: &str,
        info: ConcatInfo,
        text_part: String,
        now_ms: u64,
    ) -> Result<Option<String>, SmsError> {
        if !info.is_valid() {
            return Err(SmsError::InvalidConcat {
                total: info.total,
                seq: info.seq,
            });
        }
        if key_source.len() > MAX_SOURCE_LEN {
            return Err(SmsError::SourceTooLong {
                len: key_source.len(),
            });
        }
        if info.total == 1 {
            return Ok(Some(text_part));
        }
        if text_part.len() > self.limits.max_bytes {
            return Err(SmsError::PartTooLarge {
                len: text_part.len(),
            });
        }
        let key = Key {
            source: key_source.to_owned(),
            reference: info.reference,
            total: info.total,
        };
        // A stale entry under the same key belongs to an earlier message: drop it.
        let stale = self
            .entries
            .get(&key)
            .is_some_and(|e| self.is_expired(e.created_ms, now_ms));
        if stale {
            self.remove(&key);
        }
        if !self.entries.contains_key(&key) {
            if self.entries.len() >= self.limits.max_pending {
                self.expire(now_ms);
                if self.entries.len() >= self.limits.max_pending {
                    return Err(SmsError::ReassemblyFull);
                }
            }
            let serial = self.next_serial;
            self.next_serial = self.next_serial.wrapping_add(1);
            self.by_age.insert((now_ms, serial), key.clone());
            self.entries.insert(
                key.clone(),
                Entry {
                    created_ms: now_ms,
                    serial,
                    parts: vec![None; usize::from(info.total)],
                    received: 0,
                    bytes: 0,
                },
            );
        }
        let Some(entry) = self.entries.get_mut(&key) else {
            return Ok(None);
        };
        let Some(slot) = entry.parts.get_mut(usize::from(info.seq - 1)) else {
            return Ok(None);
        };
        if slot.is_some() {
            return Ok(None); // duplicate
        }
        if self.bytes.saturating_add(text_part.len()) > self.limits.max_bytes {
            if entry.received == 0 {
                self.remove(&key);
            }
            return Err(SmsError::ReassemblyFull);
        }
        self.bytes += text_part.len();
        entry.bytes += text_part.len();
        *slot = Some(text_part);
        entry.received += 1;
        if entry.received < info.total {
            return Ok(None);
        }
        let entry = self.remove(&key);
        Ok(entry.map(|e| e.parts.into_iter().flatten().collect()))
    }

    /// Adds one part whose concatenation info came in the SMPP SAR TLVs (SMPP 3.4 §5.3.2.22
    /// `sar_msg_ref_num`, §5.3.2.23 `sar_total_segments`, §5.3.2.24 `sar_segment_seqnum`).
    /// Shares the buffer and the rules of [`Reassembler::push`].
    pub fn push_sar(
        &mut self,
        key_source: &str,
        sar_msg_ref_num: u16,
        sar_total_segments: u8,
        sar_segment_seqnum: u8,
        text_part: String,
        now_ms: u64,
    ) -> Result<Option<String>, SmsError> {
        let info = ConcatInfo {
            reference: sar_msg_ref_num,
            total: sar_total_segments,
            seq: sar_segment_seqnum,
        };
        self.push(key_source, info, text_part, now_ms)
    }

    /// Drops every message older than `max_age_ms` at `now_ms`; returns how many.
    pub fn expire(&mut self, now_ms: u64) -> usize {
        let mut n = 0;
        while let Some(key) = self.oldest_expired(now_ms) {
            self.remove(&key);
            n += 1;
        }
        n
    }

    /// Like [`Reassembler::expire`], but hands back what had arrived of each dropped message,
    /// so the runtime can deliver it marked incomplete rather than lose it.
    pub fn expire_partial(&mut self, now_ms: u64) -> Vec<PartialMessage> {
        let mut out = Vec::new();
        while let Some(key) = self.oldest_expired(now_ms) {
            if let Some(e) = self.remove(&key) {
                out.push(PartialMessage {
                    source: key.source,
                    reference: key.reference,
                    total: key.total,
                    received: e.received,
                    text: e.parts.into_iter().flatten().collect(),
                });
            }
        }
        out
    }

    fn is_expired(&self, created_ms: u64, now_ms: u64) -> bool {
        now_ms.saturating_sub(created_ms) >= self.limits.max_age_ms
    }

    fn oldest_expired(&self, now_ms: u64) -> Option<Key> {
        let (&(created, _), key) = self.by_age.iter().next()?;
        self.is_expired(created, now_ms).then(|| key.clone())
    }

    fn remove(&mut self, key: &Key) -> Option<Entry> {
        let e = self.entries.remove(key)?;
        self.by_age.remove(&(e.created_ms, e.serial));
        self.bytes = self.bytes.saturating_sub(e.bytes);
        Some(e)
    }
}
