//! The WAL's one error type.
//!
//! Why one enum with back-pressure variants in it: the runtime must tell "refuse new work for a
//! while" ([`WalError::Full`], [`WalError::Busy`]: SIP 503 + Retry-After) from "this record is
//! wrong" and from "the disk failed" (stop the shard), and it should do so with one `match`.
//! Nothing here carries the caller's tokens: operations that consume tokens return them beside
//! the error (see `io::CommitFailed`), so an acknowledgement is never silently dropped.

use std::path::PathBuf;

use crate::scan::TornTail;
use crate::Lsn;

/// Errors of the WAL.
#[derive(Debug, thiserror::Error)]
pub enum WalError {
    /// The disk bound is reached: the next batch needs a segment beyond `max_segments`.
    /// Refuse new work until records become final and segments are reclaimed.
    #[error("WAL full: {segments} segments in use, the bound is {max}")]
    Full {
        /// Segments in use (the active one included).
        segments: usize,
        /// The configured bound.
        max: usize,
    },
    /// The writer is behind: `pending` closed batches already wait for it.
    #[error("WAL busy: {pending} closed batches wait for the writer")]
    Busy {
        /// Batches waiting.
        pending: usize,
    },
    /// A payload larger than one batch can hold.
    #[error("record payload of {len} bytes exceeds the maximum of {max}")]
    RecordTooLarge {
        /// Payload length.
        len: usize,
        /// Largest accepted payload.
        max: usize,
    },
    /// The configuration is inconsistent.
    #[error("invalid WAL configuration: {0}")]
    Config(&'static str),
    /// `mark_final` for an LSN that was never appended.
    #[error("LSN {0} was never appended")]
    UnknownLsn(Lsn),
    /// rkyv could not serialise a record.
    #[error("serialising a record failed: {0}")]
    Serialize(#[source] rkyv::rancor::Error),
    /// A payload failed bytecheck validation (or is misaligned).
    #[error("record payload failed validation: {0}")]
    Access(#[source] rkyv::rancor::Error),
    /// A typed record filed under another kind than the type's.
    #[error("record kind {found} is not the expected kind {expected}")]
    SchemaKind {
        /// The type's kind.
        expected: u8,
        /// The record header's kind.
        found: u8,
    },
    /// A typed record without a schema tag (too short, or the magic is wrong).
    #[error("record has no schema tag")]
    SchemaTag,
    /// A typed record written with another layout version of its type.
    #[error("record schema version {found} is not the supported version {expected}")]
    SchemaVersion {
        /// The version this build reads.
        expected: u32,
        /// The version in the record's tag.
        found: u32,
    },
    /// Recovery found damage before the log's tail: acknowledged records may be unreadable,
    /// so the writer will not continue the log. Needs an operator.
    #[error("WAL damaged before its tail: {0:?}")]
    Damaged(TornTail),
    /// A batch handed to the writer does not continue where the previous one ended.
    #[error(
        "batch for segment {segment} at offset {offset} does not follow the writer's position"
    )]
    OutOfOrder {
        /// Segment the batch names.
        segment: Lsn,
        /// Offset the batch names.
        offset: u64,
    },
    /// An earlier write or sync failed; the writer refuses further writes (after a failed
    /// fdatasync the page state is unknown, so retrying could acknowledge lost data).
    #[error("WAL writer failed earlier and is closed for writes")]
    Poisoned,
    /// More segment files than recovery is allowed to load.
    #[error("{found} segment files found, recovery loads at most {max}")]
    TooManySegments {
        /// Files found.
        found: usize,
        /// Bound.
        max: usize,
    },
    /// An operating-system error.
    #[error("{op} {path:?}: {source}")]
    Io {
        /// What was being done.
        op: &'static str,
        /// On which file.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
}

impl WalError {
    /// Back-pressure: refuse new work for a while, nothing is wrong with the log.
    pub fn is_backpressure(&self) -> bool {
        matches!(self, WalError::Full { .. } | WalError::Busy { .. })
    }
}
