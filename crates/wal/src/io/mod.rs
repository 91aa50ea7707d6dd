//! The IO layer (feature `io`): the only code in this crate that touches files.
//!
//! * [`WalWriter`] — glommio DMA files (O_DIRECT over io_uring) on the shard's executor: one
//!   write + one fdatasync per batch, segment creation with pre-allocation, deletion of
//!   reclaimed segments, tail repair at open.
//! * [`recover_dir`] — the io_uring crate directly (no executor needed): all segments read in
//!   one ring at start-up, then the sans-IO scanner.
//!
//! Segment files live in one directory per shard, named `wal-{first_lsn:020}.seg`.

mod aligned;
mod recover;
mod writer;

pub use aligned::AlignedBuf;
pub use recover::{recover_dir, Recovered, QUEUE_DEPTH};
pub use writer::{CommitFailed, Opened, WalWriter, WriterStats};
