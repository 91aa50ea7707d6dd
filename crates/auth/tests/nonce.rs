//! Stateless nonces and challenges.

use smartchat_auth::{
    challenge, parse_authorization, Algorithm, NonceError, NonceIssuer, MAX_FUTURE_SKEW_SECS,
    SERVER_ALGORITHMS,
};

const SECRET: [u8; 32] = [7; 32];
const T0: u64 = 1_700_000_000;

#[test]
fn fresh_nonce_is_accepted_until_its_lifetime_then_stale() {
    let iss = NonceIssuer::new(SECRET, 300);
    let n = iss.issue(T0, "example.com");
    assert_eq!(iss.check(&n, T0, "example.com"), Ok(()));
    assert_eq!(iss.check(&n, T0 + 300, "example.com"), Ok(()));
    assert_eq!(
        iss.check(&n, T0 + 301, "example.com"),
        Err(NonceError::Stale)
    );
}

#[test]
fn nonce_is_bound_to_secret_and_realm() {
    let iss = NonceIssuer::new(SECRET, 300);
    let n = iss.issue(T0, "example.com");
    assert_eq!(iss.check(&n, T0, "example.org"), Err(NonceError::Invalid));
    let other = NonceIssuer::new([8; 32], 300);
    assert_eq!(other.check(&n, T0, "example.com"), Err(NonceError::Invalid));
}

#[test]
fn tampered_nonces_are_invalid_not_stale() {
    let iss = NonceIssuer::new(SECRET, 300);
    let n = iss.issue(T0, "r");
    // Flip each character in turn (including the timestamp part): never accepted.
    for i in 0..n.len() {
        let mut b = n.clone().into_bytes();
        b[i] = if b[i] == b'A' { b'B' } else { b'A' };
        let t = String::from_utf8(b).unwrap();
        assert_eq!(iss.check(&t, T0, "r"), Err(NonceError::Invalid), "pos {i}");
        // Even long after: a forged nonce never earns stale=true.
        assert_eq!(iss.check(&t, T0 + 10_000, "r"), Err(NonceError::Invalid));
    }
    for bad in [
        "",
        "x",
        &n[..n.len() - 1],
        &format!("{n}A"),
        "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!",
    ] {
        assert_eq!(iss.check(bad, T0, "r"), Err(NonceError::Invalid), "{bad}");
    }
}

#[test]
fn nonces_from_the_future_beyond_skew_are_invalid() {
    let iss = NonceIssuer::new(SECRET, 300);
    let n = iss.issue(T0 + MAX_FUTURE_SKEW_SECS, "r");
    assert_eq!(iss.check(&n, T0, "r"), Ok(()));
    let n = iss.issue(T0 + MAX_FUTURE_SKEW_SECS + 1, "r");
    assert_eq!(iss.check(&n, T0, "r"), Err(NonceError::Invalid));
}

#[test]
fn nonce_needs_no_escaping_and_changes_with_time() {
    let iss = NonceIssuer::new(SECRET, 300);
    let a = iss.issue(T0, "r");
    let b = iss.issue(T0 + 1, "r");
    assert_ne!(a, b);
    assert!(a
        .bytes()
        .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
    assert!(
        !format!("{iss:?}").contains('7'),
        "Debug must not print the secret"
    );
}

#[test]
fn challenge_round_trips_through_the_credentials_parser_shape() {
    let iss = NonceIssuer::new(SECRET, 300);
    let nonce = iss.issue(T0, "ex\"ample");
    let ch = challenge("ex\"ample", &nonce, Algorithm::Sha256, true);
    assert!(ch.starts_with("Digest realm=\"ex\\\"ample\", nonce=\""));
    assert!(ch.contains("algorithm=SHA-256"));
    assert!(ch.contains("qop=\"auth\""));
    assert!(ch.ends_with(", stale=true"));
    let ch = challenge("r", &nonce, Algorithm::Md5, false);
    assert!(!ch.contains("stale"));
    assert!(!challenge("a\r\nVia: x", "n", Algorithm::Md5, false).contains('\n'));
    // The challenge's params parse with the same grammar as credentials (plus the required
    // response-side fields): realm and nonce survive quoting.
    let as_creds = format!(
        "{}, username=\"u\", uri=\"sip:r\", response=\"0\", cnonce=\"c\", nc=00000001",
        challenge("ex\"ample", &nonce, Algorithm::Sha256, false)
    );
    let c = parse_authorization(&as_creds).unwrap();
    assert_eq!(c.realm, "ex\"ample");
    assert_eq!(iss.check(&c.nonce, T0, &c.realm), Ok(()));
}

#[test]
fn server_offers_sha256_before_md5() {
    assert_eq!(SERVER_ALGORITHMS[0], Algorithm::Sha256);
    assert!(SERVER_ALGORITHMS.contains(&Algorithm::Md5));
}

#[test]
fn issued_at_reads_the_stamp_back() {
    let iss = NonceIssuer::new(SECRET, 300);
    let n = iss.issue(T0, "example.com");
    assert_eq!(iss.issued_at(&n), Some(T0));
    assert_eq!(iss.issued_at("short"), None);
}
