//! The sans-IO core driven against an in-memory disk: batching policy, ack-after-durable,
//! the disk bound, rotation, crash + resume, reclaim, typed records.

mod common;

use common::{flush_all, payload, MemDisk};
use rkyv::{Archive, Deserialize, Serialize};
use smartchat_wal::format::BLOCK;
use smartchat_wal::{
    access, ReclaimPolicy, RecordSchema, SegmentEnd, SegmentId, TornReason, Wal, WalConfig,
    WalError,
};

fn small() -> WalConfig {
    WalConfig {
        segment_size: 64 << 10,
        max_segments: 8,
        max_batch_bytes: 8192,
        max_batch_records: 4,
        max_delay_us: 100,
        max_ready_batches: 4,
        reclaim: ReclaimPolicy::Prefix,
    }
}

#[test]
fn batch_closes_on_deadline_count_and_bytes() {
    let mut wal: Wal<u32> = Wal::new(1, small()).expect("config");
    assert_eq!(wal.next_deadline(), None);
    for t in 0..3 {
        wal.append(9, b"abc", t, 0).expect("append");
    }
    assert!(wal.poll_batch(99).is_none(), "before the latency cap");
    assert_eq!(wal.next_deadline(), Some(100));
    let batch = wal
        .poll_batch(100)
        .expect("deadline closes the batch")
        .write;
    assert_eq!((batch.first_lsn, batch.last_lsn), (1, 3));
    assert_eq!(batch.tokens, vec![0, 1, 2]);
    assert!(batch.new_segment);
    assert_eq!(batch.offset, 0);
    assert_eq!(batch.bytes.len() % BLOCK, 0);
    assert_eq!(
        batch.bytes.len(),
        2 * BLOCK,
        "header block + one block of records"
    );

    for t in 10..14 {
        wal.append(9, b"x", t, 200).expect("append");
    }
    let batch = wal.poll_batch(200).expect("count closes the batch").write;
    assert_eq!(batch.tokens, vec![10, 11, 12, 13]);
    assert!(!batch.new_segment);
    assert_eq!(batch.offset, 2 * BLOCK as u64);

    for t in 20..23 {
        wal.append(9, &[7; 3000], t, 300).expect("append");
    }
    let batch = wal.poll_batch(300).expect("bytes close the batch").write;
    assert_eq!(
        batch.tokens,
        vec![20, 21],
        "a third 3000-byte record exceeds 8 KiB"
    );
    assert_eq!(batch.bytes.len(), 8192);
    assert!(
        wal.poll_batch(300).is_none(),
        "the third record waits for its deadline"
    );
    assert_eq!(wal.next_deadline(), Some(400));
}

#[test]
fn tokens_come_back_only_through_on_durable() {
    let mut disk = MemDisk::new(1);
    let mut wal: Wal<&str> = Wal::new(1, small()).expect("config");
    let lsn = wal.append(1, b"m1", "sender-1", 0).expect("append");
    let ready = wal.flush(0).expect("batch");
    assert_eq!(wal.durable_lsn(), 0);
    let tokens = wal.on_durable(disk.write(ready.write));
    assert_eq!(tokens, vec!["sender-1"]);
    assert_eq!(wal.durable_lsn(), lsn);
    assert_eq!(wal.mark_final(lsn).ok(), Some(true));
    assert_eq!(wal.mark_final(lsn).ok(), Some(false), "idempotent");
    assert!(matches!(wal.mark_final(99), Err(WalError::UnknownLsn(99))));
    assert!(matches!(wal.mark_final(0), Err(WalError::UnknownLsn(0))));
}

#[test]
fn early_finals_never_reclaim_a_segment_with_a_batch_in_flight() {
    let config = WalConfig {
        segment_size: 16 << 10,
        max_batch_records: 64,
        ..small()
    };
    let mut disk = MemDisk::new(1);
    let mut wal: Wal<u64> = Wal::new(1, config).expect("config");
    // Fill the first segment; its last batch stays queued (not durable) while the log rotates.
    let mut queued = Vec::new();
    let mut i = 0;
    while wal.active_segment().map_or(true, |a| a == SegmentId(1)) {
        wal.append(1, &payload(i, 3000), i, 0).expect("append");
        wal.mark_final(i + 1).expect("final before durable");
        i += 1;
        if let Some(ready) = wal.poll_batch(0) {
            queued.push(ready.write);
        }
    }
    assert!(
        wal.take_reclaimable().is_empty(),
        "batches of segment 1 in flight"
    );
    for batch in queued {
        wal.on_durable(disk.write(batch));
    }
    assert_eq!(wal.take_reclaimable(), vec![SegmentId(1)]);
}

