//! Header names, URIs, Via, name-addr and the small typed headers, plus the
//! parser's structural errors, on hand-written inputs that the RFC 4475 and
//! sipp vectors do not cover.

use smartchat_sip::{
    parse_datagram, parse_datagram_with_max, CSeq, Contacts, EventHeader, HeaderName, Method,
    NameAddr, Scheme, SipError, StartLine, SubscriptionState, Uri, Via, MAX_HEADERS,
};

fn msg(headers: &str) -> Vec<u8> {
    format!("SUBSCRIBE sip:bob@example.com SIP/2.0\r\n{headers}\r\n").into_bytes()
}

#[test]
fn compact_forms_fold_to_long_names() {
    let pairs = [
        ("i", HeaderName::CallId),
        ("F", HeaderName::From),
        ("t", HeaderName::To),
        ("V", HeaderName::Via),
        ("m", HeaderName::Contact),
        ("l", HeaderName::ContentLength),
        ("c", HeaderName::ContentType),
        ("e", HeaderName::ContentEncoding),
        ("o", HeaderName::Event),
        ("k", HeaderName::Supported),
        ("s", HeaderName::Subject),
        ("u", HeaderName::AllowEvents),
        ("r", HeaderName::ReferTo),
        ("b", HeaderName::ReferredBy),
        ("x", HeaderName::SessionExpires),
        ("a", HeaderName::AcceptContact),
        ("j", HeaderName::RejectContact),
        ("d", HeaderName::RequestDisposition),
        ("y", HeaderName::Identity),
    ];
    for (short, long) in pairs {
        let parsed = HeaderName::parse(short);
        assert_eq!(parsed, long, "{short}");
        assert_eq!(
            HeaderName::parse(long.as_str()),
            long,
            "long form of {short}"
        );
        assert_eq!(HeaderName::parse(&long.as_str().to_ascii_uppercase()), long);
    }
    assert_eq!(HeaderName::SipETag.as_str(), "SIP-ETag");
    assert_eq!(HeaderName::parse("sip-if-match"), HeaderName::SipIfMatch);
    assert_eq!(
        HeaderName::Other("v"),
        HeaderName::Via,
        "an Other spelling of a known name"
    );
    assert_eq!(HeaderName::Other("X-Foo"), HeaderName::Other("x-foo"));
    assert!(matches!(
        HeaderName::parse("X-Foo"),
        HeaderName::Other("X-Foo")
    ));
}

#[test]
fn header_values_split_lists_outside_quotes_and_brackets_only() {
    let buf = msg(concat!(
        "Contact: \"Doe, John\" <sip:jd@a.example;x=1>;q=0.5, <sip:u,v@b.example>\r\n",
        "m: sip:c@c.example;expires=30\r\n",
        "Date: Sat, 15 Oct 2005 04:44:56 GMT\r\n",
        "WWW-Authenticate: Digest realm=\"a, b\", nonce=\"n\"\r\n",
        "Allow: INVITE, ACK,,BYE\r\n",
    ));
    let m = parse_datagram(&buf).unwrap();
    let c: Vec<_> = m.header_values(&HeaderName::Contact).collect();
    assert_eq!(
        c,
        [
            "\"Doe, John\" <sip:jd@a.example;x=1>;q=0.5",
            "<sip:u,v@b.example>",
            "sip:c@c.example;expires=30"
        ]
    );
    assert_eq!(
        m.header_values(&HeaderName::Date).count(),
        1,
        "Date is not a list"
    );
    assert_eq!(m.header_values(&HeaderName::WwwAuthenticate).count(), 1);
    assert_eq!(
        m.header_values(&HeaderName::Allow).collect::<Vec<_>>(),
        ["INVITE", "ACK", "BYE"]
    );
    let Contacts::List(list) = m.contacts().unwrap() else {
        panic!("wildcard")
    };
    assert_eq!(list[0].display.as_deref(), Some("Doe, John"));
    assert_eq!((list[0].q_millis(), list[0].q()), (Some(500), Some(0.5)));
    assert_eq!(list[1].uri.user.as_deref(), Some("u,v"));
    assert_eq!(list[2].expires(), Some(30));
}

