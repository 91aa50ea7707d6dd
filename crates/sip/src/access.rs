//! Typed, lazily parsed accessors on [`SipMessage`].
//!
//! Each accessor parses only the header it is asked about and returns a
//! typed error instead of panicking or guessing. Single-valued headers
//! (From, To, Call-ID, CSeq, Max-Forwards, ...) that appear more than once
//! are an error (RFC 3261 §7.3.1, RFC 4475 §3.3.8): two CSeqs cannot both be
//! right. This is where RFC 4475's "semantically invalid" messages are
//! rejected: the message parses, the accessor the server relies on fails.

use crate::error::SipError;
use crate::fields::{CSeq, Contacts, EventHeader, SipDate, SubscriptionState};
use crate::header::HeaderName;
use crate::message::{SipMessage, StartLine};
use crate::method::Method;
use crate::name_addr::NameAddr;
use crate::scan::{self, ListSplit, MAX_LIST_ITEMS, WORD};
use crate::uri::Uri;
use crate::via::Via;

/// Header-name match for lookups. Parsed messages only hold `Other` for
/// names that are not known variants, so a known target never matches an
/// `Other` header; the target itself is canonicalised once by the caller.
#[inline]
fn same(h: &HeaderName<'_>, target: &HeaderName<'_>) -> bool {
    match (h, target) {
        (HeaderName::Other(a), HeaderName::Other(b)) => a.eq_ignore_ascii_case(b),
        (HeaderName::Other(_), _) | (_, HeaderName::Other(_)) => false,
        (a, b) => std::mem::discriminant(a) == std::mem::discriminant(b),
    }
}

fn canonical<'n>(name: &HeaderName<'n>) -> HeaderName<'n> {
    match name {
        HeaderName::Other(s) => HeaderName::parse(s),
        k => *k,
    }
}

impl<'a> SipMessage<'a> {
    /// Whether this is a request.
    pub fn is_request(&self) -> bool {
        matches!(self.start, StartLine::Request { .. })
    }

