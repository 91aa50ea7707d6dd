//! RFC 4475 §3.1.1: every valid torture message parses, and the fields the
//! RFC calls out come out as the RFC describes them.

mod common;

use common::{names, rfc};
use smartchat_sip::{parse_datagram, unescape, Contacts, HeaderName, Method, Scheme, StartLine};

fn other(n: &'static str) -> HeaderName<'static> {
    HeaderName::Other(n)
}

#[test]
fn every_valid_message_parses_and_reencodes_identically() {
    let all = names("valid");
    assert_eq!(all.len(), 13, "RFC 4475 §3.1.1 has 13 messages: {all:?}");
    for name in all {
        let buf = rfc("valid", &name);
        let msg = parse_datagram(&buf).unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut out = Vec::new();
        msg.encode(&mut out);
        assert_eq!(out.len(), msg.encoded_len(), "{name}");
        let again = parse_datagram(&out).unwrap_or_else(|e| panic!("{name} re-parse: {e}"));
        assert_eq!(again, msg, "{name}: encode -> parse changed the structure");
    }
}

#[test]
fn wsinv_short_tortuous_invite() {
    let buf = rfc("valid", "wsinv");
    let m = parse_datagram(&buf).unwrap();
    assert_eq!(m.method(), Some(&Method::Invite));
    let ruri = m.request_uri().unwrap();
    assert_eq!(
        (ruri.user.as_deref(), ruri.host),
        (Some("vivekg"), "chair-dnrc.example.com")
    );
    assert_eq!(
        ruri.param("unknownparam"),
        Some(None),
        "uri parameter without a value"
    );
    let to = m.to().unwrap();
    assert_eq!(to.uri.host, "chair-dnrc.example.com");
    assert_eq!(
        to.tag(),
        Some("1918181833n"),
        "LWS around ';' and '=' in a folded To"
    );
    let from = m.from().unwrap();
    assert_eq!(
        from.display.as_deref(),
        Some(r#"J Rosenberg \""#),
        "escaped characters within quotes"
    );
    assert_eq!(from.tag(), Some("98asjd8"));
    assert_eq!(m.max_forwards().unwrap(), Some(68), "leading zeros");
    assert_eq!(m.call_id().unwrap(), "wsinv.ndaksdj@192.0.2.1");
    let cseq = m.cseq().unwrap();
    assert_eq!(
        (cseq.seq, cseq.method),
        (9, Method::Invite),
        "folded CSeq with leading zeros"
    );
    let vias = m.vias().unwrap();
    let got: Vec<_> = vias
        .iter()
        .map(|v| (v.transport, v.host, v.branch()))
        .collect();
    assert_eq!(
        got,
        [
            ("UDP", "192.0.2.2", Some("390skdjuw")),
            ("TCP", "spindle.example.com", Some("z9hG4bK9ikj8")),
            ("UDP", "192.168.255.111", Some("z9hG4bK30239")),
        ],
        "Via and v:, folded, comma-separated, LWS around '/'"
    );
    assert_eq!(
        m.header(&HeaderName::Subject),
        Some(""),
        "empty subject via compact 's'"
    );
    assert_eq!(
        m.header(&other("newfangledheader")),
        Some("newfangled value continued newfangled value")
    );
    assert_eq!(
        m.header(&other("UnknownHeaderWithUnusualValue")),
        Some(";;,,;;,;")
    );
    assert_eq!(m.content_type(), Some("application/sdp"));
    assert_eq!(m.body.len(), 150);
    let route: Vec<_> = m.header_values(&HeaderName::Route).collect();
    assert_eq!(
        route,
        ["<sip:services.example.com;lr;unknownwith=value;unknown-no-value>"]
    );
    let Contacts::List(c) = m.contacts().unwrap() else {
        panic!("wildcard")
    };
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].display.as_deref(), Some(r#"Quoted string """#));
    assert_eq!(c[0].param("newparam"), Some(Some("newvalue")));
    assert_eq!(
        c[0].param("secondparam"),
        Some(None),
        "header parameter without a value"
    );
    assert_eq!(c[0].q_millis(), Some(330));
}

#[test]
fn intmeth_wide_range_of_valid_characters() {
    let buf = rfc("valid", "intmeth");
    let m = parse_datagram(&buf).unwrap();
    let method = "!interesting-Method0123456789_*+`.%indeed'~";
    assert_eq!(m.method(), Some(&Method::Extension(method)));
    let ruri = m.request_uri().unwrap();
    assert_eq!(
        ruri.user.as_deref(),
        Some("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*")
    );
    assert_eq!(
        ruri.password,
        Some("&it+has=1,weird!*pas$wo~d_too.(doesn't-it)")
    );
    assert_eq!(ruri.host, "example.com");
    assert_eq!(m.top_via().unwrap().branch(), Some("z9hG4bK-.!%66*_+`'~"));
    let to = m.to().unwrap();
    assert_eq!(
        to.display.as_deref(),
        Some("BEL:\x07 NUL:\0 DEL:\x7f"),
        "quoted-pair incl. NUL"
    );
    assert_eq!(
        to.uri.user.as_deref(),
        Some("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*")
    );
    let from = m.from().unwrap();
    assert_eq!(
        from.display.as_deref(),
        Some("token1~` token2'+_ token3*%!.-"),
        "multi-token display name"
    );
    let p = from
        .params
        .iter()
        .find(|p| p.name == "fromParam''~+*_!.-%")
        .unwrap();
    assert_eq!(
        p.unquoted().as_deref(),
        Some("работающий"),
        "UTF-8 quoted parameter value"
    );
    assert_eq!(from.tag(), Some("_token~1'+`*%!-."));
    assert_eq!(
        m.call_id().unwrap(),
        r#"intmeth.word%ZK-!.*_+'@word`~)(><:\/"][?}{"#
    );
    let cseq = m.cseq().unwrap();
    assert_eq!(
        (cseq.seq, cseq.method),
        (139122385, Method::Extension(method))
    );
    assert_eq!(m.max_forwards().unwrap(), Some(255));
    assert_eq!(
        m.header(&other("extensionheader-!.%*+_`'~")),
        Some("\u{feff}大停電")
    );
}

#[test]
fn esc01_valid_percent_escapes() {
    let buf = rfc("valid", "esc01");
    let m = parse_datagram(&buf).unwrap();
    let ruri = m.request_uri().unwrap();
    assert_eq!(
        (ruri.user.as_deref(), ruri.host),
        (Some("sips:user@example.com"), "example.net")
    );
    let to = m.to().unwrap();
    assert_eq!(to.uri.user.as_deref(), Some("user"));
    assert_eq!(
        to.uri.aor(),
        "sip:user@example.com",
        "%75se%72 is equivalent to user"
    );
    assert_eq!(m.from().unwrap().uri.user.as_deref(), Some("I have spaces"));
    assert_eq!(
        m.call_id().unwrap(),
        "esc01.239409asdfakjkn23onasd0-3234",
        "compact i:"
    );
    assert_eq!(m.content_type(), Some("application/sdp"), "compact C:");
    let Contacts::List(c) = m.contacts().unwrap() else {
        panic!("wildcard")
    };
    let uri = &c[0].uri;
    assert_eq!(uri.user.as_deref(), Some("caller"));
    assert_eq!(uri.param("lr"), Some(None), "%6C%72 names the lr parameter");
    let name = uri.param("name").flatten().unwrap();
    assert_eq!(
        unescape(name).unwrap(),
        "value%41",
        "unescaping is not recursive"
    );
}

#[test]
fn escnull_escaped_nulls_are_kept() {
    let buf = rfc("valid", "escnull");
    let m = parse_datagram(&buf).unwrap();
    let to = m.to().unwrap();
    assert_eq!(to.uri.user.as_deref(), Some("null-\0-null"));
    assert_eq!(
        to.uri.aor(),
        "sip:null-%00-null@example.com",
        "AOR not shortened at the NUL"
    );
    let Contacts::List(c) = m.contacts().unwrap() else {
        panic!("wildcard")
    };
    let users: Vec<_> = c.iter().map(|c| c.uri.user.as_deref()).collect();
    assert_eq!(users, [Some("\0"), Some("\0\0")]);
    assert_ne!(c[0].uri.aor(), c[1].uri.aor(), "two distinct bindings");
    assert!(m.body.is_empty(), "L:0");
}

#[test]
fn esc02_percent_that_is_not_an_escape() {
    let buf = rfc("valid", "esc02");
    let m = parse_datagram(&buf).unwrap();
    assert_eq!(
        m.method(),
        Some(&Method::Extension("RE%47IST%45R")),
        "not REGISTER"
    );
    assert_eq!(m.cseq().unwrap().method, Method::Extension("RE%47IST%45R"));
    assert_eq!(m.to().unwrap().display.as_deref(), Some("%Z%45"));
    assert_eq!(m.top_via().unwrap().branch(), Some("z9hG4bK209%fzsnel234"));
    assert_eq!(m.contacts().unwrap().len(), 2, "C%6Fntact is not Contact");
    assert_eq!(
        m.header(&other("C%6Fntact")),
        Some("<sip:alias2@host2.example.com>")
    );
}

#[test]
fn lwsdisp_no_space_before_angle() {
    let buf = rfc("valid", "lwsdisp");
    let m = parse_datagram(&buf).unwrap();
    let from = m.from().unwrap();
    assert_eq!(from.display.as_deref(), Some("caller"));
    assert_eq!(
        (from.uri.user.as_deref(), from.tag()),
        (Some("caller"), Some("323"))
    );
}

#[test]
fn longreq_long_values() {
    let buf = rfc("valid", "longreq");
    let m = parse_datagram(&buf).unwrap();
    let to = m.to().unwrap();
    let display = format!("I have a user name of {} proportion", "extreme".repeat(10));
    assert_eq!(to.display.as_deref(), Some(display.as_str()));
    assert_eq!(to.uri.port, Some(6000));
    let v = format!("very{}value", "long".repeat(20));
    assert_eq!(to.uri.param("unknownparam1"), Some(Some(v.as_str())));
    let n = format!("very{}ParameterNameWithNoValue", "long".repeat(25));
    assert_eq!(to.uri.param(&n), Some(None));
    let from = m.from().unwrap();
    let tag = from.tag().unwrap();
    assert!(
        tag.len() > 150 && tag.starts_with("129829") && tag.ends_with("2424"),
        "{tag}"
    );
    assert_eq!(from.params.len(), 3);
    assert!(m.call_id().unwrap().starts_with("longreq.onereallyreally"));
    let vias = m.vias().unwrap();
    assert_eq!(
        vias.len(),
        34,
        "33 short Vias in mixed case and compact form, plus one long"
    );
    for (i, via) in vias.iter().take(33).enumerate() {
        assert_eq!(via.host, format!("sip{}.example.com", 33 - i));
    }
    let last = &vias[33];
    assert_eq!(last.received(), Some("192.0.2.5"));
    assert_eq!(
        last.branch().map(str::len),
        Some("verybranchvalue".len() + 4 * 50)
    );
    let unknown = format!("Unknown-{}-Name", "Long".repeat(20));
    assert!(m
        .header(&HeaderName::Other(&unknown))
        .unwrap()
        .starts_with("unknown-long"));
    assert_eq!(m.contacts().unwrap().len(), 1);
    assert_eq!(m.body.len(), 150);
}

#[test]
fn dblreq_extra_octets_in_datagram_ignored() {
    let buf = rfc("valid", "dblreq");
    let m = parse_datagram(&buf).unwrap();
    assert_eq!(m.method(), Some(&Method::Register));
    assert!(m.body.is_empty(), "Content-Length: 0 ends the message");
    assert_eq!(
        m.call_id().unwrap(),
        "dblreq.0ha0isndaksdj99sdfafnl3lk233412"
    );
    assert!(m.encoded_len() < buf.len());
}

#[test]
fn semiuri_semicolon_in_user_part() {
    let buf = rfc("valid", "semiuri");
    let m = parse_datagram(&buf).unwrap();
    let ruri = m.request_uri().unwrap();
    assert_eq!(
        (ruri.user.as_deref(), ruri.host),
        (Some("user;par=u@example.net"), "example.com")
    );
    assert!(ruri.params.is_empty());
    let accept: Vec<_> = m.header_values(&HeaderName::Accept).collect();
    assert_eq!(
        accept,
        [
            "application/sdp",
            "application/pkcs7-mime",
            "multipart/mixed",
            "multipart/signed",
            "message/sip",
            "message/sipfrag"
        ]
    );
}

#[test]
fn transports_varied_and_unknown() {
    let buf = rfc("valid", "transports");
    let m = parse_datagram(&buf).unwrap();
    let t: Vec<_> = m.vias().unwrap().iter().map(|v| v.transport).collect();
    assert_eq!(t, ["UDP", "SCTP", "TLS", "UNKNOWN", "TCP"]);
    assert_eq!(m.call_id().unwrap(), "transports.kijh4akdnaqjkwendsasfdj");
}

#[test]
fn mpart01_binary_multipart_body() {
    let buf = rfc("valid", "mpart01");
    let m = parse_datagram(&buf).unwrap();
    assert_eq!(m.method(), Some(&Method::Message));
    assert_eq!(m.body.len(), 553);
    assert!(m.body.contains(&0), "NUL octets in the body");
    assert!(m.body.ends_with(b"--7a9cbec02ceef655--\r\n"));
    assert_eq!(
        m.content_type(),
        Some("multipart/mixed;boundary=7a9cbec02ceef655")
    );
    let via = m.top_via().unwrap();
    assert_eq!(
        (via.host, via.port, via.rport()),
        ("127.0.0.1", Some(5070), Some(None))
    );
    assert!(m
        .header(&HeaderName::Identity)
        .unwrap()
        .starts_with("r5mwreLuyDRYBi"));
    let d = m.date().unwrap().unwrap();
    assert_eq!(
        (d.year, d.month, d.day, d.hour, d.minute, d.second),
        (2005, 10, 15, 4, 44, 56)
    );
}

#[test]
fn unreason_and_noreason_reason_phrases() {
    let buf = rfc("valid", "unreason");
    let m = parse_datagram(&buf).unwrap();
    let StartLine::Response { code, reason } = &m.start else {
        panic!("not a response")
    };
    assert_eq!(
        (*code, reason.as_ref()),
        (200, "= 2**3 * 5**2 но сто девяносто девять - простое")
    );
    assert_eq!(m.body.len(), 154);

    let buf = rfc("valid", "noreason");
    let m = parse_datagram(&buf).unwrap();
    let StartLine::Response { code, reason } = &m.start else {
        panic!("not a response")
    };
    assert_eq!((*code, reason.as_ref()), (100, ""));
    assert_eq!(m.cseq().unwrap().method, Method::Invite);
}

#[test]
fn uri_schemes_of_valid_messages_are_sip() {
    for name in names("valid") {
        let buf = rfc("valid", &name);
        let m = parse_datagram(&buf).unwrap();
        if let Some(u) = m.request_uri() {
            assert_eq!(u.scheme, Scheme::Sip, "{name}");
        }
    }
}