#[test]
fn full_at_the_disk_bound_then_reclaim_makes_room() {
    let config = WalConfig {
        segment_size: 16 << 10,
        max_segments: 2,
        max_batch_records: 64,
        ..small()
    };
    let mut disk = MemDisk::new(1);
    let mut wal: Wal<u64> = Wal::new(1, config).expect("config");
    let mut released = Vec::new();
    let mut appended = 0u64;
    let full = loop {
        match wal.append(2, &payload(appended, 3000), appended, appended) {
            Ok(_) => appended += 1,
            Err(e) => break e,
        }
        released.extend(flush_all(&mut wal, &mut disk, appended));
        assert!(appended < 100, "the bound must bite");
    };
    assert!(full.is_backpressure());
    assert!(matches!(
        full,
        WalError::Full {
            segments: 2,
            max: 2
        }
    ));
    assert_eq!(
        released,
        (0..appended).collect::<Vec<_>>(),
        "nothing dropped"
    );
    let (report, records) = disk.scan();
    assert_eq!(records.len() as u64, appended);
    assert!(report.torn_tail.is_none());

    let first = wal.segment_ids()[0];
    let second = wal.segment_ids()[1];
    for lsn in first.0..second.0 {
        wal.mark_final(lsn).expect("durable");
    }
    assert_eq!(wal.take_reclaimable(), vec![first]);
    disk.remove(&[first]);
    wal.append(2, &payload(appended, 3000), appended, 0)
        .expect("room again after reclaim");
    flush_all(&mut wal, &mut disk, 0);
    let (report, records) = disk.scan();
    assert!(report.torn_tail.is_none(), "{report:?}");
    assert_eq!(records.first().map(|r| r.lsn), Some(second.0));
    assert_eq!(records.last().map(|r| r.lsn), Some(appended + 1));
}

#[test]
fn busy_when_the_writer_falls_behind() {
    let config = WalConfig {
        max_batch_records: 1,
        max_ready_batches: 1,
        ..small()
    };
    let mut wal: Wal<u8> = Wal::new(1, config).expect("config");
    wal.append(1, b"a", 1, 0)
        .expect("first closes into the queue");
    wal.append(1, b"b", 2, 0).expect("second stays open");
    let busy = wal.append(1, b"c", 3, 0).expect_err("queue full");
    assert!(matches!(busy, WalError::Busy { pending: 1 }));
    assert_eq!(wal.poll_batch(0).map(|r| r.write.tokens), Some(vec![1]));
    wal.append(1, b"c", 3, 0).expect("room again");
    assert_eq!(wal.poll_batch(0).map(|r| r.write.tokens), Some(vec![2]));
}

#[test]
fn oversized_records_are_refused() {
    let mut wal: Wal<()> = Wal::new(1, small()).expect("config");
    let max = wal.config().max_payload_len();
    assert!(matches!(
        wal.append(1, &vec![0; max + 1], (), 0),
        Err(WalError::RecordTooLarge { .. })
    ));
    wal.append(1, &vec![0; max], (), 0)
        .expect("the largest fits");
    let batch = wal.flush(0).expect("batch").write;
    assert_eq!(batch.bytes.len(), BLOCK + 8192);
}

#[test]
fn rotation_chains_segments_and_everything_comes_back() {
    let config = WalConfig {
        max_segments: 64,
        ..small()
    };
    let mut disk = MemDisk::new(3);
    let mut wal: Wal<u64> = Wal::new(3, config).expect("config");
    let mut expected = Vec::new();
    for i in 0..400u64 {
        let data = payload(i, (i as usize * 37) % 1500);
        let lsn = wal.append((i % 5) as u8, &data, i, i).expect("append");
        expected.push((lsn, (i % 5) as u8, data));
        if i % 7 == 0 {
            flush_all(&mut wal, &mut disk, i);
        }
    }
    flush_all(&mut wal, &mut disk, 1000);
    let (report, records) = disk.scan();
    assert!(report.torn_tail.is_none(), "{report:?}");
    assert!(
        report.segments.len() > 3,
        "rotated: {}",
        report.segments.len()
    );
    assert_eq!(report.next_lsn, wal.next_lsn());
    let got: Vec<_> = records
        .into_iter()
        .map(|r| (r.lsn, r.kind, r.payload))
        .collect();
    assert_eq!(got, expected);
    for pair in report.segments.windows(2) {
        let header = pair[1].header.expect("valid header");
        assert_eq!(header.prev_segment, pair[0].id.0);
        assert_eq!(pair[1].id.0, pair[0].next_lsn());
    }
}

