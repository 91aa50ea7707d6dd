//! CPU cost of the sans-IO paths: appending 200-byte records into batches (encode + crc +
//! placement) and scanning them back at recovery (validate + crc), no disk involved.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use smartchat_wal::{scan_log, ReclaimPolicy, SegmentId, Wal, WalConfig};

const RECORD: usize = 200;
const PER_ITER: u64 = 10_000;

fn config() -> WalConfig {
    WalConfig {
        segment_size: 64 << 20,
        max_segments: 16,
        max_batch_bytes: 256 << 10,
        max_batch_records: 4096,
        max_delay_us: 200,
        max_ready_batches: 4,
        reclaim: ReclaimPolicy::Prefix,
    }
}

fn append(c: &mut Criterion) {
    let payload = [0x42u8; RECORD];
    let mut group = c.benchmark_group("wal");
    group.throughput(Throughput::Elements(PER_ITER));
    group.bench_function("append_200B_and_poll", |b| {
        let mut wal: Wal<u64> = Wal::new(0, config()).expect("config");
        let mut now = 0;
        b.iter(|| {
            for i in 0..PER_ITER {
                wal.append(1, black_box(&payload), i, now).expect("append");
                now += 1;
                if let Some(ready) = wal.poll_batch(now) {
                    let durable = ready.write.into_durable();
                    let last = durable.last_lsn;
                    black_box(wal.on_durable(durable));
                    for lsn in last.saturating_sub(4095).max(1)..=last {
                        let _ = wal.mark_final(lsn);
                    }
                    black_box(wal.take_reclaimable());
                }
            }
        });
    });

    // A 16 MiB segment full of 200-byte records, scanned as recovery does.
    let mut wal: Wal<()> = Wal::new(
        0,
        WalConfig {
            segment_size: 16 << 20,
            ..config()
        },
    )
    .expect("config");
    let mut segment = vec![0u8; 16 << 20];
    let mut records = 0u64;
    'fill: loop {
        wal.append(1, &payload, (), 0).expect("append");
        // Batches close on size (256 KiB), as under load.
        while let Some(ready) = wal.poll_batch(0) {
            let b = ready.write;
            if b.segment != SegmentId(1) {
                break 'fill;
            }
            let at = b.offset as usize;
            segment[at..at + b.bytes.len()].copy_from_slice(&b.bytes);
            records += b.tokens.len() as u64;
        }
    }
    let id = SegmentId(1);
    group.throughput(Throughput::Elements(records));
    group.bench_function("scan_16MiB_segment", |b| {
        b.iter(|| {
            let report = scan_log(&[(id, black_box(&segment[..]))], 0);
            assert!(report.records > 0);
            black_box(report.records)
        });
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .measurement_time(std::time::Duration::from_secs(2))
        .warm_up_time(std::time::Duration::from_millis(500));
    targets = append
}
criterion_main!(benches);
