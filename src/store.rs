//! The subscriber store: per shard, an rkyv snapshot plus an append-only change log.
//!
//! Layout: `DATA_DIR/shard-N/subscribers.snap` and `DATA_DIR/shard-N/subscribers.log`.
//! Why this shape: a restart with millions of subscribers must be I/O-bound — the snapshot is
//! validated and read in place (no parse pass), and the log holds only what changed since.
//! Each log record is `len: u32 LE | crc32: u32 LE | rkyv bytes`; replay stops cleanly at the
//! first torn or corrupt record and reports how many bytes it ignored.
//!
//! At start-up every shard directory is read (the shard count may have changed since the last
//! run), records are re-partitioned by the current [`ShardMap`], and fresh snapshots are written
//! with empty logs (compaction). Changes at run time are appended and `fdatasync`ed before the
//! admin request is answered. This is the cold path (admin operations), so plain blocking file
//! I/O on the shard thread is acceptable here; the message WAL is a separate, io_uring design.

use crate::config::Config;
use crate::service::io::StoreOp;
use rkyv::rancor::Error as RkyvError;
use smartchat_core::{ShardMap, Subscriber};
use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// The demo subscriber set compiled into the binary (also at data/demo-subscribers.csv).
pub const DEMO_SUBSCRIBERS: &str = include_str!("../data/demo-subscribers.csv");

/// Largest log record accepted on replay (a subscriber with a very long buddy list).
const MAX_RECORD: usize = 1 << 20;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: corrupt snapshot: {reason}")]
    CorruptSnapshot { path: PathBuf, reason: String },
    #[error("subscriber CSV {path}: {reason}")]
    Csv { path: PathBuf, reason: String },
    #[error("cannot encode record: {0}")]
    Encode(String),
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_owned(),
        source,
    }
}

/// A change-log record.
#[derive(Debug, Clone, rkyv::Archive, rkyv::Serialize, rkyv::Deserialize)]
pub enum LogRecord {
    Upsert(Subscriber),
    Remove(String),
}

pub fn shard_dir(data_dir: &Path, shard: usize) -> PathBuf {
    data_dir.join(format!("shard-{shard}"))
}

/// Reads everything stored under `data_dir` (all shard directories), as one map by AOR.
pub fn load_all(data_dir: &Path) -> Result<BTreeMap<String, Subscriber>, StoreError> {
    let mut all = BTreeMap::new();
    let entries = match fs::read_dir(data_dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(all),
        Err(e) => return Err(io_err(data_dir)(e)),
    };
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("shard-"))
        })
        .collect();
    dirs.sort();
    for dir in dirs {
        let snap = dir.join("subscribers.snap");
        if let Some(bytes) = read_optional(&snap)? {
            let mut aligned = rkyv::util::AlignedVec::<16>::with_capacity(bytes.len());
            aligned.extend_from_slice(&bytes);
            let archived = smartchat_core::access_snapshot(&aligned).map_err(|e| {
                StoreError::CorruptSnapshot {
                    path: snap.clone(),
                    reason: e.to_string(),
                }
            })?;
            for sub in archived.iter() {
                let owned: Subscriber =
                    rkyv::deserialize::<Subscriber, RkyvError>(sub).map_err(|e| {
                        StoreError::CorruptSnapshot {
                            path: snap.clone(),
                            reason: e.to_string(),
                        }
                    })?;
                all.insert(owned.aor.clone(), owned);
            }
        }
        let log = dir.join("subscribers.log");
        if let Some(bytes) = read_optional(&log)? {
            let (records, torn) = decode_log(&bytes);
            if torn > 0 {
                tracing::warn!(path = %log.display(), ignored_bytes = torn, "subscriber log has a torn tail");
            }
            for record in records {
                match record {
                    LogRecord::Upsert(sub) => {
                        all.insert(sub.aor.clone(), sub);
                    }
                    LogRecord::Remove(aor) => {
                        all.remove(&aor);
                    }
                }
            }
        }
    }
    Ok(all)
}

fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, StoreError> {
    match File::open(path) {
        Ok(mut f) => {
            let mut bytes = Vec::new();
            f.read_to_end(&mut bytes).map_err(io_err(path))?;
            Ok(Some(bytes))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_err(path)(e)),
    }
}

/// Decodes log records until the end or the first bad one; returns them and the bytes ignored.
pub fn decode_log(bytes: &[u8]) -> (Vec<LogRecord>, usize) {
    let mut records = Vec::new();
    let mut at = 0usize;
    while let Some(head) = bytes.get(at..at + 8) {
        let len = u32::from_le_bytes([head[0], head[1], head[2], head[3]]) as usize;
        let crc = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
        if len > MAX_RECORD {
            break;
        }
        let Some(body) = bytes.get(at + 8..at + 8 + len) else {
            break;
        };
        if crc32fast::hash(body) != crc {
            break;
        }
        let mut aligned = rkyv::util::AlignedVec::<16>::with_capacity(len);
        aligned.extend_from_slice(body);
        match rkyv::from_bytes::<LogRecord, RkyvError>(&aligned) {
            Ok(record) => records.push(record),
            Err(_) => break,
        }
        at += 8 + len;
    }
    (records, bytes.len() - at)
}

