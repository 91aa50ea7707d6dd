//! RFC 4475 §3.2–§3.4: well-formed messages that test transaction- and
//! application-layer behaviour. A parser must accept all of them; the
//! assertions show the data the layer above needs is there, and where the
//! RFC expects an error (missing or duplicated fields, multiple
//! Content-Lengths) which typed error the codec gives.
//!
//! Not included: §3.3.16 sipinsip (message/sip body; nothing codec-specific
//! beyond mpart01's opaque body) — the bit-exact source used for these
//! vectors does not carry it.

mod common;

use common::{names, rfc};
use smartchat_sip::{
    frame_stream, parse_datagram, HeaderName, Method, Scheme, SipError, SipMessage,
};

fn parsed(name: &str, f: impl FnOnce(&SipMessage<'_>)) {
    let buf = rfc("semantic", name);
    let m = parse_datagram(&buf).unwrap_or_else(|e| panic!("{name} should parse: {e}"));
    f(&m);
}

#[test]
fn all_semantic_vectors_parse_except_multiple_content_length() {
    for name in names("semantic") {
        let buf = rfc("semantic", &name);
        let r = parse_datagram(&buf);
        if name == "mcl01" {
            assert_eq!(r.err(), Some(SipError::BadContentLength));
        } else {
            assert!(r.is_ok(), "{name}: {r:?}");
        }
    }
}

/// §3.2.1: a bare magic cookie as branch — transaction layer decides.
#[test]
fn badbranch() {
    parsed("badbranch", |m| {
        let via = m.top_via().unwrap();
        assert_eq!(via.branch(), Some("z9hG4bK"));
        assert!(via.is_rfc3261_branch());
    });
}

/// §3.3.1: no Call-ID, From or To.
#[test]
fn insuf_missing_required_headers() {
    parsed("insuf", |m| {
        assert_eq!(m.call_id(), Err(SipError::MissingHeader("Call-ID")));
        assert_eq!(m.from(), Err(SipError::MissingHeader("From")));
        assert_eq!(m.to(), Err(SipError::MissingHeader("To")));
        assert!(m.top_via().is_ok() && m.cseq().is_ok());
    });
}

/// §3.3.2 / §3.3.3: unknown and atypical Request-URI schemes parse as
/// opaque URIs so the element can answer 416.
#[test]
fn unkscm_and_novelsc_request_uri_schemes() {
    parsed("unkscm", |m| {
        let u = m.request_uri().unwrap();
        assert_eq!(
            (u.scheme, u.host),
            (
                Scheme::Other("nobodyKnowsThisScheme"),
                "totallyopaquecontent"
            )
        );
    });
    parsed("novelsc", |m| {
        let u = m.request_uri().unwrap();
        assert_eq!(
            (u.scheme, u.host),
            (Scheme::Other("soap.beep"), "//192.0.2.103:3002")
        );
    });
}

/// §3.3.4: non-SIP schemes in To, From and Contact.
#[test]
fn unksm2_unknown_schemes_in_headers() {
    parsed("unksm2", |m| {
        assert_eq!(m.to().unwrap().uri.scheme, Scheme::Other("isbn"));
        let from = m.from().unwrap();
        assert_eq!(
            (from.uri.scheme, from.tag()),
            (Scheme::Other("http"), Some("3234233"))
        );
        let smartchat_sip::Contacts::List(c) = m.contacts().unwrap() else {
            panic!()
        };
        assert_eq!(c[0].uri.scheme, Scheme::Other("name"));
    });
}

/// §3.3.5: Require / Proxy-Require lists.
#[test]
fn bext01_require_lists() {
    parsed("bext01", |m| {
        let r: Vec<_> = m.header_values(&HeaderName::Require).collect();
        assert_eq!(r, ["nothingSupportsThis", "nothingSupportsThisEither"]);
        let p: Vec<_> = m.header_values(&HeaderName::ProxyRequire).collect();
        assert_eq!(p, ["noProxiesSupportThis", "norDoAnyProxiesSupportThis"]);
    });
}

/// §3.3.6: unknown Content-Type is opaque to the codec.
#[test]
fn invut_unknown_content_type() {
    parsed("invut", |m| {
        assert_eq!(m.content_type(), Some("application/unknownformat"));
        assert_eq!(m.body.len(), 40);
    });
}

/// §3.3.7: unknown Authorization scheme is passed through.
#[test]
fn regaut01_unknown_auth_scheme() {
    parsed("regaut01", |m| {
        assert_eq!(
            m.header(&HeaderName::Authorization),
            Some("NoOneKnowsThisScheme opaque-data=here")
        );
    });
}

/// §3.3.8: several Call-ID, To, From, Max-Forwards and CSeq values.
#[test]
fn multi01_duplicate_single_value_headers() {
    parsed("multi01", |m| {
        assert_eq!(m.call_id(), Err(SipError::DuplicateHeader("Call-ID")));
        assert_eq!(m.cseq(), Err(SipError::DuplicateHeader("CSeq")));
        assert_eq!(m.to(), Err(SipError::DuplicateHeader("To")));
        assert_eq!(m.from(), Err(SipError::DuplicateHeader("From")));
        assert_eq!(
            m.max_forwards(),
            Err(SipError::DuplicateHeader("Max-Forwards"))
        );
    });
}

/// §3.3.9: conflicting Content-Length values: a framing error for both the
/// datagram parser and the stream framer.
#[test]
fn mcl01_multiple_content_length() {
    let buf = rfc("semantic", "mcl01");
    assert_eq!(parse_datagram(&buf).err(), Some(SipError::BadContentLength));
    assert_eq!(frame_stream(&buf, 65_535), Err(SipError::BadContentLength));
}

/// §3.3.10: a broadcast sent-by in the second Via (the proxy must not use it).
#[test]
fn bcast_broadcast_via() {
    parsed("bcast", |m| {
        let v = m.vias().unwrap();
        assert_eq!(
            v.iter().map(|v| v.host).collect::<Vec<_>>(),
            ["192.0.2.198", "255.255.255.255"]
        );
    });
}

/// §3.3.11: Max-Forwards of zero.
#[test]
fn zeromf_max_forwards_zero() {
    parsed("zeromf", |m| assert_eq!(m.max_forwards(), Ok(Some(0))));
}

/// §3.3.12 / §3.3.13: contact-param vs url-param.
#[test]
fn cparam01_and_cparam02_parameter_placement() {
    parsed("cparam01", |m| {
        let smartchat_sip::Contacts::List(c) = m.contacts().unwrap() else {
            panic!()
        };
        assert_eq!(c[0].param("unknownparam"), Some(None), "header parameter");
        assert!(c[0].uri.params.is_empty());
        assert_eq!(c[0].uri.user.as_deref(), Some("+19725552222"));
    });
    parsed("cparam02", |m| {
        let smartchat_sip::Contacts::List(c) = m.contacts().unwrap() else {
            panic!()
        };
        assert_eq!(c[0].uri.param("unknownparam"), Some(None), "url parameter");
        assert!(c[0].params.is_empty());
    });
}

/// §3.3.14: escaped header in a bracketed Contact URI is kept.
#[test]
fn regescrt_escaped_uri_header() {
    parsed("regescrt", |m| {
        let smartchat_sip::Contacts::List(c) = m.contacts().unwrap() else {
            panic!()
        };
        assert_eq!(c[0].uri.headers, Some("Route=%3Csip:sip.example.com%3E"));
    });
}

/// §3.3.15: Accept without application/sdp.
#[test]
fn sdp01_accept() {
    parsed("sdp01", |m| {
        assert_eq!(
            m.header_values(&HeaderName::Accept).collect::<Vec<_>>(),
            ["text/nobodyKnowsThis"]
        );
    });
}

/// §3.4.1: RFC 2543 syntax: no branch, no From tag, no Content-Length (body
/// is the rest of the datagram, but a stream has no way to frame it).
#[test]
fn inv2543_rfc2543_syntax() {
    let buf = rfc("semantic", "inv2543");
    let m = parse_datagram(&buf).unwrap();
    assert_eq!(m.method(), Some(&Method::Invite));
    assert_eq!(m.top_via().unwrap().branch(), None);
    assert_eq!(m.from().unwrap().tag(), None);
    assert_eq!(m.from().unwrap().uri.param("user"), Some(Some("phone")));
    assert!(m.body.starts_with(b"v=0\r\n") && m.body.ends_with(b"RTP/AVP 0\r\n"));
    assert_eq!(m.max_forwards(), Ok(None));
    assert_eq!(
        frame_stream(&buf, 65_535),
        Err(SipError::MissingContentLength)
    );
}
