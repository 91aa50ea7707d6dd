//! Writes the `wal_read` fuzz corpus seeds: real (small) segment files produced by the glommio
//! writer, a pair of chained segments back to back, and a torn one.
//!
//! `cargo run -p smartchat-wal --features io --example fuzz_seeds -- fuzz/corpus/wal_read`

use std::path::PathBuf;

use glommio::LocalExecutorBuilder;
use smartchat_wal::io::WalWriter;
use smartchat_wal::{ReclaimPolicy, SegmentId, WalConfig};

fn main() {
    let out = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "fuzz/corpus/wal_read".into()),
    );
    let dir = std::env::temp_dir().join(format!("smartchat-wal-seeds-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let config = WalConfig {
        segment_size: 12 << 10,
        max_segments: 64,
        max_batch_bytes: 8 << 10,
        max_batch_records: 8,
        max_delay_us: 3,
        max_ready_batches: 4,
        reclaim: ReclaimPolicy::Prefix,
    };
    let seg_dir = dir.clone();
    LocalExecutorBuilder::default()
        .spawn(move || async move {
            let mut o = WalWriter::open::<u32>(&seg_dir, 7, config)
                .await
                .expect("open");
            for i in 0..40u32 {
                let words: Vec<String> = (0..i % 5).map(|w| format!("word{w}-{i}")).collect();
                let result = match i % 4 {
                    0 => o.wal.append_archived(1, &words, i, 0),
                    1 => o.wal.append(2, &[], i, 0),
                    // 4064 bytes leaves 16 bytes in a block: exercises the header-skip rule.
                    2 => o
                        .wal
                        .append(3, &vec![i as u8; (i as usize * 97) % 4064], i, 0),
                    _ => o
                        .wal
                        .append_archived(4, &(u64::from(i), format!("msg {i}")), i, 0),
                };
                result.expect("append");
                while let Some(ready) = o.wal.poll_batch(u64::from(i)) {
                    let durable = o.writer.commit(ready.write).await.map_err(|f| f.error);
                    o.wal.on_durable(durable.expect("commit"));
                }
            }
            while let Some(ready) = o.wal.flush(1000) {
                let durable = o.writer.commit(ready.write).await.map_err(|f| f.error);
                o.wal.on_durable(durable.expect("commit"));
            }
            o.writer.close().await.expect("close");
        })
        .expect("executor")
        .join()
        .expect("join");

    std::fs::create_dir_all(&out).expect("corpus dir");
    let mut ids: Vec<SegmentId> = std::fs::read_dir(&dir)
        .expect("segments")
        .filter_map(|e| SegmentId::parse_file_name(e.ok()?.file_name().to_str()?))
        .collect();
    ids.sort();
    let read = |id: SegmentId| std::fs::read(dir.join(id.file_name())).expect("read segment");
    let mut written = 0;
    for (n, id) in ids.iter().take(3).enumerate() {
        std::fs::write(out.join(format!("seed-segment-{n}")), read(*id)).expect("write");
        written += 1;
    }
    if ids.len() >= 2 {
        let mut pair = read(ids[0]);
        pair.extend(read(ids[1]));
        std::fs::write(out.join("seed-two-segments"), pair).expect("write");
        let mut torn = read(ids[1]);
        torn.truncate(4096 + 3000);
        std::fs::write(out.join("seed-torn-segment"), torn).expect("write");
        written += 2;
    }
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "{written} seeds from {} segments in {}",
        ids.len(),
        out.display()
    );
}
