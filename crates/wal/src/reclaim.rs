//! Reclaim tracker: which segment files may be deleted.
//!
//! The caller marks an LSN *final* when the record no longer matters for recovery (its message
//! was delivered, failed or expired). A segment whose every record is final *and durable* (no
//! batch for it still in flight), and which is not the active one, may be deleted.
//!
//! Why a bitset per segment and not a counter: a caller that marks the same LSN twice (a retry,
//! two receipts for one message) must not make a segment look final while one of its records is
//! still live. The bitset costs one bit per record (≤ segment_size / 32 bits, as a record is at
//! least 32 bytes), grown as records are appended.
//!
//! Why [`ReclaimPolicy::Prefix`] is the default: deleting a later segment while an earlier one
//! stays can drop a record that *explains* a surviving one. With the relay's records, the
//! "delivered" state change of a message lives after the message record; if the segment holding
//! the state change goes first and the one holding the message stays (because of some other live
//! record), a restart sees the message without its final state and sends it again. Reclaiming
//! only the oldest segments, in order, rules that out; the cost is that one long-lived record
//! pins everything after it (the disk bound then answers `Full` until it expires).
//! [`ReclaimPolicy::AnyFinal`] deletes any fully-final segment, for callers whose final records
//! do not depend on each other across segments.

use std::collections::VecDeque;

use crate::format::SegmentId;
use crate::{Lsn, WalError};

/// Which fully-final segments may be deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReclaimPolicy {
    /// Only the oldest segments, in LSN order (safe with records that depend on earlier ones).
    #[default]
    Prefix,
    /// Any fully-final, inactive segment.
    AnyFinal,
}

#[derive(Debug, Clone)]
struct Segment {
    id: SegmentId,
    records: u64,
    finals: u64,
    /// Bit `i` set: LSN `id + i` is final.
    bits: Vec<u64>,
}

impl Segment {
    fn new(id: SegmentId, records: u64) -> Self {
        let words = usize::try_from(records.div_ceil(64)).unwrap_or(usize::MAX);
        Segment {
            id,
            records,
            finals: 0,
            bits: vec![0; words],
        }
    }

    fn contains(&self, lsn: Lsn) -> bool {
        lsn >= self.id.0 && lsn - self.id.0 < self.records
    }

    fn all_final(&self) -> bool {
        self.finals == self.records
    }

    /// Every record is at or below `durable` (no batch for it is still in flight).
    fn durable(&self, durable: Lsn) -> bool {
        self.records == 0 || self.id.0 + self.records - 1 <= durable
    }
}

/// Per-segment record counts and final marks.
#[derive(Debug, Clone)]
pub struct ReclaimTracker {
    policy: ReclaimPolicy,
    /// Live segments, ascending by id.
    segments: VecDeque<Segment>,
}

impl ReclaimTracker {
    /// An empty tracker.
    pub fn new(policy: ReclaimPolicy) -> Self {
        ReclaimTracker {
            policy,
            segments: VecDeque::new(),
        }
    }

    /// Segment files in use.
    pub fn live_segments(&self) -> usize {
        self.segments.len()
    }

