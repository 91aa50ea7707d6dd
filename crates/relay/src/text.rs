//! SMS bodies in both directions, through `smartchat-sms`.
//!
//! Outgoing: GSM 7-bit when every character is in the GSM 03.38 alphabet (incl. the extension
//! table), else UCS-2, split into concatenated parts with an 8-bit reference taken from the
//! message id (TS 23.040 §9.2.3.24.1: the reference only has to differ between consecutive
//! concatenated messages to the same phone, which consecutive ids do). Re-splitting the stored
//! text gives the same parts again, so a retry or a post-crash resubmission needs no stored PDU.
//!
//! Incoming: [`MoReassembler`] takes raw `deliver_sm` parts (data_coding, short_message, UDHI or
//! SAR TLVs), decodes each with `smartchat_sms::decode_short_message` and reassembles them with
//! `smartchat_sms::Reassembler`, so the runtime can forward parts and call
//! [`crate::RelayShard::on_mobile_originated`] with whole texts.

use smartchat_sms::{
    decode_short_message, split_message, Payload, Reassembler, ReassemblyLimits, RefWidth,
    SeptetPacking, SmsError, SmsPart, SplitOptions,
};

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
        .filter(|(i, _)| only.is_none_or(|o| o.contains(i)))
        .map(|(i, p)| SubmitPart::from_sms(i, p, source, dest, validity_until_ms))
        .collect()
}

/// Number of parts a stored SMS text splits into (at least 1).
pub(crate) fn part_count(text: &str, id: u64, packed: bool) -> usize {
    encode_sms(text, id, u8::MAX, packed).map_or(1, |p| p.len().max(1))
}

/// One received `deliver_sm` part, as the ESME session hands it over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MoPart<'a> {
    /// `source_addr`: the phone.
    pub source: &'a str,
    /// `destination_addr`: the access number with its conversation extension. Part of the
    /// reassembly key, so replies to two conversations are never spliced together (C9).
    pub dest: &'a str,
    /// `data_coding`.
    pub data_coding: u8,
    /// `short_message` (or `message_payload`).
    pub short_message: &'a [u8],
    /// esm_class has UDHI (0x40): `short_message` starts with a UDH.
    pub udhi: bool,
    /// SAR TLVs `(sar_msg_ref_num, sar_total_segments, sar_segment_seqnum)`, if present.
    pub sar: Option<(u16, u8, u8)>,
}

/// Bounded reassembly of multi-part MOs (see `smartchat_sms::Reassembler` for the bounds).
#[derive(Debug)]
pub struct MoReassembler {
    inner: Reassembler,
    packing: SeptetPacking,
}

impl MoReassembler {
    /// At most `max_pending` partial messages, each dropped `max_age_ms` after its first part;
    /// `packed` says whether the SMSC sends GSM 7-bit packed.
    pub fn new(max_pending: usize, max_age_ms: u64, packed: bool) -> MoReassembler {
        MoReassembler {
            inner: Reassembler::new(max_pending, max_age_ms),
            packing: packing(packed),
        }
    }

    /// With explicit limits.
    pub fn with_limits(limits: ReassemblyLimits, packed: bool) -> MoReassembler {
        MoReassembler {
            inner: Reassembler::with_limits(limits),
            packing: packing(packed),
        }
    }

    /// Decodes one part and adds it; `Ok(Some(text))` when the message is complete (at once
    /// for a single-part MO). `Err(SmsError::ReassemblyFull)` maps to `ESME_RMSGQFUL`; a binary
    /// payload is `SmsError::BinaryPayload` (not text: answer it, do not deliver it).
    pub fn push(&mut self, part: MoPart<'_>, now_ms: u64) -> Result<Option<String>, SmsError> {
        let received = decode_short_message(
            part.data_coding,
            part.short_message,
            part.udhi,
            self.packing,
        )?;
        let text = match received.payload {
            Payload::Text(t) => t,
            Payload::Binary(_) => return Err(SmsError::BinaryPayload(part.data_coding)),
        };
        let key = format!("{}>{}", part.source, part.dest);
        match (received.concat, part.sar) {
            (Some(info), _) => self.inner.push(&key, info, text, now_ms),
            (None, Some((reference, total, seq))) => self
                .inner
                .push_sar(&key, reference, total, seq, text, now_ms),
            (None, None) => Ok(Some(text)),
        }
    }

    /// Drops partial messages older than the age limit; returns how many.
    pub fn expire(&mut self, now_ms: u64) -> usize {
        self.inner.expire(now_ms)
    }

    /// When the oldest partial message expires.
    pub fn next_deadline(&self) -> Option<u64> {
        self.inner.next_deadline()
    }

    /// Partial messages held.
    pub fn pending(&self) -> usize {
        self.inner.pending()
    }
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

    #[test]
    fn mo_parts_reassemble_in_any_order() {
        let text = "x".repeat(200);
        let parts = encode_sms(&text, 3, 6, false).expect("split");
        let mut r = MoReassembler::new(8, 60_000, false);
        let mut out = None;
        for p in parts.iter().rev() {
            let got = r
                .push(
                    MoPart {
                        source: "+1234",
                        dest: "1065901",
                        data_coding: p.data_coding,
                        short_message: &p.short_message,
                        udhi: p.esm_class_udhi,
                        sar: None,
                    },
                    0,
                )
                .expect("part");
            out = out.or(got);
        }
        assert_eq!(out.as_deref(), Some(text.as_str()));
        assert_eq!(r.pending(), 0);
        let single = r
            .push(
                MoPart {
                    source: "+1234",
                    dest: "10659",
                    data_coding: 0x08,
                    short_message: &[0x4F, 0x60],
                    udhi: false,
                    sar: None,
                },
                0,
            )
            .expect("ucs2");
        assert_eq!(single.as_deref(), Some("你"));
    }
}
