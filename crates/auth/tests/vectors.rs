//! Published test vectors (RFC 2617 §3.5, RFC 7616 §3.9.1) and headers as real UAs send them.

use smartchat_auth::{
    compute_response, ha1, parse_authorization, verify, Algorithm, AuthError, Qop, Secret,
};

const RFC2617_HEADER: &str = r#"Digest username="Mufasa",
                 realm="testrealm@host.com",
                 nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093",
                 uri="/dir/index.html",
                 qop=auth,
                 nc=00000001,
                 cnonce="0a4f113b",
                 response="6629fae49393a05397450978507c4ef1",
                 opaque="5ccc069c403ebaf9f0171e9517f40e41""#;

#[test]
fn rfc2617_section_3_5_md5_qop_auth() {
    let c = parse_authorization(RFC2617_HEADER).unwrap();
    assert_eq!(c.username, "Mufasa");
    assert_eq!(c.realm, "testrealm@host.com");
    assert_eq!(c.algorithm, Algorithm::Md5);
    assert_eq!(c.qop, Some(Qop::Auth));
    assert_eq!(c.nonce_count(), Some(1));
    assert_eq!(
        c.opaque.as_deref(),
        Some("5ccc069c403ebaf9f0171e9517f40e41")
    );
    let r = compute_response(&c, "GET", Secret::Password("Circle Of Life"), b"").unwrap();
    assert_eq!(r, "6629fae49393a05397450978507c4ef1");
    verify(&c, "GET", Secret::Password("Circle Of Life"), b"").unwrap();
    // The same with the stored HA1 instead of the password.
    let stored = ha1(
        Algorithm::Md5,
        "Mufasa",
        "testrealm@host.com",
        "Circle Of Life",
    );
    verify(&c, "GET", Secret::Ha1(&stored), b"").unwrap();
    assert_eq!(
        verify(&c, "GET", Secret::Password("circle of life"), b""),
        Err(AuthError::Mismatch)
    );
    assert_eq!(
        verify(&c, "POST", Secret::Password("Circle Of Life"), b""),
        Err(AuthError::Mismatch)
    );
}

fn rfc7616(alg: &str, response: &str) -> String {
    format!(
        r#"Digest username="Mufasa", realm="http-auth@example.org", uri="/dir/index.html", algorithm={alg}, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", nc=00000001, cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", qop=auth, response="{response}", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS""#
    )
}

#[test]
fn rfc7616_section_3_9_1_sha256_and_md5() {
    for (alg, expected, want_alg) in [
        (
            "SHA-256",
            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
            Algorithm::Sha256,
        ),
        ("MD5", "8ca523f5e9506fed4657c9700eebdbec", Algorithm::Md5),
    ] {
        let header = rfc7616(alg, expected);
        let c = parse_authorization(&header).unwrap();
        assert_eq!(c.algorithm, want_alg);
        let r = compute_response(&c, "GET", Secret::Password("Circle of Life"), b"").unwrap();
        assert_eq!(r, expected, "{alg}");
        verify(&c, "GET", Secret::Password("Circle of Life"), b"").unwrap();
        let wrong = rfc7616(alg, &expected.replace('7', "8"));
        let c = parse_authorization(&wrong).unwrap();
        assert_eq!(
            verify(&c, "GET", Secret::Password("Circle of Life"), b""),
            Err(AuthError::Mismatch)
        );
    }
}

#[test]
fn uppercase_hex_response_is_accepted() {
    let header = RFC2617_HEADER.replace(
        "6629fae49393a05397450978507c4ef1",
        "6629FAE49393A05397450978507C4EF1",
    );
    let c = parse_authorization(&header).unwrap();
    verify(&c, "GET", Secret::Password("Circle Of Life"), b"").unwrap();
}

/// Builds a credentials header with the right response computed independently of `verify`'s
/// caller: compute once, splice in, parse again, verify.
fn signed(template: &str, method: &str, password: &str, body: &[u8]) -> String {
    let c = parse_authorization(template).unwrap();
    let r = compute_response(&c, method, Secret::Password(password), body).unwrap();
    template.replace("RESPONSE", &r)
}

