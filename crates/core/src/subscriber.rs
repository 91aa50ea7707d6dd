//! The subscriber profile and its rkyv snapshot.
//!
//! A profile is what provisioning knows about a user: the AOR (the key), the MSISDN that makes
//! SMS fallback possible (claims C1/C3: *mobile* status needs a registered mobile number), whether
//! the smart-chat service is on, the digest password, and the buddy list. The buddy list is the
//! *watcher authorisation policy* of RFC 3856 §5: the AORs in `buddies` may SUBSCRIBE to this
//! user's presence; nobody else may (except the user themself).
//!
//! Profiles derive rkyv's `Archive` so that a restart reads millions of them *in place* from a
//! snapshot (DESIGN.md "Records"): [`access_snapshot`] validates the bytes (bytecheck) and hands
//! back the archived vector without a deserialisation pass. The snapshot is framed by a magic
//! and an FNV-1a 64 checksum so that a torn or foreign file is reported, not misread.

use rkyv::{rancor, vec::ArchivedVec, Archive, Deserialize, Serialize};
use thiserror::Error;

use crate::aor::{normalize_aor, validate_msisdn, AorError, MsisdnError};
use crate::shard_map::fnv1a64;

/// One provisioned user.
#[derive(Archive, Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[rkyv(derive(Debug))]
pub struct Subscriber {
    /// Normalised address-of-record, e.g. `sip:alice@example.com` (see [`normalize_aor`]).
    pub aor: String,
    /// E.164 mobile number (`+` and 8–15 digits); `None` means no SMS fallback (C3).
    pub msisdn: Option<String>,
    /// The smart-chat service (SMS fallback, *mobile* status) is switched on for this user.
    pub service: bool,
    /// Digest password (RFC 3261 §22.4); the auth crate derives HA1 from it.
    pub password: String,
    /// AORs authorised to watch this user's presence (RFC 3856 §5).
    pub buddies: Vec<String>,
}

