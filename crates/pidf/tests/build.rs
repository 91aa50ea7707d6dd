//! The documents smartchat publishes: shapes, escaping, and build → parse identity.

use smartchat_pidf::{
    build_pidf, interpret, parse_pidf, Activity, Basic, PresenceView, PublishedState, Status,
    SMS_NOTE,
};

const ALICE: &str = "sip:alice@example.com";

fn all_statuses() -> Vec<Status> {
    vec![
        Status::Available,
        Status::Busy,
        Status::Mobile {
            tel: "+8613800000001".into(),
        },
        Status::Offline,
    ]
}

#[test]
fn every_status_round_trips() {
    for s in all_statuses() {
        let mut out = String::new();
        build_pidf(ALICE, &s, &mut out);
        let d = parse_pidf(out.as_bytes()).unwrap_or_else(|e| panic!("{s:?}: {e}\n{out}"));
        assert_eq!(d.entity, ALICE);
        assert_eq!(Status::from_document(&d), s, "{out}");
        let want = match s {
            Status::Available => PublishedState::Open {
                busy: false,
                note: None,
            },
            Status::Busy => PublishedState::Open {
                busy: true,
                note: None,
            },
            Status::Mobile { .. } => PublishedState::Open {
                busy: false,
                note: Some(SMS_NOTE.to_string()),
            },
            Status::Offline => PublishedState::Closed,
        };
        assert_eq!(interpret(&d), want, "{out}");
    }
}

#[test]
fn shapes_match_the_spec() {
    let mut out = String::new();
    build_pidf(ALICE, &Status::Busy, &mut out);
    let d = parse_pidf(out.as_bytes()).unwrap();
    assert_eq!(d.tuples.len(), 1);
    assert_eq!(d.tuples[0].basic, Some(Basic::Open));
    assert_eq!(d.tuples[0].contact.as_deref(), Some(ALICE));
    assert_eq!(d.persons.len(), 1);
    assert_eq!(d.persons[0].activities, vec![Activity::Busy]);
    assert!(out.contains("xmlns=\"urn:ietf:params:xml:ns:pidf\""));
    assert!(out.contains("xmlns:dm=\"urn:ietf:params:xml:ns:pidf:data-model\""));
    assert!(out.contains("xmlns:rpid=\"urn:ietf:params:xml:ns:pidf:rpid\""));
    assert!(out.contains("<rpid:activities><rpid:busy/></rpid:activities>"));

    out.clear();
    build_pidf(
        ALICE,
        &Status::Mobile {
            tel: "tel:+8613800000001".into(),
        },
        &mut out,
    );
    let d = parse_pidf(out.as_bytes()).unwrap();
    assert_eq!(d.tuples.len(), 2);
    assert_eq!(d.tuples[0].basic, Some(Basic::Closed));
    assert_eq!(d.tuples[1].basic, Some(Basic::Open));
    assert_eq!(
        d.tuples[1].contact.as_deref(),
        Some("tel:+8613800000001"),
        "tel: prefix not doubled"
    );
    assert_eq!(d.tuples[1].notes, vec![SMS_NOTE]);
    assert!(d.persons.is_empty());

    out.clear();
    build_pidf(ALICE, &Status::Offline, &mut out);
    let d = parse_pidf(out.as_bytes()).unwrap();
    assert_eq!(d.tuples.len(), 1);
    assert_eq!(d.tuples[0].basic, Some(Basic::Closed));
}

#[test]
fn schema_order_tuples_notes_then_person() {
    let mut out = String::new();
    build_pidf(
        ALICE,
        PresenceView::from(&Status::Busy).with_note("n"),
        &mut out,
    );
    let tuple = out.find("<tuple").unwrap();
    let note = out.find("<note>").unwrap();
    let person = out.find("<dm:person").unwrap();
    assert!(tuple < note && note < person, "{out}");
}

#[test]
fn pres_entity_gives_sip_contact() {
    let mut out = String::new();
    build_pidf("pres:bob@example.com", &Status::Available, &mut out);
    let d = parse_pidf(out.as_bytes()).unwrap();
    assert_eq!(d.entity, "pres:bob@example.com");
    assert_eq!(d.tuples[0].contact.as_deref(), Some("sip:bob@example.com"));
}

#[test]
fn escaping_of_markup_characters() {
    let entity = r#"sip:o'brien&"co"<x>@example.com"#;
    let note = "Tom & Jerry's <\"show\">\n\tline two";
    let mut out = String::new();
    build_pidf(
        entity,
        PresenceView::from(&Status::Available).with_note(note),
        &mut out,
    );
    assert!(!out.contains("<x>"));
    assert!(out.contains("&amp;") && out.contains("&lt;") && out.contains("&quot;"));
    assert!(out.contains("&apos;"));
    let d = parse_pidf(out.as_bytes()).unwrap();
    assert_eq!(d.entity, entity);
    assert_eq!(d.notes, vec![note]);
    assert_eq!(
        interpret(&d),
        PublishedState::Open {
            busy: false,
            note: Some(note.to_string())
        }
    );
}

#[test]
fn control_characters_cannot_break_the_document() {
    let mut out = String::new();
    let view = PresenceView::from(&Status::Busy).with_note("a\u{0}b\u{1b}c\u{ffff}");
    build_pidf("sip:x@y\u{7}", view, &mut out);
    let d = parse_pidf(out.as_bytes()).unwrap();
    assert_eq!(d.notes, vec!["a\u{fffd}b\u{fffd}c\u{fffd}"]);
}

#[test]
// Passing `&view` on purpose: callers holding a view by reference must compile.
#[allow(clippy::needless_borrows_for_generic_args)]
fn blank_note_is_omitted_and_view_by_reference_works() {
    let view = PresenceView::from(&Status::Available).with_note("   ");
    let mut out = String::new();
    build_pidf(ALICE, &view, &mut out);
    assert!(!out.contains("<note"));
    let d = parse_pidf(out.as_bytes()).unwrap();
    assert!(d.notes.is_empty());
}

#[test]
fn builder_appends() {
    let mut out = String::from("prefix");
    build_pidf(ALICE, &Status::Offline, &mut out);
    assert!(out.starts_with("prefix<?xml"));
}
