//! The IO layer on real files: glommio DMA writer + io_uring recovery, in temp dirs under /tmp.
#![cfg(feature = "io")]

use std::future::Future;
use std::path::{Path, PathBuf};

use glommio::LocalExecutorBuilder;
use smartchat_wal::io::{Opened, WalWriter};
use smartchat_wal::{ReclaimPolicy, SegmentId, Wal, WalConfig, WalError};

const SHARD: u32 = 2;

fn config() -> WalConfig {
    WalConfig {
        segment_size: 64 << 10,
        max_segments: 64,
        max_batch_bytes: 16 << 10,
        max_batch_records: 32,
        max_delay_us: 200,
        max_ready_batches: 4,
        reclaim: ReclaimPolicy::Prefix,
    }
}

/// A fresh directory under /tmp, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let path =
            std::env::temp_dir().join(format!("smartchat-wal-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn block_on<G, F, T>(fut: G) -> T
where
    G: FnOnce() -> F + Send + 'static,
    F: Future<Output = T> + 'static,
    T: Send + 'static,
{
    LocalExecutorBuilder::default()
        .spawn(fut)
        .expect("executor")
        .join()
        .expect("join")
}

fn payload(i: u64) -> Vec<u8> {
    let len = 100 + (i as usize * 53) % 700;
    (0..len).map(|j| (i as usize * 13 + j) as u8).collect()
}

type Recs = Vec<(u64, u8, Vec<u8>)>;

/// Opens `dir`, returns what was recovered (owned) plus the open WAL.
async fn open(dir: &Path, config: WalConfig) -> Result<(Opened<u64>, Recs), WalError> {
    let opened = WalWriter::open::<u64>(dir, SHARD, config).await?;
    let recs = opened
        .recovered
        .records()
        .map(|r| (r.lsn, r.kind, r.payload.to_vec()))
        .collect();
    Ok((opened, recs))
}

/// Appends records `range` (polling batches as a shard loop would) and commits everything.
async fn append_all(
    wal: &mut Wal<u64>,
    writer: &mut WalWriter,
    range: std::ops::Range<u64>,
) -> Result<Recs, WalError> {
    let mut written = Vec::new();
    let mut released = Vec::new();
    for i in range.clone() {
        let lsn = wal.append((i % 3) as u8, &payload(i), i, i * 10)?;
        written.push((lsn, (i % 3) as u8, payload(i)));
        while let Some(ready) = wal.poll_batch(i * 10) {
            let durable = writer.commit(ready.write).await.map_err(|f| f.error)?;
            released.extend(wal.on_durable(durable));
        }
    }
    while let Some(ready) = wal.flush(u64::MAX / 2) {
        let durable = writer.commit(ready.write).await.map_err(|f| f.error)?;
        released.extend(wal.on_durable(durable));
    }
    assert_eq!(
        released,
        range.collect::<Vec<_>>(),
        "every token, once, in order"
    );
    Ok(written)
}

fn segment_files(dir: &Path) -> Vec<SegmentId> {
    let mut ids: Vec<_> = std::fs::read_dir(dir)
        .expect("dir")
        .filter_map(|e| SegmentId::parse_file_name(e.ok()?.file_name().to_str()?))
        .collect();
    ids.sort();
    ids
}

#[test]
fn append_rotate_reopen_recover_all() {
    let tmp = TempDir::new("roundtrip");
    let dir = tmp.0.clone();
    block_on(move || async move {
        let (mut o, recs) = open(&dir, config()).await.expect("open empty");
        assert!(recs.is_empty());
        let mut all = append_all(&mut o.wal, &mut o.writer, 0..500)
            .await
            .expect("append");
        assert!(o.writer.stats().fdatasyncs >= o.writer.stats().batches);
        o.writer.close().await.expect("close");
        assert!(segment_files(&dir).len() > 3, "rotated");

        let (mut o, recs) = open(&dir, config()).await.expect("reopen");
        assert!(o.recovered.report().torn_tail.is_none());
        assert_eq!(recs, all);
        assert_eq!(o.wal.next_lsn(), 501);
        all.extend(
            append_all(&mut o.wal, &mut o.writer, 500..550)
                .await
                .expect("append"),
        );
        o.writer.close().await.expect("close");

        let (o, recs) = open(&dir, config()).await.expect("reopen");
        assert_eq!(recs, all);
        assert!(o.recovered.report().torn_tail.is_none());
    });
}

/// Writes a reference log and returns its records.
fn reference_log(dir: &Path) -> Recs {
    let dir = dir.to_path_buf();
    block_on(move || async move {
        let (mut o, _) = open(&dir, config()).await.expect("open");
        let all = append_all(&mut o.wal, &mut o.writer, 0..300)
            .await
            .expect("append");
        o.writer.close().await.expect("close");
        all
    })
}

fn copy_dir(from: &Path, to: &Path) {
    let _ = std::fs::remove_dir_all(to);
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("dir") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copy");
    }
}

/// Damages a copy of the reference log with `damage`, reopens it, checks that recovery returns
/// a prefix (reporting any loss), that the writer continues, and that the result reopens clean.
/// Returns how many records were recovered.
fn damage_and_recover(
    reference: &Path,
    all: &Recs,
    case: &str,
    damage: impl FnOnce(&Path),
) -> usize {
    let tmp = TempDir::new(case);
    copy_dir(reference, &tmp.0);
    damage(&tmp.0);
    let dir = tmp.0.clone();
    let all = all.clone();
    block_on(move || async move {
        let (mut o, recs) = open(&dir, config()).await.expect("tail damage reopens");
        assert_eq!(recs[..], all[..recs.len()], "recovered a prefix");
        if recs.len() < all.len() {
            assert!(o.recovered.report().torn_tail.is_some(), "loss reported");
        }
        let next = o.wal.next_lsn();
        assert_eq!(next, recs.len() as u64 + 1);
        let mut expect = recs.clone();
        expect.extend(
            append_all(&mut o.wal, &mut o.writer, next - 1..next + 4)
                .await
                .expect("continue"),
        );
        o.writer.close().await.expect("close");
        let (o, again) = open(&dir, config()).await.expect("reopen");
        assert!(
            o.recovered.report().torn_tail.is_none(),
            "repaired: {:?}",
            o.recovered.report()
        );
        assert_eq!(again, expect);
        recs.len()
    })
}

#[test]
fn torn_tails_from_truncation_and_flips_recover_a_prefix() {
    let reference = TempDir::new("reference");
    let all = reference_log(&reference.0);
    let ids = segment_files(&reference.0);
    let last = reference.0.join(ids.last().expect("segments").file_name());
    let len = std::fs::metadata(&last).expect("stat").len();
    // Deterministic pseudo-random offsets (LCG), plus the edges.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut offsets = vec![0, 1, 4096, 4097, 8191, len - 1];
    for _ in 0..10 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        offsets.push((x >> 33) % len);
    }
    let name = last.file_name().expect("name").to_owned();
    let first_in_last = ids.last().expect("segments").0 as usize - 1;
    let mut lossy = 0;
    for (n, cut) in offsets.iter().copied().enumerate() {
        let name = name.clone();
        let got = damage_and_recover(&reference.0, &all, &format!("cut{n}"), move |dir| {
            let f = std::fs::OpenOptions::new()
                .write(true)
                .open(dir.join(&name))
                .expect("open");
            f.set_len(cut).expect("truncate");
        });
        assert!(got >= first_in_last, "earlier segments are untouched");
        lossy += usize::from(got < all.len());
    }
    assert!(lossy >= 5, "most cuts land in data: {lossy}");
    // Flip bytes where the last segment holds data.
    let used = (std::fs::read(&last)
        .expect("read")
        .iter()
        .rposition(|&b| b != 0))
    .expect("data") as u64
        + 1;
    let mut lossy = 0;
    for n in 0..10u64 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let at = ((x >> 33) % used) as usize;
        let name = name.clone();
        let got = damage_and_recover(&reference.0, &all, &format!("flip{n}"), move |dir| {
            let path = dir.join(&name);
            let mut bytes = std::fs::read(&path).expect("read");
            bytes[at] ^= 0x5A;
            std::fs::write(&path, bytes).expect("write");
        });
        assert!(got >= first_in_last);
        lossy += usize::from(got < all.len());
    }
    assert!(lossy >= 5, "most flips hit a record: {lossy}");
}

