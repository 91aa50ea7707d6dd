//! Log-level recovery: scan every segment of a shard and check that they chain.
//!
//! Why a chain check on top of per-segment scanning: each segment header names its predecessor
//! (`prev_segment`). A gap in LSNs between two segments on disk is then legitimate only when
//! that predecessor is gone (reclaimed); if the predecessor is still there but ends early, its
//! tail was lost, and that is reported, not papered over. Everything after the first stop is
//! listed as untrusted: damage before the tail means acknowledged records may be unreadable,
//! which the writer refuses to build on.

use crate::format::SegmentId;
use crate::scan::{RecordRef, SegmentEnd, SegmentScanner, SegmentSummary, TornReason, TornTail};
use crate::Lsn;

/// What recovery found across a shard's segments.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RecoveryReport {
    /// Trusted records.
    pub records: u64,
    /// LSN of the first trusted record.
    pub first_lsn: Option<Lsn>,
    /// LSN of the last trusted record.
    pub last_lsn: Option<Lsn>,
    /// LSN the next appended record gets.
    pub next_lsn: Lsn,
    /// Where trust ended, if not at a clean end.
    pub torn_tail: Option<TornTail>,
    /// The segments read, in LSN order, up to and including the one with the torn tail.
    pub segments: Vec<SegmentSummary>,
    /// Segments after the torn tail, whose records were not trusted. Non-empty means damage in
    /// the middle of the log (records that may have been acknowledged are unreadable).
    pub untrusted: Vec<SegmentId>,
}

impl RecoveryReport {
    /// Damage before the last segment: the log cannot simply be continued.
    pub fn mid_log_damage(&self) -> bool {
        !self.untrusted.is_empty()
    }
}

/// Scans a shard's segments (any order; sorted here) and checks that they chain.
pub fn scan_log(segments: &[(SegmentId, &[u8])], shard: u32) -> RecoveryReport {
    let mut order: Vec<usize> = (0..segments.len()).collect();
    order.sort_by_key(|&i| segments[i].0);
    let mut report = RecoveryReport {
        next_lsn: 1,
        ..RecoveryReport::default()
    };
    let mut stop_at: Option<usize> = None;
    for (n, &i) in order.iter().enumerate() {
        let (id, bytes) = segments[i];
        let summary = SegmentScanner::new(id, bytes, shard).finish();
        if let Some(prev) = report.segments.last() {
            if let Some(torn) = chain_fault(prev, &summary) {
                report.torn_tail = Some(torn);
                stop_at = Some(n);
                break;
            }
        }
        report.records += summary.records;
        if summary.records > 0 {
            report.first_lsn.get_or_insert(summary.id.0);
            report.last_lsn = summary.last_lsn();
        }
        if summary.header.is_some() {
            report.next_lsn = summary.next_lsn().max(report.next_lsn);
        } else if report.segments.is_empty() {
            // A first segment whose header never landed: its name is the only LSN known.
            report.next_lsn = summary.id.0.max(1);
        }
        let end = summary.end;
        report.segments.push(summary);
        if let SegmentEnd::Torn(t) = end {
            report.torn_tail = Some(t);
            stop_at = Some(n + 1);
            break;
        }
    }
    if let Some(n) = stop_at {
        report.untrusted = order[n..].iter().map(|&i| segments[i].0).collect();
    }
    report
}

/// Checks that `next` may follow `prev` (both on disk, `prev` ended clean).
fn chain_fault(prev: &SegmentSummary, next: &SegmentSummary) -> Option<TornTail> {
    let header = next.header?; // an invalid header is reported by the segment itself
    let at_next = |reason| TornTail {
        segment: next.id,
        offset: 0,
        at: 0,
        reason,
    };
    let expected = prev.next_lsn();
    if next.id.0 < expected {
        return Some(at_next(TornReason::LsnRewind {
            expected,
            found: next.id.0,
        }));
    }
    if header.prev_segment == prev.id.0 {
        if next.id.0 > expected {
            return Some(TornTail {
                segment: prev.id,
                offset: prev.valid_end,
                at: prev.valid_end,
                reason: TornReason::MissingTail {
                    expected,
                    next_segment: next.id.0,
                },
            });
        }
        None
    } else if header.prev_segment > prev.id.0 {
        None // the predecessor was reclaimed
    } else {
        Some(at_next(TornReason::BrokenChain))
    }
}

/// Iterates the trusted records of all segments in a report (same bytes as scanned), in order,
/// without re-checking crcs.
pub fn log_records<'a>(
    segments: &'a [(SegmentId, &'a [u8])],
    report: &'a RecoveryReport,
) -> impl Iterator<Item = RecordRef<'a>> + 'a {
    report.segments.iter().flat_map(move |summary| {
        let bytes = segments
            .iter()
            .find(|(id, _)| *id == summary.id)
            .map(|(_, b)| *b)
            .unwrap_or(&[]);
        SegmentScanner::trusted(bytes, summary)
    })
}
