//! Presence and disposition documents: PIDF (RFC 3863) with the data model (RFC 4479) and RPID
//! (RFC 4480), IMDN (RFC 5438) and its message/cpim envelope (RFC 3862).
//!
//! Why this crate exists: smartchat's product is a status a watcher can trust (patent claims
//! C1, C4, C7: online-available, online-busy, mobile, offline) and a delivery report the sender
//! can trust (C3, C8). Both leave and arrive as these documents, so this is the boundary where
//! clients' many dialects become four statuses and four dispositions.
//!
//! Design choices:
//! - **Sans-IO, caller-owned buffers.** Builders append to a `String`/`Vec<u8>` the shard
//!   reuses; nothing here reads a clock (timestamps are passed in as [`Timestamp`]).
//! - **Narrow output, wide input.** We publish exactly the shapes in [`build_pidf`]; we accept
//!   any prefix, any element order, unknown namespaces and extensions, pre-RFC RPID, because the
//!   alternative is a 400 to a real client.
//! - **Namespaces by URI, never by prefix** (see the `xml` module), so `<op:basic>` (OMA) is never
//!   mistaken for PIDF's `<basic>`.
//! - **Network input never panics and is bounded**: size, depth, counts and text lengths
//!   ([`Limits`]), DOCTYPE refused; fuzzed by `fuzz/fuzz_targets/{pidf,imdn}_parse.rs`.

mod cpim;
mod error;
mod imdn;
mod model;
mod parse;
mod time;
mod xml;

mod build;

pub use build::{build_pidf, SMS_NOTE};
pub use cpim::{
    build_cpim, parse_cpim, CpimHeader, CpimMessage, CpimOut, DispositionRequest, IMDN_CPIM_NS,
    MAX_CPIM_BYTES, MAX_CPIM_HEADERS,
};
pub use error::{CpimError, ImdnError, PidfError, XmlError};
pub use imdn::{
    build_imdn, parse_imdn, DeliveryReport, DeliveryStatus, DisplayStatus, Imdn, Notification,
    ProcessingStatus,
};
pub use model::{
    interpret, Activity, Basic, Person, PidfDocument, PresenceView, PublishedState, Qvalue, Status,
    Tuple,
};
pub use parse::{parse_pidf, parse_pidf_with};
pub use time::{format_rfc3339, Timestamp};
pub use xml::{escape_into, Limits};

/// PIDF namespace (RFC 3863 §4.1).
pub const NS_PIDF: &str = "urn:ietf:params:xml:ns:pidf";
/// Data-model namespace (RFC 4479 §4).
pub const NS_DATA_MODEL: &str = "urn:ietf:params:xml:ns:pidf:data-model";
/// RPID namespace (RFC 4480 §5).
pub const NS_RPID: &str = "urn:ietf:params:xml:ns:pidf:rpid";
/// IMDN XML namespace (RFC 5438 §7.2.1).
pub const NS_IMDN: &str = "urn:ietf:params:xml:ns:imdn";
