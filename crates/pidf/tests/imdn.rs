//! IMDN (RFC 5438) and message/cpim (RFC 3862): vectors and round trips.

use smartchat_pidf::{
    build_cpim, build_imdn, format_rfc3339, parse_cpim, parse_imdn, CpimError, CpimOut,
    DeliveryReport, DeliveryStatus, DisplayStatus, DispositionRequest, ImdnError, Notification,
    Timestamp,
};

fn vector(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../../tests/vectors/pidf/imdn/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn rfc5438_delivered_and_displayed() {
    let d = parse_imdn(&vector("rfc5438_delivered.xml")).unwrap();
    assert_eq!(d.message_id, "34jk324j");
    assert_eq!(d.datetime, "2008-04-04T12:16:49-05:00");
    assert_eq!(d.recipient_uri.as_deref(), Some("im:bob@example.com"));
    assert_eq!(
        d.original_recipient_uri.as_deref(),
        Some("im:bob@example.com")
    );
    assert_eq!(
        d.notification,
        Notification::Delivery(DeliveryStatus::Delivered)
    );
    let d = parse_imdn(&vector("rfc5438_displayed.xml")).unwrap();
    assert_eq!(
        d.notification,
        Notification::Display(DisplayStatus::Displayed)
    );
}

#[test]
fn linphone_error_with_vendor_reason_and_rcs_failed_prefixed() {
    let d = parse_imdn(&vector("linphone_error_reason.xml")).unwrap();
    assert_eq!(
        d.notification,
        Notification::Delivery(DeliveryStatus::Error)
    );
    assert_eq!(d.recipient_uri, None);
    let d = parse_imdn(&vector("rcs_failed_prefixed.xml")).unwrap();
    assert_eq!(d.message_id, "Msg7u8kL0p");
    assert_eq!(d.recipient_uri.as_deref(), Some("tel:+8613800000001"));
    assert_eq!(
        d.notification,
        Notification::Delivery(DeliveryStatus::Failed)
    );
}

#[test]
fn build_parse_round_trip_every_delivery_status() {
    for status in [
        DeliveryStatus::Delivered,
        DeliveryStatus::Failed,
        DeliveryStatus::Forbidden,
        DeliveryStatus::Error,
    ] {
        for datetime in [
            Timestamp::Unix(1_207_329_409),
            Timestamp::Rfc3339("2008-04-04T12:16:49-05:00"),
        ] {
            let report = DeliveryReport {
                message_id: "id<&>'\"",
                datetime,
                recipient_uri: Some("sip:bob@example.com"),
                original_recipient_uri: None,
                status,
            };
            let mut out = String::new();
            build_imdn(&report, &mut out);
            let d = parse_imdn(out.as_bytes()).unwrap_or_else(|e| panic!("{e}\n{out}"));
            assert_eq!(d.message_id, report.message_id);
            assert_eq!(d.datetime, datetime.to_rfc3339());
            assert_eq!(d.recipient_uri.as_deref(), report.recipient_uri);
            assert_eq!(d.original_recipient_uri, None);
            assert_eq!(d.notification, Notification::Delivery(status));
        }
    }
}

#[test]
fn imdn_refusals() {
    let ns = "xmlns=\"urn:ietf:params:xml:ns:imdn\"";
    type Check = fn(&ImdnError) -> bool;
    let cases: [(String, Check); 5] = [
        (
            "<imdn><message-id>x</message-id></imdn>".into(),
            |e| matches!(e, ImdnError::NotImdn),
        ),
        (
            format!("<imdn {ns}><datetime>t</datetime><delivery-notification><status><delivered/></status></delivery-notification></imdn>"),
            |e| matches!(e, ImdnError::Missing("message-id")),
        ),
        (
            format!("<imdn {ns}><message-id>x</message-id><delivery-notification><status><delivered/></status></delivery-notification></imdn>"),
            |e| matches!(e, ImdnError::Missing("datetime")),
        ),
        (
            format!("<imdn {ns}><message-id>x</message-id><datetime>t</datetime><delivery-notification><status><displayed/></status></delivery-notification></imdn>"),
            |e| matches!(e, ImdnError::NoStatus),
        ),
        (
            format!("<imdn {ns}><message-id>x</message-id><datetime>t</datetime></imdn>"),
            |e| matches!(e, ImdnError::Missing(_)),
        ),
    ];
    for (doc, check) in cases {
        let e = parse_imdn(doc.as_bytes()).unwrap_err();
        assert!(check(&e), "{doc}: {e:?}");
    }
    let deep = format!("<imdn {ns}>{}", "<x>".repeat(100));
    assert!(parse_imdn(deep.as_bytes()).is_err());
    assert!(parse_imdn(&vec![b' '; 20_000]).is_err());
}

#[test]
fn cpim_rfc5438_message() {
    let raw = vector("rfc5438_message.cpim");
    let m = parse_cpim(&raw).unwrap();
    assert_eq!(m.from(), Some("Alice <im:alice@example.com>"));
    assert_eq!(m.from_uri(), Some("im:alice@example.com"));
    assert_eq!(m.to_uri(), Some("im:bob@example.com"));
    assert_eq!(m.message_id(), Some("34jk324j"));
    assert_eq!(m.datetime(), Some("2006-04-04T12:16:49-05:00"));
    let d = m.disposition_notification();
    assert!(d.positive_delivery && d.negative_delivery && !d.display);
    assert_eq!(m.content_type(), Some("text/plain"));
    assert_eq!(m.content_header("content-length"), Some("12"));
    assert_eq!(m.body, b"Hello World\n");
    assert!(!m.is_imdn());
}

#[test]
fn cpim_carrying_an_imdn() {
    let raw = vector("rfc5438_notification.cpim");
    let m = parse_cpim(&raw).unwrap();
    assert!(m.is_imdn());
    assert_eq!(
        m.content_header("Content-Disposition"),
        Some("notification")
    );
    assert!(m.disposition_notification().is_empty());
    let d = parse_imdn(m.body).unwrap();
    assert_eq!(d.message_id, "34jk324j");
}

#[test]
fn cpim_lf_only_and_custom_prefix() {
    let raw = vector("linphone_lf_only.cpim");
    let m = parse_cpim(&raw).unwrap();
    assert_eq!(m.message_id(), Some("Rk3pQ2vZ"));
    assert!(m.disposition_notification().display);
    assert_eq!(m.content_type(), Some("text/plain;charset=UTF-8"));
    assert_eq!(std::str::from_utf8(m.body).unwrap(), "Salut Dave, ça va ?");

    let raw = vector("custom_ns_prefix.cpim");
    let m = parse_cpim(&raw).unwrap();
    assert_eq!(
        m.message_id(),
        Some("q9Zx"),
        "resolved through NS, not `ext.`"
    );
    let d = m.disposition_notification();
    assert!(d.negative_delivery && !d.positive_delivery);
    assert_eq!(m.from_uri(), Some("tel:+8613800000001"));
}

#[test]
fn cpim_round_trip_with_imdn_inside() {
    let report = DeliveryReport {
        message_id: "abc123",
        datetime: Timestamp::Unix(1_700_000_000),
        recipient_uri: Some("sip:bob@example.com"),
        original_recipient_uri: Some("sip:bob@example.com"),
        status: DeliveryStatus::Failed,
    };
    let mut xml = String::new();
    build_imdn(&report, &mut xml);
    let out_msg = CpimOut {
        from: "sip:bob@example.com",
        to: "Alice <sip:alice@example.com>",
        datetime: Some(Timestamp::Unix(1_700_000_001)),
        message_id: Some("n-1\r\nInjected: yes"),
        disposition: DispositionRequest::default(),
        content_type: "message/imdn+xml",
        content_disposition: Some("notification"),
        body: xml.as_bytes(),
    };
    let mut out = Vec::new();
    build_cpim(&out_msg, &mut out);
    let m = parse_cpim(&out).unwrap();
    assert_eq!(m.from_uri(), Some("sip:bob@example.com"));
    assert_eq!(m.to(), Some("Alice <sip:alice@example.com>"));
    assert_eq!(m.message_id(), Some("n-1Injected: yes"));
    assert!(
        m.header("Injected").is_none(),
        "CR/LF cannot inject a header"
    );
    assert_eq!(m.datetime(), Some("2023-11-14T22:13:21Z"));
    assert!(m.is_imdn());
    assert_eq!(
        m.content_header("Content-Length"),
        Some(xml.len().to_string().as_str())
    );
    let d = parse_imdn(m.body).unwrap();
    assert_eq!(
        d.notification,
        Notification::Delivery(DeliveryStatus::Failed)
    );
    assert_eq!(d.datetime, "2023-11-14T22:13:20Z");
}

#[test]
fn cpim_round_trip_text_with_disposition_request() {
    let disposition = DispositionRequest {
        positive_delivery: true,
        negative_delivery: true,
        display: false,
        processing: true,
    };
    let msg = CpimOut {
        from: "sip:alice@example.com",
        to: "sip:bob@example.com",
        datetime: Some(Timestamp::Rfc3339("2024-01-01T00:00:00+08:00")),
        message_id: Some("m1"),
        disposition,
        content_type: "text/plain;charset=UTF-8",
        content_disposition: None,
        body: "你好\r\n\r\nsecond paragraph".as_bytes(),
    };
    let mut out = Vec::new();
    build_cpim(&msg, &mut out);
    let m = parse_cpim(&out).unwrap();
    assert_eq!(m.disposition_notification(), disposition);
    assert_eq!(m.message_id(), Some("m1"));
    assert_eq!(m.body, msg.body);
    assert_eq!(m.content_header("Content-Disposition"), None);
}

#[test]
fn cpim_refusals() {
    assert_eq!(
        parse_cpim(b"From: <sip:a@b>\r\nTo: <sip:c@d>\r\n"),
        Err(CpimError::NoHeaderEnd)
    );
    assert_eq!(
        parse_cpim(b"From <sip:a@b>\r\n\r\n\r\n"),
        Err(CpimError::BadHeader { line: 1 })
    );
    assert_eq!(
        parse_cpim(b"From: a\r\n\r\nContent-Type: x\r\n\xff\xfe: y\r\n\r\n"),
        Err(CpimError::BadHeader { line: 4 })
    );
    let many = "X: y\r\n".repeat(40) + "\r\n\r\n";
    assert!(matches!(
        parse_cpim(many.as_bytes()),
        Err(CpimError::TooManyHeaders { .. })
    ));
    assert!(matches!(
        parse_cpim(&vec![b'a'; 70_000]),
        Err(CpimError::TooLarge { .. })
    ));
}

/// Reference calendar: walk years and months one by one (slow, obviously right).
fn naive_rfc3339(secs: u64) -> String {
    let mut days = secs / 86_400;
    let leap = |y: u64| (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400);
    let mut y = 1970;
    while days >= if leap(y) { 366 } else { 365 } {
        days -= if leap(y) { 366 } else { 365 };
        y += 1;
    }
    let lens = [
        31,
        if leap(y) { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    let mut m = 0;
    while days >= lens[m] {
        days -= lens[m];
        m += 1;
    }
    let r = secs % 86_400;
    format!(
        "{y:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        m + 1,
        days + 1,
        r / 3600,
        r % 3600 / 60,
        r % 60
    )
}

#[test]
fn rfc3339_formatting_matches_a_naive_calendar() {
    let mut secs = 0u64;
    while secs < 4_200_000_000 {
        let mut s = String::new();
        format_rfc3339(secs, &mut s);
        assert_eq!(s, naive_rfc3339(secs));
        secs += 86_400 * 13 + 3_607;
    }
    let mut s = String::new();
    format_rfc3339(u64::MAX, &mut s);
    assert!(s.ends_with('Z'));
}
