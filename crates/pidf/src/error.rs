//! Typed errors. Every one of them comes from network input and becomes a SIP answer
//! (400/415 for a PUBLISH body, a dropped notification for IMDN), never a panic.

use thiserror::Error;

/// XML-level failures shared by PIDF and IMDN parsing.
#[derive(Debug, Error)]
pub enum XmlError {
    /// The document is larger than the configured bound.
    #[error("document too large ({len} bytes, max {max})")]
    TooLarge { len: usize, max: usize },
    /// Elements nested deeper than the configured bound.
    #[error("elements nested deeper than {max}")]
    TooDeep { max: usize },
    /// A text value (note, contact, id, ...) is longer than the configured bound.
    #[error("text value longer than {max} bytes")]
    TextTooLong { max: usize },
    /// A `<!DOCTYPE>`: these documents never carry one, and refusing it closes the door on
    /// entity-expansion tricks.
    #[error("DOCTYPE not allowed")]
    DocType,
    /// The document ended inside an element, or had no root element.
    #[error("truncated document")]
    Truncated,
    /// Not well-formed XML (mismatched tags, bad escapes, invalid UTF-8, ...).
    #[error("malformed XML: {0}")]
    Syntax(#[from] quick_xml::Error),
}

impl From<quick_xml::events::attributes::AttrError> for XmlError {
    fn from(e: quick_xml::events::attributes::AttrError) -> Self {
        XmlError::Syntax(e.into())
    }
}

/// Why a PIDF document was refused ([`crate::parse_pidf`]).
#[derive(Debug, Error)]
pub enum PidfError {
    /// Size, depth or well-formedness problem.
    #[error(transparent)]
    Xml(#[from] XmlError),
    /// The root is not `presence` in `urn:ietf:params:xml:ns:pidf` (RFC 3863 §4.1).
    #[error("root element is not a PIDF <presence>")]
    NotPidf,
    /// `<presence>` without the mandatory `entity` attribute (RFC 3863 §4.1.1).
    #[error("<presence> has no entity attribute")]
    MissingEntity,
    /// More elements of one kind (`tuple`, `person`, `note`, activity) than the bound.
    #[error("more than {max} {what} elements")]
    TooMany { what: &'static str, max: usize },
}

/// Why an IMDN document was refused ([`crate::parse_imdn`]).
#[derive(Debug, Error)]
pub enum ImdnError {
    /// Size, depth or well-formedness problem.
    #[error(transparent)]
    Xml(#[from] XmlError),
    /// The root is not `imdn` in `urn:ietf:params:xml:ns:imdn` (RFC 5438 §7.2.1).
    #[error("root element is not an <imdn>")]
    NotImdn,
    /// A mandatory element is absent (`message-id`, `datetime`, or the notification).
    #[error("missing <{0}>")]
    Missing(&'static str),
    /// The notification has no status, or a status value we do not know.
    #[error("notification has no known status")]
    NoStatus,
}

/// Why a message/cpim body was refused ([`crate::parse_cpim`]).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CpimError {
    /// The body is larger than [`crate::MAX_CPIM_BYTES`].
    #[error("CPIM body too large ({len} bytes, max {max})")]
    TooLarge { len: usize, max: usize },
    /// The message header block has no terminating blank line (RFC 3862 §2).
    #[error("CPIM header block not terminated by a blank line")]
    NoHeaderEnd,
    /// A header line is not `Name: value`, or is not UTF-8; `line` counts from 1.
    #[error("malformed CPIM header at line {line}")]
    BadHeader { line: usize },
    /// More headers in one block than [`crate::MAX_CPIM_HEADERS`].
    #[error("more than {max} CPIM headers in one block")]
    TooManyHeaders { max: usize },
}
