//! Typed errors: the server maps each to a SIP answer (400 for a malformed header, 401 with a
//! fresh challenge for everything else, `stale=true` only for [`NonceError::Stale`]).

use thiserror::Error;

/// Why credentials could not be parsed or did not verify.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AuthError {
    /// The header value is longer than [`crate::MAX_HEADER_LEN`].
    #[error("authorization header too long ({len} bytes, max {max})")]
    TooLong { len: usize, max: usize },
    /// More parameters than [`crate::MAX_PARAMS`].
    #[error("too many digest parameters (max {max})")]
    TooManyParams { max: usize },
    /// The scheme is not `Digest` (RFC 3261 §22.4 only defines Digest).
    #[error("authorization scheme is not Digest")]
    NotDigest,
    /// Malformed parameter list; `at` is the byte offset where parsing stopped.
    #[error("malformed digest parameters at byte {at}")]
    Syntax { at: usize },
    /// A quoted-string without its closing quote.
    #[error("unterminated quoted-string")]
    Unterminated,
    /// A parameter appeared twice (RFC 7616 §3.4: each directive at most once).
    #[error("duplicate digest parameter `{0}`")]
    Duplicate(&'static str),
    /// A required parameter is absent (RFC 2617 §3.2.2; `cnonce`/`nc` are required with `qop`).
    #[error("missing digest parameter `{0}`")]
    Missing(&'static str),
    /// `algorithm=` names something this crate does not implement.
    #[error("unsupported digest algorithm")]
    UnsupportedAlgorithm,
    /// `qop=` is neither `auth` nor `auth-int`.
    #[error("unsupported qop")]
    UnsupportedQop,
    /// The response does not match the one computed from the secret.
    #[error("digest response mismatch")]
    Mismatch,
}

/// Why a nonce was refused ([`crate::NonceIssuer::check`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum NonceError {
    /// Not a nonce we issued for this realm (forged, tampered, truncated, or another realm).
    #[error("invalid nonce")]
    Invalid,
    /// A nonce we issued, but older than the lifetime: answer 401 with `stale=true`.
    #[error("stale nonce")]
    Stale,
}
