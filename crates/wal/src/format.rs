//! The on-disk format: record headers, batch framing and the segment header block.
//!
//! Why this shape:
//! * **4 KiB blocks.** The writer uses O_DIRECT, so every write is a whole number of 4 KiB blocks
//!   at a 4 KiB-aligned offset. A batch (one group commit) is therefore padded with zeros to the
//!   next block boundary, and the next batch starts on a fresh block. A block never holds records
//!   of two batches, which is what makes the recovery rule below possible.
//! * **Batches are all-or-nothing.** The last record of every batch carries [`FLAG_BATCH_END`].
//!   Recovery trusts a record only once it has validated the whole batch up to that flag: a batch
//!   that was torn by a crash (some blocks written, some not) is dropped whole. Acknowledgements
//!   are sent per batch, so the recovered set is exactly the set that may have been acknowledged,
//!   and the writer can resume by truncating at the end of the last complete batch (always a block
//!   boundary) without rewriting any block that holds a trusted record.
//! * **16-byte alignment.** Records start on 16-byte boundaries and the header is 32 bytes, so a
//!   payload is 16-aligned relative to the block grid. An rkyv archive in a payload can then be
//!   accessed in place (`rkyv::access`) straight from an aligned read buffer, no copy.
//! * **A header never starts in the last 16 bytes of a block.** With 16-byte alignment the room left
//!   in a block is 0, 16, 32, … bytes; when it is 16 the writer leaves it zero and the next header
//!   starts on the next block. Reader and writer share [`next_header_pos`], so the rule is one line.
//! * **CRC32 over header fields and payload.** `crc32fast` (IEEE polynomial, SIMD) costs ~0.1 ns/byte;
//!   the header's own bytes are covered (except the crc field), so a flipped `len`, `lsn` or `kind`
//!   is caught, not just a flipped payload byte.
//!
//! Record header (little endian, 32 bytes):
//!
//! | bytes  | field    | meaning                                             |
//! |--------|----------|-----------------------------------------------------|
//! | 0..2   | magic    | [`RECORD_MAGIC`]                                     |
//! | 2      | kind     | caller-defined record kind                          |
//! | 3      | flags    | [`FLAG_BATCH_END`]; other bits must be zero          |
//! | 4..8   | len      | payload length in bytes (alignment padding excluded)|
//! | 8..16  | lsn      | log sequence number, +1 per record across the log   |
//! | 16..20 | crc      | CRC32 of bytes 0..16, 20..32 and the payload        |
//! | 20..32 | reserved | zero                                                |
//!
//! Segment header block (the first 4 KiB of every segment file; fields little endian):
//! magic `SCWALSEG` (8), version u32, shard u32, first_lsn u64, segment_size u64, prev_segment u64
//! (first LSN of the segment written before this one, 0 if none), crc32 of bytes 0..40; the rest of
//! the block is zero. `prev_segment` lets recovery tell a reclaimed (deleted) segment from a lost
//! tail: a gap in LSNs is legitimate only when the predecessor named here is no longer on disk.

use crate::Lsn;

/// The O_DIRECT block size; every write and every batch is a multiple of it.
pub const BLOCK: usize = 4096;
/// Record header length.
pub const HEADER_LEN: usize = 32;
/// Records start on multiples of this; payloads are therefore 16-aligned.
pub const RECORD_ALIGN: usize = 16;
/// First two bytes of every record header.
pub const RECORD_MAGIC: u16 = 0x57A1;
/// Set on the last record of a batch; everything after it up to the block boundary is zero.
pub const FLAG_BATCH_END: u8 = 0x01;
/// Flags this version understands.
const KNOWN_FLAGS: u8 = FLAG_BATCH_END;

/// Magic of the segment header block.
pub const SEGMENT_MAGIC: [u8; 8] = *b"SCWALSEG";
/// Segment format version written by this crate.
pub const SEGMENT_VERSION: u32 = 1;
/// Bytes of the segment header covered by its crc (the crc follows them).
const SEGMENT_HEADER_FIELDS: usize = 40;
/// Largest segment this crate writes or reads (1 GiB): bounds every recovery buffer.
pub const MAX_SEGMENT_SIZE: u64 = 1 << 30;

/// Rounds `n` up to a multiple of `align` (a power of two); `None` on overflow.
pub fn align_up(n: usize, align: usize) -> Option<usize> {
    debug_assert!(align.is_power_of_two());
    Some(n.checked_add(align - 1)? & !(align - 1))
}