/// Why a subscriber profile is invalid.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ProfileError {
    /// The AOR does not parse.
    #[error("invalid AOR: {0}")]
    Aor(#[from] AorError),
    /// The AOR parses but is not in normalised form; normalise it before storing.
    #[error("AOR {0:?} is not normalised")]
    NotNormalized(String),
    /// The MSISDN is not E.164.
    #[error("invalid MSISDN: {0}")]
    Msisdn(#[from] MsisdnError),
    /// A buddy entry does not parse or is not normalised.
    #[error("invalid buddy {0:?}")]
    Buddy(String),
}

impl Subscriber {
    /// Checks that the AOR and buddies are normalised AORs and the MSISDN (if any) is E.164.
    pub fn validate(&self) -> Result<(), ProfileError> {
        if normalize_aor(&self.aor)? != self.aor {
            return Err(ProfileError::NotNormalized(self.aor.clone()));
        }
        if let Some(m) = &self.msisdn {
            validate_msisdn(m)?;
        }
        for b in &self.buddies {
            if normalize_aor(b).ok().as_deref() != Some(b.as_str()) {
                return Err(ProfileError::Buddy(b.clone()));
            }
        }
        Ok(())
    }

    /// RFC 3856 §5 authorisation: may `watcher` subscribe to this user's presence?
    /// The user may always watch themself; otherwise the watcher must be a buddy.
    pub fn may_watch(&self, watcher: &str) -> bool {
        watcher == self.aor || self.buddies.iter().any(|b| b == watcher)
    }

    /// Copies an archived profile (e.g. from [`access_snapshot`]) into an owned one.
    pub fn from_archived(archived: &ArchivedSubscriber) -> Self {
        // Deserialising plain strings and vectors cannot fail.
        rkyv::deserialize::<Subscriber, rancor::Error>(archived)
            .expect("infallible deserialisation of a validated archive")
    }
}

const SNAPSHOT_MAGIC: &[u8; 8] = b"SCSUB\x00\x00\x01";
/// Bytes before the archive: magic (8) and FNV-1a 64 checksum of the archive (8). 16 keeps the
/// archive aligned when the whole buffer is 16-aligned.
const SNAPSHOT_HEADER: usize = 16;

/// Why a snapshot could not be read.
#[derive(Debug, Error)]
pub enum SnapshotError {
    /// Shorter than the header.
    #[error("snapshot truncated ({0} bytes)")]
    Truncated(usize),
    /// Not a subscriber snapshot (or a different format version).
    #[error("bad snapshot magic")]
    BadMagic,
    /// The archive bytes do not match the stored checksum (torn write, bit rot).
    #[error("snapshot checksum mismatch")]
    Checksum,
    /// The archive failed bytecheck validation (or the buffer is misaligned: read the file
    /// into a 16-aligned buffer such as `rkyv::util::AlignedVec`).
    #[error("snapshot archive invalid: {0}")]
    Invalid(rancor::Error),
}

/// Serialises profiles into a snapshot: header (magic, checksum) then the rkyv archive of the
/// vector. The runtime writes the bytes to disk.
pub fn encode_snapshot(subscribers: &[Subscriber]) -> Vec<u8> {
    let archive = rkyv::to_bytes::<rancor::Error>(&subscribers.to_vec())
        .expect("serialising plain strings and vectors cannot fail");
    let mut out = Vec::with_capacity(SNAPSHOT_HEADER + archive.len());
    out.extend_from_slice(SNAPSHOT_MAGIC);
    out.extend_from_slice(&fnv1a64(&archive).to_le_bytes());
    out.extend_from_slice(&archive);
    out
}

/// Validates a snapshot and returns the archived profiles in place (no copy, no
/// deserialisation). `bytes` must be at least 4-byte aligned (any heap `Vec<u8>` is).
pub fn access_snapshot(bytes: &[u8]) -> Result<&ArchivedVec<ArchivedSubscriber>, SnapshotError> {
    if bytes.len() < SNAPSHOT_HEADER {
        return Err(SnapshotError::Truncated(bytes.len()));
    }
    let (header, archive) = bytes.split_at(SNAPSHOT_HEADER);
    if &header[..8] != SNAPSHOT_MAGIC {
        return Err(SnapshotError::BadMagic);
    }
    let sum = u64::from_le_bytes(header[8..16].try_into().expect("8 bytes"));
    if fnv1a64(archive) != sum {
        return Err(SnapshotError::Checksum);
    }
    rkyv::access::<ArchivedVec<ArchivedSubscriber>, rancor::Error>(archive)
        .map_err(SnapshotError::Invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alice() -> Subscriber {
        Subscriber {
            aor: "sip:alice@example.com".into(),
            msisdn: Some("+8613800000001".into()),
            service: true,
            password: "secret".into(),
            buddies: vec!["sip:bob@example.com".into()],
        }
    }

    #[test]
    fn validate_and_authorise() {
        let a = alice();
        assert!(a.validate().is_ok());
        assert!(a.may_watch("sip:bob@example.com"));
        assert!(a.may_watch("sip:alice@example.com"));
        assert!(!a.may_watch("sip:eve@example.com"));
        let mut bad = a.clone();
        bad.aor = "sip:alice@EXAMPLE.com".into();
        assert!(matches!(
            bad.validate(),
            Err(ProfileError::NotNormalized(_))
        ));
        let mut bad = a.clone();
        bad.msisdn = Some("123".into());
        assert!(matches!(bad.validate(), Err(ProfileError::Msisdn(_))));
        let mut bad = a;
        bad.buddies.push("bob".into());
        assert!(matches!(bad.validate(), Err(ProfileError::Buddy(_))));
    }

    #[test]
    fn snapshot_round_trip_in_place() {
        let mut b = alice();
        b.aor = "sip:bob@example.com".into();
        b.msisdn = None;
        b.buddies.clear();
        let subs = vec![alice(), b];
        let bytes = encode_snapshot(&subs);
        let archived = access_snapshot(&bytes).unwrap();
        assert_eq!(archived.len(), 2);
        assert_eq!(archived[0].aor.as_str(), "sip:alice@example.com");
        assert!(archived[1].msisdn.is_none());
        let back: Vec<Subscriber> = archived.iter().map(Subscriber::from_archived).collect();
        assert_eq!(back, subs);
    }

    #[test]
    fn snapshot_rejects_damage() {
        let bytes = encode_snapshot(&[alice()]);
        assert!(matches!(
            access_snapshot(&bytes[..10]),
            Err(SnapshotError::Truncated(10))
        ));
        let mut torn = bytes.clone();
        torn.truncate(bytes.len() - 3);
        assert!(matches!(
            access_snapshot(&torn),
            Err(SnapshotError::Checksum)
        ));
        let mut flipped = bytes.clone();
        *flipped.last_mut().unwrap() ^= 0x40;
        assert!(matches!(
            access_snapshot(&flipped),
            Err(SnapshotError::Checksum)
        ));
        let mut magic = bytes;
        magic[0] = b'X';
        assert!(matches!(
            access_snapshot(&magic),
            Err(SnapshotError::BadMagic)
        ));
    }
}
