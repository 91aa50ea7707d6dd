//! Recovery scanner: reads records in place from a segment's bytes and finds where trust ends.
//!
//! Why sans-IO: the bytes come from disk, after a crash, possibly from a failing device. Every
//! decision about them is made here, over a plain `&[u8]`, so the same code is fuzzed with
//! arbitrary bytes, property-tested against the encoder, and run by the io_uring loader.
//!
//! Rules (see `format` for the layout):
//! * A batch is validated whole (every header, length and crc, up to the record flagged
//!   batch-end) before any of its records is yielded. A torn batch yields nothing.
//! * LSNs run +1 per record from the segment header's `first_lsn`; a gap or rewind is a stop.
//! * The end of a segment is *clean* when every byte from the end of the last complete batch to
//!   the end of the segment is zero (pre-allocated space). A file shorter than the size in its
//!   header lost its end: that is reported too (`ShortSegment`).
//!   Anything else (non-zero bytes after a zero header, a short header, a bad crc, …) is a
//!   [`TornTail`]: where trusted data ends, where the first bad byte was, and why.
//! * Work is bounded by the buffer: each step advances at least 16 bytes; nothing is allocated
//!   per record; no arithmetic on an untrusted length is unchecked.

use crate::format::{
    align_up, next_header_pos, record_crc, HeaderFault, RecordHeader, SegmentHeader,
    SegmentHeaderFault, SegmentId, BLOCK, HEADER_LEN, RECORD_ALIGN,
};
use crate::Lsn;

/// One record, borrowed from the segment buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordRef<'a> {
    /// Log sequence number.
    pub lsn: Lsn,
    /// Caller-defined kind.
    pub kind: u8,
    /// The payload, in place (16-aligned relative to the segment start).
    pub payload: &'a [u8],
    /// Offset of the record header in its segment.
    pub offset: u64,
}

impl<'a> RecordRef<'a> {
    /// Validated in-place access to an rkyv payload (see [`crate::access`]).
    pub fn access<T>(&self) -> Result<&'a T::Archived, crate::WalError>
    where
        T: rkyv::Archive,
        T::Archived: rkyv::Portable
            + for<'b> rkyv::bytecheck::CheckBytes<
                rkyv::api::high::HighValidator<'b, rkyv::rancor::Error>,
            >,
    {
        crate::typed::access::<T>(self.payload)
    }

    /// A typed record's archive, in place, after its kind and schema tag are checked
    /// (see [`crate::access_typed`]).
    pub fn access_typed<T>(&self) -> Result<&'a T::Archived, crate::WalError>
    where
        T: crate::typed::RecordSchema,
        T::Archived: rkyv::Portable
            + for<'b> rkyv::bytecheck::CheckBytes<
                rkyv::api::high::HighValidator<'b, rkyv::rancor::Error>,
            >,
    {
        crate::typed::access_typed::<T>(self.kind, self.payload)
    }
}

/// Why scanning stopped before a clean end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TornReason {
    /// The segment header block is missing or invalid.
    SegmentHeader(SegmentHeaderFault),
    /// A record header is cut by the end of the data.
    ShortHeader,
    /// A record header with the wrong magic.
    BadMagic,
    /// A record header with unknown flags, non-zero reserved bytes or a reserved LSN.
    BadFields,
    /// A record's length runs past the end of the data.
    LenPastEnd,
    /// A record's checksum does not match.
    BadChecksum,
    /// A zeroed header followed by non-zero bytes (a block that never reached the disk).
    Hole,
    /// The data ends (zeros or end of buffer) inside a batch, before its batch-end record.
    UnclosedBatch,
    /// The segment file is shorter than its header says (segments are pre-allocated to full
    /// size, so a short file lost its end).
    ShortSegment,
    /// A record's LSN skips ahead.
    LsnGap {
        /// The LSN that should have come.
        expected: Lsn,
        /// The LSN found.
        found: Lsn,
    },
    /// A record's LSN goes back.
    LsnRewind {
        /// The LSN that should have come.
        expected: Lsn,
        /// The LSN found.
        found: Lsn,
    },
    /// The next segment on disk starts later than this one ends, yet names this one as its
    /// predecessor: records at the end of this segment were lost.
    MissingTail {
        /// First LSN missing.
        expected: Lsn,
        /// First LSN of the next segment.
        next_segment: Lsn,
    },
    /// A segment's predecessor link contradicts the segments on disk.
    BrokenChain,
}

/// Where trusted data ends in a segment, where the damage was seen, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TornTail {
    /// The segment.
    pub segment: SegmentId,
    /// End of trusted data (a batch boundary, multiple of 4 KiB): writing may resume here.
    pub offset: u64,
    /// Offset of the first record or byte found bad (≥ `offset`).
    pub at: u64,
    /// Why.
    pub reason: TornReason,
}

/// How a segment's data ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SegmentEnd {
    /// Only zeros (or nothing) after the last complete batch.
    Clean,
    /// Damaged or torn.
    Torn(TornTail),
}

