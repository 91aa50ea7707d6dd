//! Start-up recovery: load every segment with one io_uring ring, then run the sans-IO scanner.
//!
//! Why io_uring directly and not glommio: recovery runs before the shard serves, possibly on a
//! thread that has no glommio executor (the main thread, or the shard thread before its reactor
//! starts). One ring with up to [`QUEUE_DEPTH`] 1 MiB O_DIRECT reads in flight keeps the device
//! busy across all segments at once, so a restart is bound by disk bandwidth, not by one read at
//! a time; O_DIRECT keeps gigabytes of log out of the page cache.
//!
//! Why the buffers are kept: records are handed out *in place* ([`Recovered::records`]) — the
//! runtime validates and reads the rkyv archives where they were loaded, no copy. Memory is
//! bounded by the disk bound (`max_segments` × segment size) and [`MAX_SEGMENT_SIZE`] per file.

use std::fs::File;
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

use io_uring::{opcode, types, IoUring};

use super::aligned::AlignedBuf;
use crate::config::WalConfig;
use crate::format::{SegmentId, BLOCK, MAX_SEGMENT_SIZE};
use crate::recovery::{scan_log, RecoveryReport};
use crate::scan::{RecordRef, SegmentScanner};
use crate::WalError;

/// Reads in flight at once.
pub const QUEUE_DEPTH: u32 = 32;
/// Bytes per read.
const CHUNK: usize = 1 << 20;
// Every read length and offset is a multiple of the O_DIRECT block.
const _: () = assert!(CHUNK.is_multiple_of(BLOCK));
/// Re-submissions allowed per chunk (short reads, EINTR/EAGAIN) before giving up.
const MAX_RETRIES: u32 = 16;

/// One loaded segment file.
#[derive(Debug)]
struct Loaded {
    id: SegmentId,
    path: PathBuf,
    buf: AlignedBuf,
    /// Bytes actually read (the file's length, or less if it shrank while being read).
    len: usize,
}

/// Everything recovery loaded: the report and the segment buffers the records live in.
#[derive(Debug)]
pub struct Recovered {
    segments: Vec<Loaded>,
    report: RecoveryReport,
}

impl Recovered {
    /// What the scan found.
    pub fn report(&self) -> &RecoveryReport {
        &self.report
    }

    /// The trusted records of all segments in LSN order, borrowed in place (16-aligned payloads).
    pub fn records(&self) -> impl Iterator<Item = RecordRef<'_>> + '_ {
        self.report.segments.iter().flat_map(move |summary| {
            SegmentScanner::trusted(self.segment_bytes(summary.id).unwrap_or(&[]), summary)
        })
    }

    /// The bytes loaded for a segment.
    pub fn segment_bytes(&self, id: SegmentId) -> Option<&[u8]> {
        let seg = self.segments.iter().find(|s| s.id == id)?;
        seg.buf.as_slice().get(..seg.len)
    }

    /// The path a segment was loaded from.
    pub fn segment_path(&self, id: SegmentId) -> Option<&Path> {
        self.segments
            .iter()
            .find(|s| s.id == id)
            .map(|s| s.path.as_path())
    }
}

fn io_err(op: &'static str, path: &Path, source: std::io::Error) -> WalError {
    WalError::Io {
        op,
        path: path.to_path_buf(),
        source,
    }
}

/// Lists the segment files of `dir`, sorted by id. A missing directory is an empty log.
pub(crate) fn list_segments(dir: &Path) -> Result<Vec<(SegmentId, PathBuf)>, WalError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_err("listing", dir, e)),
    };
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| io_err("listing", dir, e))?;
        let name = entry.file_name();
        if let Some(id) = name.to_str().and_then(SegmentId::parse_file_name) {
            out.push((id, entry.path()));
        }
    }
    out.sort_by_key(|(id, _)| *id);
    Ok(out)
}

fn open_direct(path: &Path) -> Result<File, WalError> {
    let direct = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_DIRECT)
        .open(path);
    match direct {
        Ok(f) => Ok(f),
        // tmpfs and some overlay setups refuse O_DIRECT: read through the page cache instead.
        Err(e) if e.raw_os_error() == Some(libc::EINVAL) => {
            std::fs::File::open(path).map_err(|e| io_err("opening", path, e))
        }
        Err(e) => Err(io_err("opening", path, e)),
    }
}

/// One read in flight or to submit.
#[derive(Debug, Clone, Copy)]
struct Op {
    seg: usize,
    offset: usize,
    len: usize,
    retries: u32,
}

/// Loads and scans the segments of shard `shard` in `dir`.
///
/// Blocking (it waits on its own ring): call it before the shard serves, on any thread.
pub fn recover_dir(dir: &Path, shard: u32, config: &WalConfig) -> Result<Recovered, WalError> {
    config.validate()?;
    let listed = list_segments(dir)?;
    let max = config.max_segments.saturating_add(2);
    if listed.len() > max {
        return Err(WalError::TooManySegments {
            found: listed.len(),
            max,
        });
    }
    let mut files = Vec::with_capacity(listed.len());
    let mut segments = Vec::with_capacity(listed.len());
    for (id, path) in listed {
        let file = open_direct(&path)?;
        let size = file
            .metadata()
            .map_err(|e| io_err("stat", &path, e))?
            .len()
            .min(MAX_SEGMENT_SIZE);
        let len = usize::try_from(size).unwrap_or(usize::MAX);
        let buf = AlignedBuf::zeroed(len).ok_or_else(|| {
            io_err(
                "allocating for",
                &path,
                std::io::ErrorKind::OutOfMemory.into(),
            )
        })?;
        files.push(file);
        segments.push(Loaded { id, path, buf, len });
    }
    read_all(&files, &mut segments)?;
    drop(files);
    let report = {
        let parts: Vec<(SegmentId, &[u8])> = segments
            .iter()
            .map(|s| (s.id, s.buf.as_slice().get(..s.len).unwrap_or(&[])))
            .collect();
        scan_log(&parts, shard)
    };
    Ok(Recovered { segments, report })
}

