//! Group commit: records accumulate into one 4 KiB-aligned batch that is written with one write
//! and made durable with one fdatasync.
//!
//! Why batching with a latency cap: an fdatasync costs ~160 µs here whatever its size, so one
//! per message caps a shard at ~6k durable messages/s; one per batch of up to `max_batch_bytes`
//! lifts that to the device's bandwidth. The cap (`max_delay_us` after the batch's first record)
//! bounds what a quiet shard adds to a message's latency. A batch closes on whichever limit comes
//! first: bytes, records, or time.
//!
//! The output is data: [`Ready`] carries the bytes to write and where, plus the tokens whose
//! acknowledgements may leave only once the batch is [`Durable`]. The runtime cannot send an
//! acknowledgement without first getting its token back from `Wal::on_durable`.

use std::collections::VecDeque;

use crate::format::{
    align_up, encode_record, mark_batch_end, next_header_pos, pad_to_block, SegmentId, BLOCK,
    HEADER_LEN,
};
use crate::Lsn;

/// A closed batch, ready to be written.
#[derive(Debug)]
pub struct Batch<T> {
    /// The segment file it goes to.
    pub segment: SegmentId,
    /// Size of that segment file (for creating it).
    pub segment_size: u64,
    /// Byte offset in the segment (a multiple of 4 KiB).
    pub offset: u64,
    /// `bytes` begins with the segment header block: create and pre-allocate the file first
    /// (replacing any file of that name), and make the new directory entry durable.
    pub new_segment: bool,
    /// What to write: a multiple of 4 KiB.
    pub bytes: Vec<u8>,
    /// One token per record, in LSN order.
    pub tokens: Vec<T>,
    /// LSN of the first record.
    pub first_lsn: Lsn,
    /// LSN of the last record.
    pub last_lsn: Lsn,
    /// When its first record was pushed (µs, caller's clock).
    pub opened_at_us: u64,
    /// When it closed.
    pub closed_at_us: u64,
}

impl<T> Batch<T> {
    /// Declares the batch durable. Only the IO layer (or a simulated disk) calls this, after the
    /// bytes are on stable storage.
    pub fn into_durable(self) -> Durable<T> {
        let mut buffer = self.bytes;
        buffer.clear();
        Durable {
            segment: self.segment,
            first_lsn: self.first_lsn,
            last_lsn: self.last_lsn,
            tokens: self.tokens,
            buffer,
        }
    }
}

/// Output of `Wal::poll_batch`: a batch to write.
#[derive(Debug)]
pub struct Ready<T> {
    /// Write this, fdatasync, then hand the [`Durable`] back to `Wal::on_durable`.
    pub write: Batch<T>,
}

/// A batch that is on stable storage: its tokens may be acknowledged.
#[derive(Debug)]
pub struct Durable<T> {
    /// The segment it went to.
    pub segment: SegmentId,
    /// LSN of the first record.
    pub first_lsn: Lsn,
    /// LSN of the last record.
    pub last_lsn: Lsn,
    /// Tokens to acknowledge, in LSN order.
    pub tokens: Vec<T>,
    /// The batch's buffer, returned for reuse.
    pub(crate) buffer: Vec<u8>,
}

/// Where the open batch goes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Placement {
    pub segment: SegmentId,
    pub segment_size: u64,
    pub offset: u64,
    pub new_segment: bool,
    /// Bytes the batch may occupy (header block included): min(batch bound, room in segment).
    pub capacity: usize,
}

#[derive(Debug)]
struct OpenBatch<T> {
    placement: Placement,
    buf: Vec<u8>,
    tokens: Vec<T>,
    first_lsn: Lsn,
    last_lsn: Lsn,
    /// Offset in `buf` of the last record's header (to flag it batch-end on close).
    last_header: usize,
    opened_at_us: u64,
}

/// The batcher inside `Wal`: one open batch plus a bounded queue of closed ones.
#[derive(Debug)]
pub(crate) struct Batcher<T> {
    max_records: usize,
    max_delay_us: u64,
    max_ready: usize,
    open: Option<OpenBatch<T>>,
    ready: VecDeque<Batch<T>>,
    /// Buffers of durable batches, kept for reuse (at most `max_ready + 1`).
    spare: Vec<Vec<u8>>,
}

