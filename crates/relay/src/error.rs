//! Typed errors of the relay core.
//!
//! Why each admission failure is its own variant: the runtime maps them to different answers.
//! [`RelayError::RateLimited`] becomes a SIP 503 with `Retry-After` (or SMPP `ESME_RTHROTTLED`),
//! [`RelayError::Full`] a 503 / `ESME_RMSGQFUL` (the peer retries later), and
//! [`RelayError::TextTooLong`] a permanent 413 / `ESME_RINVMSGLEN`. Inputs about messages the
//! shard no longer knows (a late `submit_sm_resp` after a final state, a duplicate) are not
//! errors at all: they come back as an empty [`crate::Ready`], because an SMSC repeats itself.

use thiserror::Error;

/// Which bounded table refused an insertion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bound {
    /// Non-final messages of this shard ([`crate::RelayConfig::max_messages`]).
    Messages,
    /// Held IMs for one recipient ([`crate::RelayConfig::max_held_per_recipient`]).
    HeldForRecipient,
    /// A token-bucket table whose least recently used entry is still hot.
    RateTable,
}

/// Why the relay refused an input.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RelayError {
    /// A token bucket (recipient MSISDN or sender AOR) is empty; try again after this long.
    #[error("rate limited, retry after {retry_after_s} s")]
    RateLimited {
        /// Whole seconds until one token is available (at least 1).
        retry_after_s: u32,
    },
    /// A bounded table is full; the caller answers 503 / `ESME_RMSGQFUL`.
    #[error("relay table full: {0:?}")]
    Full(Bound),
    /// The text does not fit `max_sms_parts` SMS parts, or exceeds `max_text_bytes`.
    #[error("text too long ({bytes} bytes; at most {max_parts} SMS parts)")]
    TextTooLong {
        /// UTF-8 length of the (formatted) text.
        bytes: usize,
        /// The configured part limit.
        max_parts: u8,
    },
    /// An address is unusable (empty, not digits, not a SIP AOR, too long).
    #[error("invalid {field}: {value:?}")]
    InvalidAddress {
        /// Which argument.
        field: &'static str,
        /// The value as given (truncated to 64 bytes).
        value: String,
    },
    /// SMPP 3.4 §5.2.23 bounds `message_id` to 64 characters (65 with the NUL); a longer or
    /// empty id cannot be matched against receipts.
    #[error("invalid SMSC message id ({len} bytes)")]
    InvalidSmscMessageId {
        /// Its length in bytes.
        len: usize,
    },
    /// The SMS text could not be encoded (should not happen for valid UTF-8).
    #[error("SMS encoding failed: {0}")]
    Encoding(#[from] smartchat_sms::SmsError),
}

impl RelayError {
    pub(crate) fn address(field: &'static str, value: &str) -> RelayError {
        let mut end = value.len().min(64);
        while !value.is_char_boundary(end) {
            end -= 1;
        }
        RelayError::InvalidAddress {
            field,
            value: value.get(..end).unwrap_or_default().to_owned(),
        }
    }
}

/// Why a [`crate::RelayConfig`] was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConfigError {
    /// A field is out of its allowed range; the message says which and why.
    #[error("invalid relay config: {0}")]
    Invalid(&'static str),
}

/// Why stored record bytes could not be read.
#[derive(Debug, Error)]
pub enum RecordError {
    /// bytecheck rejected the archive (bytes impossible for the type, or a misaligned buffer).
    #[error("record archive invalid: {0}")]
    Invalid(rkyv::rancor::Error),
    /// The schema tag is missing or names another layout version (see `smartchat_wal::typed`).
    #[error("record schema: {0}")]
    Schema(smartchat_wal::WalError),
}
