//! Response and request builders: what they copy, what they add, and that
//! what they write parses back to the same thing.

mod common;

use common::{load, rfc};
use smartchat_sip::{parse_datagram, response_to, HeaderName, Method, RequestBuilder};

#[test]
fn response_copies_every_via_in_order_and_keeps_existing_to_tag() {
    let buf = rfc("valid", "wsinv");
    let req = parse_datagram(&buf).unwrap();
    let mut out = Vec::new();
    let b = response_to(&req, 486, "Busy Here").to_tag("ignored");
    b.encode(&mut out);
    assert_eq!(out.len(), b.encoded_len());
    let resp = parse_datagram(&out).unwrap();
    assert_eq!(resp.status(), Some(486));
    assert_eq!(resp.vias().unwrap(), req.vias().unwrap());
    assert_eq!(
        resp.to().unwrap().tag(),
        Some("1918181833n"),
        "To already had a tag"
    );
    assert_eq!(resp.from().unwrap().tag(), req.from().unwrap().tag());
    assert_eq!(resp.cseq().unwrap(), req.cseq().unwrap());
    assert_eq!(resp.header(&HeaderName::ContentLength), Some("0"));
}

#[test]
fn response_with_extra_headers_and_body() {
    let buf = load("sipp/publish.sip");
    let req = parse_datagram(&buf).unwrap();
    let mut out = b"leftover".to_vec();
    let b = response_to(&req, 200, "OK")
        .to_tag("t1")
        .header("SIP-ETag", "etag-1")
        .header("Expires", "120")
        .body("text/plain", b"ok");
    b.encode(&mut out);
    assert_eq!(
        out.len(),
        8 + b.encoded_len(),
        "appends to the caller's buffer"
    );
    let resp = parse_datagram(&out[8..]).unwrap();
    assert_eq!(resp.sip_etag(), Some("etag-1"));
    assert_eq!(resp.expires(), Ok(Some(120)));
    assert_eq!(resp.content_type(), Some("text/plain"));
    assert_eq!(resp.body, b"ok");
    assert_eq!(resp.to().unwrap().tag(), Some("t1"));
}

#[test]
fn notify_with_pidf_body_round_trips() {
    let pidf = br#"<?xml version="1.0" encoding="UTF-8"?><presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:bob@example.com"><tuple id="a"><status><basic>open</basic></status></tuple></presence>"#;
    let b = RequestBuilder::new("NOTIFY", "sip:alice@192.0.2.4:5060")
        .header("Via", "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKnotify1")
        .header("Max-Forwards", "70")
        .header("From", "<sip:bob@example.com>;tag=ff1")
        .header("To", "<sip:alice@example.com>;tag=aa1")
        .header("Call-ID", "sub-1@192.0.2.1")
        .header("CSeq", "7 NOTIFY")
        .header("Event", "presence;id=42")
        .header("Subscription-State", "active;expires=599")
        .body("application/pidf+xml", pidf);
    let mut out = Vec::new();
    b.encode(&mut out);
    assert_eq!(out.len(), b.encoded_len());
    let m = parse_datagram(&out).unwrap();
    assert_eq!(m.method(), Some(&Method::Notify));
    assert_eq!(m.cseq().unwrap().seq, 7);
    assert_eq!(m.event().unwrap().unwrap().id, Some("42"));
    let ss = m.subscription_state().unwrap().unwrap();
    assert_eq!((ss.state, ss.expires), ("active", Some(599)));
    assert_eq!(m.body, pidf);
    assert_eq!(m.request_uri().unwrap().port, Some(5060));
}

#[test]
fn values_cannot_inject_header_lines() {
    let b = RequestBuilder::new("MESSAGE", "sip:a@b").header("Subject", "hi\r\nEvil: 1");
    let mut out = Vec::new();
    b.encode(&mut out);
    let m = parse_datagram(&out).unwrap();
    assert_eq!(m.header(&HeaderName::Other("Evil")), None);
    assert_eq!(m.header(&HeaderName::Subject), Some("hi  Evil: 1"));
    assert_eq!(m.headers.len(), 2, "Subject and Content-Length only");

    // A hostile name cannot start a line either; it just makes an invalid name.
    let b = RequestBuilder::new("MESSAGE", "sip:a@b").header("X-Name\r\nEvil2", "v");
    let mut out = Vec::new();
    b.encode(&mut out);
    assert!(!out
        .split(|c| *c == b'\n')
        .any(|line| line.starts_with(b"Evil2")));
    assert!(parse_datagram(&out).is_err());
}

#[test]
fn response_to_request_without_to_tag_or_dialog_headers() {
    let buf = rfc("semantic", "insuf");
    let req = parse_datagram(&buf).unwrap();
    let mut out = Vec::new();
    response_to(&req, 400, "Missing Call-ID")
        .to_tag("x")
        .encode(&mut out);
    let resp = parse_datagram(&out).unwrap();
    assert_eq!(resp.status(), Some(400));
    assert_eq!(resp.top_via().unwrap().branch(), Some("z9hG4bKkdj.insuf"));
    assert_eq!(resp.header(&HeaderName::To), None);
    assert_eq!(resp.cseq().unwrap().seq, 193942);
}
