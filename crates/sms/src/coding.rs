//! SMPP `data_coding` values (SMPP 3.4 §5.2.19, with the GSM data coding groups of
//! 3GPP TS 23.038 §4 that many SMSCs pass through) and text decoding per coding.
//!
//! Why the sender only ever picks GSM 7-bit or UCS-2: those are the two codings every handset
//! renders and every SMSC converts correctly; Latin-1 and 8-bit binary are decoded on receive
//! because phones and SMSCs send them, but sending them would depend on SMSC goodwill.

use crate::concat::split_udh;
use crate::gsm7::{gsm7_char, gsm7_decode_unpacked, gsm7_unpack_implied};
use crate::ucs2::ucs2_decode;
use crate::{ConcatInfo, SmsError};

/// A `data_coding` this crate understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataCoding {
    /// 0x00 SMSC default alphabet, taken to be GSM 03.38 (TS 23.038 §6.2.1).
    Gsm7,
    /// 0x01 IA5 (CCITT T.50) / ASCII.
    Ia5,
    /// 0x03 ISO-8859-1.
    Latin1,
    /// 0x04 (and 0x02) 8-bit binary, not text.
    Binary,
    /// 0x08 UCS-2 (big-endian UTF-16, see [`crate::ucs2`]).
    Ucs2,
}

impl DataCoding {
    /// Maps an SMPP `data_coding` octet. Besides the SMPP 3.4 values 0x00–0x04 and 0x08 this
    /// accepts the TS 23.038 §4 groups SMSCs forward unchanged: general coding without
    /// compression (0x10–0x1F; bits 3..2 pick the alphabet), message waiting (0xC0–0xDF GSM,
    /// 0xE0–0xEF UCS-2) and data coding/message class (0xF0–0xFF; bit 2 picks 8-bit data).
    pub fn from_byte(b: u8) -> Option<DataCoding> {
        Some(match b {
            0x00 => DataCoding::Gsm7,
            0x01 => DataCoding::Ia5,
            0x02 | 0x04 => DataCoding::Binary,
            0x03 => DataCoding::Latin1,
            0x08 => DataCoding::Ucs2,
            0x10..=0x1F => match (b >> 2) & 0x03 {
                0 => DataCoding::Gsm7,
                1 => DataCoding::Binary,
                2 => DataCoding::Ucs2,
                _ => return None,
            },
            0xC0..=0xDF => DataCoding::Gsm7,
            0xE0..=0xEF => DataCoding::Ucs2,
            0xF0..=0xFF if b & 0x04 != 0 => DataCoding::Binary,
            0xF0..=0xFF => DataCoding::Gsm7,
            _ => return None,
        })
    }

    /// The canonical SMPP `data_coding` octet for this coding.
    pub fn to_byte(self) -> u8 {
        match self {
            DataCoding::Gsm7 => 0x00,
            DataCoding::Ia5 => 0x01,
            DataCoding::Latin1 => 0x03,
            DataCoding::Binary => 0x04,
            DataCoding::Ucs2 => 0x08,
        }
    }
}

/// How GSM 7-bit text sits in `short_message`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SeptetPacking {
    /// Eight septets in seven octets, LSB first (TS 23.038 §6.1.2.1.1), with fill bits after a
    /// UDH (TS 23.040 §9.2.3.24).
    Packed,
    /// One septet per octet; what most SMSCs expect over SMPP with `data_coding` 0.
    #[default]
    Unpacked,
}

/// GSM 7-bit when every character is in the default alphabet or its extension table
/// (TS 23.038 §6.2.1, §6.2.1.1), otherwise UCS-2.
pub fn choose_coding(text: &str) -> DataCoding {
    if text.chars().all(|c| gsm7_char(c).is_some()) {
        DataCoding::Gsm7
    } else {
        DataCoding::Ucs2
    }
}

/// Decoded user data: text, or the raw octets of an 8-bit binary payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload<'a> {
    /// A text coding was decoded.
    Text(String),
    /// `data_coding` 0x02/0x04: 8-bit data, returned as is.
    Binary(&'a [u8]),
}

