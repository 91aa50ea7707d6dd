//! Splitting into concatenated parts and reading the UDH (3GPP TS 23.040 §9.2.3.24).
mod common;

use common::*;
use smartchat_sms::*;

fn opts(width: RefWidth, packing: SeptetPacking) -> SplitOptions {
    SplitOptions {
        reference: 0xA1B2,
        reference_width: width,
        packing,
        max_parts: 255,
    }
}

/// Septets (GSM) or UTF-16 units (UCS-2) of text in each part, decoded back.
fn part_texts(parts: &[SmsPart], packing: SeptetPacking) -> Vec<String> {
    parts
        .iter()
        .map(|p| {
            let rp =
                decode_short_message(p.data_coding, &p.short_message, p.esm_class_udhi, packing)
                    .unwrap();
            match rp.payload {
                Payload::Text(t) => t,
                Payload::Binary(_) => panic!("binary"),
            }
        })
        .collect()
}

const PACKINGS: [SeptetPacking; 2] = [SeptetPacking::Packed, SeptetPacking::Unpacked];

#[test]
fn gsm_single_part_limit_is_160() {
    for packing in PACKINGS {
        let o = opts(RefWidth::Bits8, packing);
        let p160 = split_message(&"a".repeat(160), &o).unwrap();
        assert_eq!(p160.len(), 1);
        assert!(!p160[0].esm_class_udhi);
        assert_eq!(p160[0].data_coding, 0x00);
        assert_eq!(p160[0].concat, None);
        let expect_len = if packing == SeptetPacking::Packed {
            140
        } else {
            160
        };
        assert_eq!(p160[0].short_message.len(), expect_len);
        let p161 = split_message(&"a".repeat(161), &o).unwrap();
        assert_eq!(p161.len(), 2);
        assert!(p161.iter().all(|p| p.esm_class_udhi));
        assert_eq!(part_texts(&p161, packing).concat(), "a".repeat(161));
    }
}

#[test]
fn gsm_parts_hold_153_or_152_septets() {
    for packing in PACKINGS {
        for (width, per) in [(RefWidth::Bits8, 153), (RefWidth::Bits16, 152)] {
            let o = opts(width, packing);
            let exact = split_message(&"b".repeat(per * 2), &o).unwrap();
            assert_eq!(exact.len(), 2, "{width:?} {packing:?}");
            let texts = part_texts(&exact, packing);
            assert_eq!(texts[0].len(), per);
            assert_eq!(texts[1].len(), per);
            let over = split_message(&"b".repeat(per * 2 + 1), &o).unwrap();
            assert_eq!(over.len(), 3);
            if packing == SeptetPacking::Packed {
                // A full part fills the 140 octets of user data exactly.
                assert!(exact.iter().all(|p| p.short_message.len() == 140));
            } else {
                let udh = width.udh_len();
                assert!(exact.iter().all(|p| p.short_message.len() == udh + per));
            }
        }
    }
}

#[test]
fn udh_bytes_follow_ts_23_040() {
    let text = "c".repeat(200);
    let p8 = split_message(&text, &opts(RefWidth::Bits8, SeptetPacking::Unpacked)).unwrap();
    assert_eq!(
        &p8[0].short_message[..6],
        &[0x05, 0x00, 0x03, 0xB2, 0x02, 0x01]
    );
    assert_eq!(
        &p8[1].short_message[..6],
        &[0x05, 0x00, 0x03, 0xB2, 0x02, 0x02]
    );
    let p16 = split_message(&text, &opts(RefWidth::Bits16, SeptetPacking::Unpacked)).unwrap();
    assert_eq!(
        &p16[1].short_message[..7],
        &[0x06, 0x08, 0x04, 0xA1, 0xB2, 0x02, 0x02]
    );
    assert_eq!(
        parse_udh(&p16[1].short_message).unwrap().map(|(c, _)| c),
        Some(ConcatInfo {
            reference: 0xA1B2,
            total: 2,
            seq: 2
        })
    );
    assert_eq!(
        p16[1].concat,
        Some(ConcatInfo {
            reference: 0xA1B2,
            total: 2,
            seq: 2
        })
    );
}

