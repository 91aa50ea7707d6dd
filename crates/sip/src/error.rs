//! Typed errors for every way network input can be wrong.
//!
//! A SIP element answers most malformed requests with a 400 and drops bad
//! responses (RFC 3261 §8.2, §16.3, §18.3); the runtime needs to know *why* to
//! log it, count it, and choose between "close the TCP connection" (framing
//! errors) and "reply 400/416/505" (message errors). Every variant is cheap
//! to build (no allocation) and `Clone + Eq` so tests can compare them.

/// Everything that can go wrong decoding a SIP message or one of its fields.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SipError {
    /// The input was empty or held only CRLF keep-alives (RFC 5626 §3.5.1).
    #[error("empty input (only CRLF keep-alives)")]
    Empty,
    /// The header section has no terminating empty line (RFC 3261 §7).
    #[error("incomplete message: headers are not terminated by an empty line")]
    Incomplete,
    /// The message is larger than the configured bound.
    #[error("message of at least {size} bytes exceeds the limit of {max}")]
    TooLarge { size: usize, max: usize },
    /// The start line is not `Method SP Request-URI SP SIP-Version` nor
    /// `SIP-Version SP Status-Code SP Reason-Phrase` (RFC 3261 §7.1, §7.2).
    #[error("malformed start line")]
    BadStartLine,
    /// The SIP-Version is not SIP/2.0 (RFC 3261 §7.1); answer 505.
    #[error("unsupported SIP version")]
    BadVersion,
    /// The method is not a token (RFC 3261 §25.1 `Method`).
    #[error("malformed method")]
    BadMethod,
    /// The status code is not three digits in 100..=699 (RFC 3261 §7.2).
    #[error("malformed status code")]
    BadStatusCode,
    /// A line ends with a bare CR or LF instead of CRLF (RFC 3261 §7).
    #[error("bare CR or LF in the header section")]
    BadLineEnding,
    /// A header line is malformed (RFC 3261 §7.3): no colon, a name that is
    /// not a token, or a continuation line with nothing to continue.
    #[error("malformed header on line {line}: {reason}")]
    BadHeader { line: usize, reason: &'static str },
    /// The header section is not UTF-8 (RFC 3261 §7.3.1, TEXT-UTF8).
    #[error("header section is not valid UTF-8")]
    NotUtf8,
    /// More header lines than [`crate::MAX_HEADERS`].
    #[error("more than {0} header fields")]
    TooManyHeaders(usize),
    /// A URI does not follow RFC 3261 §19.1 / §25.1 (or RFC 3966 for tel:).
    #[error("malformed URI")]
    BadUri,
    /// A header field required by the accessor is absent (RFC 3261 §8.1.1).
    #[error("missing {0} header")]
    MissingHeader(&'static str),
    /// A header that must appear once appears several times (RFC 4475 §3.3.8).
    #[error("{0} header appears more than once")]
    DuplicateHeader(&'static str),
    /// Content-Length is not a non-negative integer, or appears twice
    /// (RFC 3261 §20.14, RFC 4475 §3.1.2.3, §3.3.9).
    #[error("malformed or conflicting Content-Length")]
    BadContentLength,
    /// A stream message has no Content-Length (RFC 3261 §18.3: mandatory on
    /// stream transports).
    #[error("Content-Length is required on stream transports")]
    MissingContentLength,
    /// Content-Length announces more body than the datagram carries
    /// (RFC 3261 §18.3, RFC 4475 §3.1.2.2).
    #[error("Content-Length {declared} exceeds the {available} body bytes present")]
    TruncatedBody { declared: usize, available: usize },
    /// CSeq is not `1*DIGIT LWS Method` with a 32-bit number (RFC 3261 §20.16).
    #[error("malformed CSeq")]
    BadCSeq,
    /// The CSeq method differs from the request method (RFC 3261 §8.1.1.5,
    /// RFC 4475 §3.1.2.17).
    #[error("CSeq method does not match the request method")]
    CSeqMethodMismatch,
    /// A Via value is malformed (RFC 3261 §20.42).
    #[error("malformed Via")]
    BadVia,
    /// A name-addr / addr-spec value is malformed (RFC 3261 §20.10, §20.20, §20.39).
    #[error("malformed {0} value")]
    BadNameAddr(&'static str),
    /// A header or URI parameter is malformed (RFC 3261 §25.1 `generic-param`).
    #[error("malformed parameter")]
    BadParam,
    /// More parameters or list elements than the crate's bounds allow.
    #[error("too many parameters or list elements")]
    TooManyItems,
    /// A numeric header (Expires, Min-Expires, Retry-After, ...) is not a
    /// 32-bit delta-seconds value (RFC 3261 §20.19, §25.1).
    #[error("malformed {0} value")]
    BadNumber(&'static str),
    /// Max-Forwards is not an integer in 0..=255 (RFC 3261 §20.22).
    #[error("malformed Max-Forwards")]
    BadMaxForwards,
    /// Event is malformed (RFC 6665 §8.2.1).
    #[error("malformed Event")]
    BadEvent,
    /// Subscription-State is malformed (RFC 6665 §8.2.3).
    #[error("malformed Subscription-State")]
    BadSubscriptionState,
    /// A Contact `*` appears with other values (RFC 3261 §10.2.2).
    #[error("Contact * mixed with other contacts")]
    BadWildcard,
    /// A Call-ID is empty or has characters outside `word` (RFC 3261 §25.1).
    #[error("malformed Call-ID")]
    BadCallId,
    /// Date is not an RFC 1123 date in GMT (RFC 3261 §20.17, RFC 4475 §3.1.2.12).
    #[error("malformed Date")]
    BadDate,
}
