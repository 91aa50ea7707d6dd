//! Typed records: rkyv archives behind a schema tag, validated in place.
//!
//! What protects a record, and from what:
//! - **Integrity** (torn writes, flipped bits) is the record crc's job (see `format`): a payload
//!   handed to this module has already passed it.
//! - **Which type, which version** is the schema tag's job: every typed record starts with a
//!   16-byte tag (magic, the type's [`RecordSchema::VERSION`]) and is filed under its
//!   [`RecordSchema::KIND`]. A record of another version is refused by that tag
//!   ([`WalError::SchemaVersion`]) — explicitly, not by luck.
//! - **Validation** (bytecheck) only rejects byte patterns that are *impossible* for the type:
//!   a misaligned buffer, invalid UTF-8 in a string, an out-of-range enum tag, a relative pointer
//!   outside the buffer. It does **not** reject bytes that are merely a different value, or a
//!   different type's bytes that happen to be a valid archive of this one (64 bytes of `0xFF`
//!   are a valid archive of a `{ u64, String, String }`). So it makes access memory-safe; it is
//!   not a type or version check.
//!
//! Access is zero-copy: the archive is read where recovery loaded it (payloads are 16-aligned,
//! see `format`, and the tag is 16 bytes long, so the archive behind it stays aligned).

use rkyv::api::high::HighValidator;
use rkyv::bytecheck::CheckBytes;
use rkyv::rancor;
use rkyv::{Archive, Portable};

use crate::WalError;

/// Length of the schema tag in front of a typed record's archive (keeps 16-byte alignment).
pub const SCHEMA_TAG_LEN: usize = 16;

/// First four bytes of every schema tag.
pub const SCHEMA_MAGIC: [u8; 4] = *b"SCRT";

/// A type that is written to the WAL as a typed record.
pub trait RecordSchema: Archive {
    /// The record kind it is filed under (the WAL header's `kind` byte).
    const KIND: u8;
    /// Layout version: bump it whenever the archived layout changes. Records of any other
    /// version are refused with [`WalError::SchemaVersion`].
    const VERSION: u32;
}

/// The 16-byte tag for version `version`: magic, version (LE), zero padding.
pub fn schema_tag(version: u32) -> [u8; SCHEMA_TAG_LEN] {
    let mut tag = [0u8; SCHEMA_TAG_LEN];
    tag[..4].copy_from_slice(&SCHEMA_MAGIC);
    tag[4..8].copy_from_slice(&version.to_le_bytes());
    tag
}

/// Validates `payload` as an archived `T` (no tag) and returns it in place.
///
/// Fails with [`WalError::Access`] on bytes that are impossible for `T` and on a payload that is
/// not aligned for `T::Archived` (copy it into an `rkyv::util::AlignedVec` first if it came from
/// elsewhere). See the module docs for what this does not catch.
pub fn access<T>(payload: &[u8]) -> Result<&T::Archived, WalError>
where
    T: Archive,
    T::Archived: Portable + for<'a> CheckBytes<HighValidator<'a, rancor::Error>>,
{
    rkyv::access::<T::Archived, rancor::Error>(payload).map_err(WalError::Access)
}

/// Checks a typed record's kind and schema tag, then validates the archive behind the tag.
pub fn access_typed<T>(kind: u8, payload: &[u8]) -> Result<&T::Archived, WalError>
where
    T: RecordSchema,
    T::Archived: Portable + for<'a> CheckBytes<HighValidator<'a, rancor::Error>>,
{
    if kind != T::KIND {
        return Err(WalError::SchemaKind {
            expected: T::KIND,
            found: kind,
        });
    }
    let archive = check_tag(payload, T::VERSION)?;
    access::<T>(archive)
}

/// Strips and checks the schema tag of `payload`: the archive behind a tag of `version`.
pub fn check_tag(payload: &[u8], version: u32) -> Result<&[u8], WalError> {
    let (tag, archive) = payload
        .split_at_checked(SCHEMA_TAG_LEN)
        .ok_or(WalError::SchemaTag)?;
    if tag[..4] != SCHEMA_MAGIC {
        return Err(WalError::SchemaTag);
    }
    let mut found = [0u8; 4];
    found.copy_from_slice(&tag[4..8]);
    let found = u32::from_le_bytes(found);
    if found != version {
        return Err(WalError::SchemaVersion {
            expected: version,
            found,
        });
    }
    Ok(archive)
}