fn crash_with_torn_batch(keep: impl Fn(usize) -> bool, reason: fn(&TornReason) -> bool) {
    let config = WalConfig {
        segment_size: 256 << 10,
        max_batch_bytes: 32 << 10,
        max_batch_records: 64,
        ..small()
    };
    let mut disk = MemDisk::new(1);
    let mut wal: Wal<u64> = Wal::new(1, config.clone()).expect("config");
    for i in 0..30 {
        wal.append(1, &payload(i, 500), i, 0).expect("append");
        if i % 4 == 3 {
            flush_all(&mut wal, &mut disk, 0);
        }
    }
    flush_all(&mut wal, &mut disk, 0);
    let durable_records = disk.scan().1;
    // The crash: a batch of several blocks is only partly written, never acknowledged.
    for i in 100..112 {
        wal.append(1, &payload(i, 900), i, 0).expect("append");
    }
    let torn = wal.flush(0).expect("batch").write;
    assert!(torn.bytes.len() >= 3 * BLOCK && !torn.new_segment);
    assert_eq!(torn.tokens.len(), 12);
    disk.write_torn(&torn, keep);

    let (report, records) = disk.scan();
    assert_eq!(records, durable_records, "the torn batch yields nothing");
    let tail = report.torn_tail.expect("torn tail reported");
    assert_eq!(
        tail.offset, torn.offset,
        "trust ends where the torn batch starts"
    );
    assert!(reason(&tail.reason), "{:?}", tail.reason);
    assert!(!report.mid_log_damage());

    disk.repair(&report);
    let mut wal: Wal<u64> = Wal::resume(1, config, &report).expect("resume");
    assert_eq!(
        wal.next_lsn(),
        torn.first_lsn,
        "LSNs of the torn batch are reused"
    );
    for i in 200..220 {
        wal.append(1, &payload(i, 300), i, 0).expect("append");
    }
    flush_all(&mut wal, &mut disk, 0);
    let (report, records) = disk.scan();
    assert!(report.torn_tail.is_none(), "{report:?}");
    assert_eq!(records[..durable_records.len()], durable_records[..]);
    assert_eq!(records.len(), durable_records.len() + 20);
    for (i, r) in records.iter().enumerate() {
        assert_eq!(r.lsn, i as u64 + 1);
    }
}

#[test]
fn torn_batch_tail_blocks_missing() {
    // The record crossing into the first missing block fails its crc (or, had it ended on the
    // block boundary, the batch would end unclosed).
    crash_with_torn_batch(
        |i| i == 0,
        |r| matches!(r, TornReason::BadChecksum | TornReason::UnclosedBatch),
    );
}

#[test]
fn torn_batch_first_block_missing() {
    crash_with_torn_batch(|i| i != 0, |r| matches!(r, TornReason::Hole));
}

#[test]
fn torn_segment_header_is_replaced() {
    let config = WalConfig {
        segment_size: 16 << 10,
        max_batch_records: 64,
        ..small()
    };
    let mut disk = MemDisk::new(1);
    let mut wal: Wal<u64> = Wal::new(1, config.clone()).expect("config");
    let mut i = 0;
    while wal.live_segments() < 2 || wal.has_pending() {
        wal.append(1, &payload(i, 2000), i, 0).expect("append");
        if wal.live_segments() == 2 {
            break;
        }
        flush_all(&mut wal, &mut disk, 0);
        i += 1;
    }
    let batch = wal.flush(0).expect("first batch of the new segment").write;
    assert!(batch.new_segment);
    disk.write_torn(&batch, |b| b != 0); // the header block never landed
    let (report, before) = disk.scan();
    let tail = report.torn_tail.expect("torn");
    assert_eq!((tail.segment, tail.offset), (batch.segment, 0));
    assert!(matches!(tail.reason, TornReason::SegmentHeader(_)));
    disk.repair(&report);
    let mut wal: Wal<u64> = Wal::resume(1, config, &report).expect("resume");
    assert_eq!(wal.next_lsn(), batch.first_lsn);
    wal.append(1, b"after", 0, 0).expect("append");
    flush_all(&mut wal, &mut disk, 0);
    let (report, after) = disk.scan();
    assert!(report.torn_tail.is_none(), "{report:?}");
    assert_eq!(after.len(), before.len() + 1);
    assert_eq!(
        after.last().map(|r| r.payload.as_slice()),
        Some(&b"after"[..])
    );
}

