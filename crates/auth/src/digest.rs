//! The digest computation itself (RFC 2617 §3.2.2.1–3.2.2.3, RFC 7616 §3.4.1–3.4.3).
//!
//! `response = KD(HA1, nonce ":" nc ":" cnonce ":" qop ":" HA2)` with qop, or
//! `KD(HA1, nonce ":" HA2)` without; HA1/HA2 as in the RFCs. All hashes are lowercase hex.
//! The comparison with the client's `response` is constant time so that a timing side channel
//! cannot be used to guess a valid response byte by byte.

use md5::Md5;
use sha2::{Digest, Sha256, Sha512_256};
use subtle::ConstantTimeEq;

use crate::error::AuthError;
use crate::header::DigestCredentials;

/// Digest algorithms (RFC 7616 §6.1 registry; SIP use by RFC 8760).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// `MD5` (RFC 2617), still what most deployed UAs use.
    Md5,
    /// `MD5-sess`.
    Md5Sess,
    /// `SHA-256` (RFC 7616, RFC 8760).
    Sha256,
    /// `SHA-256-sess`.
    Sha256Sess,
    /// `SHA-512-256` (RFC 7616, RFC 8760).
    Sha512_256,
    /// `SHA-512-256-sess`.
    Sha512_256Sess,
}

impl Algorithm {
    /// The token as written in headers.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Md5 => "MD5",
            Algorithm::Md5Sess => "MD5-sess",
            Algorithm::Sha256 => "SHA-256",
            Algorithm::Sha256Sess => "SHA-256-sess",
            Algorithm::Sha512_256 => "SHA-512-256",
            Algorithm::Sha512_256Sess => "SHA-512-256-sess",
        }
    }

    /// Parses the `algorithm` token (case-insensitive).
    pub fn from_name(name: &str) -> Option<Self> {
        [
            Algorithm::Md5,
            Algorithm::Md5Sess,
            Algorithm::Sha256,
            Algorithm::Sha256Sess,
            Algorithm::Sha512_256,
            Algorithm::Sha512_256Sess,
        ]
        .into_iter()
        .find(|a| a.as_str().eq_ignore_ascii_case(name))
    }

    /// Whether this is a `-sess` variant (HA1 also covers nonce and cnonce).
    pub fn is_sess(self) -> bool {
        matches!(
            self,
            Algorithm::Md5Sess | Algorithm::Sha256Sess | Algorithm::Sha512_256Sess
        )
    }

    /// Lowercase hex of the hash of `parts` joined by `:`.
    fn hash_hex(self, parts: &[&[u8]]) -> String {
        match self {
            Algorithm::Md5 | Algorithm::Md5Sess => hash_with::<Md5>(parts),
            Algorithm::Sha256 | Algorithm::Sha256Sess => hash_with::<Sha256>(parts),
            Algorithm::Sha512_256 | Algorithm::Sha512_256Sess => hash_with::<Sha512_256>(parts),
        }
    }
}

/// Quality of protection (RFC 2617 §3.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Qop {
    /// `auth`: method and URI are authenticated.
    Auth,
    /// `auth-int`: the body is authenticated too.
    AuthInt,
}

impl Qop {
    /// The token as written in headers.
    pub fn as_str(self) -> &'static str {
        match self {
            Qop::Auth => "auth",
            Qop::AuthInt => "auth-int",
        }
    }

    /// Parses the `qop` token (case-insensitive).
    pub fn from_name(name: &str) -> Option<Self> {
        if name.eq_ignore_ascii_case("auth") {
            Some(Qop::Auth)
        } else if name.eq_ignore_ascii_case("auth-int") {
            Some(Qop::AuthInt)
        } else {
            None
        }
    }
}

/// What the server knows about the user's secret.
#[derive(Clone, Copy)]
pub enum Secret<'a> {
    /// The clear-text password.
    Password(&'a str),
    /// A stored `H(username ":" realm ":" password)` in hex, for the credentials' algorithm
    /// (an MD5 HA1 cannot verify a SHA-256 response: store one per algorithm you offer).
    /// For `-sess` algorithms this is still the plain HA1; the session part is added here.
    Ha1(&'a str),
}

impl std::fmt::Debug for Secret<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Secret::Password(_) => f.write_str("Secret::Password(..)"),
            Secret::Ha1(_) => f.write_str("Secret::Ha1(..)"),
        }
    }
}