#[test]
fn contact_wildcard() {
    let buf = msg("Contact: *\r\nExpires: 0\r\n");
    let m = parse_datagram(&buf).unwrap();
    assert_eq!(
        (m.contacts(), m.expires()),
        (Ok(Contacts::Wildcard), Ok(Some(0)))
    );
    let buf = msg("Contact: *, <sip:a@b>\r\n");
    assert_eq!(
        parse_datagram(&buf).unwrap().contacts(),
        Err(SipError::BadWildcard)
    );
    let buf = msg("Contact: <sip:a@b>;q=1.5\r\n");
    assert_eq!(
        parse_datagram(&buf).unwrap().contacts(),
        Err(SipError::BadParam)
    );
    assert_eq!(
        parse_datagram(&msg("")).unwrap().contacts(),
        Ok(Contacts::List(vec![]))
    );
}

#[test]
fn uris_ipv6_ports_tel_and_aor() {
    let u = Uri::parse("sip:alice@[2001:db8::1]:5070;transport=tcp;lr").unwrap();
    assert_eq!(
        (u.host, u.port, u.param("TRANSPORT"), u.param("lr")),
        ("[2001:db8::1]", Some(5070), Some(Some("tcp")), Some(None))
    );
    assert_eq!(
        u.to_string(),
        "sip:alice@[2001:db8::1]:5070;transport=tcp;lr"
    );
    let u = Uri::parse("SIP:Alice@AtLanTa.CoM:5060;transport=udp").unwrap();
    assert_eq!(
        u.aor(),
        "sip:Alice@atlanta.com",
        "scheme and host lowercased, user kept"
    );
    let u = Uri::parse("sips:bob@example.com").unwrap();
    assert_eq!(
        (u.scheme, u.aor()),
        (Scheme::Sips, "sips:bob@example.com".to_owned())
    );
    let t = Uri::parse("tel:+1-201-555-0123;phone-context=example.com").unwrap();
    assert_eq!(
        (t.scheme, t.host, t.aor()),
        (
            Scheme::Tel,
            "+1-201-555-0123",
            "tel:+12015550123".to_owned()
        )
    );
    assert_eq!(t.param("phone-context"), Some(Some("example.com")));
    let u = Uri::parse("sip:h.example.com?subject=project%20x&priority=urgent").unwrap();
    assert_eq!(
        (u.user, u.headers),
        (None, Some("subject=project%20x&priority=urgent"))
    );
    for bad in [
        "sip:",
        "sip:a@",
        "sip:host:99999",
        "sip:host:",
        "sip:[::1",
        "sip:a b@c",
        "sip:a@b;;x",
        "sip:a@b;=x",
        "tel:",
        "tel:12ab!",
        "1sip:a",
        "sip:%zz@h",
        "sip:a@h?x",
    ] {
        assert_eq!(Uri::parse(bad), Err(SipError::BadUri), "{bad}");
    }
}

#[test]
fn via_params_ipv6_and_errors() {
    let v = Via::parse(
        "SIP/2.0/TCP [2001:db8::9]:5061;branch=z9hG4bKab;received=2001:db8::8;rport=3456",
    )
    .unwrap();
    assert_eq!(
        (v.transport, v.host, v.port),
        ("TCP", "[2001:db8::9]", Some(5061))
    );
    assert_eq!(
        (v.branch(), v.received(), v.rport()),
        (Some("z9hG4bKab"), Some("2001:db8::8"), Some(Some(3456)))
    );
    let v = Via::parse("SIP/2.0/UDP host : 5060 ; rport ; maddr=239.1.1.1").unwrap();
    assert_eq!(
        (v.port, v.rport(), v.maddr()),
        (Some(5060), Some(None), Some("239.1.1.1"))
    );
    assert_eq!(v.to_string(), "SIP/2.0/UDP host:5060;rport;maddr=239.1.1.1");
    assert_eq!(Via::parse(&v.to_string()).unwrap(), v);
    for bad in [
        "SIP/2.0/UDP",
        "SIP/2.0/UDPhost",
        "SIP/3.0/UDP h",
        "HTTP/2.0/UDP h",
        "SIP/2.0/UDP h;rport=x",
        "SIP/2.0/UDP h;ttl=300",
        "SIP/2.0/UDP h:70000",
        "SIP/2.0/UDP h;branch",
        "SIP/2.0/UDP h junk",
    ] {
        assert_eq!(Via::parse(bad), Err(SipError::BadVia), "{bad}");
    }
}

