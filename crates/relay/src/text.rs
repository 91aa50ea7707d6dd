//! SMS bodies in both directions, through `smartchat-sms`.
//!
//! Outgoing: GSM 7-bit when every character is in the GSM 03.38 alphabet (incl. the extension
//! table), else UCS-2, split into concatenated parts with an 8-bit reference taken from the
//! message id (TS 23.040 §9.2.3.24.1: the reference only has to differ between consecutive
//! concatenated messages to the same phone, which consecutive ids do). Re-splitting the stored
//! text gives the same parts again, so a retry or a post-crash resubmission needs no stored PDU.
//!
//! Incoming: the runtime decodes and reassembles `deliver_sm` parts with `smartchat_sms`
//! (next to the durable per-part state) and calls [`crate::RelayShard::on_mobile_originated`]
//! with whole texts; the relay has no reassembler of its own, so there is only one bound.

use smartchat_sms::{split_message, RefWidth, SeptetPacking, SmsError, SmsPart, SplitOptions};

use crate::error::RelayError;
use crate::ready::SubmitPart;

fn packing(packed: bool) -> SeptetPacking {
    if packed {
        SeptetPacking::Packed
    } else {
        SeptetPacking::Unpacked
    }
}

/// Splits `text` into SMS parts for message `id`; more than `max_parts` is `TextTooLong`.
pub(crate) fn encode_sms(
    text: &str,
    id: u64,
    max_parts: u8,
    packed: bool,
) -> Result<Vec<SmsPart>, RelayError> {
    let opts = SplitOptions {
        reference: u16::try_from(id & 0xFF).unwrap_or(0),
        reference_width: RefWidth::Bits8,
        packing: packing(packed),
        max_parts,
    };
    split_message(text, &opts).map_err(|e| match e {
        SmsError::TooManyParts { .. } => RelayError::TextTooLong {
            bytes: text.len(),
            max_parts,
        },
        other => RelayError::Encoding(other),
    })
}

/// The `submit_sm` parts of a stored SMS text; `only` selects part indices (all when `None`).
pub(crate) fn submit_parts(
    text: &str,
    id: u64,
    packed: bool,
    source: &str,
    dest: &str,
    validity_until_ms: u64,
    only: Option<&[u8]>,
) -> Vec<SubmitPart> {
    // Stored texts were split successfully once; 255 parts is the IE's own limit, so a
    // configuration that lowered `max_sms_parts` since cannot strand a stored message.
    let parts = encode_sms(text, id, u8::MAX, packed).unwrap_or_default();
    (0u8..=u8::MAX)
        .zip(parts)
        .filter(|(i, _)| only.map_or(true, |o| o.contains(i)))
        .map(|(i, p)| SubmitPart::from_sms(i, p, source, dest, validity_until_ms))
        .collect()
}

/// Number of parts a stored SMS text splits into (at least 1).
pub(crate) fn part_count(text: &str, id: u64, packed: bool) -> usize {
    encode_sms(text, id, u8::MAX, packed).map_or(1, |p| p.len().max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gsm_fits_one_part_ucs2_splits_at_70() {
        let one = encode_sms(&"a".repeat(160), 1, 6, false).expect("fits");
        assert_eq!(one.len(), 1);
        assert_eq!(one.first().map(|p| p.data_coding), Some(0x00));
        let two = encode_sms(&"你".repeat(71), 1, 6, false).expect("fits");
        assert_eq!(two.len(), 2);
        assert!(two
            .iter()
            .all(|p| p.data_coding == 0x08 && p.esm_class_udhi));
        assert_eq!(
            encode_sms(&"a".repeat(153 * 6 + 1), 1, 6, false),
            Err(RelayError::TextTooLong {
                bytes: 153 * 6 + 1,
                max_parts: 6
            })
        );
    }

    #[test]
    fn submit_parts_select_and_carry_udhi() {
        let text = "b".repeat(400); // 3 parts of 153
        let all = submit_parts(&text, 7, false, "1065901", "+1234", 99, None);
        assert_eq!(all.len(), 3);
        assert!(all
            .iter()
            .all(|p| p.esm_class == 0x40 && p.registered_delivery == 1));
        let some = submit_parts(&text, 7, false, "1065901", "+1234", 99, Some(&[2]));
        assert_eq!(some.len(), 1);
        assert_eq!(some.first(), all.get(2));
        assert_eq!(part_count(&text, 7, false), 3);
    }
}