/// Bytes a record with `payload_len` bytes of payload occupies (header + payload + padding to 16).
pub fn record_size(payload_len: usize) -> Option<usize> {
    align_up(payload_len, RECORD_ALIGN)?.checked_add(HEADER_LEN)
}

/// Where the next header goes when the previous record ended at `pos` (relative to a block
/// boundary): `pos` itself, or the next block when fewer than [`HEADER_LEN`] bytes remain.
pub fn next_header_pos(pos: usize) -> Option<usize> {
    let room = BLOCK - pos % BLOCK;
    if room < HEADER_LEN {
        pos.checked_add(room)
    } else {
        Some(pos)
    }
}

/// A parsed, structurally valid record header (crc not yet checked against the payload).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordHeader {
    /// Caller-defined kind.
    pub kind: u8,
    /// Flags ([`FLAG_BATCH_END`]).
    pub flags: u8,
    /// Payload length.
    pub len: u32,
    /// Log sequence number.
    pub lsn: Lsn,
    /// Stored checksum.
    pub crc: u32,
}

/// Why a header was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderFault {
    /// All 32 bytes are zero: the end of written data (or a hole).
    Zero,
    /// The magic is wrong.
    BadMagic,
    /// Unknown flag bits or non-zero reserved bytes.
    BadFields,
}

impl RecordHeader {
    /// Parses the 32 header bytes.
    pub fn parse(bytes: &[u8; HEADER_LEN]) -> Result<RecordHeader, HeaderFault> {
        if bytes.iter().all(|&b| b == 0) {
            return Err(HeaderFault::Zero);
        }
        if u16::from_le_bytes([bytes[0], bytes[1]]) != RECORD_MAGIC {
            return Err(HeaderFault::BadMagic);
        }
        let flags = bytes[3];
        if flags & !KNOWN_FLAGS != 0 || bytes[20..].iter().any(|&b| b != 0) {
            return Err(HeaderFault::BadFields);
        }
        Ok(RecordHeader {
            kind: bytes[2],
            flags,
            len: u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]),
            lsn: u64::from_le_bytes([
                bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14],
                bytes[15],
            ]),
            crc: u32::from_le_bytes([bytes[16], bytes[17], bytes[18], bytes[19]]),
        })
    }

    /// Whether this record closes its batch.
    pub fn is_batch_end(&self) -> bool {
        self.flags & FLAG_BATCH_END != 0
    }
}

/// The 32 header bytes for a record, crc included.
pub fn header_bytes(kind: u8, flags: u8, lsn: Lsn, payload: &[u8]) -> [u8; HEADER_LEN] {
    let mut h = [0u8; HEADER_LEN];
    h[0..2].copy_from_slice(&RECORD_MAGIC.to_le_bytes());
    h[2] = kind;
    h[3] = flags;
    // Callers bound payloads far below u32::MAX (see `WalConfig::max_payload_len`).
    let len = u32::try_from(payload.len()).unwrap_or(u32::MAX);
    h[4..8].copy_from_slice(&len.to_le_bytes());
    h[8..16].copy_from_slice(&lsn.to_le_bytes());
    let crc = record_crc(&h, payload);
    h[16..20].copy_from_slice(&crc.to_le_bytes());
    h
}

/// The checksum of a record: header bytes except the crc field, then the payload.
pub fn record_crc(header: &[u8; HEADER_LEN], payload: &[u8]) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(&header[0..16]);
    hasher.update(&header[20..32]);
    hasher.update(payload);
    hasher.finalize()
}

/// Appends one record (header, payload, zero padding to 16) to `buf`, first moving to the next
/// block if the header would start in a block's last 16 bytes. `buf` starts on a block boundary
/// and its length is a multiple of [`RECORD_ALIGN`].
pub(crate) fn encode_record(buf: &mut Vec<u8>, kind: u8, flags: u8, lsn: Lsn, payload: &[u8]) {
    debug_assert_eq!(buf.len() % RECORD_ALIGN, 0);
    let start = next_header_pos(buf.len()).unwrap_or(buf.len());
    buf.resize(start, 0);
    buf.extend_from_slice(&header_bytes(kind, flags, lsn, payload));
    buf.extend_from_slice(payload);
    let end = align_up(buf.len(), RECORD_ALIGN).unwrap_or(buf.len());
    buf.resize(end, 0);
}

