//! Properties: what we build we read back as the same status; nothing panics on any input.

use proptest::prelude::*;
use smartchat_pidf::{
    build_cpim, build_pidf, interpret, parse_cpim, parse_imdn, parse_pidf, CpimOut,
    DispositionRequest, PresenceView, PublishedState, Status, Timestamp,
};

fn status() -> impl Strategy<Value = Status> {
    prop_oneof![
        Just(Status::Available),
        Just(Status::Busy),
        "\\+[1-9][0-9]{6,14}".prop_map(|tel| Status::Mobile { tel }),
        Just(Status::Offline),
    ]
}

/// Printable text including XML's special characters; surrounding whitespace is trimmed by
/// the builder, so the generated note is what the builder would keep.
fn note() -> impl Strategy<Value = String> {
    "[\\PC<>&\"' ]{1,60}".prop_map(|s| s.trim().to_string())
}

fn entity() -> impl Strategy<Value = String> {
    "(sip|sips|pres):[\\PC<>&\"']{1,40}@[a-z.]{1,20}"
}

proptest! {
    #[test]
    fn build_parse_interpret_gives_back_the_status(
        s in status(), n in prop::option::of(note()), e in entity()
    ) {
        let mut view = PresenceView::from(&s);
        if let Some(n) = &n {
            view = view.with_note(n);
        }
        let mut out = String::new();
        build_pidf(&e, view, &mut out);
        let d = parse_pidf(out.as_bytes()).map_err(|err| TestCaseError::fail(format!("{err}\n{out}")))?;
        prop_assert_eq!(&d.entity, &e);
        prop_assert_eq!(Status::from_document(&d), s.clone());
        let note = n.filter(|n| !n.is_empty());
        let got = interpret(&d);
        match s {
            Status::Offline => prop_assert_eq!(got, PublishedState::Closed),
            Status::Available | Status::Busy => prop_assert_eq!(
                got,
                PublishedState::Open { busy: s == Status::Busy, note }
            ),
            Status::Mobile { .. } => prop_assert_eq!(
                got,
                PublishedState::Open {
                    busy: false,
                    note: Some(note.unwrap_or_else(|| smartchat_pidf::SMS_NOTE.to_string())),
                }
            ),
        }
    }

    #[test]
    fn parse_pidf_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        if let Ok(d) = parse_pidf(&bytes) {
            let _ = interpret(&d);
            let _ = Status::from_document(&d);
        }
    }

    #[test]
    fn parse_pidf_never_panics_on_xmlish_input(
        parts in prop::collection::vec(prop::sample::select(vec![
            "<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"a\">", "</presence>",
            "<tuple id=\"t\">", "</tuple>", "<status>", "</status>", "<basic>", "</basic>",
            "open", "closed", "<note>", "</note>", "<contact priority=\"0.5\">", "</contact>",
            "<dm:person xmlns:dm=\"urn:ietf:params:xml:ns:pidf:data-model\">", "</dm:person>",
            "<r:activities xmlns:r=\"urn:ietf:params:xml:ns:pidf:rpid\">", "</r:activities>",
            "<r:busy/>", "<r:other>", "</r:other>", "&amp;", "&bogus;", "<![CDATA[x]]>", "<x>",
            "</x>", "<!-- c -->", "<?pi?>",
        ]), 0..40)
    ) {
        let doc: String = parts.concat();
        if let Ok(d) = parse_pidf(doc.as_bytes()) {
            let _ = interpret(&d);
        }
    }

    #[test]
    fn parse_imdn_and_cpim_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_imdn(&bytes);
        if let Ok(m) = parse_cpim(&bytes) {
            let _ = (m.message_id(), m.disposition_notification(), m.from_uri(), m.is_imdn());
            let _ = parse_imdn(m.body);
        }
    }

    #[test]
    fn cpim_round_trip(
        from in "sip:[a-z]{1,10}@[a-z]{1,10}", to in "sip:[a-z]{1,10}@[a-z]{1,10}",
        id in "[A-Za-z0-9]{1,20}", secs in 0u64..4_000_000_000,
        body in prop::collection::vec(any::<u8>(), 0..200),
        pos in any::<bool>(), neg in any::<bool>(), disp in any::<bool>(),
    ) {
        let disposition = DispositionRequest {
            positive_delivery: pos, negative_delivery: neg, display: disp, processing: false,
        };
        let msg = CpimOut {
            from: &from, to: &to, datetime: Some(Timestamp::Unix(secs)), message_id: Some(&id),
            disposition, content_type: "application/octet-stream", content_disposition: None,
            body: &body,
        };
        let mut out = Vec::new();
        build_cpim(&msg, &mut out);
        let m = parse_cpim(&out).unwrap();
        prop_assert_eq!(m.from_uri(), Some(from.as_str()));
        prop_assert_eq!(m.to_uri(), Some(to.as_str()));
        prop_assert_eq!(m.message_id(), Some(id.as_str()));
        prop_assert_eq!(m.disposition_notification(), disposition);
        prop_assert_eq!(m.body, &body[..]);
    }
}
