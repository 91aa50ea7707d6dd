//! SIP request methods.
//!
//! Methods are case-sensitive tokens (RFC 3261 §7.1, §20.16): "invite" is an
//! extension method, not INVITE, and "RE%47IST%45R" is not REGISTER
//! (RFC 4475 §3.1.1.5). Known methods are a unit variant so the hot path
//! compares a discriminant, not a string.

use std::fmt;

use crate::error::SipError;
use crate::scan;

/// A request method (RFC 3261 §7.1 / §27.4 plus the SIMPLE methods).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method<'a> {
    /// RFC 3261 §10.
    Register,
    /// RFC 3261 §13.
    Invite,
    /// RFC 3261 §13.2.2.4.
    Ack,
    /// RFC 3261 §15.
    Bye,
    /// RFC 3261 §9.
    Cancel,
    /// RFC 3261 §11.
    Options,
    /// RFC 3428.
    Message,
    /// RFC 3903.
    Publish,
    /// RFC 6665.
    Subscribe,
    /// RFC 6665.
    Notify,
    /// RFC 6086.
    Info,
    /// RFC 3311.
    Update,
    /// RFC 3515.
    Refer,
    /// RFC 3262.
    Prack,
    /// Any other token (RFC 3261 §25.1 `extension-method`).
    Extension(&'a str),
}

impl<'a> Method<'a> {
    /// Classifies a method token, case-sensitively (RFC 3261 §7.1). Fails if
    /// `s` is not a token.
    pub fn parse(s: &'a str) -> Result<Method<'a>, SipError> {
        Ok(match s {
            "REGISTER" => Method::Register,
            "INVITE" => Method::Invite,
            "ACK" => Method::Ack,
            "BYE" => Method::Bye,
            "CANCEL" => Method::Cancel,
            "OPTIONS" => Method::Options,
            "MESSAGE" => Method::Message,
            "PUBLISH" => Method::Publish,
            "SUBSCRIBE" => Method::Subscribe,
            "NOTIFY" => Method::Notify,
            "INFO" => Method::Info,
            "UPDATE" => Method::Update,
            "REFER" => Method::Refer,
            "PRACK" => Method::Prack,
            other if scan::is_token(other) => Method::Extension(other),
            _ => return Err(SipError::BadMethod),
        })
    }

    /// The method as it appears on the wire.
    pub fn as_str(&self) -> &'a str {
        match self {
            Method::Register => "REGISTER",
            Method::Invite => "INVITE",
            Method::Ack => "ACK",
            Method::Bye => "BYE",
            Method::Cancel => "CANCEL",
            Method::Options => "OPTIONS",
            Method::Message => "MESSAGE",
            Method::Publish => "PUBLISH",
            Method::Subscribe => "SUBSCRIBE",
            Method::Notify => "NOTIFY",
            Method::Info => "INFO",
            Method::Update => "UPDATE",
            Method::Refer => "REFER",
            Method::Prack => "PRACK",
            Method::Extension(s) => s,
        }
    }
}

impl fmt::Display for Method<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
