//! Golden vectors captured from a real peer: sipp 3.6.1 running the
//! scenarios in /work/shared/peers/sip against a UDP listener on 127.0.0.1
//! (tests/vectors/sip/sipp/capture_listener.py; users.csv row 1). The
//! assertions are what the scenario XML says sipp sends, so they check both
//! the parser and that the capture is the real thing.

mod common;

use common::load;
use smartchat_sip::{
    frame_stream, parse_datagram, response_to, Contacts, HeaderName, Method, Scheme,
};

#[test]
fn sipp_message_uac() {
    let buf = load("sipp/message.sip");
    let m = parse_datagram(&buf).unwrap();
    assert_eq!(m.method(), Some(&Method::Message));
    let ruri = m.request_uri().unwrap();
    assert_eq!(ruri.aor(), "sip:user00002@example.com");
    let via = m.top_via().unwrap();
    assert_eq!(
        (via.transport, via.host, via.port),
        ("UDP", "127.0.0.1", Some(5098))
    );
    assert!(via.is_rfc3261_branch());
    let from = m.from().unwrap();
    assert_eq!(from.uri.aor(), "sip:user00001@example.com");
    assert!(from.tag().unwrap().contains("SIPpTag"));
    let to = m.to().unwrap();
    assert_eq!(
        (to.uri.aor(), to.tag()),
        ("sip:user00002@example.com".to_owned(), None)
    );
    assert!(m.call_id().unwrap().ends_with("@127.0.0.1"));
    let cseq = m.cseq().unwrap();
    assert_eq!((cseq.seq, cseq.method), (1, Method::Message));
    assert_eq!(m.max_forwards(), Ok(Some(70)));
    assert_eq!(m.content_type(), Some("text/plain"));
    assert_eq!(m.body, b"Hello user00002, this is user00001, msg #1\r\n");
    // sipp pads Content-Length with spaces; it is still exact.
    assert_eq!(frame_stream(&buf, 65_535).unwrap().unwrap().len, buf.len());
}

#[test]
fn sipp_publish_once() {
    let buf = load("sipp/publish.sip");
    let m = parse_datagram(&buf).unwrap();
    assert_eq!(m.method(), Some(&Method::Publish));
    assert_eq!(m.request_uri().unwrap().aor(), m.to().unwrap().uri.aor());
    let ev = m.event().unwrap().unwrap();
    assert_eq!((ev.package, ev.id), ("presence", None));
    assert_eq!(m.expires(), Ok(Some(120)));
    assert_eq!(m.sip_if_match(), None);
    assert_eq!(m.content_type(), Some("application/pidf+xml"));
    let body = std::str::from_utf8(m.body).unwrap();
    assert!(body.starts_with("<?xml") && body.contains("<basic>open</basic>"));
    assert_eq!(m.cseq().unwrap().method, Method::Publish);
}

#[test]
fn sipp_subscribe_uac() {
    let buf = load("sipp/subscribe.sip");
    let m = parse_datagram(&buf).unwrap();
    assert_eq!(m.method(), Some(&Method::Subscribe));
    assert_eq!(m.event().unwrap().unwrap().package, "presence");
    assert_eq!(m.expires(), Ok(Some(600)));
    assert_eq!(
        m.header_values(&HeaderName::Accept).collect::<Vec<_>>(),
        ["application/pidf+xml"]
    );
    let Contacts::List(c) = m.contacts().unwrap() else {
        panic!("wildcard")
    };
    assert_eq!(c.len(), 1);
    let uri = &c[0].uri;
    assert_eq!(
        (uri.scheme, uri.host, uri.port),
        (Scheme::Sip, "127.0.0.1", Some(5098))
    );
    assert_eq!(uri.param("transport"), Some(Some("UDP")));
    assert!(m.body.is_empty());
}

#[test]
fn sipp_register() {
    let buf = load("sipp/register.sip");
    let m = parse_datagram(&buf).unwrap();
    assert_eq!(m.method(), Some(&Method::Register));
    assert_eq!(m.request_uri().unwrap().aor(), "sip:example.com");
    let Contacts::List(c) = m.contacts().unwrap() else {
        panic!("wildcard")
    };
    assert_eq!((c[0].uri.host, c[0].uri.port), ("127.0.0.1", Some(5095)));
    assert_eq!(m.expires(), Ok(Some(300)));
}

/// The 202 the server would send back to sipp's MESSAGE parses back with the
/// dialog identifiers of the request (RFC 3261 §8.2.6.2).
#[test]
fn response_to_sipp_message_echoes_identifiers() {
    let buf = load("sipp/message.sip");
    let req = parse_datagram(&buf).unwrap();
    let mut out = Vec::new();
    response_to(&req, 202, "Accepted")
        .to_tag("srv1")
        .encode(&mut out);
    let resp = parse_datagram(&out).unwrap();
    assert_eq!(resp.status(), Some(202));
    assert_eq!(resp.top_via().unwrap(), req.top_via().unwrap());
    assert_eq!(resp.from().unwrap(), req.from().unwrap());
    assert_eq!(resp.to().unwrap().tag(), Some("srv1"));
    assert_eq!(resp.to().unwrap().uri, req.to().unwrap().uri);
    assert_eq!(resp.call_id().unwrap(), req.call_id().unwrap());
    assert_eq!(resp.cseq().unwrap(), req.cseq().unwrap());
    assert!(resp.body.is_empty());
}