/// Sets [`FLAG_BATCH_END`] on the record whose header starts at `at` and re-seals its crc.
pub(crate) fn mark_batch_end(buf: &mut [u8], at: usize) {
    let Some(end) = at.checked_add(HEADER_LEN) else {
        return;
    };
    let Some(header) = buf.get(at..end) else {
        return;
    };
    let mut h = [0u8; HEADER_LEN];
    h.copy_from_slice(header);
    h[3] |= FLAG_BATCH_END;
    let len = u32::from_le_bytes([h[4], h[5], h[6], h[7]]) as usize;
    let Some(payload) = end.checked_add(len).and_then(|p_end| buf.get(end..p_end)) else {
        return;
    };
    let crc = record_crc(&h, payload);
    h[16..20].copy_from_slice(&crc.to_le_bytes());
    if let Some(dst) = buf.get_mut(at..end) {
        dst.copy_from_slice(&h);
    }
}

/// Zero-fills `buf` to the next block boundary.
pub(crate) fn pad_to_block(buf: &mut Vec<u8>) {
    let end = align_up(buf.len(), BLOCK).unwrap_or(buf.len());
    buf.resize(end, 0);
}

/// The identity of a segment: the LSN of its first record (also its file name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SegmentId(pub Lsn);

impl SegmentId {
    /// `wal-{first_lsn:020}.seg`: zero-padded so a lexical sort is an LSN sort.
    pub fn file_name(self) -> String {
        format!("wal-{:020}.seg", self.0)
    }

    /// Parses a segment file name; anything else in the directory is not a segment.
    pub fn parse_file_name(name: &str) -> Option<SegmentId> {
        let digits = name.strip_prefix("wal-")?.strip_suffix(".seg")?;
        if digits.len() != 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse().ok().map(SegmentId)
    }
}

/// The fields of a segment header block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentHeader {
    /// Format version.
    pub version: u32,
    /// The shard that owns the log.
    pub shard: u32,
    /// LSN of the first record (equals the file name's number).
    pub first_lsn: Lsn,
    /// Size of the segment file as created (a multiple of [`BLOCK`]).
    pub segment_size: u64,
    /// First LSN of the segment written before this one; 0 for the first segment of a log.
    pub prev_segment: Lsn,
}

/// Why a segment header block was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SegmentHeaderFault {
    /// Fewer than [`BLOCK`] bytes.
    #[error("segment shorter than its header block")]
    Short,
    /// Wrong magic (all zeros: the header write never reached the disk).
    #[error("bad segment magic")]
    BadMagic,
    /// Checksum mismatch.
    #[error("segment header checksum mismatch")]
    BadChecksum,
    /// A version this crate does not read.
    #[error("unsupported segment version {0}")]
    Version(u32),
    /// Written by another shard (wrong directory).
    #[error("segment belongs to shard {found}, expected {expected}")]
    WrongShard {
        /// Shard id in the header.
        found: u32,
        /// Shard id asked for.
        expected: u32,
    },
    /// `first_lsn` differs from the file name, or the size is impossible.
    #[error("segment header does not match its file")]
    Mismatch,
}

impl SegmentHeader {
    /// The 4 KiB header block.
    pub fn encode(&self) -> [u8; BLOCK] {
        let mut b = [0u8; BLOCK];
        b[0..8].copy_from_slice(&SEGMENT_MAGIC);
        b[8..12].copy_from_slice(&self.version.to_le_bytes());
        b[12..16].copy_from_slice(&self.shard.to_le_bytes());
        b[16..24].copy_from_slice(&self.first_lsn.to_le_bytes());
        b[24..32].copy_from_slice(&self.segment_size.to_le_bytes());
        b[32..40].copy_from_slice(&self.prev_segment.to_le_bytes());
        let crc = crc32fast::hash(&b[..SEGMENT_HEADER_FIELDS]);
        b[40..44].copy_from_slice(&crc.to_le_bytes());
        b
    }