/// Decodes `bytes` (user data with any UDH already removed) as text per `data_coding`.
/// Binary codings give [`SmsError::BinaryPayload`]; use [`decode_payload`] to get the octets.
pub fn decode_text(
    data_coding: u8,
    bytes: &[u8],
    packing: SeptetPacking,
) -> Result<String, SmsError> {
    decode_text_with_fill(data_coding, bytes, packing, 0)
}

/// Like [`decode_text`], for packed GSM text that starts after `fill_bits` fill bits
/// (TS 23.040 §9.2.3.24); `fill_bits` is ignored for other codings and for unpacked text.
pub fn decode_text_with_fill(
    data_coding: u8,
    bytes: &[u8],
    packing: SeptetPacking,
    fill_bits: u8,
) -> Result<String, SmsError> {
    match decode_payload_with_fill(data_coding, bytes, packing, fill_bits)? {
        Payload::Text(t) => Ok(t),
        Payload::Binary(_) => Err(SmsError::BinaryPayload(data_coding)),
    }
}

/// Decodes `bytes` per `data_coding` into text or binary.
pub fn decode_payload(
    data_coding: u8,
    bytes: &[u8],
    packing: SeptetPacking,
) -> Result<Payload<'_>, SmsError> {
    decode_payload_with_fill(data_coding, bytes, packing, 0)
}

fn decode_payload_with_fill(
    data_coding: u8,
    bytes: &[u8],
    packing: SeptetPacking,
    fill_bits: u8,
) -> Result<Payload<'_>, SmsError> {
    let coding =
        DataCoding::from_byte(data_coding).ok_or(SmsError::UnsupportedDataCoding(data_coding))?;
    let text = match coding {
        DataCoding::Gsm7 => match packing {
            SeptetPacking::Unpacked => gsm7_decode_unpacked(bytes)?,
            SeptetPacking::Packed => {
                let mut septets = Vec::with_capacity(bytes.len() / 7 * 8 + 8);
                gsm7_unpack_implied(bytes, fill_bits, &mut septets)?;
                gsm7_decode_unpacked(&septets)?
            }
        },
        DataCoding::Ia5 => bytes
            .iter()
            .map(|&b| {
                if b < 0x80 {
                    char::from(b)
                } else {
                    char::REPLACEMENT_CHARACTER
                }
            })
            .collect(),
        DataCoding::Latin1 => bytes.iter().map(|&b| char::from(b)).collect(),
        DataCoding::Ucs2 => ucs2_decode(bytes)?,
        DataCoding::Binary => return Ok(Payload::Binary(bytes)),
    };
    Ok(Payload::Text(text))
}

/// One received `short_message`, split into its concatenation info and decoded payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedPart<'a> {
    /// Concatenation IE from the UDH, if any (TS 23.040 §9.2.3.24.1 / .8).
    pub concat: Option<ConcatInfo>,
    /// The decoded user data after the UDH.
    pub payload: Payload<'a>,
}

/// Decodes a received `short_message`: strips the UDH when `udhi` (esm_class 0x40) is set,
/// computing the fill bits packed GSM text needs after it (TS 23.040 §9.2.3.24), then decodes
/// the rest per `data_coding`.
pub fn decode_short_message(
    data_coding: u8,
    short_message: &[u8],
    udhi: bool,
    packing: SeptetPacking,
) -> Result<ReceivedPart<'_>, SmsError> {
    if !udhi {
        return Ok(ReceivedPart {
            concat: None,
            payload: decode_payload(data_coding, short_message, packing)?,
        });
    }
    let udh = split_udh(short_message)?;
    let fill = match packing {
        SeptetPacking::Packed => udh.fill_bits(),
        SeptetPacking::Unpacked => 0,
    };
    Ok(ReceivedPart {
        concat: udh.concat,
        payload: decode_payload_with_fill(data_coding, udh.payload, packing, fill)?,
    })
}
