//! Header field names and values.
//!
//! Header names are case-insensitive and many have a one-letter compact form
//! (RFC 3261 §7.3.3, §20). Classifying them once at parse time into an enum
//! makes every later lookup a discriminant comparison and lets the encoder
//! always write the canonical long form. Names the crate does not know are
//! kept verbatim in [`HeaderName::Other`] (RFC 3261 §7.3.1: proxies must pass
//! unknown headers through).

use std::borrow::Cow;
use std::fmt;

macro_rules! header_names {
    ($( $(#[$doc:meta])* $var:ident => $canon:literal ;)*) => {
        /// A header field name (RFC 3261 §7.3, §20), compact forms folded into
        /// their long form.
        #[derive(Debug, Clone, Copy)]
        #[non_exhaustive]
        pub enum HeaderName<'a> {
            $( $(#[$doc])* $var, )*
            /// Any other header, name as received (a `token`).
            Other(&'a str),
        }

        impl<'a> HeaderName<'a> {
            /// The canonical long form (RFC 3261 §20 spelling).
            pub fn as_str(&self) -> &'a str {
                match self {
                    $( HeaderName::$var => $canon, )*
                    HeaderName::Other(s) => s,
                }
            }

        }
    };
}

header_names! {
    /// RFC 3261 §20.42 (compact `v`).
    Via => "Via";
    /// RFC 3261 §20.20 (compact `f`).
    From => "From";
    /// RFC 3261 §20.39 (compact `t`).
    To => "To";
    /// RFC 3261 §20.8 (compact `i`).
    CallId => "Call-ID";
    /// RFC 3261 §20.16.
    CSeq => "CSeq";
    /// RFC 3261 §20.10 (compact `m`).
    Contact => "Contact";
    /// RFC 3261 §20.19.
    Expires => "Expires";
    /// RFC 3261 §20.22.
    MaxForwards => "Max-Forwards";
    /// RFC 3261 §20.15 (compact `c`).
    ContentType => "Content-Type";
    /// RFC 3261 §20.14 (compact `l`).
    ContentLength => "Content-Length";
    /// RFC 6665 §8.2.1 (compact `o`).
    Event => "Event";
    /// RFC 6665 §8.2.3.
    SubscriptionState => "Subscription-State";
    /// RFC 3903 §11.3.1.
    SipETag => "SIP-ETag";
    /// RFC 3903 §11.3.2.
    SipIfMatch => "SIP-If-Match";
    /// RFC 3261 §20.7.
    Authorization => "Authorization";
    /// RFC 3261 §20.44.
    WwwAuthenticate => "WWW-Authenticate";
    /// RFC 3261 §20.28.
    ProxyAuthorization => "Proxy-Authorization";
    /// RFC 3261 §20.27.
    ProxyAuthenticate => "Proxy-Authenticate";
    /// RFC 3261 §20.33.
    RetryAfter => "Retry-After";
    /// RFC 3261 §20.23.
    MinExpires => "Min-Expires";
    /// RFC 3261 §20.5.
    Allow => "Allow";
    /// RFC 6665 §8.2.2 (compact `u`).
    AllowEvents => "Allow-Events";
    /// RFC 3261 §20.37 (compact `k`).
    Supported => "Supported";
    /// RFC 3261 §20.32.
    Require => "Require";
    /// RFC 3261 §20.1.
    Accept => "Accept";
    /// RFC 3261 §20.41.
    UserAgent => "User-Agent";
    /// RFC 3261 §20.34.
    Route => "Route";
    /// RFC 3261 §20.30.
    RecordRoute => "Record-Route";
    /// RFC 3261 §20.36 (compact `s`).
    Subject => "Subject";
    /// RFC 3261 §20.12 (compact `e`).
    ContentEncoding => "Content-Encoding";
    /// RFC 3515 §2.1 (compact `r`).
    ReferTo => "Refer-To";
    /// RFC 3892 §3 (compact `b`).
    ReferredBy => "Referred-By";
    /// RFC 4028 §4 (compact `x`).
    SessionExpires => "Session-Expires";
    /// RFC 3261 §20.17.
    Date => "Date";
    /// RFC 3261 §20.43.
    Warning => "Warning";
    /// RFC 3261 §20.40.
    Unsupported => "Unsupported";
    /// RFC 3261 §20.29.
    ProxyRequire => "Proxy-Require";
    /// RFC 3261 §20.35.
    Server => "Server";
    /// RFC 3261 §20.11.
    ContentDisposition => "Content-Disposition";
    /// RFC 3327 §4.
    Path => "Path";
    /// RFC 3841 §9.2 (compact `a`).
    AcceptContact => "Accept-Contact";
    /// RFC 3841 §9.3 (compact `j`).
    RejectContact => "Reject-Contact";
    /// RFC 3841 §9.1 (compact `d`).
    RequestDisposition => "Request-Disposition";
    /// RFC 8224 §4 (compact `y`).
    Identity => "Identity";
}

/// Known long names grouped by length, so classifying a name compares it
/// with at most a handful of candidates (RFC 3261 §7.3.1: case-insensitive).
static BY_LEN: [&[(&str, HeaderName<'static>)]; 20] = [
    &[],
    &[],
    &[("To", HeaderName::To)],
    &[("Via", HeaderName::Via)],
    &[
        ("From", HeaderName::From),
        ("CSeq", HeaderName::CSeq),
        ("Date", HeaderName::Date),
        ("Path", HeaderName::Path),
    ],
    &[
        ("Event", HeaderName::Event),
        ("Allow", HeaderName::Allow),
        ("Route", HeaderName::Route),
    ],
    &[
        ("Accept", HeaderName::Accept),
        ("Server", HeaderName::Server),
    ],
    &[
        ("Call-ID", HeaderName::CallId),
        ("Contact", HeaderName::Contact),
        ("Expires", HeaderName::Expires),
        ("Require", HeaderName::Require),
        ("Subject", HeaderName::Subject),
        ("Warning", HeaderName::Warning),
    ],
    &[
        ("SIP-ETag", HeaderName::SipETag),
        ("Refer-To", HeaderName::ReferTo),
        ("Identity", HeaderName::Identity),
    ],
    &[("Supported", HeaderName::Supported)],
    &[("User-Agent", HeaderName::UserAgent)],
    &[
        ("Retry-After", HeaderName::RetryAfter),
        ("Min-Expires", HeaderName::MinExpires),
        ("Referred-By", HeaderName::ReferredBy),
        ("Unsupported", HeaderName::Unsupported),
    ],
    &[
        ("Max-Forwards", HeaderName::MaxForwards),
        ("Content-Type", HeaderName::ContentType),
        ("SIP-If-Match", HeaderName::SipIfMatch),
        ("Allow-Events", HeaderName::AllowEvents),
        ("Record-Route", HeaderName::RecordRoute),
    ],
    &[
        ("Authorization", HeaderName::Authorization),
        ("Proxy-Require", HeaderName::ProxyRequire),
    ],
    &[
        ("Content-Length", HeaderName::ContentLength),
        ("Accept-Contact", HeaderName::AcceptContact),
        ("Reject-Contact", HeaderName::RejectContact),
    ],
    &[("Session-Expires", HeaderName::SessionExpires)],
    &[
        ("WWW-Authenticate", HeaderName::WwwAuthenticate),
        ("Content-Encoding", HeaderName::ContentEncoding),
    ],
    &[],
    &[
        ("Subscription-State", HeaderName::SubscriptionState),
        ("Proxy-Authenticate", HeaderName::ProxyAuthenticate),
    ],
    &[
        ("Proxy-Authorization", HeaderName::ProxyAuthorization),
        ("Content-Disposition", HeaderName::ContentDisposition),
        ("Request-Disposition", HeaderName::RequestDisposition),
    ],
];

/// Classifies a known header name, compact forms included (RFC 3261 §7.3.3).
pub(crate) fn known(name: &[u8]) -> Option<HeaderName<'static>> {
    if let [c] = name {
        return Some(match c.to_ascii_lowercase() {
            b'a' => HeaderName::AcceptContact,
            b'b' => HeaderName::ReferredBy,
            b'c' => HeaderName::ContentType,
            b'd' => HeaderName::RequestDisposition,
            b'e' => HeaderName::ContentEncoding,
            b'f' => HeaderName::From,
            b'i' => HeaderName::CallId,
            b'j' => HeaderName::RejectContact,
            b'k' => HeaderName::Supported,
            b'l' => HeaderName::ContentLength,
            b'm' => HeaderName::Contact,
            b'o' => HeaderName::Event,
            b'r' => HeaderName::ReferTo,
            b's' => HeaderName::Subject,
            b't' => HeaderName::To,
            b'u' => HeaderName::AllowEvents,
            b'v' => HeaderName::Via,
            b'x' => HeaderName::SessionExpires,
            b'y' => HeaderName::Identity,
            _ => return None,
        });
    }
    BY_LEN
        .get(name.len())?
        .iter()
        .find(|(n, _)| name.eq_ignore_ascii_case(n.as_bytes()))
        .map(|(_, h)| *h)
}

impl<'a> HeaderName<'a> {
    /// Classifies a header name case-insensitively, folding compact forms
    /// (RFC 3261 §7.3.3). Unknown names become [`HeaderName::Other`] with the
    /// text as given; the caller is responsible for it being a token.
    pub fn parse(name: &'a str) -> HeaderName<'a> {
        known(name.as_bytes()).unwrap_or(HeaderName::Other(name))
    }

    /// Whether this header's value is a comma-separated list (RFC 3261 §7.3.1),
    /// i.e. several values may be folded into one line. Headers whose values
    /// legitimately contain commas (Date, auth challenges, User-Agent, Call-ID,
    /// Subject...) and unknown headers are not lists.
    pub fn is_list(&self) -> bool {
        matches!(
            self,
            HeaderName::Via
                | HeaderName::Contact
                | HeaderName::Route
                | HeaderName::RecordRoute
                | HeaderName::Allow
                | HeaderName::AllowEvents
                | HeaderName::Supported
                | HeaderName::Require
                | HeaderName::Accept
                | HeaderName::ContentEncoding
                | HeaderName::Warning
                | HeaderName::Unsupported
                | HeaderName::ProxyRequire
                | HeaderName::Path
                | HeaderName::AcceptContact
                | HeaderName::RejectContact
                | HeaderName::RequestDisposition
        )
    }

    fn canonical(&self) -> HeaderName<'a> {
        match self {
            HeaderName::Other(s) => HeaderName::parse(s),
            k => *k,
        }
    }
}

impl PartialEq for HeaderName<'_> {
    /// Names compare as the header they denote: `Other("v")`, `Other("VIA")`
    /// and `Via` are equal; unknown names compare case-insensitively.
    fn eq(&self, other: &Self) -> bool {
        match (self.canonical(), other.canonical()) {
            (HeaderName::Other(a), HeaderName::Other(b)) => a.eq_ignore_ascii_case(b),
            (a, b) => std::mem::discriminant(&a) == std::mem::discriminant(&b),
        }
    }
}

impl Eq for HeaderName<'_> {}

impl fmt::Display for HeaderName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One header field line (RFC 3261 §7.3): the classified name and the value
/// with line folding undone (each fold becomes one SP, RFC 3261 §7.3.1) and
/// surrounding whitespace trimmed. Borrowed unless the value was folded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header<'a> {
    pub name: HeaderName<'a>,
    pub value: Cow<'a, str>,
}