/// `H(username ":" realm ":" password)` in lowercase hex: what a user store keeps instead of the
/// password (RFC 2617 §3.2.2.2, RFC 7616 §3.4.2).
pub fn ha1(algorithm: Algorithm, username: &str, realm: &str, password: &str) -> String {
    algorithm.hash_hex(&[username.as_bytes(), realm.as_bytes(), password.as_bytes()])
}

/// Computes the `response` the client should have sent, in lowercase hex.
///
/// RFC 2617 §3.2.2.1 (request-digest), §3.2.2.2 (A1), §3.2.2.3 (A2); RFC 7616 §3.4.1–3.4.3.
/// `method` is the SIP method of the request (RFC 3261 §22.4: for an ACK or CANCEL it is the
/// one of the request being acknowledged/cancelled); `body` is used only for `qop=auth-int`.
pub fn compute_response(
    creds: &DigestCredentials<'_>,
    method: &str,
    secret: Secret<'_>,
    body: &[u8],
) -> Result<String, AuthError> {
    let alg = creds.algorithm;
    let mut ha1_hex = match secret {
        Secret::Password(p) => ha1(alg, &creds.username, &creds.realm, p),
        Secret::Ha1(h) => h.to_ascii_lowercase(),
    };
    if alg.is_sess() {
        let cnonce = creds
            .cnonce
            .as_deref()
            .ok_or(AuthError::Missing("cnonce"))?;
        ha1_hex = alg.hash_hex(&[
            ha1_hex.as_bytes(),
            creds.nonce.as_bytes(),
            cnonce.as_bytes(),
        ]);
    }
    let ha2_hex = match creds.qop {
        Some(Qop::AuthInt) => {
            let body_hex = alg.hash_hex(&[body]);
            alg.hash_hex(&[method.as_bytes(), creds.uri.as_bytes(), body_hex.as_bytes()])
        }
        _ => alg.hash_hex(&[method.as_bytes(), creds.uri.as_bytes()]),
    };
    Ok(match creds.qop {
        Some(qop) => {
            let nc = creds.nc.as_deref().ok_or(AuthError::Missing("nc"))?;
            let cnonce = creds
                .cnonce
                .as_deref()
                .ok_or(AuthError::Missing("cnonce"))?;
            alg.hash_hex(&[
                ha1_hex.as_bytes(),
                creds.nonce.as_bytes(),
                nc.as_bytes(),
                cnonce.as_bytes(),
                qop.as_str().as_bytes(),
                ha2_hex.as_bytes(),
            ])
        }
        None => alg.hash_hex(&[
            ha1_hex.as_bytes(),
            creds.nonce.as_bytes(),
            ha2_hex.as_bytes(),
        ]),
    })
}

/// Verifies `creds.response` against the secret, in constant time (for equal lengths).
///
/// The client's hex is compared case-insensitively. Returns [`AuthError::Mismatch`] on failure.
/// The nonce itself is checked separately with [`crate::NonceIssuer::check`].
pub fn verify(
    creds: &DigestCredentials<'_>,
    method: &str,
    secret: Secret<'_>,
    body: &[u8],
) -> Result<(), AuthError> {
    let expected = compute_response(creds, method, secret, body)?;
    let got = creds.response.to_ascii_lowercase();
    if bool::from(expected.as_bytes().ct_eq(got.as_bytes())) {
        Ok(())
    } else {
        Err(AuthError::Mismatch)
    }
}

fn hash_with<D: Digest>(parts: &[&[u8]]) -> String {
    let mut h = D::new();
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            h.update(b":");
        }
        h.update(p);
    }
    to_hex(&h.finalize())
}

fn to_hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(HEX[usize::from(b >> 4)] as char);
        s.push(HEX[usize::from(b & 0x0f)] as char);
    }
    s
}
