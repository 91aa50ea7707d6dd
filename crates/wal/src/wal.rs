//! `Wal`: the sans-IO write side of one shard's log — group commit, segment placement, the disk
//! bound and reclaim bookkeeping in one state machine.
//!
//! Why one type and not a free-standing batcher: whether a record may be accepted depends on
//! where its batch will land (room left in the active segment, or a new segment that the disk
//! bound may not allow), so the decision to return [`WalError::Full`] has to be made at push
//! time, by the code that also places batches. Everything here is plain data and arithmetic:
//! time comes in as `now_us` (any monotonic microsecond clock), and IO happens elsewhere on the
//! [`Ready`] values this hands out.
//!
//! Flow (the runtime's shard loop):
//! 1. `append` / `append_archived` → the record's LSN; its token waits in the open batch.
//! 2. `poll_batch(now)` → `Ready { write }` when a batch closed (size, count or `max_delay_us`);
//!    sleep until `next_deadline()` otherwise. Poll while the writer is idle: records pushed
//!    during a write join the next batch, which is what makes batches grow under load.
//! 3. The IO layer writes and fdatasyncs the batch and returns a [`Durable`].
//! 4. `on_durable(durable)` → the tokens; only now may their acknowledgements leave.
//! 5. Later, `mark_final(lsn)` per record that no longer matters; `take_reclaimable()` → segment
//!    files to delete.

use rkyv::api::high::HighSerializer;
use rkyv::rancor;
use rkyv::ser::allocator::{Arena, ArenaHandle};
use rkyv::util::AlignedVec;

use crate::config::WalConfig;
use crate::format::{align_up, record_size, SegmentHeader, SegmentId, BLOCK, SEGMENT_VERSION};
use crate::group::{Batcher, Durable, Placement, Ready};
use crate::reclaim::ReclaimTracker;
use crate::recovery::RecoveryReport;
use crate::{Lsn, WalError};

/// The segment receiving batches.
#[derive(Debug, Clone, Copy)]
struct Active {
    id: SegmentId,
    size: u64,
    /// End of the last closed batch (where the next one goes).
    write_offset: u64,
    /// `prev_segment` of its header.
    prev: Lsn,
    records: u64,
}

/// Counters for monitoring.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WalStats {
    /// Records appended.
    pub records: u64,
    /// Batches closed.
    pub batches: u64,
    /// Bytes in closed batches (padding and header blocks included).
    pub bytes: u64,
    /// Segments opened.
    pub segments_opened: u64,
}

/// The sans-IO write side of one shard's WAL. `T` is the caller's acknowledgement token.
pub struct Wal<T> {
    config: WalConfig,
    shard: u32,
    batcher: Batcher<T>,
    tracker: ReclaimTracker,
    active: Option<Active>,
    /// The most recently created segment (the next one's `prev_segment`).
    last_segment: Option<SegmentId>,
    next_lsn: Lsn,
    durable_lsn: Lsn,
    scratch: AlignedVec,
    arena: Arena,
    stats: WalStats,
}