/// Encodes one record with its length and checksum.
pub fn encode_record(record: &LogRecord) -> Result<Vec<u8>, StoreError> {
    let body =
        rkyv::to_bytes::<RkyvError>(record).map_err(|e| StoreError::Encode(e.to_string()))?;
    let mut out = Vec::with_capacity(8 + body.len());
    let len =
        u32::try_from(body.len()).map_err(|_| StoreError::Encode("record too large".into()))?;
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(&body).to_le_bytes());
    out.extend_from_slice(&body);
    Ok(out)
}

/// Writes a shard's snapshot atomically (temp file, fsync, rename) and empties its log.
pub fn write_snapshot(dir: &Path, subscribers: &[Subscriber]) -> Result<(), StoreError> {
    fs::create_dir_all(dir).map_err(io_err(dir))?;
    let bytes = smartchat_core::encode_snapshot(subscribers);
    let tmp = dir.join("subscribers.snap.tmp");
    let snap = dir.join("subscribers.snap");
    {
        let mut f = File::create(&tmp).map_err(io_err(&tmp))?;
        f.write_all(&bytes).map_err(io_err(&tmp))?;
        f.sync_all().map_err(io_err(&tmp))?;
    }
    fs::rename(&tmp, &snap).map_err(io_err(&snap))?;
    let log = dir.join("subscribers.log");
    File::create(&log)
        .and_then(|f| f.sync_all())
        .map_err(io_err(&log))?;
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err(dir))?;
    Ok(())
}

/// Appends records to a shard's log and makes them durable (one fdatasync for the batch).
pub fn append(dir: &Path, ops: &[StoreOp]) -> Result<(), StoreError> {
    fs::create_dir_all(dir).map_err(io_err(dir))?;
    let path = dir.join("subscribers.log");
    let mut buf = Vec::new();
    for op in ops {
        let record = match op {
            StoreOp::Upsert(sub) => LogRecord::Upsert((**sub).clone()),
            StoreOp::Remove(aor) => LogRecord::Remove(aor.clone()),
        };
        buf.extend_from_slice(&encode_record(&record)?);
    }
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(io_err(&path))?;
    f.write_all(&buf).map_err(io_err(&path))?;
    f.sync_data().map_err(io_err(&path))?;
    Ok(())
}

/// Parses a CSV file of subscribers.
pub fn read_csv(path: &Path) -> Result<Vec<Subscriber>, StoreError> {
    let text = fs::read_to_string(path).map_err(io_err(path))?;
    smartchat_core::parse_subscribers_csv(&text).map_err(|e| StoreError::Csv {
        path: path.to_owned(),
        reason: e.to_string(),
    })
}

/// Whether an empty store gets the demo set: only for the out-of-the-box run. A node that names a
/// real SMSC (`--smsc` / `smsc.address`) is an operator's node, and the demo users (known
/// passwords, made-up MSISDNs) would send real SMS to real numbers, so it never gets them.
pub fn loads_demo(config: &Config) -> bool {
    config.subscribers.demo && config.smsc.address.is_none()
}

/// Removes a shard directory's subscriber snapshot and log (not its WAL or anything else).
pub fn remove_subscriber_files(shard_dir: &Path) -> Result<(), StoreError> {
    for name in [
        "subscribers.snap",
        "subscribers.log",
        "subscribers.snap.tmp",
    ] {
        let path = shard_dir.join(name);
        match fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_err(&path)(e)),
        }
    }
    Ok(())
}