/// What scanning one segment found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentSummary {
    /// The segment.
    pub id: SegmentId,
    /// Its header, when valid.
    pub header: Option<SegmentHeader>,
    /// Records in complete batches.
    pub records: u64,
    /// End of the last complete batch (a block boundary); 0 when the header is invalid.
    pub valid_end: u64,
    /// How the data ended.
    pub end: SegmentEnd,
}

impl SegmentSummary {
    /// LSN the next record after this segment's records gets.
    pub fn next_lsn(&self) -> Lsn {
        self.id.0.saturating_add(self.records)
    }

    /// LSN of the last record, if any.
    pub fn last_lsn(&self) -> Option<Lsn> {
        (self.records > 0).then(|| self.next_lsn() - 1)
    }
}

/// Iterates the trusted records of one segment; see the module docs for the rules.
#[derive(Debug, Clone)]
pub struct SegmentScanner<'a> {
    id: SegmentId,
    bytes: &'a [u8],
    header: Option<SegmentHeader>,
    /// Next header position (when `< batch_end`) or next batch start.
    pos: usize,
    /// End of the records validated so far (records before it may be yielded).
    batch_end: usize,
    /// End of the last complete batch, rounded up to a block.
    trusted_end: usize,
    /// LSN the next validated record must carry (`None`: accept the first one seen).
    expected: Option<Lsn>,
    records: u64,
    end: Option<SegmentEnd>,
    /// Whether crcs are checked (false only for re-walking bytes already validated).
    verify: bool,
}

impl<'a> SegmentScanner<'a> {
    /// Scans a whole segment file's bytes: header block, then records, for `shard`.
    pub fn new(id: SegmentId, bytes: &'a [u8], shard: u32) -> Self {
        let mut scanner = Self::records_only(bytes, 0, None);
        scanner.id = id;
        match SegmentHeader::decode(bytes, id, shard) {
            Ok(h) => {
                scanner.header = Some(h);
                scanner.pos = BLOCK;
                scanner.batch_end = BLOCK;
                scanner.trusted_end = BLOCK;
                scanner.expected = Some(h.first_lsn);
            }
            Err(fault) => {
                scanner.end = Some(SegmentEnd::Torn(TornTail {
                    segment: id,
                    offset: 0,
                    at: 0,
                    reason: TornReason::SegmentHeader(fault),
                }));
            }
        }
        scanner
    }

    /// Scans records from `start` (a block boundary) without a segment header: for tools and the
    /// fuzzer. `first_lsn: None` accepts whatever LSN the first record has.
    pub fn records_only(bytes: &'a [u8], start: usize, first_lsn: Option<Lsn>) -> Self {
        let start = align_up(start, BLOCK)
            .unwrap_or(usize::MAX)
            .min(bytes.len());
        SegmentScanner {
            id: SegmentId(first_lsn.unwrap_or(0)),
            bytes,
            header: None,
            pos: start,
            batch_end: start,
            trusted_end: start,
            expected: first_lsn,
            records: 0,
            end: None,
            verify: true,
        }
    }

    /// Re-walks a segment already scanned (same bytes) up to `summary.valid_end`, skipping crcs.
    pub(crate) fn trusted(bytes: &'a [u8], summary: &SegmentSummary) -> Self {
        let end = usize::try_from(summary.valid_end)
            .unwrap_or(usize::MAX)
            .min(bytes.len());
        let mut scanner = Self::records_only(bytes.get(..end).unwrap_or(&[]), 0, None);
        scanner.id = summary.id;
        scanner.verify = false;
        match summary.header {
            Some(h) => {
                scanner.header = Some(h);
                scanner.pos = BLOCK.min(end);
                scanner.batch_end = scanner.pos;
                scanner.trusted_end = scanner.pos;
                scanner.expected = Some(h.first_lsn);
            }
            None => scanner.end = Some(SegmentEnd::Clean),
        }
        scanner
    }

    /// The segment header, when valid.
    pub fn header(&self) -> Option<&SegmentHeader> {
        self.header.as_ref()
    }

    /// How the segment ended, once the iterator has returned `None`.
    pub fn end(&self) -> Option<&SegmentEnd> {
        self.end.as_ref()
    }

    /// Drains the remaining records and summarises the segment.
    pub fn finish(mut self) -> SegmentSummary {
        while self.next().is_some() {}
        let end = self.end.unwrap_or(SegmentEnd::Clean);
        let valid_end = match end {
            SegmentEnd::Torn(t) => t.offset,
            SegmentEnd::Clean => self.trusted_end as u64,
        };
        SegmentSummary {
            id: self.id,
            header: self.header,
            records: self.records,
            valid_end,
            end,
        }
    }

    fn torn(&self, at: usize, reason: TornReason) -> SegmentEnd {
        SegmentEnd::Torn(TornTail {
            segment: self.id,
            offset: self.trusted_end as u64,
            at: at as u64,
            reason,
        })
    }

    /// The data after `from` is all zero (or absent).
    fn zero_from(&self, from: usize) -> bool {
        self.bytes
            .get(from..)
            .unwrap_or(&[])
            .iter()
            .all(|&b| b == 0)
    }

