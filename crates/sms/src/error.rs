//! Typed errors for the SMS text layer.
//!
//! Everything in this crate that looks at bytes from the network (SMPP `short_message`, UDH,
//! delivery-receipt text) reports trouble through [`SmsError`] instead of panicking, so the
//! runtime can map each case to an SMPP command status (e.g. a full reassembly buffer to
//! `ESME_RMSGQFUL`, which makes the SMSC retry later) rather than losing a shard.

use thiserror::Error;

/// Every failure the SMS text layer can report.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SmsError {
    /// A character has no code point in the GSM 03.38 default alphabet nor its extension
    /// table (3GPP TS 23.038 §6.2.1 / §6.2.1.1). `index` is the byte offset in the input text.
    #[error("character {ch:?} at byte {index} has no GSM 03.38 encoding")]
    Unrepresentable {
        /// The offending character.
        ch: char,
        /// Byte offset of `ch` in the text.
        index: usize,
    },
    /// An unpacked septet stream contained an octet with the high bit set.
    #[error("septet value {value:#04x} at offset {index} is not 7-bit")]
    InvalidSeptet {
        /// The offending octet.
        value: u8,
        /// Its offset in the input.
        index: usize,
    },
    /// Packed 7-bit data is shorter than the septet count asked for.
    #[error("packed GSM data too short: {needed_bits} bits needed, {available_bits} available")]
    Truncated {
        /// Bits the caller asked for (fill bits + 7 per septet).
        needed_bits: usize,
        /// Bits present in the input.
        available_bits: usize,
    },
    /// UCS-2 data must consist of whole 16-bit code units.
    #[error("UCS-2 data has odd length {0}")]
    OddUcs2Length(usize),
    /// A lone UTF-16 surrogate was found by the strict UCS-2 decoder.
    #[error("lone UTF-16 surrogate {unit:#06x} at byte {index}")]
    LoneSurrogate {
        /// The surrogate code unit.
        unit: u16,
        /// Byte offset of the code unit.
        index: usize,
    },
    /// The SMPP `data_coding` value is not one this crate decodes or encodes.
    #[error("unsupported data_coding {0:#04x}")]
    UnsupportedDataCoding(u8),
    /// The payload is 8-bit binary data (`data_coding` 0x02/0x04), not text.
    #[error("data_coding {0:#04x} carries binary data, not text")]
    BinaryPayload(u8),
    /// The user data header is malformed (TS 23.040 §9.2.3.24).
    #[error("malformed user data header: {0}")]
    MalformedUdh(&'static str),
    /// The text needs more concatenated parts than allowed.
    #[error("message needs more than {max} parts")]
    TooManyParts {
        /// The configured maximum (`SplitOptions::max_parts`).
        max: u8,
    },
    /// Concatenation info with `total == 0`, `seq == 0` or `seq > total`.
    #[error("invalid concatenation info: part {seq} of {total}")]
    InvalidConcat {
        /// Total number of parts claimed.
        total: u8,
        /// Sequence number claimed.
        seq: u8,
    },
    /// The reassembly buffer is at its entry or byte cap; the caller should ask the peer to
    /// retry later (SMPP `ESME_RMSGQFUL`).
    #[error("reassembly buffer full")]
    ReassemblyFull,
    /// A single part is larger than the whole reassembly byte budget.
    #[error("part of {len} bytes exceeds the reassembly byte cap")]
    PartTooLarge {
        /// Size of the part in bytes.
        len: usize,
    },
    /// The source address used as reassembly key is longer than allowed.
    #[error("source address of {len} bytes is too long for a reassembly key")]
    SourceTooLong {
        /// Length of the address in bytes.
        len: usize,
    },
    /// Delivery-receipt text longer than [`crate::receipt::MAX_RECEIPT_LEN`].
    #[error("receipt text of {len} bytes is too long")]
    ReceiptTooLong {
        /// Length of the text in bytes.
        len: usize,
    },
    /// A required receipt field (`id` or `stat`) is absent or empty.
    #[error("receipt has no {0} field")]
    ReceiptMissingField(&'static str),
    /// A receipt field is present but unusable (too long, control characters).
    #[error("receipt field {0} is invalid")]
    ReceiptInvalidField(&'static str),
}