/// Three segments of durable records on a memory disk.
fn three_segments(policy: ReclaimPolicy) -> (Wal<u64>, MemDisk) {
    let config = WalConfig {
        segment_size: 16 << 10,
        max_batch_records: 2,
        reclaim: policy,
        ..small()
    };
    let mut disk = MemDisk::new(1);
    let mut wal: Wal<u64> = Wal::new(1, config).expect("config");
    let mut i = 0;
    while wal.live_segments() < 3 {
        wal.append(1, &payload(i, 1500), i, 0).expect("append");
        flush_all(&mut wal, &mut disk, 0);
        i += 1;
    }
    (wal, disk)
}

#[test]
fn mid_log_damage_is_reported_and_refused() {
    let (wal, mut disk) = three_segments(ReclaimPolicy::Prefix);
    let first = wal.segment_ids()[0];
    disk.files.get_mut(&first).expect("first").as_mut_slice()[BLOCK + 40] ^= 0x01;
    let (report, records) = disk.scan();
    assert!(report.mid_log_damage());
    assert_eq!(report.untrusted.len(), 2);
    assert!(
        records.is_empty(),
        "the damaged first batch was the only one before it"
    );
    let tail = report.torn_tail.expect("damage reported");
    assert_eq!(tail.reason, TornReason::BadChecksum);
    assert!(matches!(
        Wal::<u64>::resume(1, wal.config().clone(), &report),
        Err(WalError::Damaged(_))
    ));
}

#[test]
fn reclaimed_gaps_are_accepted_but_lost_tails_are_not() {
    let (mut wal, mut disk) = three_segments(ReclaimPolicy::AnyFinal);
    let ids = wal.segment_ids();
    for lsn in ids[1].0..ids[2].0 {
        wal.mark_final(lsn).expect("durable");
    }
    assert_eq!(wal.take_reclaimable(), vec![ids[1]]);
    let mut lost = disk.clone();
    disk.remove(&[ids[1]]);
    let (report, records) = disk.scan();
    assert!(report.torn_tail.is_none(), "{report:?}");
    assert!(records
        .iter()
        .all(|r| r.lsn < ids[1].0 || r.lsn >= ids[2].0));

    // Same log, but the last batch of the middle segment vanished (zeros): a lost tail.
    let middle = lost.scan().0.segments[1].clone();
    let file = lost.files.get_mut(&ids[1]).expect("middle");
    let last_batch = middle.valid_end as usize - BLOCK;
    file.as_mut_slice()[last_batch..].fill(0);
    let (report, _) = lost.scan();
    let tail = report.torn_tail.expect("lost tail detected");
    assert!(
        matches!(tail.reason, TornReason::MissingTail { .. }),
        "{tail:?}"
    );
    assert_eq!(tail.segment, ids[1]);
    assert_eq!(report.untrusted, vec![ids[2]]);
    assert!(matches!(report.segments[1].end, SegmentEnd::Clean));
}

#[derive(Archive, Serialize, Deserialize, Debug, PartialEq)]
struct Msg {
    id: u64,
    to: String,
    text: String,
}

impl RecordSchema for Msg {
    const KIND: u8 = 7;
    const VERSION: u32 = 1;
}

/// The next layout of `Msg`'s record: here byte-compatible, but written as version 2, so a
/// reader of version 1 must refuse it by its tag (bytecheck alone would accept it).
#[derive(Archive, Serialize, Deserialize, Debug, PartialEq)]
struct MsgV2 {
    id: u64,
    to: String,
    text: String,
}

impl RecordSchema for MsgV2 {
    const KIND: u8 = 7;
    const VERSION: u32 = 2;
}

fn parts_of(disk: &MemDisk) -> Vec<(SegmentId, &[u8])> {
    disk.files
        .iter()
        .map(|(id, f)| (*id, f.as_slice()))
        .collect()
}

