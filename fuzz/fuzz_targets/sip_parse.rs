#![no_main]
//! Fuzzes the datagram parser and every accessor on what it accepts, then
//! checks that the canonical encoding is exactly `encoded_len()` bytes and
//! parses back to the same structure.

use libfuzzer_sys::fuzz_target;
use smartchat_sip::{parse_datagram, response_to, HeaderName, NameAddr, Uri, Via};

fuzz_target!(|data: &[u8]| {
    let Ok(m) = parse_datagram(data) else { return };
    let _ = (m.is_request(), m.method(), m.status(), m.request_uri());
    let _ = (
        m.vias(),
        m.top_via(),
        m.from(),
        m.to(),
        m.call_id(),
        m.cseq(),
        m.contacts(),
    );
    let _ = (
        m.expires(),
        m.min_expires(),
        m.retry_after(),
        m.max_forwards(),
    );
    let _ = (m.event(), m.subscription_state(), m.date());
    let _ = (m.sip_etag(), m.sip_if_match(), m.content_type());
    for name in [
        HeaderName::Via,
        HeaderName::Contact,
        HeaderName::Accept,
        HeaderName::Route,
        HeaderName::Other("x"),
    ] {
        let _ = m.header_values(&name).count();
    }
    for h in &m.headers {
        // Every value through every sub-parser: none may panic.
        let _ = (
            Via::parse(&h.value),
            NameAddr::parse(&h.value),
            Uri::parse(&h.value),
        );
    }
    if let Ok(to) = m.to() {
        let _ = (to.tag(), to.uri.aor(), to.to_string());
    }
    if let Some(u) = m.request_uri() {
        let _ = (u.aor(), u.to_string(), u.param("transport"));
    }

    let mut out = Vec::new();
    m.encode(&mut out);
    assert_eq!(out.len(), m.encoded_len());
    let again = parse_datagram(&out).expect("canonical encoding must parse");
    assert_eq!(again, m, "encode -> parse must be the identity");

    if m.is_request() {
        let b = response_to(&m, 400, "Bad Request")
            .to_tag("fz")
            .header("Warning", "399 fuzz");
        let mut resp = Vec::new();
        b.encode(&mut resp);
        assert_eq!(resp.len(), b.encoded_len());
    }
});
