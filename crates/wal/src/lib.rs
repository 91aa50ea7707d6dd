//! smartchat-wal: the per-shard write-ahead log behind "acknowledge only what is durable".
//!
//! A MESSAGE that goes to SMS is answered 202 only after its record is durable, and nothing
//! acknowledged is ever lost. This crate provides that in two layers:
//!
//! * **Sans-IO core** (always built): the record and segment [`format`], the group-commit write
//!   side [`Wal`] (batching, LSNs, segment placement, the disk bound, reclaim bookkeeping), and
//!   the recovery [`scan`]ner. No files, no clocks (time is passed in as µs), no glommio: it is
//!   property-tested and fuzzed on plain byte slices.
//! * **IO layer** (`io` feature): [`io::WalWriter`] writes batches to pre-allocated segment files
//!   with glommio DMA (O_DIRECT) files, one write and one fdatasync per batch;
//!   [`io::recover_dir`] loads all segments with one io_uring ring and runs the scanner.
//!
//! Acknowledgement after persistence is data, not a convention: [`Wal::poll_batch`] hands out a
//! [`Ready`] batch, the IO layer turns it into a [`Durable`], and only [`Wal::on_durable`] gives
//! the caller's tokens back.

#![deny(missing_docs)]
#![forbid(unsafe_op_in_unsafe_fn)]

pub mod config;
pub mod error;
pub mod format;
mod group;
pub mod reclaim;
pub mod recovery;
pub mod scan;
pub mod typed;
mod wal;

#[cfg(feature = "io")]
pub mod io;

/// Log sequence number: +1 per record across a shard's log, starting at 1 (0 means none).
pub type Lsn = u64;

pub use config::WalConfig;
pub use error::WalError;
pub use format::SegmentId;
pub use group::{Batch, Durable, Ready};
pub use reclaim::{ReclaimPolicy, ReclaimTracker};
pub use recovery::{log_records, scan_log, RecoveryReport};
pub use scan::{RecordRef, SegmentEnd, SegmentScanner, SegmentSummary, TornReason, TornTail};
pub use typed::{access, access_typed, RecordSchema};
pub use wal::{Wal, WalStats};

/// The rkyv this crate is built against (for callers naming its types, e.g. `AlignedVec`).
pub use rkyv;
