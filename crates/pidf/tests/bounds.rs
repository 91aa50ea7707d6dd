//! Hostile and broken input: every case is a typed error, never a panic.

use smartchat_pidf::{parse_pidf, parse_pidf_with, Limits, PidfError, XmlError};

const HEAD: &str = r#"<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:a@b">"#;

fn doc(inner: &str) -> String {
    format!("{HEAD}{inner}</presence>")
}

#[test]
fn size_bound() {
    let limits = Limits::default();
    let big = doc(&format!("<note>{}</note>", "x".repeat(limits.max_bytes)));
    assert!(matches!(
        parse_pidf(big.as_bytes()),
        Err(PidfError::Xml(XmlError::TooLarge { .. }))
    ));
}

#[test]
fn depth_bound() {
    let max = Limits::default().max_depth;
    let deep = doc(&format!("{}{}", "<x>".repeat(max), "</x>".repeat(max)));
    assert!(matches!(
        parse_pidf(deep.as_bytes()),
        Err(PidfError::Xml(XmlError::TooDeep { .. }))
    ));
    // One less than the bound (presence is depth 1) is fine.
    let ok = doc(&format!(
        "{}{}",
        "<x>".repeat(max - 1),
        "</x>".repeat(max - 1)
    ));
    parse_pidf(ok.as_bytes()).unwrap();
}

#[test]
fn count_bounds() {
    let l = Limits::default();
    let tuples = doc(
        &"<tuple id=\"t\"><status><basic>open</basic></status></tuple>".repeat(l.max_tuples + 1),
    );
    assert!(matches!(
        parse_pidf(tuples.as_bytes()),
        Err(PidfError::TooMany { what: "tuple", .. })
    ));
    let notes = doc(&"<note>n</note>".repeat(l.max_notes + 1));
    assert!(matches!(
        parse_pidf(notes.as_bytes()),
        Err(PidfError::TooMany { what: "note", .. })
    ));
    let persons = doc(
        &"<dm:person xmlns:dm=\"urn:ietf:params:xml:ns:pidf:data-model\" id=\"p\"/>"
            .repeat(l.max_persons + 1),
    );
    assert!(matches!(
        parse_pidf(persons.as_bytes()),
        Err(PidfError::TooMany { what: "person", .. })
    ));
    let acts = doc(&format!(
        "<dm:person xmlns:dm=\"urn:ietf:params:xml:ns:pidf:data-model\" xmlns:r=\"urn:ietf:params:xml:ns:pidf:rpid\" id=\"p\"><r:activities>{}</r:activities></dm:person>",
        "<r:busy/>".repeat(l.max_activities + 1)
    ));
    assert!(matches!(
        parse_pidf(acts.as_bytes()),
        Err(PidfError::TooMany {
            what: "activity",
            ..
        })
    ));
}

#[test]
fn text_bound_and_custom_limits() {
    let limits = Limits {
        max_text: 8,
        ..Limits::default()
    };
    let d = doc("<note>123456789</note>");
    assert!(matches!(
        parse_pidf_with(d.as_bytes(), &limits),
        Err(PidfError::Xml(XmlError::TextTooLong { max: 8 }))
    ));
    let d = doc("<tuple id=\"123456789\"/>");
    assert!(matches!(
        parse_pidf_with(d.as_bytes(), &limits),
        Err(PidfError::Xml(XmlError::TextTooLong { max: 8 }))
    ));
    // Text in skipped elements is not collected, so it does not count.
    let d = doc("<x>123456789</x>");
    parse_pidf_with(d.as_bytes(), &limits).unwrap();
}

#[test]
fn doctype_and_entities_refused() {
    let bomb = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><presence xmlns="urn:ietf:params:xml:ns:pidf" entity="&lol2;"/>"#;
    assert!(matches!(
        parse_pidf(bomb.as_bytes()),
        Err(PidfError::Xml(XmlError::DocType))
    ));
    let unknown_entity = doc("<note>&lol;</note>");
    assert!(matches!(
        parse_pidf(unknown_entity.as_bytes()),
        Err(PidfError::Xml(XmlError::Syntax(_)))
    ));
}

#[test]
fn wrong_root_and_missing_entity() {
    for d in [
        r#"<presence entity="sip:a@b"/>"#,
        r#"<presence xmlns="urn:ietf:params:xml:ns:pidf:rpid" entity="sip:a@b"/>"#,
        r#"<imdn xmlns="urn:ietf:params:xml:ns:imdn"/>"#,
        r#"<x:presence entity="sip:a@b"/>"#,
    ] {
        assert!(
            matches!(parse_pidf(d.as_bytes()), Err(PidfError::NotPidf)),
            "{d}"
        );
    }
    let d = r#"<presence xmlns="urn:ietf:params:xml:ns:pidf"/>"#;
    assert!(matches!(
        parse_pidf(d.as_bytes()),
        Err(PidfError::MissingEntity)
    ));
}

#[test]
fn malformed_and_truncated() {
    let full = doc("<tuple id=\"t\"><status><basic>open</basic></status></tuple>");
    for cut in [0, 10, HEAD.len(), full.len() - 1] {
        assert!(parse_pidf(&full.as_bytes()[..cut]).is_err(), "cut at {cut}");
    }
    for bad in [
        doc("<tuple></status>"),
        format!("{HEAD}<tuple id=\"t\">"),
        "<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"a\" entity=\"b\"/>".into(),
    ] {
        assert!(parse_pidf(bad.as_bytes()).is_err(), "{bad}");
    }
    assert!(parse_pidf(b"\xff\xfe<\x00p").is_err());
    assert!(parse_pidf(b"").is_err());
}

#[test]
fn unknown_basic_and_priority_are_tolerated() {
    let d = doc(
        r#"<tuple id="t"><status><basic>maybe</basic></status><contact priority="7">sip:a@b</contact></tuple>"#,
    );
    let p = parse_pidf(d.as_bytes()).unwrap();
    assert_eq!(p.tuples[0].basic, None);
    assert_eq!(p.tuples[0].priority, None);
    assert_eq!(p.tuples[0].contact.as_deref(), Some("sip:a@b"));
}
