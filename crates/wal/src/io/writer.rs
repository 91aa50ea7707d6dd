//! The glommio writer: executes [`Batch`]es on O_DIRECT segment files.
//!
//! Why this is thin: every decision (what goes in a batch, where it lands, when a segment
//! rotates, what may be deleted) was made by the sans-IO [`Wal`]. The writer only creates and
//! pre-allocates files, writes each batch with one `write_at` of its aligned buffer, issues one
//! `fdatasync` per batch (plus one directory sync when a file was created or deleted), and
//! returns a [`Durable`].
//!
//! Why it poisons itself on the first failure: after a failed write or fdatasync the kernel may
//! have dropped the dirty state ("fsyncgate"); retrying could report durable what is not. The
//! failed batch's tokens come back in [`CommitFailed`] so each waiting sender gets an error
//! answer, and the shard should stop and recover.
//!
//! Why open repairs the tail: recovery trusts data up to the end of the last complete batch. The
//! bytes after it (a torn batch) are truncated away and the file re-extended with zeros before
//! anything new is written, so no stale block can ever line up with later LSNs.

use std::path::{Path, PathBuf};

use glommio::io::{Directory, DmaFile, OpenOptions};

use super::recover::{recover_dir, Recovered};
use crate::config::WalConfig;
use crate::format::SegmentId;
use crate::group::{Batch, Durable};
use crate::scan::SegmentEnd;
use crate::wal::Wal;
use crate::WalError;

/// Counters of the writer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriterStats {
    /// Batches written and synced.
    pub batches: u64,
    /// Bytes written.
    pub bytes: u64,
    /// `fdatasync` calls on segment files.
    pub fdatasyncs: u64,
    /// Directory syncs (file created or deleted).
    pub dir_syncs: u64,
    /// Segment files created.
    pub segments_created: u64,
    /// Segment files deleted.
    pub segments_removed: u64,
}

/// A commit that did not become durable: the error and the tokens to answer with a failure.
#[derive(Debug)]
pub struct CommitFailed<T> {
    /// What failed.
    pub error: WalError,
    /// The batch's tokens, none of which may be acknowledged as durable.
    pub tokens: Vec<T>,
}

/// What [`WalWriter::open`] returns.
#[derive(Debug)]
pub struct Opened<T> {
    /// The writer, positioned after the last complete batch.
    pub writer: WalWriter,
    /// The sans-IO write side, continuing the recovered log.
    pub wal: Wal<T>,
    /// The recovered records (in place) and the recovery report.
    pub recovered: Recovered,
}

struct ActiveFile {
    id: SegmentId,
    file: DmaFile,
    /// Where the next batch must start.
    next_offset: u64,
}

/// Writes batches to the segment files of one shard.
pub struct WalWriter {
    dir: PathBuf,
    dir_handle: Directory,
    active: Option<ActiveFile>,
    poisoned: bool,
    stats: WriterStats,
}

impl std::fmt::Debug for WalWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WalWriter")
            .field("dir", &self.dir)
            .field(
                "active",
                &self.active.as_ref().map(|a| (a.id, a.next_offset)),
            )
            .field("poisoned", &self.poisoned)
            .field("stats", &self.stats)
            .finish()
    }
}

fn io_err(op: &'static str, path: &Path, source: impl Into<std::io::Error>) -> WalError {
    WalError::Io {
        op,
        path: path.to_path_buf(),
        source: source.into(),
    }
}

impl WalWriter {
    /// Recovers `dir` (created if missing) for `shard`, repairs a torn tail, and returns the
    /// writer, the sans-IO [`Wal`] that continues the log, and the recovered records.
    ///
    /// Must run inside a glommio executor. Recovery itself blocks on its own io_uring ring,
    /// which is fine at start-up, before the shard serves.
    pub async fn open<T>(
        dir: impl AsRef<Path>,
        shard: u32,
        config: WalConfig,
    ) -> Result<Opened<T>, WalError> {
        // glommio's `Directory::open` hands io_uring `openat(-1, path)`: a relative path is
        // resolved against fd -1 (EBADF on kernels that honour it), not the working directory.
        let dir =
            std::path::absolute(dir.as_ref()).map_err(|e| io_err("resolving", dir.as_ref(), e))?;
        config.validate()?;
        std::fs::create_dir_all(&dir).map_err(|e| io_err("creating", &dir, e))?;
        let recovered = recover_dir(&dir, shard, &config)?;
        let wal = Wal::resume(shard, config, recovered.report())?;
        let dir_handle = Directory::open(&dir)
            .await
            .map_err(|e| io_err("opening", &dir, e))?;
        let mut writer = WalWriter {
            dir,
            dir_handle,
            active: None,
            poisoned: false,
            stats: WriterStats::default(),
        };
        writer.repair_tail(&recovered).await?;
        Ok(Opened {
            writer,
            wal,
            recovered,
        })
    }

