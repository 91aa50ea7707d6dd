//! WAL configuration and its bounds.
//!
//! Why every number is here: each buffer, batch and queue of the WAL is bounded by one of these
//! fields, checked once by [`WalConfig::validate`] at start-up, so no code path needs to wonder
//! whether a batch fits a segment or a record fits a batch.

use crate::format::{record_size, BLOCK, HEADER_LEN, MAX_SEGMENT_SIZE, RECORD_ALIGN};
use crate::reclaim::ReclaimPolicy;
use crate::WalError;

/// Tunables of one shard's WAL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalConfig {
    /// Size of each segment file (pre-allocated); a multiple of 4 KiB.
    pub segment_size: u64,
    /// Disk bound: segment files in use at most (the active one included). When the next batch
    /// would need one more, `append` returns [`WalError::Full`].
    pub max_segments: usize,
    /// A batch closes when it reaches this many bytes (a multiple of 4 KiB; the segment header
    /// block of a new segment is not counted).
    pub max_batch_bytes: usize,
    /// … or this many records.
    pub max_batch_records: usize,
    /// … or when this many microseconds have passed since its first record (latency cap).
    pub max_delay_us: u64,
    /// Closed batches that may wait for the writer before `append` returns [`WalError::Busy`].
    pub max_ready_batches: usize,
    /// Which fully-final segments may be deleted.
    pub reclaim: ReclaimPolicy,
}

impl Default for WalConfig {
    fn default() -> Self {
        WalConfig {
            segment_size: 64 << 20,
            max_segments: 64,
            max_batch_bytes: 256 << 10,
            max_batch_records: 4096,
            max_delay_us: 500,
            max_ready_batches: 4,
            reclaim: ReclaimPolicy::Prefix,
        }
    }
}

impl WalConfig {
    /// Checks the bounds against each other.
    pub fn validate(&self) -> Result<(), WalError> {
        let block = BLOCK as u64;
        if !self.segment_size.is_multiple_of(block) || self.segment_size > MAX_SEGMENT_SIZE {
            return Err(WalError::Config(
                "segment_size must be a multiple of 4 KiB, at most 1 GiB",
            ));
        }
        if self.max_batch_bytes < BLOCK || !self.max_batch_bytes.is_multiple_of(BLOCK) {
            return Err(WalError::Config(
                "max_batch_bytes must be a non-zero multiple of 4 KiB",
            ));
        }
        // A full batch must fit a fresh segment after its header block.
        let batch = self.max_batch_bytes as u64;
        if batch
            .checked_add(block)
            .is_none_or(|need| need > self.segment_size)
        {
            return Err(WalError::Config(
                "segment_size must hold the header block plus one full batch",
            ));
        }
        if self.max_segments < 2 {
            return Err(WalError::Config("max_segments must be at least 2"));
        }
        if self.max_batch_records == 0 || self.max_ready_batches == 0 {
            return Err(WalError::Config(
                "max_batch_records and max_ready_batches must be non-zero",
            ));
        }
        Ok(())
    }

    /// Largest payload one record may carry: one record alone must fit an empty batch.
    pub fn max_payload_len(&self) -> usize {
        let room = self.max_batch_bytes.saturating_sub(HEADER_LEN);
        let aligned = room - room % RECORD_ALIGN;
        debug_assert!(record_size(aligned).is_some_and(|s| s <= self.max_batch_bytes));
        aligned.min(u32::MAX as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_valid_and_bad_bounds_are_refused() {
        assert!(WalConfig::default().validate().is_ok());
        let bad = [
            WalConfig {
                segment_size: 5000,
                ..WalConfig::default()
            },
            WalConfig {
                max_batch_bytes: 100,
                ..WalConfig::default()
            },
            WalConfig {
                segment_size: 256 << 10,
                ..WalConfig::default()
            },
            WalConfig {
                max_segments: 1,
                ..WalConfig::default()
            },
            WalConfig {
                max_batch_records: 0,
                ..WalConfig::default()
            },
        ];
        for config in bad {
            assert!(
                matches!(config.validate(), Err(WalError::Config(_))),
                "{config:?}"
            );
        }
    }

    #[test]
    fn max_payload_fits_one_batch() {
        let config = WalConfig {
            max_batch_bytes: 8192,
            ..WalConfig::default()
        };
        let max = config.max_payload_len();
        assert_eq!(record_size(max), Some(8192));
        assert!(record_size(max + 1).is_some_and(|s| s > 8192));
    }
}