#[test]
fn typed_records_round_trip_in_place() {
    let mut disk = MemDisk::new(1);
    let mut wal: Wal<u64> = Wal::new(1, small()).expect("config");
    for id in 0..10 {
        let msg = Msg {
            id,
            to: format!("+4670000{id:04}"),
            text: "see you at 8".repeat(id as usize + 1),
        };
        wal.append_typed(&msg, id, 0).expect("append");
    }
    flush_all(&mut wal, &mut disk, 0);
    let parts = parts_of(&disk);
    let report = smartchat_wal::scan_log(&parts, 1);
    let mut n = 0;
    for record in smartchat_wal::log_records(&parts, &report) {
        assert_eq!(record.kind, Msg::KIND);
        let archived = record
            .access_typed::<Msg>()
            .expect("valid archive, in place");
        assert_eq!(archived.id, n);
        assert_eq!(archived.text.len(), 12 * (n as usize + 1));
        assert_eq!(record.payload.as_ptr() as usize % 16, 0);
        n += 1;
    }
    assert_eq!(n, 10);
}

#[test]
fn a_record_of_another_schema_version_is_refused_by_its_tag() {
    let mut disk = MemDisk::new(1);
    let mut wal: Wal<u64> = Wal::new(1, small()).expect("config");
    let v2 = MsgV2 {
        id: 1,
        to: "+46700000001".into(),
        text: "newer layout".into(),
    };
    wal.append_typed(&v2, 1, 0).expect("append");
    flush_all(&mut wal, &mut disk, 0);
    let parts = parts_of(&disk);
    let report = smartchat_wal::scan_log(&parts, 1);
    let records: Vec<_> = smartchat_wal::log_records(&parts, &report).collect();
    assert_eq!(records.len(), 1);
    // The archive behind the tag is a perfectly valid `Msg` archive: only the tag tells.
    let archive = &records[0].payload[smartchat_wal::typed::SCHEMA_TAG_LEN..];
    assert!(access::<Msg>(archive).is_ok());
    assert!(matches!(
        records[0].access_typed::<Msg>(),
        Err(WalError::SchemaVersion {
            expected: 1,
            found: 2
        })
    ));
    assert!(records[0].access_typed::<MsgV2>().is_ok());
    // Another kind byte, or no tag at all, is refused too.
    assert!(matches!(
        smartchat_wal::access_typed::<Msg>(8, records[0].payload),
        Err(WalError::SchemaKind {
            expected: 7,
            found: 8
        })
    ));
    assert!(matches!(
        smartchat_wal::access_typed::<Msg>(7, archive),
        Err(WalError::SchemaTag)
    ));
}

#[test]
fn validation_refuses_impossible_bytes_not_merely_different_ones() {
    let msg = Msg {
        id: 3,
        to: "+46700000003-a-long-destination".into(),
        text: "a text long enough to live out of line".into(),
    };
    let bytes = rkyv::to_bytes::<rkyv::rancor::Error>(&msg).expect("serialise");
    assert!(access::<Msg>(&bytes).is_ok());

    // Misaligned: the same bytes one byte further on.
    let mut shifted = rkyv::util::AlignedVec::<16>::new();
    shifted.extend_from_slice(&[0]);
    shifted.extend_from_slice(&bytes);
    assert!(matches!(
        access::<Msg>(&shifted[1..]),
        Err(WalError::Access(_))
    ));

    // Impossible: invalid UTF-8 inside a string.
    let mut broken = rkyv::util::AlignedVec::<16>::new();
    broken.extend_from_slice(&bytes);
    let at = bytes
        .windows(4)
        .position(|w| w == b"text")
        .expect("the text is in the archive");
    broken[at] = 0xFF;
    assert!(matches!(access::<Msg>(&broken), Err(WalError::Access(_))));

    // Merely different: 64 bytes of 0xFF are a valid `Msg` (id = u64::MAX, two empty strings).
    // This is why integrity is the crc's job and versioning the tag's, not bytecheck's.
    let mut ones = rkyv::util::AlignedVec::<16>::new();
    ones.extend_from_slice(&[0xFFu8; 64]);
    let archived = access::<Msg>(&ones).expect("a valid, if meaningless, archive");
    assert_eq!(archived.id, u64::MAX);
}