/// Reads every segment fully into its buffer through one ring.
fn read_all(files: &[File], segments: &mut [Loaded]) -> Result<(), WalError> {
    let mut pending: Vec<Op> = Vec::new();
    for (seg, s) in segments.iter().enumerate() {
        let mut offset = 0;
        while offset < s.len {
            let len = CHUNK.min(s.buf.len() - offset);
            pending.push(Op {
                seg,
                offset,
                len,
                retries: 0,
            });
            offset += len;
        }
    }
    if pending.is_empty() {
        return Ok(());
    }
    let ring_err = |e| io_err("io_uring", Path::new("<ring>"), e);
    let mut ring = IoUring::new(QUEUE_DEPTH).map_err(ring_err)?;
    // Slot i holds the op whose user_data is i; at most QUEUE_DEPTH in flight.
    let mut slots: Vec<Option<Op>> = vec![None; QUEUE_DEPTH as usize];
    let mut in_flight = 0usize;
    let mut first_error: Option<WalError> = None;
    // Every iteration completes at least one op; each op is retried at most MAX_RETRIES times.
    loop {
        while first_error.is_none() && in_flight < slots.len() {
            let Some(op) = pending.pop() else { break };
            let Some(slot) = slots.iter().position(Option::is_none) else {
                pending.push(op);
                break;
            };
            let s = &mut segments[op.seg];
            let end = op.offset.checked_add(op.len).filter(|&e| e <= s.buf.len());
            if end.is_none() {
                first_error = Some(io_err(
                    "reading",
                    &s.path,
                    std::io::ErrorKind::InvalidInput.into(),
                ));
                break;
            }
            // SAFETY: `offset + len <= buf.len()` (checked above); the buffer outlives the read
            // because this function drains every in-flight op before returning.
            let ptr = unsafe { s.buf.as_mut_ptr().add(op.offset) };
            let len32 = u32::try_from(op.len).unwrap_or(u32::MAX);
            let entry = opcode::Read::new(types::Fd(files[op.seg].as_raw_fd()), ptr, len32)
                .offset(op.offset as u64)
                .build()
                .user_data(slot as u64);
            // SAFETY: the entry's fd and buffer stay valid until its completion is reaped.
            if unsafe { ring.submission().push(&entry) }.is_err() {
                pending.push(op);
                break;
            }
            slots[slot] = Some(op);
            in_flight += 1;
        }
        if in_flight == 0 {
            break;
        }
        ring.submit_and_wait(1).map_err(ring_err)?;
        let completions: Vec<(u64, i32)> = ring
            .completion()
            .map(|cqe| (cqe.user_data(), cqe.result()))
            .collect();
        for (user_data, res) in completions {
            let Some(op) = slots.get_mut(user_data as usize).and_then(Option::take) else {
                continue;
            };
            in_flight -= 1;
            let s = &mut segments[op.seg];
            if res < 0 {
                let err = std::io::Error::from_raw_os_error(-res);
                let retry = matches!(-res, libc::EINTR | libc::EAGAIN) && op.retries < MAX_RETRIES;
                if retry {
                    pending.push(Op {
                        retries: op.retries + 1,
                        ..op
                    });
                } else if first_error.is_none() {
                    first_error = Some(io_err("reading", &s.path, err));
                }
                continue;
            }
            let got = res as usize;
            let done = op.offset + got.min(op.len);
            if got == 0 || (got < op.len && done >= s.len) {
                // End of file: the file is shorter than it was at stat time, or this is its tail.
                s.len = s.len.min(done);
            } else if got < op.len {
                if op.retries >= MAX_RETRIES {
                    first_error.get_or_insert_with(|| {
                        io_err("reading", &s.path, std::io::ErrorKind::UnexpectedEof.into())
                    });
                } else {
                    pending.push(Op {
                        seg: op.seg,
                        offset: done,
                        len: op.len - got,
                        retries: op.retries + 1,
                    });
                }
            }
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_or_missing_directory_is_an_empty_log() {
        let dir = std::env::temp_dir().join(format!("wal-recover-empty-{}", std::process::id()));
        let config = WalConfig::default();
        let missing = recover_dir(&dir, 0, &config).expect("missing dir recovers");
        assert_eq!(missing.report().next_lsn, 1);
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::write(dir.join("notes.txt"), b"not a segment").expect("write");
        let empty = recover_dir(&dir, 0, &config).expect("empty dir recovers");
        assert_eq!(empty.records().count(), 0);
        assert!(empty.report().torn_tail.is_none());
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }
}
