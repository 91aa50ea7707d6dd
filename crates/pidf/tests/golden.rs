//! Golden documents in the shapes real clients send (tests/vectors/pidf/*.xml).

use smartchat_pidf::{
    interpret, parse_pidf, Activity, Basic, PidfDocument, PublishedState, Qvalue, Status,
};

fn vector(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../../tests/vectors/pidf/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn parse(name: &str) -> PidfDocument {
    parse_pidf(&vector(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn open(busy: bool, note: Option<&str>) -> PublishedState {
    PublishedState::Open {
        busy,
        note: note.map(str::to_string),
    }
}

#[test]
fn every_vector_parses() {
    let dir = format!("{}/../../tests/vectors/pidf", env!("CARGO_MANIFEST_DIR"));
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "xml") {
            let doc = parse_pidf(&std::fs::read(&path).unwrap())
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert!(!doc.entity.is_empty(), "{}", path.display());
            assert!(!doc.tuples.is_empty(), "{}", path.display());
            n += 1;
        }
    }
    assert!(n >= 10, "expected the golden set, found {n}");
}

#[test]
fn linphone_busy_in_person() {
    let d = parse("linphone_busy.xml");
    assert_eq!(d.entity, "sip:alice@sip.linphone.org");
    assert_eq!(d.tuples.len(), 1);
    assert_eq!(d.tuples[0].id, "qkmbsd");
    assert_eq!(d.tuples[0].basic, Some(Basic::Open));
    assert_eq!(
        d.tuples[0].contact.as_deref(),
        Some("sip:alice@sip.linphone.org")
    );
    assert_eq!(d.persons[0].id, "fqzpjz");
    assert_eq!(d.persons[0].activities, vec![Activity::Busy]);
    assert_eq!(d.persons[0].notes, vec!["In a meeting until 11"]);
    assert_eq!(interpret(&d), open(true, Some("In a meeting until 11")));
    assert_eq!(Status::from_document(&d), Status::Busy);
}

#[test]
fn linphone_flexisip_with_oma_service_description() {
    let d = parse("linphone_flexisip_oma_caps.xml");
    let t = &d.tuples[0];
    assert_eq!(t.priority, Some(Qvalue(800)));
    assert!(t.contact.as_deref().unwrap().contains(";gr=urn:uuid:"));
    assert_eq!(d.persons[0].activities, vec![Activity::Away]);
    assert_eq!(interpret(&d), open(false, None));
}

#[test]
fn jitsi_person_before_tuple() {
    let d = parse("jitsi_on_the_phone.xml");
    assert_eq!(d.persons[0].activities, vec![Activity::OnThePhone]);
    assert_eq!(d.tuples[0].notes, vec!["On the phone"]);
    // on-the-phone is not `busy` (RFC 4480 keeps them distinct).
    assert_eq!(interpret(&d), open(false, Some("On the phone")));
}

#[test]
fn blink_rich_document() {
    let d = parse("blink_busy_caps.xml");
    assert_eq!(d.entity, "sip:dave@sip2sip.info");
    assert_eq!(d.tuples.len(), 1, "dm:device is not a tuple");
    assert_eq!(
        d.persons[0].activities,
        vec![
            Activity::Busy,
            Activity::Other("Writing the quarterly report".into())
        ]
    );
    assert!(
        d.tuples[0].activities.is_empty(),
        "user-input is not an activity"
    );
    assert_eq!(interpret(&d), open(true, Some("Do not disturb")));
}

#[test]
fn bria_single_quotes() {
    let d = parse("bria_away.xml");
    assert_eq!(d.entity, "sip:erin@pbx.example.com");
    assert_eq!(d.tuples[0].contact, None);
    assert_eq!(interpret(&d), open(false, Some("Away")));
    assert_eq!(Status::from_document(&d), Status::Available);
}

#[test]
fn xlite_pre_rfc_rpid_busy() {
    let d = parse("xlite_legacy_busy.xml");
    assert_eq!(d.persons.len(), 1);
    assert_eq!(d.persons[0].activities, vec![Activity::Busy]);
    assert_eq!(d.tuples[0].activities, vec![Activity::Busy]);
    assert_eq!(d.notes, vec!["Busy"]);
    assert_eq!(interpret(&d), open(true, Some("Busy")));
}

#[test]
fn eyebeam_pidf_im_busy() {
    let d = parse("eyebeam_pidf_im.xml");
    assert_eq!(d.tuples[0].activities, vec![Activity::Busy]);
    assert_eq!(d.tuples[0].priority, Some(Qvalue(1000)));
    assert_eq!(interpret(&d), open(true, Some("Busy")));
}

#[test]
fn kamailio_pua_and_presence_bodies() {
    let d = parse("kamailio_pua_usrloc_open.xml");
    assert_eq!(d.tuples[0].id, "0x7f9c3a2b1e40");
    assert_eq!(interpret(&d), open(false, None));
    let d = parse("kamailio_presence_offline.xml");
    assert_eq!(d.tuples[0].basic, Some(Basic::Closed));
    assert_eq!(interpret(&d), PublishedState::Closed);
    assert_eq!(Status::from_document(&d), Status::Offline);
}

#[test]
fn kamailio_aggregate_of_two_devices() {
    let d = parse("kamailio_aggregated_two_devices.xml");
    assert_eq!(d.tuples.len(), 2);
    assert_eq!(d.tuples[0].priority, Some(Qvalue(500)));
    assert_eq!(d.tuples[1].priority, Some(Qvalue(1000)));
    assert_eq!(d.persons.len(), 2);
    let acts: Vec<_> = d.activities().cloned().collect();
    assert_eq!(acts, vec![Activity::Meeting, Activity::InTransit]);
    // The open tuple's note wins over the closed one's (there is none) and is used.
    assert_eq!(interpret(&d), open(false, Some("Mobile app")));
}

#[test]
fn prefixed_pidf_with_oma_basic_is_resolved_by_namespace() {
    let d = parse("prefixed_pidf_ims.xml");
    assert_eq!(d.entity, "tel:+8613800000002");
    let t = &d.tuples[0];
    // <op:willingness><op:basic>closed</op:basic> must not override <pidf:basic>open.
    assert_eq!(t.basic, Some(Basic::Open));
    assert_eq!(t.priority, Some(Qvalue(900)));
    assert_eq!(d.persons[0].activities, vec![Activity::Busy]);
    assert_eq!(interpret(&d), open(true, Some("Driving")));
}

#[test]
fn foreign_default_namespace_cdata_and_escapes() {
    let d = parse("default_ns_rebound.xml");
    assert_eq!(d.entity, "pres:jack@example.com");
    let t = &d.tuples[0];
    assert_eq!(t.basic, Some(Basic::Closed), "vendor <basic> ignored");
    assert_eq!(t.contact.as_deref(), Some("sip:jack@example.com"));
    assert_eq!(t.notes, vec!["Gone & back <soon>"]);
    assert_eq!(d.notes, vec!["escaped \u{263A} \"quoted\""]);
    assert_eq!(interpret(&d), PublishedState::Closed);
}