#[test]
fn name_addr_forms() {
    let n = NameAddr::parse("Bob <sips:bob@biloxi.example.com>;tag=a6c85cf").unwrap();
    assert_eq!(
        (n.display.as_deref(), n.uri.scheme, n.tag()),
        (Some("Bob"), Scheme::Sips, Some("a6c85cf"))
    );
    let n = NameAddr::parse("sip:+12125551212@phone2net.com;tag=887s").unwrap();
    assert_eq!(
        (n.display.as_deref(), n.uri.user.as_deref(), n.tag()),
        (None, Some("+12125551212"), Some("887s"))
    );
    let n = NameAddr::parse(r#""A \"quoted\" \\ name" <sip:a@b>"#).unwrap();
    assert_eq!(n.display.as_deref(), Some(r#"A "quoted" \ name"#));
    assert_eq!(
        NameAddr::parse(&n.to_string()).unwrap(),
        n,
        "encode escapes what parse unescapes"
    );
    let n = NameAddr::parse("<sip:a@b>;+sip.instance=\"<urn:uuid:f81d4fae>\";reg-id=1").unwrap();
    assert_eq!(
        n.params[0].unquoted().as_deref(),
        Some("<urn:uuid:f81d4fae>")
    );
    for bad in [
        "",
        "<sip:a@b",
        "\"x <sip:a@b>",
        "Bad, Name <sip:a@b>",
        "<sip:a@b>;",
        "<sip:a@b>;t=",
        "<sip:a@b> x",
    ] {
        assert!(NameAddr::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn cseq_event_subscription_state() {
    assert_eq!(
        CSeq::parse("4711 INVITE"),
        Ok(CSeq {
            seq: 4711,
            method: Method::Invite
        })
    );
    assert_eq!(
        CSeq::parse("4294967295\t  FOO").map(|c| c.seq),
        Ok(u32::MAX)
    );
    for bad in [
        "4294967296 INVITE",
        "INVITE",
        "1",
        "1INVITE",
        "-1 INVITE",
        "1 IN VITE",
    ] {
        assert_eq!(CSeq::parse(bad), Err(SipError::BadCSeq), "{bad}");
    }
    let e = EventHeader::parse("presence.winfo ; id=abc;foo").unwrap();
    assert_eq!(
        (e.package, e.id, e.params.len()),
        ("presence.winfo", Some("abc"), 2)
    );
    assert_eq!(EventHeader::parse("a b"), Err(SipError::BadEvent));
    assert_eq!(EventHeader::parse("presence;id"), Err(SipError::BadEvent));
    let s = SubscriptionState::parse("terminated;reason=timeout;retry-after=30").unwrap();
    assert_eq!(
        (s.state, s.reason, s.retry_after, s.expires),
        ("terminated", Some("timeout"), Some(30), None)
    );
    let s = SubscriptionState::parse("active;expires=600").unwrap();
    assert_eq!((s.state, s.expires), ("active", Some(600)));
    assert_eq!(
        SubscriptionState::parse("active;expires=soon"),
        Err(SipError::BadSubscriptionState)
    );
}

#[test]
fn message_level_accessors() {
    let buf = msg(concat!(
        "o: presence;id=7\r\n",
        "Subscription-State: pending\r\n",
        "SIP-ETag: dx200xyz\r\n",
        "SIP-If-Match: dx200xyz\r\n",
        "Min-Expires: 60\r\n",
        "Retry-After: 18000;duration=3600\r\n",
        "CSeq: 3 SUBSCRIBE\r\n",
    ));
    let m = parse_datagram(&buf).unwrap();
    assert_eq!(m.event().unwrap().unwrap().id, Some("7"));
    assert_eq!(m.subscription_state().unwrap().unwrap().state, "pending");
    assert_eq!(
        (m.sip_etag(), m.sip_if_match()),
        (Some("dx200xyz"), Some("dx200xyz"))
    );
    assert_eq!(
        (m.min_expires(), m.retry_after()),
        (Ok(Some(60)), Ok(Some(18000)))
    );
    assert_eq!(m.top_via(), Err(SipError::MissingHeader("Via")));
    assert_eq!(m.expires(), Ok(None));
    assert!(m.is_request() && m.status().is_none());
    let resp = b"SIP/2.0 481 Call/Transaction Does Not Exist\r\nCSeq: 3 INVITE\r\n\r\n";
    let r = parse_datagram(resp).unwrap();
    assert_eq!(
        r.cseq().map(|c| c.method),
        Ok(Method::Invite),
        "responses do not compare methods"
    );
    assert_eq!(r.method(), None);
}

#[test]
fn structural_errors_are_typed() {
    let cases: [(&[u8], SipError); 14] = [
        (b"", SipError::Empty),
        (b"\r\n\r\n", SipError::Empty),
        (
            b"OPTIONS sip:a@b SIP/2.0\r\nTo: x\r\n",
            SipError::Incomplete,
        ),
        (
            b"OPTIONS sip:a@b SIP/2.0\r\nTo: x\nFrom: y\r\n\r\n",
            SipError::BadLineEnding,
        ),
        (
            b"OPTIONS sip:a@b SIP/2.0\r\nTo: x\ry\r\n\r\n",
            SipError::BadLineEnding,
        ),
        (
            b"OPTIONS sip:a@b SIP/2.0\r\n To: x\r\n\r\n",
            SipError::BadHeader {
                line: 1,
                reason: "continuation line without a header",
            },
        ),
        (
            b"OPTIONS sip:a@b SIP/2.0\r\nTo x\r\n\r\n",
            SipError::BadHeader {
                line: 1,
                reason: "no colon",
            },
        ),
        (
            b"OPTIONS sip:a@b SIP/2.0\r\nT o: x\r\n\r\n",
            SipError::BadHeader {
                line: 1,
                reason: "name is not a token",
            },
        ),
        (
            b"OPTIONS sip:a@b SIP/2.0\r\nTo: \xff\r\n\r\n",
            SipError::NotUtf8,
        ),
        (b"OPTIONS sip:a@b HTTP/1.1\r\n\r\n", SipError::BadStartLine),
        (b"OPT(IONS sip:a@b SIP/2.0\r\n\r\n", SipError::BadMethod),
        (b"SIP/2.0 20 OK\r\n\r\n", SipError::BadStatusCode),
        (b"SIP/2.0 700 Huh\r\n\r\n", SipError::BadStatusCode),
        (b"SIP/1.0 200 OK\r\n\r\n", SipError::BadVersion),
    ];
    for (input, want) in cases {
        assert_eq!(
            parse_datagram(input).err(),
            Some(want),
            "{:?}",
            String::from_utf8_lossy(input)
        );
    }
    let big = vec![b'x'; 70_000];
    assert_eq!(
        parse_datagram(&big).err(),
        Some(SipError::TooLarge {
            size: 70_000,
            max: 65_535
        })
    );
    let small = b"OPTIONS sip:a@b SIP/2.0\r\n\r\n";
    assert_eq!(
        parse_datagram_with_max(small, 10).err(),
        Some(SipError::TooLarge {
            size: small.len(),
            max: 10
        })
    );
    let many: String = (0..=MAX_HEADERS).map(|i| format!("X-{i}: y\r\n")).collect();
    assert_eq!(
        parse_datagram(&msg(&many)).err(),
        Some(SipError::TooManyHeaders(MAX_HEADERS))
    );
}

#[test]
fn lenient_where_the_rfc_says_so() {
    let m = parse_datagram(b"\r\n\r\nsip/2.0 180\r\n\r\n").unwrap();
    assert_eq!(
        m.start,
        StartLine::Response {
            code: 180,
            reason: "".into()
        },
        "no reason, no SP, lower-case version"
    );
    let m = parse_datagram(b"SIP/2.0 200 \xe9t\xe9\r\n\r\n").unwrap();
    let StartLine::Response { reason, .. } = &m.start else {
        panic!()
    };
    assert_eq!(
        reason.as_ref(),
        "\u{fffd}t\u{fffd}",
        "Latin-1 reason phrase decoded lossily, not rejected"
    );
    let m = parse_datagram(b"INFO sip:a@b SIP/2.0\r\nX:\r\nY:z\r\n\r\n").unwrap();
    assert_eq!(
        m.headers.iter().map(|h| &*h.value).collect::<Vec<_>>(),
        ["", "z"]
    );
}
