//! Header parsing: escapes, tolerance, and the shapes that must be refused.

use smartchat_auth::{parse_authorization, AuthError, MAX_HEADER_LEN, MAX_PARAMS};

const BASE: &str = r#"username="a", realm="r", nonce="n", uri="sip:r", response="00""#;

#[test]
fn quoted_pair_escapes_are_unescaped() {
    let h =
        r#"Digest username="a\"b\\c", realm="my \"realm\"", nonce="n", uri="sip:r", response="00""#;
    let c = parse_authorization(h).unwrap();
    assert_eq!(c.username, r#"a"b\c"#);
    assert_eq!(c.realm, r#"my "realm""#);
    assert!(matches!(c.nonce, std::borrow::Cow::Borrowed(_)));
    assert!(matches!(c.username, std::borrow::Cow::Owned(_)));
}

#[test]
fn non_ascii_username_and_escaped_multibyte() {
    let h = r#"Digest username="Zoë\é", realm="r", nonce="n", uri="sip:r", response="00""#;
    let c = parse_authorization(h).unwrap();
    assert_eq!(c.username, "Zoëé");
}

#[test]
fn scheme_and_names_are_case_insensitive_and_unknown_params_ignored() {
    let h = r#"digest USERNAME="a", Realm="r", nonce="n", uri="sip:r", response="00", userhash=false, x-vendor="1,2""#;
    let c = parse_authorization(h).unwrap();
    assert_eq!(c.username, "a");
    assert_eq!(c.realm, "r");
}

#[test]
fn empty_list_elements_and_odd_spacing() {
    let h =
        "Digest ,username = \"a\" ,, realm=\"r\",\tnonce=\"n\",\r\n uri=\"sip:r\",response=\"00\",";
    let c = parse_authorization(h).unwrap();
    assert_eq!(c.uri, "sip:r");
}

#[test]
fn refusals() {
    let cases: Vec<(String, AuthError)> = vec![
        (format!("Basic {BASE}"), AuthError::NotDigest),
        (
            format!("Digestusername=\"a\", {BASE}"),
            AuthError::NotDigest,
        ),
        (
            format!("Digest {BASE}, username=\"b\""),
            AuthError::Duplicate("username"),
        ),
        (
            r#"Digest realm="r", username="a"#.to_string(),
            AuthError::Unterminated,
        ),
        (
            r#"Digest username="a\"#.to_string(),
            AuthError::Unterminated,
        ),
        (
            r#"Digest realm="r", nonce="n", uri="sip:r", response="00""#.to_string(),
            AuthError::Missing("username"),
        ),
        (
            format!("Digest {BASE}, qop=auth, nc=00000001"),
            AuthError::Missing("cnonce"),
        ),
        (
            format!("Digest {BASE}, qop=auth, cnonce=\"c\""),
            AuthError::Missing("nc"),
        ),
        (
            format!("Digest {BASE}, algorithm=SHA-1"),
            AuthError::UnsupportedAlgorithm,
        ),
        (
            format!("Digest {BASE}, qop=auth-conf, nc=1, cnonce=\"c\""),
            AuthError::UnsupportedQop,
        ),
    ];
    for (h, want) in cases {
        assert_eq!(parse_authorization(&h), Err(want), "{h}");
    }
}

#[test]
fn syntax_errors_report_position() {
    for h in [
        "Digest username",
        "Digest username=",
        "Digest username=\"a\" realm=\"r\"",
        "Digest =\"a\"",
        "Digest username=\"a\";realm=\"r\"",
    ] {
        match parse_authorization(h) {
            Err(AuthError::Syntax { at }) => assert!(at <= h.len(), "{h}"),
            other => panic!("{h}: {other:?}"),
        }
    }
}

#[test]
fn bounds() {
    let long = format!("Digest {BASE}, x=\"{}\"", "a".repeat(MAX_HEADER_LEN));
    assert!(matches!(
        parse_authorization(&long),
        Err(AuthError::TooLong { .. })
    ));
    let mut many = format!("Digest {BASE}");
    for i in 0..MAX_PARAMS {
        many.push_str(&format!(", p{i}=1"));
    }
    assert_eq!(
        parse_authorization(&many),
        Err(AuthError::TooManyParams { max: MAX_PARAMS })
    );
}

#[test]
fn nonce_count_parsing() {
    let h = format!("Digest {BASE}, qop=auth, nc=0000000a, cnonce=\"c\"");
    assert_eq!(parse_authorization(&h).unwrap().nonce_count(), Some(10));
    let h = format!("Digest {BASE}, qop=auth, nc=zz, cnonce=\"c\"");
    assert_eq!(parse_authorization(&h).unwrap().nonce_count(), None);
}