#[test]
fn packed_part_with_udh_matches_reference_packing() {
    // 8-bit reference: 6-octet UDH, then 1 fill bit (TS 23.040 §9.2.3.24).
    let text = "d".repeat(300);
    let parts = split_message(&text, &opts(RefWidth::Bits8, SeptetPacking::Packed)).unwrap();
    let septets = vec![b'd'; 153];
    assert_eq!(
        &parts[0].short_message[6..],
        &reference_pack(&septets, 1)[..]
    );
    assert_eq!(fill_bits_for_udh(6), 1);
    assert_eq!(fill_bits_for_udh(7), 0);
    assert_eq!(fill_bits_for_udh(12), 2); // 96 bits + 2 = 14 septets
}

#[test]
fn escape_pair_is_never_split() {
    for packing in PACKINGS {
        // 152 'e' then '€' (2 septets) would end part 1 at septet 154 > 153.
        let text = format!("{}€{}", "e".repeat(152), "f".repeat(10));
        let parts = split_message(&text, &opts(RefWidth::Bits8, packing)).unwrap();
        let texts = part_texts(&parts, packing);
        assert_eq!(texts[0], "e".repeat(152));
        assert!(texts[1].starts_with('€'));
        assert_eq!(texts.concat(), text);
        // 151 'e' then '€' ends exactly at 153.
        let text = format!("{}€{}", "e".repeat(151), "f".repeat(10));
        let texts = part_texts(
            &split_message(&text, &opts(RefWidth::Bits8, packing)).unwrap(),
            packing,
        );
        assert_eq!(texts[0], format!("{}€", "e".repeat(151)));
        // Single part: 159 septets + '€' = 161 → two parts; 158 + '€' = 160 → one.
        assert_eq!(
            split_message(
                &format!("{}€", "g".repeat(159)),
                &opts(RefWidth::Bits8, packing)
            )
            .unwrap()
            .len(),
            2
        );
        assert_eq!(
            split_message(
                &format!("{}€", "g".repeat(158)),
                &opts(RefWidth::Bits8, packing)
            )
            .unwrap()
            .len(),
            1
        );
    }
}

#[test]
fn ucs2_limits_are_70_67_66() {
    let o8 = opts(RefWidth::Bits8, SeptetPacking::Packed);
    let one = split_message(&"你".repeat(70), &o8).unwrap();
    assert_eq!(one.len(), 1);
    assert_eq!(one[0].data_coding, 0x08);
    assert_eq!(one[0].short_message.len(), 140);
    let two = split_message(&"你".repeat(71), &o8).unwrap();
    assert_eq!(two.len(), 2);
    assert_eq!(two[0].short_message.len(), 6 + 67 * 2);
    assert_eq!(split_message(&"你".repeat(134), &o8).unwrap().len(), 2);
    assert_eq!(split_message(&"你".repeat(135), &o8).unwrap().len(), 3);
    let o16 = opts(RefWidth::Bits16, SeptetPacking::Packed);
    let p = split_message(&"你".repeat(132), &o16).unwrap();
    assert_eq!(p.len(), 2);
    assert_eq!(p[0].short_message.len(), 7 + 66 * 2);
    assert_eq!(split_message(&"你".repeat(133), &o16).unwrap().len(), 3);
    assert_eq!(
        part_texts(&p, SeptetPacking::Packed).concat(),
        "你".repeat(132)
    );
}

