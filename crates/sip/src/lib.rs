//! SIP message codec for the smartchat dataplane (RFC 3261 §7, §20, §25).
//!
//! Why this crate looks the way it does:
//!
//! * **Sans-IO.** Parsing, framing and encoding are pure functions over byte
//!   slices; the runtime owns sockets, buffers and clocks. That keeps the
//!   codec testable from vectors, fuzzable, and benchmarkable in isolation.
//! * **Zero-copy.** A [`SipMessage`] borrows from the receive buffer; the
//!   only copies are values that need rewriting (folded header lines, escaped
//!   URI user parts, quoted display names with escapes).
//! * **Lazy.** [`parse_datagram`] only splits the message into start line,
//!   headers and body; Via, From, CSeq and friends are parsed by accessors
//!   when the server asks for them.
//! * **Network input never panics.** No indexing that can fail, no unchecked
//!   arithmetic on lengths, and a bound on every buffer and loop
//!   ([`DEFAULT_MAX_MESSAGE_SIZE`], [`MAX_HEADERS`], [`MAX_PARAMS`],
//!   [`MAX_LIST_ITEMS`]). Every failure is a typed [`SipError`].
//! * **One framing truth.** The stream framer ([`frame_stream`]) and the
//!   parser share the same header-line splitter, so they always agree on
//!   where Content-Length is and what it says.
//!
//! Conformance is checked against every RFC 4475 torture message and against
//! captures of sipp 3.6 (see `tests/`).
//!
//! ```
//! use smartchat_sip::{parse_datagram, response_to, Method};
//!
//! let req = parse_datagram(
//!     b"MESSAGE sip:bob@example.com SIP/2.0\r\n\
//!       v: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776;rport\r\n\
//!       f: <sip:alice@example.com>;tag=49583\r\n\
//!       t: <sip:bob@example.com>\r\n\
//!       i: a84b4c76e66710\r\n\
//!       CSeq: 1 MESSAGE\r\n\
//!       l: 5\r\n\r\nhello",
//! )?;
//! assert_eq!(req.method(), Some(&Method::Message));
//! assert_eq!(req.top_via()?.rport(), Some(None));
//! assert_eq!(req.from()?.uri.aor(), "sip:alice@example.com");
//! assert_eq!(req.body, b"hello");
//!
//! let mut out = Vec::new();
//! response_to(&req, 202, "Accepted").to_tag("srv1").encode(&mut out);
//! let resp = parse_datagram(&out)?;
//! assert_eq!(resp.to()?.tag(), Some("srv1"));
//! assert_eq!(resp.cseq()?, req.cseq()?);
//! # Ok::<(), smartchat_sip::SipError>(())
//! ```

mod access;
mod builder;
mod error;
mod fields;
mod framing;
mod header;
mod lines;
mod message;
mod method;
mod name_addr;
mod scan;
mod sink;
mod uri;
mod via;

pub use builder::{response_to, RequestBuilder, ResponseBuilder};
pub use error::SipError;
pub use fields::{CSeq, Contacts, EventHeader, SipDate, SubscriptionState};
pub use framing::{frame_stream, Frame, StreamFramer};
pub use header::{Header, HeaderName};
pub use message::{
    parse_datagram, parse_datagram_with_max, SipMessage, StartLine, DEFAULT_MAX_MESSAGE_SIZE,
    MAX_HEADERS,
};
pub use method::Method;
pub use name_addr::NameAddr;
pub use scan::{unescape, MAX_LIST_ITEMS, MAX_PARAMS};
pub use uri::{Param, Scheme, Uri};
pub use via::Via;
