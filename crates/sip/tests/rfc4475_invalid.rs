//! RFC 4475 §3.1.2: every invalid torture message is rejected with a typed
//! error, never a panic. Each test names the layer that rejects it:
//!
//! * **parse** — `parse_datagram` fails (framing, start line, Request-URI);
//! * **accessor** — the message is well-framed and parses, and the typed
//!   accessor the server relies on for that field fails. These are the
//!   messages RFC 4475 describes as well-framed but semantically invalid
//!   (overlarge scalars, mismatched CSeq method, malformed name-addr...).

mod common;

use common::{names, rfc};
use smartchat_sip::{frame_stream, parse_datagram, SipError, SipMessage, DEFAULT_MAX_MESSAGE_SIZE};

const COVERED: [&str; 19] = [
    "badaspec",
    "baddate",
    "baddn",
    "badinv01",
    "badvers",
    "bigcode",
    "clerr",
    "escruri",
    "ltgtruri",
    "lwsruri",
    "lwsstart",
    "mismatch01",
    "mismatch02",
    "ncl",
    "quotbal",
    "regbadct",
    "scalar02",
    "scalarlg",
    "trws",
];

#[test]
fn every_invalid_vector_has_a_test_below() {
    assert_eq!(names("invalid"), COVERED);
}

fn parse_err(name: &str) -> SipError {
    let buf = rfc("invalid", name);
    match parse_datagram(&buf) {
        Ok(m) => panic!("{name} parsed: {:?}", m.start),
        Err(e) => e,
    }
}