impl<T> std::fmt::Debug for Wal<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wal")
            .field("shard", &self.shard)
            .field("next_lsn", &self.next_lsn)
            .field("durable_lsn", &self.durable_lsn)
            .field("active", &self.active)
            .field("live_segments", &self.tracker.live_segments())
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl<T> Wal<T> {
    /// An empty log; the first record gets LSN 1.
    pub fn new(shard: u32, config: WalConfig) -> Result<Self, WalError> {
        config.validate()?;
        Ok(Wal {
            batcher: Batcher::new(
                config.max_batch_records,
                config.max_delay_us,
                config.max_ready_batches,
            ),
            tracker: ReclaimTracker::new(config.reclaim),
            config,
            shard,
            active: None,
            last_segment: None,
            next_lsn: 1,
            durable_lsn: 0,
            scratch: AlignedVec::new(),
            arena: Arena::new(),
            stats: WalStats::default(),
        })
    }

    /// Continues a recovered log. Batches go on in the last segment, after its last complete
    /// batch (the IO layer truncates anything torn there first); every recovered record is live
    /// until marked final again. Damage before the tail is refused ([`WalError::Damaged`]).
    pub fn resume(
        shard: u32,
        config: WalConfig,
        report: &RecoveryReport,
    ) -> Result<Self, WalError> {
        let mut wal = Wal::new(shard, config)?;
        if let (true, Some(torn)) = (report.mid_log_damage(), report.torn_tail) {
            return Err(WalError::Damaged(torn));
        }
        for seg in &report.segments {
            let Some(header) = seg.header else { continue };
            wal.tracker.add_segment(seg.id, seg.records);
            wal.last_segment = Some(seg.id);
            wal.active = Some(Active {
                id: seg.id,
                size: header.segment_size,
                write_offset: seg.valid_end,
                prev: header.prev_segment,
                records: seg.records,
            });
        }
        if report.segments.last().is_some_and(|s| s.header.is_none()) {
            // The newest file never got its header: it is replaced by the next segment.
            wal.active = None;
        }
        wal.next_lsn = report.next_lsn.max(1);
        wal.durable_lsn = wal.next_lsn - 1;
        Ok(wal)
    }

    /// Appends a record (`payload`: opaque bytes, typically an rkyv archive) and returns its LSN.
    /// `token` comes back from [`Wal::on_durable`] once the record is durable. On error the
    /// token is dropped (keep tokens cheap: an id), nothing is written, and the caller still
    /// owns the work: [`WalError::is_backpressure`] errors mean "refuse for a while".
    pub fn append(
        &mut self,
        kind: u8,
        payload: &[u8],
        token: T,
        now_us: u64,
    ) -> Result<Lsn, WalError> {
        let max = self.config.max_payload_len();
        let size = record_size(payload.len())
            .filter(|_| payload.len() <= max)
            .ok_or(WalError::RecordTooLarge {
                len: payload.len(),
                max,
            })?;
        if self.batcher.is_open() && !self.batcher.fits(size) {
            if self.batcher.ready_full() {
                return Err(WalError::Busy {
                    pending: self.batcher.ready_len(),
                });
            }
            self.close_open(now_us);
        }
        if !self.batcher.is_open() {
            let (placement, header) = self.place(size)?;
            let block = header.map(|h| h.encode());
            self.batcher
                .open(placement, block.as_ref().map(|b| &b[..]), now_us);
        }
        let lsn = self.next_lsn;
        self.batcher.push(lsn, kind, payload, token);
        self.tracker.note_append(lsn);
        if let Some(active) = &mut self.active {
            active.records += 1;
        }
        self.next_lsn += 1;
        self.stats.records += 1;
        if self.batcher.is_full() && !self.batcher.ready_full() {
            self.close_open(now_us);
        }
        Ok(lsn)
    }

    /// Serialises `value` with rkyv (reused scratch buffer and arena) and appends it.
    pub fn append_archived<V>(
        &mut self,
        kind: u8,
        value: &V,
        token: T,
        now_us: u64,
    ) -> Result<Lsn, WalError>
    where
        V: for<'a> rkyv::Serialize<HighSerializer<AlignedVec, ArenaHandle<'a>, rancor::Error>>,
    {
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        let bytes = rkyv::api::high::to_bytes_in_with_alloc::<_, _, rancor::Error>(
            value,
            scratch,
            self.arena.acquire(),
        )
        .map_err(WalError::Serialize)?;
        let result = self.append(kind, &bytes, token, now_us);
        // Keep the scratch only while it stays within one payload's bound.
        if bytes.capacity() <= self.config.max_payload_len() {
            self.scratch = bytes;
        }
        result
    }

    /// Appends `value` as a typed record: filed under `V::KIND`, its archive behind the schema
    /// tag of `V::VERSION` (see [`crate::typed`]), serialised straight behind the tag.
    pub fn append_typed<V>(&mut self, value: &V, token: T, now_us: u64) -> Result<Lsn, WalError>
    where
        V: crate::typed::RecordSchema
            + for<'a> rkyv::Serialize<HighSerializer<AlignedVec, ArenaHandle<'a>, rancor::Error>>,
    {
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        // rkyv archives are position-independent (relative pointers), so the archive may follow
        // the 16-byte tag in the same buffer and be read from `payload[16..]`.
        scratch.extend_from_slice(&crate::typed::schema_tag(V::VERSION));
        let bytes = rkyv::api::high::to_bytes_in_with_alloc::<_, _, rancor::Error>(
            value,
            scratch,
            self.arena.acquire(),
        )
        .map_err(WalError::Serialize)?;
        let result = self.append(V::KIND, &bytes, token, now_us);
        if bytes.capacity() <= self.config.max_payload_len() {
            self.scratch = bytes;
        }
        result
    }

    /// The next batch to write, if one is closed or the open one reached its deadline.
    pub fn poll_batch(&mut self, now_us: u64) -> Option<Ready<T>> {
        if let Some(write) = self.batcher.pop_ready() {
            return Some(Ready { write });
        }
        if self.batcher.due(now_us) {
            self.close_open(now_us);
        }
        self.batcher.pop_ready().map(|write| Ready { write })
    }

    /// Like [`Wal::poll_batch`] but closes the open batch regardless of its deadline (shutdown,
    /// or a caller that knows nothing more is coming).
    pub fn flush(&mut self, now_us: u64) -> Option<Ready<T>> {
        if let Some(write) = self.batcher.pop_ready() {
            return Some(Ready { write });
        }
        self.close_open(now_us);
        self.batcher.pop_ready().map(|write| Ready { write })
    }

    /// When [`Wal::poll_batch`] will next return something (µs); `None` when nothing is pending.
    pub fn next_deadline(&self) -> Option<u64> {
        self.batcher.next_deadline()
    }

    /// Records that a batch is durable; returns its tokens, whose acknowledgements may now leave.
    pub fn on_durable(&mut self, durable: Durable<T>) -> Vec<T> {
        self.durable_lsn = self.durable_lsn.max(durable.last_lsn);
        self.batcher.recycle(durable.buffer);
        durable.tokens
    }

    /// Marks a record final: it no longer matters for recovery. `Ok(false)` when it already was
    /// (or is reclaimed). A record may be marked before its batch is durable; its segment is
    /// still only offered for deletion once every record in it is durable.
    pub fn mark_final(&mut self, lsn: Lsn) -> Result<bool, WalError> {
        if lsn == 0 || lsn >= self.next_lsn {
            return Err(WalError::UnknownLsn(lsn));
        }
        self.tracker.mark_final(lsn)
    }

    /// Segments that may be deleted now (forgotten here: delete the files). Never the active
    /// segment, never one holding a record whose batch is not yet durable.
    pub fn take_reclaimable(&mut self) -> Vec<SegmentId> {
        self.tracker
            .take_reclaimable(self.active.map(|a| a.id), self.durable_lsn)
    }

    /// LSN the next record gets.
    pub fn next_lsn(&self) -> Lsn {
        self.next_lsn
    }

    /// Highest LSN known durable (0: none).
    pub fn durable_lsn(&self) -> Lsn {
        self.durable_lsn
    }

    /// Segment files in use (the disk bound counts these).
    pub fn live_segments(&self) -> usize {
        self.tracker.live_segments()
    }

    /// Ids of the segments in use, oldest first.
    pub fn segment_ids(&self) -> Vec<SegmentId> {
        self.tracker.segment_ids().collect()
    }

    /// The segment receiving batches.
    pub fn active_segment(&self) -> Option<SegmentId> {
        self.active.map(|a| a.id)
    }

    /// Records appended but not yet handed out in a batch, or batches not yet polled.
    pub fn has_pending(&self) -> bool {
        self.batcher.is_open() || self.batcher.ready_len() > 0
    }

    /// Counters.
    pub fn stats(&self) -> WalStats {
        self.stats
    }

    /// The configuration in force.
    pub fn config(&self) -> &WalConfig {
        &self.config
    }

    fn close_open(&mut self, now_us: u64) {
        if let Some((segment, end)) = self.batcher.close(now_us) {
            if let Some(active) = &mut self.active {
                if active.id == segment {
                    self.stats.bytes += end.saturating_sub(active.write_offset);
                    active.write_offset = end;
                }
            }
            self.stats.batches += 1;
        }
    }

    /// Where a batch whose first record takes `size` bytes goes; opens a segment if needed.
    fn place(&mut self, size: usize) -> Result<(Placement, Option<SegmentHeader>), WalError> {
        let need = align_up(size, BLOCK).unwrap_or(usize::MAX) as u64;
        if let Some(a) = self.active {
            if a.write_offset
                .checked_add(need)
                .is_some_and(|end| end <= a.size)
            {
                let room = usize::try_from(a.size - a.write_offset).unwrap_or(usize::MAX);
                return Ok((
                    Placement {
                        segment: a.id,
                        segment_size: a.size,
                        offset: a.write_offset,
                        new_segment: false,
                        capacity: room.min(self.config.max_batch_bytes),
                    },
                    None,
                ));
            }
        }
        let id = SegmentId(self.next_lsn);
        // An active segment without records has this same id: replace it, don't add one.
        let replaces = self.active.filter(|a| a.records == 0 && a.id == id);
        let live = self.tracker.live_segments() - usize::from(replaces.is_some());
        if live >= self.config.max_segments {
            return Err(WalError::Full {
                segments: live,
                max: self.config.max_segments,
            });
        }
        let prev = match replaces {
            Some(a) => a.prev,
            None => self.last_segment.map_or(0, |s| s.0),
        };
        if replaces.is_some() {
            self.tracker.drop_empty_tail(id);
        }
        let header = SegmentHeader {
            version: SEGMENT_VERSION,
            shard: self.shard,
            first_lsn: id.0,
            segment_size: self.config.segment_size,
            prev_segment: prev,
        };
        self.tracker.add_segment(id, 0);
        self.active = Some(Active {
            id,
            size: self.config.segment_size,
            write_offset: 0,
            prev,
            records: 0,
        });
        self.last_segment = Some(id);
        self.stats.segments_opened += 1;
        let capacity = usize::try_from(self.config.segment_size)
            .unwrap_or(usize::MAX)
            .min(self.config.max_batch_bytes + BLOCK);
        Ok((
            Placement {
                segment: id,
                segment_size: self.config.segment_size,
                offset: 0,
                new_segment: true,
                capacity,
            },
            Some(header),
        ))
    }
}