#[test]
fn damage_before_the_tail_refuses_to_open() {
    let reference = TempDir::new("midlog");
    reference_log(&reference.0);
    let first = reference.0.join(segment_files(&reference.0)[0].file_name());
    let mut bytes = std::fs::read(&first).expect("read");
    bytes[4096 + 100] ^= 0xFF;
    std::fs::write(&first, bytes).expect("write");
    let dir = reference.0.clone();
    block_on(move || async move {
        match open(&dir, config()).await {
            Err(WalError::Damaged(torn)) => assert_eq!(torn.segment, segment_files(&dir)[0]),
            other => panic!("expected Damaged, got {:?}", other.map(|(_, r)| r.len())),
        }
    });
}

#[test]
fn reclaim_deletes_fully_final_segments_only() {
    let tmp = TempDir::new("reclaim");
    let dir = tmp.0.clone();
    block_on(move || async move {
        let (mut o, _) = open(&dir, config()).await.expect("open");
        let all = append_all(&mut o.wal, &mut o.writer, 0..400)
            .await
            .expect("append");
        let ids = o.wal.segment_ids();
        assert!(ids.len() >= 4);
        // Everything in the first two segments final except one record of the second.
        let pinned = ids[1].0 + 3;
        for lsn in ids[0].0..ids[2].0 {
            if lsn != pinned {
                o.wal.mark_final(lsn).expect("durable");
            }
        }
        let reclaim = o.wal.take_reclaimable();
        assert_eq!(reclaim, vec![ids[0]]);
        assert_eq!(o.writer.remove_segments(&reclaim).await.expect("remove"), 1);
        assert_eq!(segment_files(&dir), ids[1..].to_vec());
        o.wal.mark_final(pinned).expect("durable");
        let reclaim = o.wal.take_reclaimable();
        assert_eq!(reclaim, vec![ids[1]]);
        o.writer.remove_segments(&reclaim).await.expect("remove");
        // The active segment is never offered, even when all of it is final.
        for lsn in ids[2].0..o.wal.next_lsn() {
            o.wal.mark_final(lsn).expect("durable");
        }
        let reclaim = o.wal.take_reclaimable();
        assert!(!reclaim.contains(&o.wal.active_segment().expect("active")));
        o.writer.remove_segments(&reclaim).await.expect("remove");
        o.writer.close().await.expect("close");
        let (_, recs) = open(&dir, config()).await.expect("reopen");
        let kept = segment_files(&dir)[0].0;
        assert_eq!(recs[..], all[(kept - 1) as usize..]);
    });
}

#[test]
fn full_when_the_disk_bound_is_hit() {
    let tmp = TempDir::new("full");
    let dir = tmp.0.clone();
    let bounded = WalConfig {
        segment_size: 32 << 10,
        max_segments: 3,
        ..config()
    };
    block_on(move || async move {
        let (mut o, _) = open(&dir, bounded.clone()).await.expect("open");
        let mut i = 0;
        let error = loop {
            match append_all(&mut o.wal, &mut o.writer, i..i + 1).await {
                Ok(_) => i += 1,
                Err(e) => break e,
            }
            assert!(i < 10_000, "bound never hit");
        };
        assert!(
            matches!(
                error,
                WalError::Full {
                    segments: 3,
                    max: 3
                }
            ),
            "{error:?}"
        );
        assert_eq!(segment_files(&dir).len(), 3);
        o.writer.close().await.expect("close");
        let (mut o, recs) = open(&dir, bounded).await.expect("reopen");
        assert_eq!(recs.len() as u64, i, "every acknowledged record is there");
        assert!(matches!(
            append_all(&mut o.wal, &mut o.writer, i..i + 200).await,
            Err(WalError::Full { .. })
        ));
    });
}