    /// The end the scan reaches when data stops at `at` (zeros or end of buffer).
    fn stop_at_zero(&self, at: usize, batch_start: usize) -> SegmentEnd {
        if !self.zero_from(at) {
            self.torn(at, TornReason::Hole)
        } else if at == batch_start {
            SegmentEnd::Clean
        } else {
            self.torn(at, TornReason::UnclosedBatch)
        }
    }

    /// A clean end in a file shorter than its header's size is a lost end.
    fn check_size(&self, end: SegmentEnd) -> SegmentEnd {
        let short = self
            .header
            .is_some_and(|h| (self.bytes.len() as u64) < h.segment_size);
        match end {
            SegmentEnd::Clean if short && self.verify => {
                self.torn(self.bytes.len(), TornReason::ShortSegment)
            }
            end => end,
        }
    }

    /// Validates the batch starting at `self.pos`; on success sets `batch_end`.
    fn validate_batch(&mut self) -> Result<(), SegmentEnd> {
        let start = self.pos;
        let len = self.bytes.len();
        let mut p = start;
        let mut expected = self.expected;
        if start >= len {
            return Err(SegmentEnd::Clean);
        }
        // Each iteration consumes ≥ 16 bytes of a finite buffer, so this terminates.
        loop {
            p = next_header_pos(p).ok_or_else(|| self.torn(p, TornReason::LenPastEnd))?;
            if p >= len {
                return Err(self.stop_at_zero(len, start));
            }
            let header_end = p.checked_add(HEADER_LEN).filter(|&e| e <= len);
            let Some(header_end) = header_end else {
                return Err(if self.zero_from(p) {
                    self.stop_at_zero(p, start)
                } else {
                    self.torn(p, TornReason::ShortHeader)
                });
            };
            let mut raw = [0u8; HEADER_LEN];
            raw.copy_from_slice(&self.bytes[p..header_end]);
            let header = match RecordHeader::parse(&raw) {
                Ok(h) => h,
                Err(HeaderFault::Zero) => return Err(self.stop_at_zero(p, start)),
                Err(HeaderFault::BadMagic) => return Err(self.torn(p, TornReason::BadMagic)),
                Err(HeaderFault::BadFields) => return Err(self.torn(p, TornReason::BadFields)),
            };
            if header.lsn == 0 || header.lsn == Lsn::MAX {
                return Err(self.torn(p, TornReason::BadFields));
            }
            let payload_end = header_end
                .checked_add(header.len as usize)
                .filter(|&e| e <= len)
                .ok_or_else(|| self.torn(p, TornReason::LenPastEnd))?;
            let payload = &self.bytes[header_end..payload_end];
            if self.verify && record_crc(&raw, payload) != header.crc {
                return Err(self.torn(p, TornReason::BadChecksum));
            }
            if let Some(e) = expected {
                if header.lsn != e {
                    let reason = if header.lsn > e {
                        TornReason::LsnGap {
                            expected: e,
                            found: header.lsn,
                        }
                    } else {
                        TornReason::LsnRewind {
                            expected: e,
                            found: header.lsn,
                        }
                    };
                    return Err(self.torn(p, reason));
                }
            }
            expected = Some(header.lsn + 1);
            let next = align_up(payload_end, RECORD_ALIGN)
                .ok_or_else(|| self.torn(p, TornReason::LenPastEnd))?;
            if header.is_batch_end() {
                self.batch_end = next;
                self.trusted_end =
                    align_up(next, BLOCK).ok_or_else(|| self.torn(p, TornReason::LenPastEnd))?;
                return Ok(());
            }
            p = next;
        }
    }

    /// Yields the record at `self.pos` (inside a validated batch).
    fn take_validated(&mut self) -> Option<RecordRef<'a>> {
        let p = next_header_pos(self.pos)?;
        let header_end = p.checked_add(HEADER_LEN)?;
        let mut raw = [0u8; HEADER_LEN];
        raw.copy_from_slice(self.bytes.get(p..header_end)?);
        let header = RecordHeader::parse(&raw).ok()?;
        let payload_end = header_end.checked_add(header.len as usize)?;
        let payload = self.bytes.get(header_end..payload_end)?;
        self.pos = align_up(payload_end, RECORD_ALIGN)?;
        self.records += 1;
        self.expected = Some(header.lsn + 1);
        Some(RecordRef {
            lsn: header.lsn,
            kind: header.kind,
            payload,
            offset: p as u64,
        })
    }
}

impl<'a> Iterator for SegmentScanner<'a> {
    type Item = RecordRef<'a>;

    fn next(&mut self) -> Option<RecordRef<'a>> {
        if self.end.is_some() {
            return None;
        }
        if self.pos >= self.batch_end {
            self.pos = self.trusted_end;
            if let Err(end) = self.validate_batch() {
                self.end = Some(self.check_size(end));
                return None;
            }
        }
        match self.take_validated() {
            Some(r) => Some(r),
            None => {
                // Unreachable for validated bytes; stop rather than trust anything further.
                let end = self.torn(self.pos, TornReason::BadFields);
                self.end = Some(end);
                None
            }
        }
    }
}
