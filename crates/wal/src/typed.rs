//! Typed helpers: rkyv archives in, validated in-place archives out.
//!
//! Why validation on every access: payloads come from disk after a crash. The record crc catches
//! torn and flipped bytes, but not a record written by a different version of a type; bytecheck
//! does, and costs a few ns for a ~200-byte record. Access is zero-copy: the archive is read
//! where recovery loaded it (payloads are 16-aligned, see `format`).

use rkyv::api::high::HighValidator;
use rkyv::bytecheck::CheckBytes;
use rkyv::rancor;
use rkyv::{Archive, Portable};

use crate::WalError;

/// Validates `payload` as an archived `T` and returns it in place.
///
/// Fails with [`WalError::Access`] on malformed bytes, and on a payload that is not aligned for
/// `T::Archived` (copy it into an `rkyv::util::AlignedVec` first if it came from elsewhere).
pub fn access<T>(payload: &[u8]) -> Result<&T::Archived, WalError>
where
    T: Archive,
    T::Archived: Portable + for<'a> CheckBytes<HighValidator<'a, rancor::Error>>,
{
    rkyv::access::<T::Archived, rancor::Error>(payload).map_err(WalError::Access)
}
