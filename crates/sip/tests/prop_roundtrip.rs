//! Property tests: generated messages, URIs and name-addrs survive
//! encode -> parse unchanged; `encoded_len()` is exactly what `encode()`
//! writes; and arbitrary or mutated bytes never make the parser, an
//! accessor, or the framer panic.

use std::borrow::Cow;

use proptest::prelude::*;
use smartchat_sip::{
    frame_stream, parse_datagram, Header, HeaderName, Method, NameAddr, Param, Scheme, SipMessage,
    StartLine, StreamFramer, Uri,
};

/// RFC 3261 §25.1 token.
fn token() -> impl Strategy<Value = String> {
    "[A-Za-z0-9.!%*_+`'~-]{1,12}"
}

/// uri-parameter name/value characters (unreserved / param-unreserved), no escapes.
fn paramchars() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_.!~*'()\\[\\]/:&+$-]{1,10}"
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

fn uri_param() -> impl Strategy<Value = Param<'static>> {
    (paramchars(), proptest::option::of(paramchars())).prop_map(|(n, v)| Param {
        name: leak(n),
        value: v.map(leak),
    })
}

fn host() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?(\\.[a-z0-9]{1,6}){0,3}",
        (any::<u8>(), any::<u8>(), any::<u8>(), any::<u8>())
            .prop_map(|(a, b, c, d)| format!("{a}.{b}.{c}.{d}")),
        proptest::collection::vec(any::<u16>(), 8).prop_map(|v| {
            format!(
                "[{}]",
                v.iter()
                    .map(|x| format!("{x:x}"))
                    .collect::<Vec<_>>()
                    .join(":")
            )
        }),
    ]
}

fn uri() -> impl Strategy<Value = Uri<'static>> {
    let sip = (
        prop_oneof![Just(Scheme::Sip), Just(Scheme::Sips)],
        // Users that need escaping: space, '@', ':', '%', NUL, non-ASCII.
        proptest::option::of("[A-Za-z0-9_.!~*'()&=+$,;?/ @:%\u{0}éß-]{1,12}"),
        proptest::option::of("[A-Za-z0-9_.!~*'()&=+$,-]{0,8}"),
        host(),
        proptest::option::of(any::<u16>()),
        proptest::collection::vec(uri_param(), 0..4),
        proptest::option::of("[A-Za-z0-9]{1,6}=([A-Za-z0-9]|%[0-9A-F]{2}){0,3}"),
    )
        .prop_map(
            |(scheme, user, password, host, port, params, headers)| Uri {
                scheme,
                password: user.as_ref().and(password.map(leak)),
                user: user.map(Cow::Owned),
                host: leak(host),
                port,
                params,
                headers: headers.map(leak),
            },
        );
    let tel = (
        "\\+?[0-9][0-9.()-]{0,14}",
        proptest::collection::vec(uri_param(), 0..3),
    )
        .prop_map(|(n, params)| Uri {
            scheme: Scheme::Tel,
            user: None,
            password: None,
            host: leak(n),
            port: None,
            params,
            headers: None,
        });
    prop_oneof![4 => sip, 1 => tel]
}

fn header_param() -> impl Strategy<Value = Param<'static>> {
    let value = prop_oneof![token(), "\"[ -!#-\\[\\]-~é]{0,8}\""];
    (token(), proptest::option::of(value)).prop_map(|(n, v)| Param {
        name: leak(n),
        value: v.map(leak),
    })
}

fn name_addr() -> impl Strategy<Value = NameAddr<'static>> {
    (
        proptest::option::of("[ -~\t\u{0}\u{7}éあ]{1,12}"),
        uri(),
        proptest::collection::vec(header_param(), 0..4),
    )
        .prop_map(|(display, uri, params)| NameAddr {
            display: display.map(Cow::Owned),
            uri,
            params,
        })
}

fn method() -> impl Strategy<Value = Method<'static>> {
    prop_oneof![
        Just(Method::Invite),
        Just(Method::Message),
        Just(Method::Publish),
        Just(Method::Subscribe),
        Just(Method::Notify),
        Just(Method::Register),
        "[A-Z]{1,4}[a-z0-9%!-]{0,6}".prop_map(|m| Method::parse(leak(m)).unwrap()),
    ]
}

/// A header value as the parser leaves it: one line, trimmed, UTF-8.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[!-~é大][ -~\té大]{0,30}[!-~é大]".prop_map(|s| s),
        "[!-~]".prop_map(|s| s),
    ]
}