impl<T> Batcher<T> {
    pub fn new(max_records: usize, max_delay_us: u64, max_ready: usize) -> Self {
        Batcher {
            max_records,
            max_delay_us,
            max_ready,
            open: None,
            ready: VecDeque::with_capacity(max_ready),
            spare: Vec::new(),
        }
    }

    pub fn is_open(&self) -> bool {
        self.open.is_some()
    }

    pub fn ready_len(&self) -> usize {
        self.ready.len()
    }

    pub fn ready_full(&self) -> bool {
        self.ready.len() >= self.max_ready
    }

    /// Whether a record of `size` encoded bytes fits the open batch.
    pub fn fits(&self, size: usize) -> bool {
        let Some(open) = &self.open else {
            return false;
        };
        if open.tokens.len() >= self.max_records {
            return false;
        }
        next_header_pos(open.buf.len())
            .and_then(|start| start.checked_add(size))
            .and_then(|end| align_up(end, BLOCK))
            .is_some_and(|end| end <= open.placement.capacity)
    }

    /// Whether the open batch is as full as it can get (not even an empty record fits).
    pub fn is_full(&self) -> bool {
        self.open.is_some() && !self.fits(HEADER_LEN)
    }

    /// Opens a batch at `placement`; `header_block` is the segment header for a new segment.
    pub fn open(&mut self, placement: Placement, header_block: Option<&[u8]>, now_us: u64) {
        debug_assert!(self.open.is_none());
        let mut buf = self.spare.pop().unwrap_or_default();
        buf.clear();
        buf.reserve(placement.capacity);
        if let Some(block) = header_block {
            buf.extend_from_slice(block);
        }
        self.open = Some(OpenBatch {
            placement,
            buf,
            tokens: Vec::new(),
            first_lsn: 0,
            last_lsn: 0,
            last_header: 0,
            opened_at_us: now_us,
        });
    }

    /// Appends a record to the open batch (the caller checked [`Self::fits`]).
    pub fn push(&mut self, lsn: Lsn, kind: u8, payload: &[u8], token: T) {
        let Some(open) = &mut self.open else {
            debug_assert!(false, "push without an open batch");
            return;
        };
        open.last_header = next_header_pos(open.buf.len()).unwrap_or(open.buf.len());
        encode_record(&mut open.buf, kind, 0, lsn, payload);
        if open.tokens.is_empty() {
            open.first_lsn = lsn;
        }
        open.last_lsn = lsn;
        open.tokens.push(token);
    }

    /// Closes the open batch into the ready queue; returns its end offset in the segment.
    pub fn close(&mut self, now_us: u64) -> Option<(SegmentId, u64)> {
        let open = self.open.take()?;
        let mut buf = open.buf;
        mark_batch_end(&mut buf, open.last_header);
        pad_to_block(&mut buf);
        let end = open.placement.offset + buf.len() as u64;
        self.ready.push_back(Batch {
            segment: open.placement.segment,
            segment_size: open.placement.segment_size,
            offset: open.placement.offset,
            new_segment: open.placement.new_segment,
            bytes: buf,
            tokens: open.tokens,
            first_lsn: open.first_lsn,
            last_lsn: open.last_lsn,
            opened_at_us: open.opened_at_us,
            closed_at_us: now_us,
        });
        Some((open.placement.segment, end))
    }

    /// The open batch's deadline has passed.
    pub fn due(&self, now_us: u64) -> bool {
        self.open
            .as_ref()
            .is_some_and(|o| now_us >= o.opened_at_us.saturating_add(self.max_delay_us))
    }

    pub fn pop_ready(&mut self) -> Option<Batch<T>> {
        self.ready.pop_front()
    }

    /// When `poll_batch` next has something: now for a queued batch, else the open deadline.
    pub fn next_deadline(&self) -> Option<u64> {
        if let Some(b) = self.ready.front() {
            return Some(b.closed_at_us);
        }
        self.open
            .as_ref()
            .map(|o| o.opened_at_us.saturating_add(self.max_delay_us))
    }

    pub fn recycle(&mut self, buffer: Vec<u8>) {
        if self.spare.len() <= self.max_ready && buffer.capacity() > 0 {
            self.spare.push(buffer);
        }
    }
}