#[test]
fn surrogate_pair_is_never_split() {
    let o = opts(RefWidth::Bits8, SeptetPacking::Unpacked);
    // 66 units then an emoji (2 units) would end at unit 68 > 67.
    let text = format!("{}😀{}", "你".repeat(66), "好".repeat(5));
    let parts = split_message(&text, &o).unwrap();
    let texts = part_texts(&parts, SeptetPacking::Unpacked);
    assert_eq!(texts[0], "你".repeat(66));
    assert!(texts[1].starts_with('😀'));
    assert_eq!(parts[0].short_message.len(), 6 + 66 * 2);
    assert_eq!(texts.concat(), text);
    // Single part: 69 units + emoji = 71 → split; 68 + emoji = 70 → one part.
    assert_eq!(
        split_message(&format!("{}😀", "你".repeat(69)), &o)
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        split_message(&format!("{}😀", "你".repeat(68)), &o)
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn too_many_parts_is_an_error() {
    let o = SplitOptions {
        max_parts: 3,
        ..SplitOptions::default()
    };
    assert_eq!(split_message(&"h".repeat(153 * 3), &o).unwrap().len(), 3);
    assert_eq!(
        split_message(&"h".repeat(153 * 3 + 1), &o),
        Err(SmsError::TooManyParts { max: 3 })
    );
    let o = SplitOptions::default();
    assert_eq!(
        split_message(&"h".repeat(153 * 255), &o).unwrap().len(),
        255
    );
    assert_eq!(
        split_message(&"h".repeat(153 * 255 + 1), &o),
        Err(SmsError::TooManyParts { max: 255 })
    );
    assert!(split_message(&"你".repeat(67 * 255 + 1), &o).is_err());
    // Huge input fails fast.
    assert!(split_message(&"h".repeat(10_000_000), &o).is_err());
    let zero = SplitOptions {
        max_parts: 0,
        ..SplitOptions::default()
    };
    assert!(split_message("hi", &zero).is_err());
}

#[test]
fn forced_coding_and_unsupported() {
    let o = SplitOptions::default();
    let p = split_message_as("abc", DataCoding::Ucs2, &o).unwrap();
    assert_eq!(p[0].data_coding, 0x08);
    assert_eq!(p[0].short_message, [0, b'a', 0, b'b', 0, b'c']);
    assert_eq!(
        split_message_as("你", DataCoding::Gsm7, &o),
        Err(SmsError::Unrepresentable {
            ch: '你', index: 0
        })
    );
    assert_eq!(
        split_message_as("a", DataCoding::Latin1, &o),
        Err(SmsError::UnsupportedDataCoding(0x03))
    );
    let empty = split_message("", &o).unwrap();
    assert_eq!(empty.len(), 1);
    assert!(empty[0].short_message.is_empty());
}

#[test]
fn packed_cr_at_part_end_survives() {
    // Part 1 of an 8-bit-ref packed split ends on an octet boundary (1 + 153*7 = 1072 bits);
    // a CR there would read as padding, so it moves to part 2.
    let text = format!("{}\r{}", "i".repeat(152), "j".repeat(20));
    let parts = split_message(&text, &opts(RefWidth::Bits8, SeptetPacking::Packed)).unwrap();
    let texts = part_texts(&parts, SeptetPacking::Packed);
    assert_eq!(texts[0], "i".repeat(152));
    assert_eq!(texts.concat(), text);
    // A single packed part of exactly 160 septets ending in CR cannot double it: two parts.
    let text = format!("{}\r", "k".repeat(159));
    let parts = split_message(&text, &opts(RefWidth::Bits8, SeptetPacking::Packed)).unwrap();
    assert_eq!(parts.len(), 2);
    assert_eq!(part_texts(&parts, SeptetPacking::Packed).concat(), text);
    // Unpacked needs none of this.
    let parts = split_message(&text, &opts(RefWidth::Bits8, SeptetPacking::Unpacked)).unwrap();
    assert_eq!(parts.len(), 1);
}

#[test]
fn udh_parsing_is_tolerant_and_bounded() {
    assert!(split_udh(&[]).is_err());
    assert!(split_udh(&[0x05, 0x00, 0x03, 0x01]).is_err()); // UDHL past end
    assert!(split_udh(&[0x03, 0x00, 0x03, 0x01]).is_err()); // IE past UDH
    assert!(split_udh(&[0x01, 0x00]).is_err()); // IE without length
    let v = split_udh(&[0x00, b'x']).unwrap();
    assert_eq!((v.header_len, v.concat, v.payload), (1, None, &b"x"[..]));
    // Other IEs are skipped (0x24 national language single shift), invalid concat ignored.
    let sm = [0x08, 0x24, 0x01, 0x01, 0x00, 0x03, 0x07, 0x02, 0x03, b'z'];
    assert_eq!(parse_udh(&sm).unwrap(), None);
    assert_eq!(split_udh(&sm).unwrap().payload, b"z");
    for (total, seq) in [(0u8, 0u8), (2, 0), (2, 3)] {
        assert_eq!(
            parse_udh(&[0x05, 0x00, 0x03, 0x07, total, seq]).unwrap(),
            None
        );
    }
    // The last valid concatenation IE wins.
    let sm = [
        0x0A, 0x00, 0x03, 0x07, 0x02, 0x01, 0x00, 0x03, 0x09, 0x03, 0x02, b'y',
    ];
    assert_eq!(
        parse_udh(&sm).unwrap(),
        Some((
            ConcatInfo {
                reference: 9,
                total: 3,
                seq: 2
            },
            &b"y"[..]
        ))
    );
}