    async fn repair_tail(&mut self, recovered: &Recovered) -> Result<(), WalError> {
        let Some(last) = recovered.report().segments.last() else {
            return Ok(());
        };
        let path = self.dir.join(last.id.file_name());
        let Some(header) = last.header else {
            // Its header never landed: nothing in it is trusted; the next batch recreates it.
            glommio::io::remove(&path)
                .await
                .map_err(|e| io_err("removing", &path, e))?;
            self.sync_dir().await?;
            return Ok(());
        };
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .dma_open(&path)
            .await
            .map_err(|e| io_err("opening", &path, e))?;
        let size = file
            .file_size()
            .await
            .map_err(|e| io_err("stat", &path, e))?;
        let torn = matches!(last.end, SegmentEnd::Torn(_));
        if torn || size != header.segment_size {
            if torn {
                file.truncate(last.valid_end)
                    .await
                    .map_err(|e| io_err("truncating", &path, e))?;
            }
            file.pre_allocate(header.segment_size, false)
                .await
                .map_err(|e| io_err("pre-allocating", &path, e))?;
            file.fdatasync()
                .await
                .map_err(|e| io_err("syncing", &path, e))?;
            self.stats.fdatasyncs += 1;
        }
        self.active = Some(ActiveFile {
            id: last.id,
            file,
            next_offset: last.valid_end,
        });
        Ok(())
    }

    /// Writes `batch` (one write), makes it durable (one fdatasync, plus a directory sync when it
    /// opened a new segment), and returns its tokens as [`Durable`]. Batches must be committed in
    /// the order `Wal::poll_batch` produced them.
    pub async fn commit<T>(&mut self, batch: Batch<T>) -> Result<Durable<T>, CommitFailed<T>> {
        if self.poisoned {
            return Err(CommitFailed {
                error: WalError::Poisoned,
                tokens: batch.tokens,
            });
        }
        match self.write_batch(&batch).await {
            Ok(()) => Ok(batch.into_durable()),
            Err(error) => {
                // An out-of-order batch is a caller bug, not a disk failure: nothing was written.
                if !matches!(error, WalError::OutOfOrder { .. }) {
                    self.poisoned = true;
                }
                Err(CommitFailed {
                    error,
                    tokens: batch.tokens,
                })
            }
        }
    }

    async fn write_batch<T>(&mut self, batch: &Batch<T>) -> Result<(), WalError> {
        let path = self.dir.join(batch.segment.file_name());
        if batch.new_segment {
            if let Some(old) = self.active.take() {
                old.file
                    .close()
                    .await
                    .map_err(|e| io_err("closing", &path, e))?;
            }
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(true)
                .dma_open(&path)
                .await
                .map_err(|e| io_err("creating", &path, e))?;
            file.pre_allocate(batch.segment_size, false)
                .await
                .map_err(|e| io_err("pre-allocating", &path, e))?;
            self.stats.segments_created += 1;
            self.active = Some(ActiveFile {
                id: batch.segment,
                file,
                next_offset: 0,
            });
        }
        let active = match &mut self.active {
            Some(a) if a.id == batch.segment && a.next_offset == batch.offset => a,
            _ => {
                return Err(WalError::OutOfOrder {
                    segment: batch.segment.0,
                    offset: batch.offset,
                })
            }
        };
        let len = batch.bytes.len();
        let mut buf = active.file.alloc_dma_buffer(len);
        buf.as_bytes_mut().copy_from_slice(&batch.bytes);
        let written = active
            .file
            .write_at(buf, batch.offset)
            .await
            .map_err(|e| io_err("writing", &path, e))?;
        if written != len {
            // O_DIRECT into a pre-allocated file writes whole or fails; short means no space.
            return Err(io_err(
                "writing (short)",
                &path,
                std::io::Error::from(std::io::ErrorKind::WriteZero),
            ));
        }
        active
            .file
            .fdatasync()
            .await
            .map_err(|e| io_err("syncing", &path, e))?;
        active.next_offset = batch.offset + len as u64;
        self.stats.fdatasyncs += 1;
        self.stats.batches += 1;
        self.stats.bytes += len as u64;
        if batch.new_segment {
            // The file's directory entry must be durable before its records are acknowledged.
            self.sync_dir().await?;
        }
        Ok(())
    }

    /// Deletes reclaimed segment files (from `Wal::take_reclaimable`), then syncs the directory.
    /// The active segment is never deleted; a file already gone is not an error.
    pub async fn remove_segments(&mut self, ids: &[SegmentId]) -> Result<usize, WalError> {
        let mut removed = 0;
        for &id in ids {
            if self.active.as_ref().is_some_and(|a| a.id == id) {
                continue;
            }
            let path = self.dir.join(id.file_name());
            match glommio::io::remove(&path).await {
                Ok(()) => removed += 1,
                Err(e) => {
                    let e: std::io::Error = e.into();
                    if e.kind() != std::io::ErrorKind::NotFound {
                        return Err(io_err("removing", &path, e));
                    }
                }
            }
        }
        if removed > 0 {
            self.stats.segments_removed += removed as u64;
            self.sync_dir().await?;
        }
        Ok(removed)
    }

    async fn sync_dir(&mut self) -> Result<(), WalError> {
        self.dir_handle
            .sync()
            .await
            .map_err(|e| io_err("syncing", &self.dir, e))?;
        self.stats.dir_syncs += 1;
        Ok(())
    }

    /// Counters.
    pub fn stats(&self) -> WriterStats {
        self.stats
    }

    /// The directory of the segments.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Closes the active file.
    pub async fn close(mut self) -> Result<(), WalError> {
        if let Some(active) = self.active.take() {
            let path = self.dir.join(active.id.file_name());
            active
                .file
                .close()
                .await
                .map_err(|e| io_err("closing", &path, e))?;
        }
        self.dir_handle
            .close()
            .await
            .map_err(|e| io_err("closing", &self.dir, e))
    }
}
