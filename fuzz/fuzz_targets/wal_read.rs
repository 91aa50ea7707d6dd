#![no_main]
//! Fuzzes WAL recovery the way start-up drives it: arbitrary bytes as one segment file, as bare
//! records (no segment header), and cut into two segments that must chain; payloads go through
//! typed (bytecheck) access.
//!
//! Invariants checked beyond "no panic": every record yielded is byte-identical to what the
//! encoder writes for its (kind, flags, lsn, payload); LSNs run +1; a torn tail is reported on a
//! block boundary; `log_records` yields exactly the records the report counts.

use libfuzzer_sys::fuzz_target;
use smartchat_wal::format::{header_bytes, BLOCK, HEADER_LEN};
use smartchat_wal::rkyv::util::AlignedVec;
use smartchat_wal::{
    access, log_records, scan_log, SegmentEnd, SegmentId, SegmentScanner, TornReason,
};

/// The segment id and shard a header block claims (so a real segment passes the name check).
fn claimed(bytes: &[u8]) -> (SegmentId, u32) {
    let id = bytes
        .get(16..24)
        .and_then(|b| b.try_into().ok())
        .map_or(1, u64::from_le_bytes);
    let shard = bytes
        .get(12..16)
        .and_then(|b| b.try_into().ok())
        .map_or(0, u32::from_le_bytes);
    (SegmentId(id), shard)
}

fn check(mut scanner: SegmentScanner<'_>, bytes: &[u8]) {
    let mut last = None;
    let mut n = 0u64;
    for r in scanner.by_ref() {
        let at = r.offset as usize;
        let stored = &bytes[at..at + HEADER_LEN];
        let again = header_bytes(r.kind, stored[3], r.lsn, r.payload);
        assert_eq!(
            stored,
            &again[..],
            "a yielded record re-encodes identically"
        );
        if let Some(prev) = last {
            assert_eq!(r.lsn, prev + 1);
        }
        last = Some(r.lsn);
        n += 1;
        let _ = access::<Vec<String>>(r.payload);
        let _ = r.access::<(u64, String)>();
    }
    let summary = scanner.finish();
    assert_eq!(summary.records, n);
    assert_eq!(summary.valid_end % BLOCK as u64, 0);
    if let SegmentEnd::Torn(t) = summary.end {
        assert_eq!(t.offset, summary.valid_end);
        assert!(t.at >= t.offset || t.reason == TornReason::ShortSegment);
    }
}

fuzz_target!(|data: &[u8]| {
    // Recovery reads into aligned buffers; so does this (typed access checks alignment).
    let mut buf = AlignedVec::<16>::with_capacity(data.len());
    buf.extend_from_slice(data);
    let bytes = buf.as_slice();

    let (id, shard) = claimed(bytes);
    check(SegmentScanner::new(id, bytes, shard), bytes);
    check(SegmentScanner::records_only(bytes, 0, None), bytes);

    // Two segments cut at a block boundary must chain, or the report says where they don't.
    let blocks = bytes.len() / BLOCK;
    if blocks >= 2 {
        let cut = (blocks / 2) * BLOCK;
        let (a, b) = bytes.split_at(cut);
        let parts = [(claimed(a).0, a), (claimed(b).0, b)];
        let report = scan_log(&parts, shard);
        let mut prev: Option<u64> = None;
        let mut n = 0;
        for r in log_records(&parts, &report) {
            assert!(
                prev.map_or(true, |p| r.lsn > p),
                "LSNs ascend across segments"
            );
            prev = Some(r.lsn);
            n += 1;
        }
        assert_eq!(n, report.records);
        if report.mid_log_damage() {
            assert!(report.torn_tail.is_some());
        }
        assert!(report.next_lsn >= prev.map_or(1, |p| p + 1));
    }
});
