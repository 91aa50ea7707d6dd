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
    ($( $(#[$doc:meta])* $var:ident => $canon:literal $(, $compact:literal)? ;)*) => {
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

            pub(crate) fn known(name: &[u8]) -> Option<HeaderName<'static>> {
                $(
                    if name.eq_ignore_ascii_case($canon.as_bytes()) $(|| name.eq_ignore_ascii_case($compact.as_bytes()))? {
                        return Some(HeaderName::$var);
                    }
                )*
                None
            }
        }
    };
}

header_names! {
    /// RFC 3261 §20.42 (compact `v`).
    Via => "Via", "v";
    /// RFC 3261 §20.20 (compact `f`).
    From => "From", "f";
    /// RFC 3261 §20.39 (compact `t`).
    To => "To", "t";
    /// RFC 3261 §20.8 (compact `i`).
    CallId => "Call-ID", "i";
    /// RFC 3261 §20.16.
    CSeq => "CSeq";
    /// RFC 3261 §20.10 (compact `m`).
    Contact => "Contact", "m";
    /// RFC 3261 §20.19.
    Expires => "Expires";
    /// RFC 3261 §20.22.
    MaxForwards => "Max-Forwards";
    /// RFC 3261 §20.15 (compact `c`).
    ContentType => "Content-Type", "c";
    /// RFC 3261 §20.14 (compact `l`).
    ContentLength => "Content-Length", "l";
    /// RFC 6665 §8.2.1 (compact `o`).
    Event => "Event", "o";
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
    AllowEvents => "Allow-Events", "u";
    /// RFC 3261 §20.37 (compact `k`).
    Supported => "Supported", "k";
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
    Subject => "Subject", "s";
    /// RFC 3261 §20.12 (compact `e`).
    ContentEncoding => "Content-Encoding", "e";
    /// RFC 3515 §2.1 (compact `r`).
    ReferTo => "Refer-To", "r";
    /// RFC 3892 §3 (compact `b`).
    ReferredBy => "Referred-By", "b";
    /// RFC 4028 §4 (compact `x`).
    SessionExpires => "Session-Expires", "x";
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
    AcceptContact => "Accept-Contact", "a";
    /// RFC 3841 §9.3 (compact `j`).
    RejectContact => "Reject-Contact", "j";
    /// RFC 3841 §9.1 (compact `d`).
    RequestDisposition => "Request-Disposition", "d";
    /// RFC 8224 §4 (compact `y`).
    Identity => "Identity", "y";
}

impl<'a> HeaderName<'a> {
    /// Classifies a header name case-insensitively, folding compact forms
    /// (RFC 3261 §7.3.3). Unknown names become [`HeaderName::Other`] with the
    /// text as given; the caller is responsible for it being a token.
    pub fn parse(name: &'a str) -> HeaderName<'a> {
        Self::known(name.as_bytes()).unwrap_or(HeaderName::Other(name))
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
