//! Typed values of single-purpose headers: CSeq, Event, Subscription-State,
//! Contact lists, Date.
//!
//! These are small grammars, each parsed on demand by an accessor on
//! [`crate::SipMessage`]: a SUBSCRIBE handler pays for Event, a MESSAGE
//! handler does not. Numbers are bounded to their RFC range so a value like
//! the 20-digit CSeq of RFC 4475 §3.1.2.4 is an error, never a wrap-around.

use crate::error::SipError;
use crate::method::Method;
use crate::name_addr::{parse_generic_params, NameAddr};
use crate::scan;
use crate::uri::{find_param, Param};

/// CSeq (RFC 3261 §20.16): sequence number and method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CSeq<'a> {
    pub seq: u32,
    pub method: Method<'a>,
}

impl<'a> CSeq<'a> {
    /// Parses `1*DIGIT LWS Method`; the number must fit 32 bits.
    pub fn parse(s: &'a str) -> Result<CSeq<'a>, SipError> {
        let s = scan::trim(s);
        let digits = s.bytes().take_while(u8::is_ascii_digit).count();
        let (num, rest) = s.split_at(digits);
        if !rest.starts_with([' ', '\t']) {
            return Err(SipError::BadCSeq);
        }
        let seq = scan::parse_u32(num).ok_or(SipError::BadCSeq)?;
        let method = Method::parse(scan::trim(rest)).map_err(|_| SipError::BadCSeq)?;
        Ok(CSeq { seq, method })
    }
}

/// Event (RFC 6665 §8.2.1): package, optional `id`, all parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventHeader<'a> {
    /// `event-package *("." event-template)`, e.g. `presence`, `presence.winfo`.
    pub package: &'a str,
    pub id: Option<&'a str>,
    pub params: Vec<Param<'a>>,
}

impl<'a> EventHeader<'a> {
    /// Parses `event-type *(SEMI event-param)`.
    pub fn parse(s: &'a str) -> Result<EventHeader<'a>, SipError> {
        let s = scan::trim(s);
        let end = scan::find(s, b';').unwrap_or(s.len());
        let (package, rest) = s.split_at(end);
        let package = scan::trim(package);
        if !scan::is_token(package) {
            return Err(SipError::BadEvent);
        }
        let mut params = Vec::new();
        parse_generic_params(rest, &mut params).map_err(|_| SipError::BadEvent)?;
        let id = match find_param(&params, "id") {
            Some(Some(v)) if scan::is_token(v) => Some(v),
            None => None,
            Some(_) => return Err(SipError::BadEvent),
        };
        Ok(EventHeader {
            package,
            id,
            params,
        })
    }
}

/// Subscription-State (RFC 6665 §8.2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubscriptionState<'a> {
    /// `active`, `pending`, `terminated` or an extension token.
    pub state: &'a str,
    pub expires: Option<u32>,
    pub reason: Option<&'a str>,
    pub retry_after: Option<u32>,
}

impl<'a> SubscriptionState<'a> {
    /// Parses `substate-value *(SEMI subexp-params)`.
    pub fn parse(s: &'a str) -> Result<SubscriptionState<'a>, SipError> {
        let bad = SipError::BadSubscriptionState;
        let s = scan::trim(s);
        let end = scan::find(s, b';').unwrap_or(s.len());
        let (state, rest) = s.split_at(end);
        let state = scan::trim(state);
        if !scan::is_token(state) {
            return Err(bad);
        }
        let mut params = Vec::new();
        parse_generic_params(rest, &mut params).map_err(|_| bad.clone())?;
        let num = |name: &str| -> Result<Option<u32>, SipError> {
            match find_param(&params, name) {
                None => Ok(None),
                Some(v) => v.and_then(scan::parse_u32).map(Some).ok_or(bad.clone()),
            }
        };
        let reason = match find_param(&params, "reason") {
            None => None,
            Some(Some(r)) if scan::is_token(r) => Some(r),
            Some(_) => return Err(bad),
        };
        Ok(SubscriptionState {
            state,
            expires: num("expires")?,
            reason,
            retry_after: num("retry-after")?,
        })
    }
}

/// The Contact header field of a message (RFC 3261 §20.10).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Contacts<'a> {
    /// `Contact: *` (REGISTER removing all bindings, RFC 3261 §10.2.2).
    Wildcard,
    /// Zero or more contacts, in order.
    List(Vec<NameAddr<'a>>),
}

impl Contacts<'_> {
    /// Number of contacts (0 for the wildcard).
    pub fn len(&self) -> usize {
        match self {
            Contacts::Wildcard => 0,
            Contacts::List(v) => v.len(),
        }
    }

    /// Whether there is no contact (and no wildcard).
    pub fn is_empty(&self) -> bool {
        matches!(self, Contacts::List(v) if v.is_empty())
    }
}

/// A Date header value (RFC 3261 §20.17, RFC 1123 format, GMT only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SipDate {
    pub year: u16,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

impl SipDate {
    /// Parses `wkday "," SP 2DIGIT SP month SP 4DIGIT SP time SP "GMT"`.
    /// Other time zones are rejected (RFC 4475 §3.1.2.12).
    pub fn parse(s: &str) -> Result<SipDate, SipError> {
        let bad = SipError::BadDate;
        let s = scan::trim(s);
        let (wkday, rest) = s.split_once(", ").ok_or(bad.clone())?;
        let mut parts = rest.split(' ');
        let (Some(day), Some(mon), Some(year), Some(time), Some("GMT"), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(bad);
        };
        let n = |t: &str, len: usize, max: u64| -> Result<u64, SipError> {
            if t.len() != len {
                return Err(SipError::BadDate);
            }
            scan::parse_u64(t, max).ok_or(SipError::BadDate)
        };
        let mut hms = time.split(':');
        let (Some(h), Some(m), Some(sec), None) = (hms.next(), hms.next(), hms.next(), hms.next())
        else {
            return Err(bad);
        };
        let month = MONTHS.iter().position(|x| *x == mon).ok_or(bad.clone())?;
        if !DAYS.contains(&wkday) {
            return Err(bad);
        }
        let day = n(day, 2, 31)?;
        if day == 0 {
            return Err(bad);
        }
        Ok(SipDate {
            year: n(year, 4, 9999)? as u16,
            month: month as u8 + 1,
            day: day as u8,
            hour: n(h, 2, 23)? as u8,
            minute: n(m, 2, 59)? as u8,
            second: n(sec, 2, 60)? as u8,
        })
    }
}
