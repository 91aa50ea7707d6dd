//! SIP Digest authentication (RFC 3261 §22, RFC 2617, RFC 7616, RFC 8760).
//!
//! Why a crate of its own: every REGISTER, PUBLISH and SUBSCRIBE that smartchat accepts is
//! authenticated, so this code sits on the hottest and most hostile path of the dataplane. It is
//! kept sans-IO (no clock, no sockets, no user store): the caller passes the current time, the
//! request method and the secret it looked up, and gets back a decision.
//!
//! The pieces:
//! - [`parse_authorization`] reads an `Authorization` / `Proxy-Authorization` value into a
//!   [`DigestCredentials`] that borrows from the input (a `Cow` only where a quoted-string had
//!   escapes). Input is bounded ([`MAX_HEADER_LEN`], [`MAX_PARAMS`]) and never panics.
//! - [`compute_response`] / [`verify`] compute the `response` for MD5, SHA-256 and SHA-512/256
//!   (plain and `-sess`, `qop=auth`, `qop=auth-int` and no qop) from a password or a stored HA1,
//!   and compare in constant time ([`subtle`]).
//! - [`NonceIssuer`] makes stateless nonces: a timestamp authenticated with HMAC-SHA256 under a
//!   server secret and bound to the realm. No nonce table is needed on any shard, and an expired
//!   nonce is told apart from a forged one so the server can answer `stale=true` (RFC 2617 §3.2.1)
//!   and the UA retries without asking the user again.
//! - [`challenge`] writes a `WWW-Authenticate` / `Proxy-Authenticate` value; a server offering
//!   several algorithms sends one challenge per algorithm in [`SERVER_ALGORITHMS`] order
//!   (SHA-256 first, RFC 8760 §2.4).
//!
//! What the caller still checks (it needs state this crate deliberately does not hold): that
//! `username` and `realm` are the ones it looked the secret up for, that `uri` matches the
//! Request-URI (RFC 2617 §3.2.2.5), and, if it wants replay protection inside the nonce lifetime,
//! that `nc` increases per nonce (RFC 7616 §3.4.5).

mod challenge;
mod digest;
mod error;
mod header;
mod nonce;

pub use challenge::{challenge, SERVER_ALGORITHMS};
pub use digest::{compute_response, ha1, verify, Algorithm, Qop, Secret};
pub use error::{AuthError, NonceError};
pub use header::{parse_authorization, DigestCredentials, MAX_HEADER_LEN, MAX_PARAMS};
pub use nonce::{NonceIssuer, MAX_FUTURE_SKEW_SECS};
