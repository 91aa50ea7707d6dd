//! Properties of format + group commit + recovery together:
//! arbitrary records → batches → scan gives them back in order; any truncation gives a prefix;
//! any single-byte corruption never yields a wrong record (only a reported stop).

mod common;

use common::{MemDisk, Rec};
use proptest::prelude::*;
use smartchat_wal::format::BLOCK;
use smartchat_wal::{ReclaimPolicy, SegmentEnd, Wal, WalConfig};

fn config() -> WalConfig {
    WalConfig {
        segment_size: 16 << 10,
        max_segments: 256,
        max_batch_bytes: 8 << 10,
        max_batch_records: 16,
        max_delay_us: 50,
        max_ready_batches: 4,
        reclaim: ReclaimPolicy::Prefix,
    }
}

/// One step of a workload: a record (kind, payload), how much time passes after it, and
/// whether the writer drains the queue after it.
fn step() -> impl Strategy<Value = (u8, Vec<u8>, u64, bool)> {
    (
        any::<u8>(),
        prop::collection::vec(any::<u8>(), 0..700),
        0u64..80,
        any::<bool>(),
    )
}

/// Runs the workload; returns the disk and the records as appended.
fn run(steps: &[(u8, Vec<u8>, u64, bool)]) -> (MemDisk, Vec<Rec>) {
    let mut disk = MemDisk::new(5);
    let mut wal: Wal<u64> = Wal::new(5, config()).expect("config");
    let mut now = 0;
    let mut appended = Vec::new();
    let mut released = Vec::new();
    let mut next_offset = std::collections::HashMap::new();
    let mut write = |wal: &mut Wal<u64>, disk: &mut MemDisk, batch: smartchat_wal::Batch<u64>| {
        assert_eq!(batch.bytes.len() % BLOCK, 0);
        assert_eq!(batch.offset % BLOCK as u64, 0);
        let expect = next_offset.get(&batch.segment).copied().unwrap_or(0);
        assert_eq!(
            batch.offset, expect,
            "batches continue where the last ended"
        );
        assert_eq!(batch.new_segment, expect == 0);
        next_offset.insert(batch.segment, batch.offset + batch.bytes.len() as u64);
        assert!(batch.offset + batch.bytes.len() as u64 <= batch.segment_size);
        assert_eq!(
            batch.tokens.len() as u64,
            batch.last_lsn - batch.first_lsn + 1
        );
        released.extend(wal.on_durable(disk.write(batch)));
    };
    for (i, (kind, payload, dt, drain)) in steps.iter().enumerate() {
        let lsn = wal
            .append(*kind, payload, i as u64, now)
            .expect("bounded workload");
        appended.push(Rec {
            lsn,
            kind: *kind,
            payload: payload.clone(),
        });
        now += dt;
        if *drain {
            while let Some(ready) = wal.poll_batch(now) {
                write(&mut wal, &mut disk, ready.write);
            }
        }
    }
    while let Some(ready) = wal.flush(now) {
        write(&mut wal, &mut disk, ready.write);
    }
    assert_eq!(released, (0..steps.len() as u64).collect::<Vec<_>>());
    (disk, appended)
}

fn assert_prefix(got: &[Rec], all: &[Rec]) {
    assert!(got.len() <= all.len());
    assert_eq!(got, &all[..got.len()], "a recovered record differs");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn records_come_back_in_order(steps in prop::collection::vec(step(), 1..120)) {
        let (disk, appended) = run(&steps);
        let (report, records) = disk.scan();
        prop_assert!(report.torn_tail.is_none(), "{:?}", report.torn_tail);
        prop_assert_eq!(report.records, appended.len() as u64);
        prop_assert_eq!(report.last_lsn, appended.last().map(|r| r.lsn));
        prop_assert_eq!(records, appended);
    }

    #[test]
    fn any_truncation_gives_a_prefix(
        steps in prop::collection::vec(step(), 1..80),
        seg_pick in any::<prop::sample::Index>(),
        cut_pick in any::<prop::sample::Index>(),
    ) {
        let (mut disk, appended) = run(&steps);
        let ids: Vec<_> = disk.files.keys().copied().collect();
        let id = ids[seg_pick.index(ids.len())];
        let file = disk.files.get_mut(&id).expect("segment");
        let cut = cut_pick.index(file.len() + 1);
        file.resize(cut, 0);
        let (report, records) = disk.scan();
        assert_prefix(&records, &appended);
        if report.torn_tail.is_none() {
            prop_assert_eq!(records.len(), appended.len(), "clean end only if nothing was lost");
        }
        if id == *ids.last().expect("one segment") {
            prop_assert!(!report.mid_log_damage());
        }
    }

    #[test]
    fn single_byte_corruption_never_yields_a_wrong_record(
        steps in prop::collection::vec(step(), 1..80),
        seg_pick in any::<prop::sample::Index>(),
        pos_pick in any::<prop::sample::Index>(),
        flip in 1u8..=255,
    ) {
        let (mut disk, appended) = run(&steps);
        let ids: Vec<_> = disk.files.keys().copied().collect();
        let id = ids[seg_pick.index(ids.len())];
        let file = disk.files.get_mut(&id).expect("segment");
        let pos = pos_pick.index(file.len());
        file.as_mut_slice()[pos] ^= flip;
        let (report, records) = disk.scan();
        assert_prefix(&records, &appended);
        if records.len() < appended.len() {
            prop_assert!(report.torn_tail.is_some(), "a loss is always reported");
        }
        for seg in &report.segments {
            if let SegmentEnd::Torn(t) = seg.end {
                prop_assert!(t.offset <= t.at);
                prop_assert_eq!(t.offset % BLOCK as u64, 0);
            }
        }
    }
}