    /// Parses and checks the header block of segment `id` for `shard`.
    pub fn decode(bytes: &[u8], id: SegmentId, shard: u32) -> Result<Self, SegmentHeaderFault> {
        let b = bytes.get(..BLOCK).ok_or(SegmentHeaderFault::Short)?;
        if b[0..8] != SEGMENT_MAGIC {
            return Err(SegmentHeaderFault::BadMagic);
        }
        let u32_at = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        let u64_at = |i: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&b[i..i + 8]);
            u64::from_le_bytes(w)
        };
        if crc32fast::hash(&b[..SEGMENT_HEADER_FIELDS]) != u32_at(40) {
            return Err(SegmentHeaderFault::BadChecksum);
        }
        let header = SegmentHeader {
            version: u32_at(8),
            shard: u32_at(12),
            first_lsn: u64_at(16),
            segment_size: u64_at(24),
            prev_segment: u64_at(32),
        };
        if header.version != SEGMENT_VERSION {
            return Err(SegmentHeaderFault::Version(header.version));
        }
        if header.shard != shard {
            return Err(SegmentHeaderFault::WrongShard {
                found: header.shard,
                expected: shard,
            });
        }
        let size_ok = header.segment_size >= 2 * BLOCK as u64
            && header.segment_size <= MAX_SEGMENT_SIZE
            && header.segment_size.is_multiple_of(BLOCK as u64);
        if header.first_lsn != id.0 || header.first_lsn == 0 || !size_ok {
            return Err(SegmentHeaderFault::Mismatch);
        }
        if header.prev_segment >= header.first_lsn {
            return Err(SegmentHeaderFault::Mismatch);
        }
        Ok(header)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trips_and_rejects_flips() {
        let payload = b"hello world";
        let h = header_bytes(7, FLAG_BATCH_END, 42, payload);
        let parsed = RecordHeader::parse(&h).expect("valid header");
        assert_eq!(parsed.kind, 7);
        assert_eq!(parsed.lsn, 42);
        assert_eq!(parsed.len, 11);
        assert!(parsed.is_batch_end());
        assert_eq!(record_crc(&h, payload), parsed.crc);
        for i in 0..HEADER_LEN {
            let mut bad = h;
            bad[i] ^= 0x10;
            let ok = RecordHeader::parse(&bad)
                .map(|p| record_crc(&bad, payload) == p.crc)
                .unwrap_or(false);
            assert!(!ok, "flip at {i} went unnoticed");
        }
    }

    #[test]
    fn records_never_start_in_a_block_tail() {
        let mut buf = Vec::new();
        let mut lsn = 1;
        while buf.len() < 3 * BLOCK {
            let before = next_header_pos(buf.len()).expect("no overflow");
            assert!(BLOCK - before % BLOCK >= HEADER_LEN);
            encode_record(&mut buf, 1, 0, lsn, &[0xAB; 40]);
            assert_eq!(buf.len() % RECORD_ALIGN, 0);
            lsn += 1;
        }
        pad_to_block(&mut buf);
        assert_eq!(buf.len() % BLOCK, 0);
    }

    #[test]
    fn segment_names_sort_by_lsn() {
        let a = SegmentId(9).file_name();
        let b = SegmentId(10).file_name();
        assert!(a < b);
        assert_eq!(SegmentId::parse_file_name(&b), Some(SegmentId(10)));
        assert_eq!(SegmentId::parse_file_name("wal-1.seg"), None);
        assert_eq!(
            SegmentId::parse_file_name("wal-0000000000000000001x.seg"),
            None
        );
        assert_eq!(SegmentId::parse_file_name("other.seg"), None);
    }

    #[test]
    fn segment_header_checks_every_field() {
        let h = SegmentHeader {
            version: SEGMENT_VERSION,
            shard: 3,
            first_lsn: 100,
            segment_size: 1 << 20,
            prev_segment: 1,
        };
        let block = h.encode();
        assert_eq!(SegmentHeader::decode(&block, SegmentId(100), 3), Ok(h));
        assert_eq!(
            SegmentHeader::decode(&block, SegmentId(101), 3),
            Err(SegmentHeaderFault::Mismatch)
        );
        assert!(matches!(
            SegmentHeader::decode(&block, SegmentId(100), 4),
            Err(SegmentHeaderFault::WrongShard { .. })
        ));
        assert_eq!(
            SegmentHeader::decode(&block[..100], SegmentId(100), 3),
            Err(SegmentHeaderFault::Short)
        );
        let mut bad = block;
        bad[20] ^= 1;
        assert_eq!(
            SegmentHeader::decode(&bad, SegmentId(100), 3),
            Err(SegmentHeaderFault::BadChecksum)
        );
        assert_eq!(
            SegmentHeader::decode(&[0u8; BLOCK], SegmentId(100), 3),
            Err(SegmentHeaderFault::BadMagic)
        );
    }
}
