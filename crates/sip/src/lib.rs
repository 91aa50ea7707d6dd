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