    /// The ids of the live segments, oldest first.
    pub fn segment_ids(&self) -> impl Iterator<Item = SegmentId> + '_ {
        self.segments.iter().map(|s| s.id)
    }

    /// Registers a segment that already holds `records` records (from recovery) or a new one.
    /// Ids must ascend.
    pub fn add_segment(&mut self, id: SegmentId, records: u64) {
        debug_assert!(self.segments.back().is_none_or(|last| last.id < id));
        self.segments.push_back(Segment::new(id, records));
    }

    /// Forgets the newest segment if it is `id` and holds no record (it is being replaced).
    pub(crate) fn drop_empty_tail(&mut self, id: SegmentId) {
        if self
            .segments
            .back()
            .is_some_and(|s| s.id == id && s.records == 0)
        {
            self.segments.pop_back();
        }
    }

    /// Counts one more record in the newest segment (its LSN is the next in that segment).
    pub fn note_append(&mut self, lsn: Lsn) {
        if let Some(seg) = self.segments.back_mut() {
            debug_assert_eq!(lsn, seg.id.0 + seg.records);
            seg.records += 1;
            if seg.bits.len() * 64 < seg.records as usize {
                seg.bits.push(0);
            }
        }
    }

    /// Marks `lsn` final. `Ok(true)` when it was live, `Ok(false)` when it was already final or
    /// its segment is already reclaimed.
    pub fn mark_final(&mut self, lsn: Lsn) -> Result<bool, WalError> {
        let idx = self.segments.partition_point(|s| s.id.0 <= lsn);
        let Some(seg) = idx.checked_sub(1).and_then(|i| self.segments.get_mut(i)) else {
            return Ok(false); // before the oldest live segment: reclaimed
        };
        if !seg.contains(lsn) {
            return if idx == self.segments.len() {
                Err(WalError::UnknownLsn(lsn))
            } else {
                Ok(false) // in a reclaimed gap between live segments
            };
        }
        let i = lsn - seg.id.0;
        let (word, bit) = ((i / 64) as usize, i % 64);
        let Some(w) = seg.bits.get_mut(word) else {
            return Err(WalError::UnknownLsn(lsn));
        };
        if *w & (1 << bit) != 0 {
            return Ok(false);
        }
        *w |= 1 << bit;
        seg.finals += 1;
        Ok(true)
    }

    /// Whether `lsn` is marked final (or already reclaimed).
    pub fn is_final(&self, lsn: Lsn) -> bool {
        let idx = self.segments.partition_point(|s| s.id.0 <= lsn);
        match idx.checked_sub(1).and_then(|i| self.segments.get(i)) {
            None => true,
            Some(seg) if !seg.contains(lsn) => idx < self.segments.len(),
            Some(seg) => {
                let i = lsn - seg.id.0;
                seg.bits
                    .get((i / 64) as usize)
                    .is_some_and(|w| w & (1 << (i % 64)) != 0)
            }
        }
    }

    /// Removes and returns the segments that may be deleted now: every record final and durable
    /// (LSN ≤ `durable`), and not `active`.
    pub fn take_reclaimable(&mut self, active: Option<SegmentId>, durable: Lsn) -> Vec<SegmentId> {
        let mut out = Vec::new();
        let mut i = 0;
        // Bounded by the number of live segments.
        while i < self.segments.len() {
            let seg = &self.segments[i];
            if seg.all_final() && seg.durable(durable) && Some(seg.id) != active {
                out.push(seg.id);
                self.segments.remove(i);
            } else if self.policy == ReclaimPolicy::Prefix {
                break;
            } else {
                i += 1;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tracker(policy: ReclaimPolicy) -> ReclaimTracker {
        let mut t = ReclaimTracker::new(policy);
        for (id, n) in [(1, 10), (11, 10), (21, 5)] {
            t.add_segment(SegmentId(id), 0);
            for lsn in id..id + n {
                t.note_append(lsn);
            }
        }
        t
    }

    #[test]
    fn double_marks_do_not_count_twice() {
        let mut t = tracker(ReclaimPolicy::AnyFinal);
        for _ in 0..3 {
            for lsn in 1..10 {
                t.mark_final(lsn).expect("known lsn");
            }
        }
        assert!(t.take_reclaimable(Some(SegmentId(21)), u64::MAX).is_empty());
        assert_eq!(t.mark_final(10).ok(), Some(true));
        assert_eq!(
            t.take_reclaimable(Some(SegmentId(21)), u64::MAX),
            vec![SegmentId(1)]
        );
        assert_eq!(t.mark_final(5).ok(), Some(false), "reclaimed lsn is final");
        assert!(t.is_final(5));
        assert!(matches!(t.mark_final(26), Err(WalError::UnknownLsn(26))));
    }

    #[test]
    fn prefix_waits_for_the_oldest() {
        let mut t = tracker(ReclaimPolicy::Prefix);
        for lsn in 11..21 {
            t.mark_final(lsn).expect("known lsn");
        }
        assert!(t.take_reclaimable(Some(SegmentId(21)), u64::MAX).is_empty());
        for lsn in 1..11 {
            t.mark_final(lsn).expect("known lsn");
        }
        assert_eq!(
            t.take_reclaimable(Some(SegmentId(21)), u64::MAX),
            vec![SegmentId(1), SegmentId(11)]
        );
        assert_eq!(t.live_segments(), 1);
    }

    #[test]
    fn any_final_skips_pinned_segments_but_never_the_active_one() {
        let mut t = tracker(ReclaimPolicy::AnyFinal);
        for lsn in 11..26 {
            t.mark_final(lsn).expect("known lsn");
        }
        assert_eq!(
            t.take_reclaimable(Some(SegmentId(21)), u64::MAX),
            vec![SegmentId(11)]
        );
        assert!(!t.is_final(3));
        assert!(t.is_final(15));
        assert_eq!(t.take_reclaimable(None, u64::MAX), vec![SegmentId(21)]);
    }
}