fn with_parsed(name: &str, f: impl FnOnce(&SipMessage<'_>)) {
    let buf = rfc("invalid", name);
    let m = parse_datagram(&buf).unwrap_or_else(|e| panic!("{name} should parse: {e}"));
    f(&m);
}

/// §3.1.2.1 — accessor: the extra `;;,;,,` in Via and `;;;;` in Contact.
#[test]
fn badinv01_extraneous_separators() {
    with_parsed("badinv01", |m| {
        assert!(m.vias().is_err());
        assert!(m.top_via().is_err());
        assert_eq!(m.contacts(), Err(SipError::BadParam));
    });
}

/// §3.1.2.2 — parse (UDP): Content-Length 9999 with a 154-byte body. Over a
/// stream the framer waits for more bytes instead.
#[test]
fn clerr_content_length_larger_than_message() {
    assert_eq!(
        parse_err("clerr"),
        SipError::TruncatedBody {
            declared: 9999,
            available: 154
        }
    );
    assert_eq!(
        frame_stream(&rfc("invalid", "clerr"), DEFAULT_MAX_MESSAGE_SIZE),
        Ok(None)
    );
}

/// §3.1.2.3 — parse and framing: negative Content-Length.
#[test]
fn ncl_negative_content_length() {
    assert_eq!(parse_err("ncl"), SipError::BadContentLength);
    assert_eq!(
        frame_stream(&rfc("invalid", "ncl"), DEFAULT_MAX_MESSAGE_SIZE),
        Err(SipError::BadContentLength)
    );
}

/// §3.1.2.4 — accessor: CSeq > 2^32-1, Max-Forwards > 255, Expires and
/// Contact expires > 2^32-1.
#[test]
fn scalar02_overlarge_request_scalars() {
    with_parsed("scalar02", |m| {
        assert_eq!(m.cseq(), Err(SipError::BadCSeq));
        assert_eq!(m.max_forwards(), Err(SipError::BadMaxForwards));
        assert_eq!(m.expires(), Err(SipError::BadNumber("Expires")));
        assert_eq!(m.contacts(), Err(SipError::BadNumber("Contact expires")));
    });
}

/// §3.1.2.5 — accessor: response CSeq > 2^32-1 and absurd Retry-After.
/// (Warning is passed through unparsed; the CSeq alone drops the response.)
#[test]
fn scalarlg_overlarge_response_scalars() {
    with_parsed("scalarlg", |m| {
        assert_eq!(m.status(), Some(503));
        assert_eq!(m.cseq(), Err(SipError::BadCSeq));
        assert_eq!(m.retry_after(), Err(SipError::BadNumber("Retry-After")));
    });
}

/// §3.1.2.6 — accessor: unterminated quoted display name in To.
#[test]
fn quotbal_unterminated_quote() {
    with_parsed("quotbal", |m| {
        assert_eq!(m.to(), Err(SipError::BadNameAddr("To")))
    });
}

/// §3.1.2.7 — parse: Request-URI enclosed in <>.
#[test]
fn ltgtruri_bracketed_request_uri() {
    assert_eq!(parse_err("ltgtruri"), SipError::BadUri);
}

/// §3.1.2.8 — parse: LWS inside the Request-URI.
#[test]
fn lwsruri_embedded_lws() {
    assert_eq!(parse_err("lwsruri"), SipError::BadStartLine);
}

/// §3.1.2.9 — parse: several SP between request-line elements.
#[test]
fn lwsstart_multiple_sp() {
    assert_eq!(parse_err("lwsstart"), SipError::BadStartLine);
}

/// §3.1.2.10 — parse: SP after the SIP-Version.
#[test]
fn trws_trailing_sp_in_request_line() {
    assert_eq!(parse_err("trws"), SipError::BadStartLine);
}

/// §3.1.2.11 — parse: escaped headers in the Request-URI (RFC 3261 §19.1.1
/// does not allow headers there).
#[test]
fn escruri_headers_in_request_uri() {
    assert_eq!(parse_err("escruri"), SipError::BadUri);
}

/// §3.1.2.12 — accessor: Date in EST instead of GMT.
#[test]
fn baddate_non_gmt_date() {
    with_parsed("baddate", |m| assert_eq!(m.date(), Err(SipError::BadDate)));
}

/// §3.1.2.13 — accessor: addr-spec Contact with `?` headers must use <>.
#[test]
fn regbadct_unbracketed_uri_with_headers() {
    with_parsed("regbadct", |m| {
        assert_eq!(m.contacts(), Err(SipError::BadNameAddr("Contact")))
    });
}

/// §3.1.2.14 — accessor: spaces inside <> in To.
#[test]
fn badaspec_spaces_in_addr_spec() {
    with_parsed("badaspec", |m| {
        assert_eq!(m.to(), Err(SipError::BadUri));
        assert!(m.from().is_ok(), "From is fine: the comma is inside quotes");
    });
}

/// §3.1.2.15 — parse: the archive's message has no empty line after the
/// headers; the unquoted display names with commas would also fail the
/// From/To accessors.
#[test]
fn baddn_non_token_display_name() {
    assert_eq!(parse_err("baddn"), SipError::Incomplete);
    let mut fixed = rfc("invalid", "baddn");
    fixed.extend_from_slice(b"\r\n");
    let m = parse_datagram(&fixed).unwrap();
    assert_eq!(m.from(), Err(SipError::BadNameAddr("From")));
    assert_eq!(m.to(), Err(SipError::BadNameAddr("To")));
}

/// §3.1.2.16 — parse: SIP/7.0; the element answers 505.
#[test]
fn badvers_unknown_version() {
    assert_eq!(parse_err("badvers"), SipError::BadVersion);
}

/// §3.1.2.17 — accessor: CSeq method INVITE on an OPTIONS request.
#[test]
fn mismatch01_cseq_method_mismatch() {
    with_parsed("mismatch01", |m| {
        assert_eq!(m.cseq(), Err(SipError::CSeqMethodMismatch))
    });
}

/// §3.1.2.18 — accessor: unknown method NEWMETHOD with CSeq INVITE.
#[test]
fn mismatch02_unknown_method_cseq_mismatch() {
    with_parsed("mismatch02", |m| {
        assert_eq!(m.cseq(), Err(SipError::CSeqMethodMismatch))
    });
}

/// §3.1.2.19 — parse: status code 4294967301.
#[test]
fn bigcode_overlarge_status() {
    assert_eq!(parse_err("bigcode"), SipError::BadStatusCode);
}
