//! Properties: parsing never panics; nonces live exactly their lifetime; verify accepts what
//! compute produced and nothing else.

use proptest::prelude::*;
use smartchat_auth::{
    compute_response, parse_authorization, verify, AuthError, NonceError, NonceIssuer, Secret,
};

fn quote(s: &str) -> String {
    let mut q = String::from("\"");
    for c in s.chars() {
        if c == '"' || c == '\\' {
            q.push('\\');
        }
        q.push(c);
    }
    q.push('"');
    q
}

proptest! {
    #[test]
    fn parse_never_panics(s in "\\PC{0,300}") {
        let _ = parse_authorization(&s);
    }

    #[test]
    fn parse_never_panics_on_digest_like_input(
        s in "Digest( |,|=|\"|\\\\|[a-z]{1,8}|[ -~]){0,80}"
    ) {
        let _ = parse_authorization(&s);
    }

    #[test]
    fn quoted_values_round_trip(user in "\\PC{0,40}", realm in "\\PC{0,40}") {
        let h = format!(
            "Digest username={}, realm={}, nonce=\"n\", uri=\"sip:x\", response=\"0\"",
            quote(&user), quote(&realm)
        );
        let c = parse_authorization(&h).unwrap();
        prop_assert_eq!(c.username.as_ref(), user.as_str());
        prop_assert_eq!(c.realm.as_ref(), realm.as_str());
    }

    #[test]
    fn verify_accepts_only_the_right_password(
        user in "[a-z]{1,12}", pw in "\\PC{1,20}", other in "\\PC{1,20}",
        alg in prop::sample::select(vec!["MD5", "SHA-256", "MD5-sess", "SHA-256-sess", "SHA-512-256"]),
        qop in prop::sample::select(vec!["", ", qop=auth", ", qop=auth-int"]),
    ) {
        let t = format!(
            "Digest username=\"{user}\", realm=\"r\", nonce=\"n\", uri=\"sip:r\", algorithm={alg}, cnonce=\"c\", nc=00000001{qop}, response=\"RESPONSE\""
        );
        let c = parse_authorization(&t).unwrap();
        let r = compute_response(&c, "REGISTER", Secret::Password(&pw), b"body").unwrap();
        let h = t.replace("RESPONSE", &r);
        let c = parse_authorization(&h).unwrap();
        prop_assert_eq!(verify(&c, "REGISTER", Secret::Password(&pw), b"body"), Ok(()));
        if other != pw {
            prop_assert_eq!(
                verify(&c, "REGISTER", Secret::Password(&other), b"body"),
                Err(AuthError::Mismatch)
            );
        }
    }

    #[test]
    fn nonce_lives_exactly_its_lifetime(
        secret in any::<[u8; 32]>(),
        lifetime in 1u64..100_000,
        t in 0u64..(1 << 40),
        dt in 0u64..200_000,
        realm in "\\PC{0,30}",
    ) {
        let iss = NonceIssuer::new(secret, lifetime);
        let n = iss.issue(t, &realm);
        let got = iss.check(&n, t + dt, &realm);
        if dt <= lifetime {
            prop_assert_eq!(got, Ok(()));
        } else {
            prop_assert_eq!(got, Err(NonceError::Stale));
        }
    }

    #[test]
    fn nonce_check_never_panics(s in "\\PC{0,64}", now in any::<u64>()) {
        let iss = NonceIssuer::new([1; 32], 60);
        prop_assert_ne!(iss.check(&s, now, "r"), Ok(()));
    }
}