#[test]
fn linphone_sha256_register() {
    // liblinphone/belle-sip: spaces after commas, algorithm unquoted, qop unquoted.
    let t = r#"Digest realm="sip.linphone.org", nonce="x9gLXQAAAAAUkbmQAADxrxRnFC0AAAAA", algorithm=SHA-256, opaque="+GNywA==", username="alice", uri="sip:sip.linphone.org", response="RESPONSE", cnonce="3b8ef7f4a7d2b1c9", nc=00000001, qop=auth"#;
    let h = signed(t, "REGISTER", "s3cret", b"");
    let c = parse_authorization(&h).unwrap();
    assert_eq!(c.username, "alice");
    assert_eq!(c.uri, "sip:sip.linphone.org");
    assert_eq!(c.opaque.as_deref(), Some("+GNywA=="));
    assert_eq!(c.algorithm, Algorithm::Sha256);
    assert_eq!(c.response.len(), 64);
    verify(&c, "REGISTER", Secret::Password("s3cret"), b"").unwrap();
    assert_eq!(
        verify(&c, "INVITE", Secret::Password("s3cret"), b""),
        Err(AuthError::Mismatch)
    );
}

#[test]
fn sipp_authentication_keyword() {
    // sipp's [authentication]: no spaces after commas, MD5, cnonce as 8 hex digits.
    let t = r#"Digest username="sipp",realm="127.0.0.1",cnonce="6b8b4567",nc=00000001,qop=auth,uri="sip:127.0.0.1:5060",nonce="2a7f0f5d3c6e",response="RESPONSE",algorithm=MD5"#;
    let h = signed(t, "REGISTER", "sipp", b"");
    let c = parse_authorization(&h).unwrap();
    assert_eq!(c.realm, "127.0.0.1");
    assert_eq!(c.cnonce.as_deref(), Some("6b8b4567"));
    let stored = ha1(Algorithm::Md5, "sipp", "127.0.0.1", "sipp");
    verify(&c, "REGISTER", Secret::Ha1(&stored), b"").unwrap();
}

#[test]
fn rfc2069_mode_without_qop() {
    // Old UAs (and Kamailio's tests) still answer without qop.
    let t = r#"Digest username="bob", realm="example.com", nonce="abc", uri="sip:example.com", response="RESPONSE""#;
    let h = signed(t, "PUBLISH", "pw", b"");
    let c = parse_authorization(&h).unwrap();
    assert_eq!(c.qop, None);
    assert_eq!(c.nc, None);
    verify(&c, "PUBLISH", Secret::Password("pw"), b"").unwrap();
}

#[test]
fn auth_int_covers_the_body() {
    let t = r#"Digest username="bob", realm="example.com", nonce="abc", uri="sip:bob@example.com", qop="auth-int", nc="00000002", cnonce="zz", algorithm=SHA-256, response="RESPONSE""#;
    let h = signed(t, "MESSAGE", "pw", b"hello");
    let c = parse_authorization(&h).unwrap();
    assert_eq!(c.qop, Some(Qop::AuthInt));
    assert_eq!(c.nonce_count(), Some(2));
    verify(&c, "MESSAGE", Secret::Password("pw"), b"hello").unwrap();
    assert_eq!(
        verify(&c, "MESSAGE", Secret::Password("pw"), b"hellp"),
        Err(AuthError::Mismatch)
    );
}

#[test]
fn sess_variants_with_password_and_stored_ha1() {
    for alg in [
        "MD5-sess",
        "SHA-256-sess",
        "SHA-512-256-sess",
        "SHA-512-256",
    ] {
        let t = format!(
            r#"Digest username="u", realm="r", nonce="n", uri="sip:r", qop=auth, nc=00000001, cnonce="c", algorithm={alg}, response="RESPONSE""#
        );
        let h = signed(&t, "REGISTER", "pw", b"");
        let c = parse_authorization(&h).unwrap();
        assert_eq!(c.algorithm.as_str(), alg);
        let stored = ha1(c.algorithm, "u", "r", "pw");
        verify(&c, "REGISTER", Secret::Ha1(&stored), b"").unwrap();
        // A session HA1 changes with the cnonce: the same response under another cnonce fails.
        let other = h.replace(r#"cnonce="c""#, r#"cnonce="d""#);
        let c2 = parse_authorization(&other).unwrap();
        assert_eq!(
            verify(&c2, "REGISTER", Secret::Password("pw"), b""),
            Err(AuthError::Mismatch)
        );
    }
}