    /// The request method, `None` for a response.
    pub fn method(&self) -> Option<&Method<'a>> {
        match &self.start {
            StartLine::Request { method, .. } => Some(method),
            StartLine::Response { .. } => None,
        }
    }

    /// The Request-URI, `None` for a response.
    pub fn request_uri(&self) -> Option<&Uri<'a>> {
        match &self.start {
            StartLine::Request { uri, .. } => Some(uri),
            StartLine::Response { .. } => None,
        }
    }

    /// The status code, `None` for a request.
    pub fn status(&self) -> Option<u16> {
        match &self.start {
            StartLine::Response { code, .. } => Some(*code),
            StartLine::Request { .. } => None,
        }
    }

    /// The value of the first header with this name (any form: `v`, `Via`,
    /// `VIA` are the same header), unsplit.
    pub fn header(&self, name: &HeaderName<'_>) -> Option<&str> {
        let target = canonical(name);
        self.headers
            .iter()
            .find(|h| same(&h.name, &target))
            .map(|h| &*h.value)
    }

    /// Every line of this header, unsplit, in order.
    pub fn header_lines<'s>(
        &'s self,
        name: &'s HeaderName<'s>,
    ) -> impl Iterator<Item = &'s str> + 's {
        let target = canonical(name);
        self.headers
            .iter()
            .filter(move |h| same(&h.name, &target))
            .map(|h| &*h.value)
    }

    /// Every value of this header: all lines in order, and for list-valued
    /// headers ([`HeaderName::is_list`]) each line split on commas outside
    /// quotes and `<...>` (RFC 3261 §7.3.1). Empty elements are skipped.
    /// Headers whose values contain commas (Date, WWW-Authenticate, unknown
    /// headers...) are yielded one line each.
    pub fn header_values<'s>(
        &'s self,
        name: &'s HeaderName<'s>,
    ) -> impl Iterator<Item = &'s str> + 's {
        let list = canonical(name).is_list();
        self.header_lines(name).flat_map(move |v| {
            let mut split = ListSplit::new(v);
            let mut whole = Some(v);
            std::iter::from_fn(move || if list { split.next() } else { whole.take() })
                .filter(|s| !s.is_empty())
        })
    }

    /// The value of a header that must appear at most once.
    fn at_most_one(
        &self,
        name: HeaderName<'static>,
        label: &'static str,
    ) -> Result<Option<&str>, SipError> {
        let mut it = self.headers.iter().filter(|h| same(&h.name, &name));
        let first = it.next().map(|h| &*h.value);
        if it.next().is_some() {
            return Err(SipError::DuplicateHeader(label));
        }
        Ok(first)
    }

    /// The value of a header that must appear exactly once.
    fn exactly_one(
        &self,
        name: HeaderName<'static>,
        label: &'static str,
    ) -> Result<&str, SipError> {
        self.at_most_one(name, label)?
            .ok_or(SipError::MissingHeader(label))
    }

    /// Every Via value, top first (RFC 3261 §20.42). Any malformed value,
    /// including an empty list element, is an error.
    pub fn vias(&self) -> Result<Vec<Via<'_>>, SipError> {
        let mut out = Vec::new();
        for line in self.header_lines(&HeaderName::Via) {
            for v in ListSplit::new(line) {
                if out.len() >= MAX_LIST_ITEMS {
                    return Err(SipError::TooManyItems);
                }
                out.push(Via::parse(v)?);
            }
        }
        if out.is_empty() {
            return Err(SipError::MissingHeader("Via"));
        }
        Ok(out)
    }

    /// The topmost Via value (RFC 3261 §8.2.6.2, §17.2.3), parsing only it.
    pub fn top_via(&self) -> Result<Via<'_>, SipError> {
        let line = self
            .header(&HeaderName::Via)
            .ok_or(SipError::MissingHeader("Via"))?;
        Via::parse(ListSplit::new(line).next().unwrap_or_default())
    }

    /// From (RFC 3261 §20.20), required and single.
    pub fn from(&self) -> Result<NameAddr<'_>, SipError> {
        NameAddr::parse_as(self.exactly_one(HeaderName::From, "From")?, "From")
    }

    /// To (RFC 3261 §20.39), required and single.
    pub fn to(&self) -> Result<NameAddr<'_>, SipError> {
        NameAddr::parse_as(self.exactly_one(HeaderName::To, "To")?, "To")
    }

    /// Call-ID (RFC 3261 §20.8): `word ["@" word]`, required and single.
    pub fn call_id(&self) -> Result<&str, SipError> {
        let v = self.exactly_one(HeaderName::CallId, "Call-ID")?;
        let (a, b) = scan::split_once(v, b'@').unwrap_or((v, "x"));
        if scan::all(a, WORD) && scan::all(b, WORD) {
            Ok(v)
        } else {
            Err(SipError::BadCallId)
        }
    }

    /// CSeq (RFC 3261 §20.16), required and single. For a request its method
    /// must be the request method (RFC 3261 §8.1.1.5).
    pub fn cseq(&self) -> Result<CSeq<'_>, SipError> {
        let cseq = CSeq::parse(self.exactly_one(HeaderName::CSeq, "CSeq")?)?;
        match self.method() {
            Some(m) if *m != cseq.method => Err(SipError::CSeqMethodMismatch),
            _ => Ok(cseq),
        }
    }

    /// All Contact values (RFC 3261 §20.10), or the `*` wildcard. `expires`
    /// and `q` parameters are validated here so callers can read them with
    /// [`NameAddr::expires`] / [`NameAddr::q`] without a second check.
    pub fn contacts(&self) -> Result<Contacts<'_>, SipError> {
        let mut list = Vec::new();
        let mut wildcard = false;
        for line in self.header_lines(&HeaderName::Contact) {
            for v in ListSplit::new(line) {
                if v == "*" {
                    wildcard = true;
                    continue;
                }
                if list.len() >= MAX_LIST_ITEMS {
                    return Err(SipError::TooManyItems);
                }
                let na = NameAddr::parse_as(v, "Contact")?;
                if na.param("expires").is_some() && na.expires().is_none() {
                    return Err(SipError::BadNumber("Contact expires"));
                }
                if na.param("q").is_some() && na.q_millis().is_none() {
                    return Err(SipError::BadParam);
                }
                list.push(na);
            }
        }
        match (wildcard, list.is_empty()) {
            (true, true) => Ok(Contacts::Wildcard),
            (true, false) => Err(SipError::BadWildcard),
            (false, _) => Ok(Contacts::List(list)),
        }
    }

    fn delta_seconds(
        &self,
        name: HeaderName<'static>,
        label: &'static str,
    ) -> Result<Option<u32>, SipError> {
        self.at_most_one(name, label)?
            .map(|v| scan::parse_u32(v).ok_or(SipError::BadNumber(label)))
            .transpose()
    }

    /// Expires (RFC 3261 §20.19): 32-bit delta-seconds.
    pub fn expires(&self) -> Result<Option<u32>, SipError> {
        self.delta_seconds(HeaderName::Expires, "Expires")
    }

    /// Min-Expires (RFC 3261 §20.23).
    pub fn min_expires(&self) -> Result<Option<u32>, SipError> {
        self.delta_seconds(HeaderName::MinExpires, "Min-Expires")
    }

    /// Retry-After seconds (RFC 3261 §20.33), ignoring comment and parameters.
    pub fn retry_after(&self) -> Result<Option<u32>, SipError> {
        let Some(v) = self.at_most_one(HeaderName::RetryAfter, "Retry-After")? else {
            return Ok(None);
        };
        let digits = v.bytes().take_while(u8::is_ascii_digit).count();
        let (num, rest) = v.split_at(digits);
        let rest = scan::trim_start(rest);
        if !(rest.is_empty() || rest.starts_with(['(', ';'])) {
            return Err(SipError::BadNumber("Retry-After"));
        }
        scan::parse_u32(num)
            .map(Some)
            .ok_or(SipError::BadNumber("Retry-After"))
    }

    /// Max-Forwards (RFC 3261 §20.22): 0..=255.
    pub fn max_forwards(&self) -> Result<Option<u32>, SipError> {
        self.at_most_one(HeaderName::MaxForwards, "Max-Forwards")?
            .map(|v| {
                scan::parse_u64(v, 255)
                    .map(|n| n as u32)
                    .ok_or(SipError::BadMaxForwards)
            })
            .transpose()
    }

    /// Event (RFC 6665 §8.2.1).
    pub fn event(&self) -> Result<Option<EventHeader<'_>>, SipError> {
        self.at_most_one(HeaderName::Event, "Event")?
            .map(EventHeader::parse)
            .transpose()
    }

    /// Subscription-State (RFC 6665 §8.2.3).
    pub fn subscription_state(&self) -> Result<Option<SubscriptionState<'_>>, SipError> {
        self.at_most_one(HeaderName::SubscriptionState, "Subscription-State")?
            .map(SubscriptionState::parse)
            .transpose()
    }

    /// Date (RFC 3261 §20.17), GMT only.
    pub fn date(&self) -> Result<Option<SipDate>, SipError> {
        self.at_most_one(HeaderName::Date, "Date")?
            .map(SipDate::parse)
            .transpose()
    }

    /// SIP-ETag (RFC 3903 §11.3.1), first occurrence.
    pub fn sip_etag(&self) -> Option<&str> {
        self.header(&HeaderName::SipETag)
    }

    /// SIP-If-Match (RFC 3903 §11.3.2), first occurrence.
    pub fn sip_if_match(&self) -> Option<&str> {
        self.header(&HeaderName::SipIfMatch)
    }

    /// Content-Type (RFC 3261 §20.15), whole value including parameters.
    pub fn content_type(&self) -> Option<&str> {
        self.header(&HeaderName::ContentType)
    }
}
