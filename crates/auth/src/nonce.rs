//! Stateless nonces (RFC 2617 §3.2.1 suggests `time-stamp H(time-stamp ":" ETag ":" private-key)`;
//! we use HMAC-SHA256 instead of a bare hash).
//!
//! A nonce is `base64url(timestamp_be[8] || HMAC-SHA256(secret, timestamp_be || realm)[..16])`,
//! 32 characters with no padding, no `"` and no `\`, so it needs no escaping in a quoted-string.
//!
//! Why stateless: with one shard per core (and later several nodes), a nonce issued by one shard
//! may come back to another; a table of outstanding nonces would be shared state on the data
//! path. The MAC makes a nonce unforgeable and bound to its realm; the timestamp gives expiry, and
//! an expired but authentic nonce is reported as [`NonceError::Stale`] so the server can answer
//! 401 with `stale=true` and the UA silently retries. The MAC is truncated to 128 bits
//! (RFC 2104 §5 allows truncation to half the hash length).
//!
//! Replay inside the lifetime is not prevented here (it needs per-nonce `nc` state).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::error::NonceError;

type HmacSha256 = Hmac<Sha256>;

const TS_LEN: usize = 8;
const TAG_LEN: usize = 16;
const RAW_LEN: usize = TS_LEN + TAG_LEN;
/// 24 bytes encode to exactly 32 base64 characters.
const NONCE_LEN: usize = RAW_LEN / 3 * 4;

/// How far in the future a nonce's timestamp may be (seconds) and still be accepted: nodes'
/// clocks are not perfectly in step. Beyond that the nonce is [`NonceError::Invalid`].
pub const MAX_FUTURE_SKEW_SECS: u64 = 30;

/// Issues and checks stateless, expiring nonces.
#[derive(Clone)]
pub struct NonceIssuer {
    mac: HmacSha256,
    lifetime_secs: u64,
}

impl std::fmt::Debug for NonceIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NonceIssuer")
            .field("lifetime_secs", &self.lifetime_secs)
            .finish_non_exhaustive()
    }
}

impl NonceIssuer {
    /// `secret` is a random server key (shared by every shard/node that checks nonces);
    /// `lifetime_secs` is how long a nonce is accepted before it is stale.
    pub fn new(secret: [u8; 32], lifetime_secs: u64) -> Self {
        // HMAC takes keys of any length: this never fails.
        let mac = match HmacSha256::new_from_slice(&secret) {
            Ok(m) => m,
            Err(_) => unreachable!("HMAC accepts keys of any length"),
        };
        Self { mac, lifetime_secs }
    }

    /// The configured lifetime in seconds.
    pub fn lifetime_secs(&self) -> u64 {
        self.lifetime_secs
    }

    /// A fresh nonce for `realm`, stamped with `now_unix_secs`.
    pub fn issue(&self, now_unix_secs: u64, realm: &str) -> String {
        let ts = now_unix_secs.to_be_bytes();
        let tag = self.tag(&ts, realm);
        let mut raw = [0u8; RAW_LEN];
        raw[..TS_LEN].copy_from_slice(&ts);
        raw[TS_LEN..].copy_from_slice(&tag[..TAG_LEN]);
        URL_SAFE_NO_PAD.encode(raw)
    }

    /// Checks a nonce that came back in credentials for `realm`.
    ///
    /// `Ok` if we issued it for this realm at most `lifetime_secs` ago (and at most
    /// [`MAX_FUTURE_SKEW_SECS`] in the future); [`NonceError::Stale`] if it is authentic but
    /// older; [`NonceError::Invalid`] otherwise. The MAC comparison is constant time.
    pub fn check(&self, nonce: &str, now_unix_secs: u64, realm: &str) -> Result<(), NonceError> {
        if nonce.len() != NONCE_LEN {
            return Err(NonceError::Invalid);
        }
        let mut raw = [0u8; RAW_LEN];
        match URL_SAFE_NO_PAD.decode_slice(nonce, &mut raw) {
            Ok(RAW_LEN) => {}
            _ => return Err(NonceError::Invalid),
        }
        let mut ts = [0u8; TS_LEN];
        ts.copy_from_slice(&raw[..TS_LEN]);
        let mut mac = self.mac.clone();
        mac.update(&ts);
        mac.update(realm.as_bytes());
        if mac.verify_truncated_left(&raw[TS_LEN..]).is_err() {
            return Err(NonceError::Invalid);
        }
        let issued = u64::from_be_bytes(ts);
        if issued > now_unix_secs.saturating_add(MAX_FUTURE_SKEW_SECS) {
            return Err(NonceError::Invalid);
        }
        if now_unix_secs.saturating_sub(issued) > self.lifetime_secs {
            return Err(NonceError::Stale);
        }
        Ok(())
    }

    /// The issue time stamped in a nonce (call after [`NonceIssuer::check`] accepted it; the
    /// stamp is only trustworthy once the MAC has been verified).
    pub fn issued_at(&self, nonce: &str) -> Option<u64> {
        let mut raw = [0u8; RAW_LEN];
        match URL_SAFE_NO_PAD.decode_slice(nonce, &mut raw) {
            Ok(RAW_LEN) => {}
            _ => return None,
        }
        let mut ts = [0u8; TS_LEN];
        ts.copy_from_slice(&raw[..TS_LEN]);
        Some(u64::from_be_bytes(ts))
    }

    fn tag(&self, ts: &[u8; TS_LEN], realm: &str) -> [u8; 32] {
        let mut mac = self.mac.clone();
        mac.update(ts);
        mac.update(realm.as_bytes());
        mac.finalize().into_bytes().into()
    }
}