fn header() -> impl Strategy<Value = Header<'static>> {
    let name = prop_oneof![
        Just("Via"),
        Just("v"),
        Just("From"),
        Just("To"),
        Just("Call-ID"),
        Just("i"),
        Just("CSeq"),
        Just("Contact"),
        Just("Event"),
        Just("SIP-ETag"),
        Just("Subscription-State"),
        Just("X-Custom"),
        Just("Accept"),
        Just("s"),
        Just("Date"),
    ]
    .prop_map(str::to_owned);
    (
        prop_oneof![
            name,
            token().prop_filter("not Content-Length", |t| {
                !matches!(HeaderName::parse(t), HeaderName::ContentLength)
            })
        ],
        value(),
    )
        .prop_map(|(n, v)| Header {
            name: HeaderName::parse(leak(n)),
            value: Cow::Owned(v),
        })
}

fn message() -> impl Strategy<Value = SipMessage<'static>> {
    let start = prop_oneof![
        // No headers in a Request-URI (RFC 3261 §19.1.1).
        (method(), uri()).prop_map(|(method, uri)| StartLine::Request {
            method,
            uri: Uri {
                headers: None,
                ..uri
            }
        }),
        (100u16..700, "[ -~é]{0,20}").prop_map(|(code, r)| StartLine::Response {
            code,
            reason: Cow::Owned(r)
        }),
    ];
    (
        start,
        proptest::collection::vec(header(), 0..12),
        proptest::collection::vec(any::<u8>(), 0..200),
        any::<bool>(),
    )
        .prop_map(|(start, mut headers, body, with_cl)| {
            if with_cl || body.starts_with(b"\r") || body.starts_with(b"\n") {
                headers.push(Header {
                    name: HeaderName::ContentLength,
                    value: Cow::Owned(body.len().to_string()),
                });
            }
            SipMessage {
                start,
                headers,
                body: Box::leak(body.into_boxed_slice()),
            }
        })
}

fn exercise(m: &SipMessage<'_>) {
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
        m.max_forwards(),
        m.event(),
        m.subscription_state(),
        m.date(),
        m.retry_after(),
    );
    let _ = (
        m.sip_etag(),
        m.sip_if_match(),
        m.content_type(),
        m.header_values(&HeaderName::Contact).count(),
    );
    let mut out = Vec::new();
    m.encode(&mut out);
    assert_eq!(out.len(), m.encoded_len());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn uri_encode_parse_identity(u in uri()) {
        let mut out = Vec::new();
        u.encode(&mut out);
        prop_assert_eq!(out.len(), u.encoded_len());
        let s = String::from_utf8(out).unwrap();
        prop_assert_eq!(Uri::parse(&s).unwrap(), u);
    }

    #[test]
    fn name_addr_encode_parse_identity(n in name_addr()) {
        let mut out = Vec::new();
        n.encode(&mut out);
        prop_assert_eq!(out.len(), n.encoded_len());
        let s = String::from_utf8(out).unwrap();
        prop_assert_eq!(NameAddr::parse(&s).unwrap(), n);
    }

    #[test]
    fn message_encode_parse_identity(m in message()) {
        let mut out = Vec::new();
        m.encode(&mut out);
        prop_assert_eq!(out.len(), m.encoded_len());
        let parsed = parse_datagram(&out).unwrap();
        prop_assert_eq!(&parsed, &m);
        if m.headers.iter().any(|h| matches!(h.name, HeaderName::ContentLength)) {
            let f = frame_stream(&out, 65_535).unwrap().unwrap();
            prop_assert_eq!((f.skip, f.len), (0, out.len()));
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(buf in proptest::collection::vec(any::<u8>(), 0..1024)) {
        if let Ok(m) = parse_datagram(&buf) {
            exercise(&m);
        }
        let _ = frame_stream(&buf, 512);
    }

    #[test]
    fn mutated_messages_never_panic(
        m in message(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..8),
    ) {
        let mut buf = Vec::new();
        m.encode(&mut buf);
        for (at, byte, op) in edits {
            if buf.is_empty() { break; }
            let i = at.index(buf.len());
            match op {
                0 => buf[i] = byte,
                1 => buf.insert(i, byte),
                _ => { buf.remove(i); }
            }
        }
        if let Ok(m) = parse_datagram(&buf) {
            exercise(&m);
        }
        let mut framer = StreamFramer::new(1024);
        for chunk in buf.chunks(17) {
            let _ = framer.next_frame(chunk);
        }
    }
}
