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

        /// Every known name, for tests that keep `known` and this table in step.
        #[cfg(test)]
        const ALL: &[HeaderName<'static>] = &[$( HeaderName::$var, )*];

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

/// Case-insensitive equality with `lower`, a lowercase name made only of
/// letters, digits and `-`: `x | 0x20` folds case for letters, and the mask
/// `(c >> 1) & 0x20` is 0x20 exactly for lowercase letters, so `-` and digits
/// must match exactly. Cheaper than `eq_ignore_ascii_case`, which lowercases
/// both sides.
#[inline]
fn eq_lower(name: &[u8], lower: &[u8]) -> bool {
    name.len() == lower.len()
        && name
            .iter()
            .zip(lower)
            .all(|(x, c)| (x | ((c >> 1) & 0x20)) == *c)
}

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
    // Dispatch on (length, first letter): at most two candidates remain,
    // spelled in lowercase for `eq_lower`.
    let first = name.first()?.to_ascii_lowercase();
    let hit = |lower: &'static [u8], h: HeaderName<'static>| eq_lower(name, lower).then_some(h);
    match (name.len(), first) {
        (2, b't') => hit(b"to", HeaderName::To),
        (3, b'v') => hit(b"via", HeaderName::Via),
        (4, b'c') => hit(b"cseq", HeaderName::CSeq),
        (4, b'd') => hit(b"date", HeaderName::Date),
        (4, b'f') => hit(b"from", HeaderName::From),
        (4, b'p') => hit(b"path", HeaderName::Path),
        (5, b'a') => hit(b"allow", HeaderName::Allow),
        (5, b'e') => hit(b"event", HeaderName::Event),
        (5, b'r') => hit(b"route", HeaderName::Route),
        (6, b'a') => hit(b"accept", HeaderName::Accept),
        (6, b's') => hit(b"server", HeaderName::Server),
        (7, b'c') => {
            hit(b"call-id", HeaderName::CallId).or_else(|| hit(b"contact", HeaderName::Contact))
        }
        (7, b'e') => hit(b"expires", HeaderName::Expires),
        (7, b'r') => hit(b"require", HeaderName::Require),
        (7, b's') => hit(b"subject", HeaderName::Subject),
        (7, b'w') => hit(b"warning", HeaderName::Warning),
        (8, b'i') => hit(b"identity", HeaderName::Identity),
        (8, b'r') => hit(b"refer-to", HeaderName::ReferTo),
        (8, b's') => hit(b"sip-etag", HeaderName::SipETag),
        (9, b's') => hit(b"supported", HeaderName::Supported),
        (10, b'u') => hit(b"user-agent", HeaderName::UserAgent),
        (11, b'm') => hit(b"min-expires", HeaderName::MinExpires),
        (11, b'r') => hit(b"retry-after", HeaderName::RetryAfter)
            .or_else(|| hit(b"referred-by", HeaderName::ReferredBy)),
        (11, b'u') => hit(b"unsupported", HeaderName::Unsupported),
        (12, b'a') => hit(b"allow-events", HeaderName::AllowEvents),
        (12, b'c') => hit(b"content-type", HeaderName::ContentType),
        (12, b'm') => hit(b"max-forwards", HeaderName::MaxForwards),
        (12, b'r') => hit(b"record-route", HeaderName::RecordRoute),
        (12, b's') => hit(b"sip-if-match", HeaderName::SipIfMatch),
        (13, b'a') => hit(b"authorization", HeaderName::Authorization),
        (13, b'p') => hit(b"proxy-require", HeaderName::ProxyRequire),
        (14, b'a') => hit(b"accept-contact", HeaderName::AcceptContact),
        (14, b'c') => hit(b"content-length", HeaderName::ContentLength),
        (14, b'r') => hit(b"reject-contact", HeaderName::RejectContact),
        (15, b's') => hit(b"session-expires", HeaderName::SessionExpires),
        (16, b'c') => hit(b"content-encoding", HeaderName::ContentEncoding),
        (16, b'w') => hit(b"www-authenticate", HeaderName::WwwAuthenticate),
        (18, b'p') => hit(b"proxy-authenticate", HeaderName::ProxyAuthenticate),
        (18, b's') => hit(b"subscription-state", HeaderName::SubscriptionState),
        (19, b'c') => hit(b"content-disposition", HeaderName::ContentDisposition),
        (19, b'p') => hit(b"proxy-authorization", HeaderName::ProxyAuthorization),
        (19, b'r') => hit(b"request-disposition", HeaderName::RequestDisposition),
        _ => None,
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_name_classifies_back_to_itself_in_any_case() {
        for h in ALL {
            let canon = h.as_str();
            assert!(
                matches!(known(canon.as_bytes()), Some(k) if std::mem::discriminant(&k) == std::mem::discriminant(h)),
                "{canon}"
            );
            let upper = canon.to_ascii_uppercase();
            let lower = canon.to_ascii_lowercase();
            assert_eq!(HeaderName::parse(&upper), *h, "{upper}");
            assert_eq!(HeaderName::parse(&lower), *h, "{lower}");
        }
        assert_eq!(ALL.len(), 44);
    }

    #[test]
    fn near_misses_stay_unknown() {
        for name in [
            "Vía",
            "Max\rForwards",
            "Max_Forwards",
            "Content-Lengths",
            "Call-I",
            "To ",
            "",
            "SIP-ETAg-",
        ] {
            assert!(known(name.as_bytes()).is_none(), "{name:?}");
        }
    }
}