/// Everything `serve` starts with, partitioned by shard: what is stored, plus the import file,
/// plus the demo set when both are empty and no real SMSC is configured (see [`loads_demo`]).
/// Rewrites the snapshots for the current shard count.
pub fn load_for_start(config: &Config, map: &ShardMap) -> Result<Vec<Vec<Subscriber>>, StoreError> {
    let data_dir = &config.server.data_dir;
    let mut all = load_all(data_dir)?;
    if let Some(path) = &config.subscribers.import {
        let imported = read_csv(path)?;
        tracing::info!(path = %path.display(), count = imported.len(), "importing subscribers");
        for sub in imported {
            all.insert(sub.aor.clone(), sub);
        }
    }
    if all.is_empty() && loads_demo(config) {
        let demo = smartchat_core::parse_subscribers_csv(DEMO_SUBSCRIBERS).map_err(|e| {
            StoreError::Csv {
                path: PathBuf::from("data/demo-subscribers.csv"),
                reason: e.to_string(),
            }
        })?;
        tracing::info!(
            count = demo.len(),
            "no subscribers stored: loading the demo set"
        );
        for sub in demo {
            all.insert(sub.aor.clone(), sub);
        }
    }
    let shards = usize::from(map.shard_count);
    let mut per_shard: Vec<Vec<Subscriber>> = (0..shards).map(|_| Vec::new()).collect();
    for (_, sub) in all {
        let owner = usize::from(map.owner(&sub.aor).0);
        if let Some(list) = per_shard.get_mut(owner) {
            list.push(sub);
        }
    }
    // Compaction and re-partitioning; stale directories of a larger former shard count go.
    for (shard, subs) in per_shard.iter().enumerate() {
        write_snapshot(&shard_dir(data_dir, shard), subs)?;
    }
    if let Ok(entries) = fs::read_dir(data_dir) {
        for entry in entries.filter_map(Result::ok) {
            let name = entry.file_name();
            let Some(index) = name
                .to_str()
                .and_then(|n| n.strip_prefix("shard-"))
                .and_then(|n| n.parse::<usize>().ok())
            else {
                continue;
            };
            if index >= shards {
                // Subscribers were re-partitioned above; a WAL left there is kept, never deleted.
                remove_subscriber_files(&entry.path())?;
            }
        }
    }
    Ok(per_shard)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offline_import_keeps_every_wal() {
        let dir = std::env::temp_dir().join(format!("smartchat-import-wal-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        for shard in 0..2 {
            let wal = shard_dir(&dir, shard).join("wal");
            fs::create_dir_all(&wal).unwrap();
            fs::write(wal.join("0000000000000001.seg"), b"queued").unwrap();
            write_snapshot(
                &shard_dir(&dir, shard),
                &[sub(&format!("sip:s{shard}@example.com"))],
            )
            .unwrap();
        }
        let csv = dir.join("new.csv");
        fs::write(&csv, "sip:new@example.com,+8613800000042,on,pw,\n").unwrap();
        crate::cli::subscribers_import(&csv, None, Some(&dir)).expect("import");
        for shard in 0..2 {
            let seg = shard_dir(&dir, shard).join("wal/0000000000000001.seg");
            assert_eq!(fs::read(&seg).unwrap(), b"queued", "{} kept", seg.display());
        }
        let all = load_all(&dir).unwrap();
        let aors: Vec<_> = all.keys().cloned().collect();
        assert_eq!(
            aors,
            [
                "sip:new@example.com",
                "sip:s0@example.com",
                "sip:s1@example.com"
            ]
        );
        let _ = fs::remove_dir_all(&dir);
    }

    fn sub(aor: &str) -> Subscriber {
        smartchat_core::parse_subscribers_csv(&format!(
            "{aor},+8613800000009,on,pw,sip:x@example.com"
        ))
        .unwrap()
        .remove(0)
    }

    #[test]
    fn demo_set_only_without_a_real_smsc() {
        let mut config = Config::default();
        assert!(loads_demo(&config));
        config.smsc.address = Some("127.0.0.1:2775".parse().unwrap());
        assert!(!loads_demo(&config));
        config.smsc.address = None;
        config.subscribers.demo = false;
        assert!(!loads_demo(&config));
    }

    #[test]
    fn log_round_trip_and_torn_tail() {
        let mut bytes = encode_record(&LogRecord::Upsert(sub("sip:a@example.com"))).unwrap();
        bytes.extend(encode_record(&LogRecord::Remove("sip:b@example.com".into())).unwrap());
        let full = bytes.len();
        bytes.extend(encode_record(&LogRecord::Remove("sip:c@example.com".into())).unwrap());
        bytes.truncate(full + 5);
        let (records, torn) = decode_log(&bytes);
        assert_eq!(records.len(), 2);
        assert_eq!(torn, 5);
        assert!(matches!(&records[0], LogRecord::Upsert(s) if s.aor == "sip:a@example.com"));
    }

    #[test]
    fn corrupt_record_stops_replay() {
        let mut bytes = encode_record(&LogRecord::Remove("sip:b@example.com".into())).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 0xff;
        let (records, torn) = decode_log(&bytes);
        assert!(records.is_empty());
        assert_eq!(torn, bytes.len());
    }

    #[test]
    fn snapshot_plus_log_survive_a_restart() {
        let dir = std::env::temp_dir().join(format!("smartchat-store-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let shard0 = shard_dir(&dir, 0);
        write_snapshot(
            &shard0,
            &[sub("sip:a@example.com"), sub("sip:b@example.com")],
        )
        .unwrap();
        append(&shard0, &[StoreOp::Remove("sip:a@example.com".into())]).unwrap();
        append(
            &shard0,
            &[StoreOp::Upsert(Box::new(sub("sip:c@example.com")))],
        )
        .unwrap();
        let all = load_all(&dir).unwrap();
        let aors: Vec<&String> = all.keys().collect();
        assert_eq!(aors, ["sip:b@example.com", "sip:c@example.com"]);
        let _ = fs::remove_dir_all(&dir);
    }
}
