//! WAL throughput and group-commit latency on the real glommio writer.
//!
//! One glommio executor (one shard): a producer task appends 200-byte records at an offered
//! rate (in bursts every 50 µs, the way a reactor tick delivers a burst of requests), a committer
//! task polls batches, commits them (one write + one fdatasync each), releases the tokens, marks
//! the records final and deletes reclaimed segments. Latency is push → token released (durable),
//! recorded in an HDR histogram.
//!
//! Run: `cargo bench -p smartchat-wal --features io --bench wal` (optionally
//! `WAL_BENCH_DIR=/path` for the segment directory, `WAL_BENCH_SECS=1.5` per row).

use std::cell::{Cell, RefCell};
use std::path::PathBuf;
use std::rc::Rc;
use std::time::{Duration, Instant};

use glommio::LocalExecutorBuilder;
use hdrhistogram::Histogram;
use smartchat_wal::io::WalWriter;
use smartchat_wal::{ReclaimPolicy, WalConfig};

const RECORD: usize = 200;
const TICK: Duration = Duration::from_micros(50);
/// Records pushed per tick at most (a reactor tick handles a bounded burst).
const MAX_BURST: u64 = 2_000;

struct Row {
    label: String,
    offered: Option<u64>,
    durable_per_s: f64,
    refused: u64,
    syncs_per_s: f64,
    records_per_batch: f64,
    p50_us: u64,
    p99_us: u64,
    max_us: u64,
}

fn run_row(dir: PathBuf, label: String, config: WalConfig, offered: Option<u64>, secs: f64) -> Row {
    LocalExecutorBuilder::default()
        .spawn(move || async move {
            let _ = std::fs::remove_dir_all(&dir);
            let opened = WalWriter::open::<u64>(&dir, 0, config).await.expect("open");
            let wal = Rc::new(RefCell::new(opened.wal));
            let mut writer = opened.writer;
            let start = Instant::now();
            let us = move || start.elapsed().as_micros() as u64;
            let stop = Rc::new(Cell::new(false));
            let refused = Rc::new(Cell::new(0u64));

            let producer = {
                let (wal, stop, refused) = (wal.clone(), stop.clone(), refused.clone());
                glommio::spawn_local(async move {
                    let payload = [0x42u8; RECORD];
                    let rate = offered.unwrap_or(5_000_000);
                    let mut pushed = 0u64;
                    while !stop.get() {
                        let now = us();
                        let target = now * rate / 1_000_000;
                        // A burst per tick; bounded so one tick cannot run away.
                        {
                            let mut wal = wal.borrow_mut();
                            for _ in 0..(target.saturating_sub(pushed)).min(MAX_BURST) {
                                pushed += 1;
                                if wal.append(1, &payload, now, now).is_err() {
                                    refused.set(refused.get() + 1);
                                }
                            }
                        }
                        glommio::timer::sleep(TICK).await;
                    }
                })
            };

            let mut hist = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).expect("hist");
            let mut durable = 0u64;
            let end = (secs * 1e6) as u64;
            loop {
                let now = us();
                if now >= end {
                    stop.set(true);
                }
                let ready = wal.borrow_mut().poll_batch(now);
                match ready {
                    Some(ready) => {
                        let d = writer
                            .commit(ready.write)
                            .await
                            .map_err(|f| f.error)
                            .expect("commit");
                        let (first, last) = (d.first_lsn, d.last_lsn);
                        let tokens = wal.borrow_mut().on_durable(d);
                        let done = us();
                        for pushed_at in &tokens {
                            hist.record(done.saturating_sub(*pushed_at).max(1))
                                .expect("record");
                        }
                        durable += tokens.len() as u64;
                        let reclaim = {
                            let mut wal = wal.borrow_mut();
                            for lsn in first..=last {
                                wal.mark_final(lsn).expect("final");
                            }
                            wal.take_reclaimable()
                        };
                        if !reclaim.is_empty() {
                            writer.remove_segments(&reclaim).await.expect("remove");
                        }
                    }
                    None if stop.get() => break,
                    None => {
                        let wait = wal
                            .borrow()
                            .next_deadline()
                            .map_or(TICK, |d| Duration::from_micros(d.saturating_sub(now)));
                        glommio::timer::sleep(wait.min(TICK)).await;
                    }
                }
            }
            producer.await;
            let elapsed = start.elapsed().as_secs_f64();
            let stats = writer.stats();
            writer.close().await.expect("close");
            let _ = std::fs::remove_dir_all(&dir);
            Row {
                label,
                offered,
                durable_per_s: durable as f64 / elapsed,
                refused: refused.get(),
                syncs_per_s: stats.fdatasyncs as f64 / elapsed,
                records_per_batch: durable as f64 / stats.batches.max(1) as f64,
                p50_us: hist.value_at_quantile(0.50),
                p99_us: hist.value_at_quantile(0.99),
                max_us: hist.max(),
            }
        })
        .expect("executor")
        .join()
        .expect("join")
}

fn main() {
    // `cargo bench` passes `--bench`; a test run (`cargo test --benches`) passes nothing useful.
    let dir = std::env::var("WAL_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            std::env::temp_dir().join(format!("smartchat-wal-bench-{}", std::process::id()))
        });
    let secs: f64 = std::env::var("WAL_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.5);
    let base = WalConfig {
        segment_size: 64 << 20,
        max_segments: 16,
        max_batch_bytes: 256 << 10,
        max_batch_records: 4096,
        max_delay_us: 200,
        max_ready_batches: 4,
        reclaim: ReclaimPolicy::Prefix,
    };
    println!("segment dir: {}", dir.display());
    let mut rows = Vec::new();
    let one_per_sync = WalConfig {
        max_batch_records: 1,
        max_ready_batches: 64,
        ..base.clone()
    };
    // Offered below its capacity, so its latency is one write + fdatasync.
    rows.push(run_row(
        dir.clone(),
        "1 record/fsync".into(),
        one_per_sync,
        Some(100),
        secs,
    ));
    for delay in [100u64, 200, 500, 1000] {
        for offered in [Some(20_000u64), Some(200_000), None] {
            let config = WalConfig {
                max_delay_us: delay,
                ..base.clone()
            };
            rows.push(run_row(
                dir.clone(),
                format!("delay {delay} µs"),
                config,
                offered,
                secs,
            ));
        }
    }
    println!(
        "{:<16} {:>10} {:>12} {:>9} {:>10} {:>10} {:>8} {:>8} {:>8}",
        "config",
        "offered/s",
        "durable/s",
        "refused",
        "fsync/s",
        "rec/batch",
        "p50 µs",
        "p99 µs",
        "max µs"
    );
    for r in rows {
        let offered = r.offered.map_or("max".to_string(), |o| o.to_string());
        println!(
            "{:<16} {:>10} {:>12.0} {:>9} {:>10.0} {:>10.1} {:>8} {:>8} {:>8}",
            r.label,
            offered,
            r.durable_per_s,
            r.refused,
            r.syncs_per_s,
            r.records_per_batch,
            r.p50_us,
            r.p99_us,
            r.max_us
        );
    }
}
