//! `WWW-Authenticate` / `Proxy-Authenticate` values (RFC 3261 §22.4, RFC 2617 §3.2.1).
//!
//! A server that accepts several algorithms sends one header per algorithm, most preferred
//! first (RFC 8760 §2.4, RFC 7616 §3.7): a UA that knows SHA-256 picks it, an old one falls back
//! to MD5. `qop="auth"` is always offered (RFC 3261 §22.4 SHOULD).

use crate::digest::Algorithm;

/// Algorithms a smartchat server offers, in the order their challenges must be sent.
pub const SERVER_ALGORITHMS: [Algorithm; 2] = [Algorithm::Sha256, Algorithm::Md5];

/// Builds a challenge value, e.g.
/// `Digest realm="example.com", nonce="…", algorithm=SHA-256, qop="auth"` (+ `, stale=true`).
///
/// `realm` and `nonce` are written as quoted-strings with `"` and `\` escaped; CR and LF (which
/// would split the header) are dropped.
pub fn challenge(realm: &str, nonce: &str, algorithm: Algorithm, stale: bool) -> String {
    let mut s = String::with_capacity(64 + realm.len() + nonce.len());
    s.push_str("Digest realm=");
    push_quoted(&mut s, realm);
    s.push_str(", nonce=");
    push_quoted(&mut s, nonce);
    s.push_str(", algorithm=");
    s.push_str(algorithm.as_str());
    s.push_str(", qop=\"auth\"");
    if stale {
        s.push_str(", stale=true");
    }
    s
}

fn push_quoted(s: &mut String, v: &str) {
    s.push('"');
    for c in v.chars() {
        match c {
            '"' | '\\' => {
                s.push('\\');
                s.push(c);
            }
            '\r' | '\n' => {}
            c => s.push(c),
        }
    }
    s.push('"');
}
