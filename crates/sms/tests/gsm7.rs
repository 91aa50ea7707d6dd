//! GSM 03.38 alphabet, extension table and 7-bit packing (3GPP TS 23.038).
mod common;

use common::*;
use proptest::prelude::*;
use smartchat_sms::gsm7::{DEFAULT_ALPHABET, ESC, EXTENSION_TABLE};
use smartchat_sms::*;

#[test]
fn known_vectors_encode_decode_pack() {
    let lines = vector_lines("gsm7.txt");
    assert!(lines.len() >= 6, "vector file too small");
    for line in lines {
        let cols: Vec<&str> = line.split('\t').collect();
        let [text, unpacked, packed] = cols[..] else {
            panic!("bad line {line:?}")
        };
        let text = unescape(text);
        let mut septets = Vec::new();
        let n = gsm7_encode_unpacked(&text, &mut septets).unwrap();
        assert_eq!(to_hex(&septets), unpacked, "unpacked {text:?}");
        assert_eq!(n, septets.len());
        assert_eq!(gsm7_septet_len(&text), Some(n));
        let mut octets = Vec::new();
        gsm7_pack(&septets, 0, &mut octets);
        assert_eq!(to_hex(&octets), packed, "packed {text:?}");
        let mut back = Vec::new();
        gsm7_unpack(&octets, 0, n, &mut back).unwrap();
        assert_eq!(back, septets);
        assert_eq!(gsm7_decode_unpacked(&septets).unwrap(), text);
        assert_eq!(
            decode_text(0, &octets, SeptetPacking::Packed).unwrap(),
            text
        );
        assert_eq!(
            decode_text(0, &septets, SeptetPacking::Unpacked).unwrap(),
            text
        );
    }
}

#[test]
fn euro_is_escape_0x65() {
    let mut out = Vec::new();
    assert_eq!(gsm7_encode_unpacked("€", &mut out), Ok(2));
    assert_eq!(out, [0x1B, 0x65]);
}

#[test]
fn whole_basic_table_round_trips() {
    let mut seen = 0;
    for septet in 0u8..128 {
        if septet == ESC {
            continue;
        }
        let ch = DEFAULT_ALPHABET[usize::from(septet)];
        let mut out = Vec::new();
        gsm7_encode_unpacked(&ch.to_string(), &mut out).unwrap();
        assert_eq!(out, [septet], "{ch:?}");
        assert_eq!(gsm7_decode_unpacked(&[septet]).unwrap(), ch.to_string());
        seen += 1;
    }
    assert_eq!(seen, 127);
}

#[test]
fn whole_extension_table_round_trips() {
    let expected = ['\u{000C}', '^', '{', '}', '\\', '[', '~', ']', '|', '€'];
    let chars: Vec<char> = EXTENSION_TABLE.iter().map(|&(_, c)| c).collect();
    assert_eq!(chars, expected);
    for &(septet, ch) in EXTENSION_TABLE.iter() {
        let mut out = Vec::new();
        assert_eq!(gsm7_encode_unpacked(&ch.to_string(), &mut out), Ok(2));
        assert_eq!(out, [ESC, septet]);
        assert_eq!(gsm7_decode_unpacked(&out).unwrap(), ch.to_string());
    }
    let all: String = expected.iter().collect();
    assert_eq!(gsm7_septet_len(&all), Some(20));
}

#[test]
fn unknown_extension_falls_back_to_basic_and_trailing_escape_is_space() {
    // §6.2.1.1: an undefined extension code shows the default-alphabet character.
    assert_eq!(gsm7_decode_unpacked(&[ESC, 0x41]).unwrap(), "A");
    assert_eq!(gsm7_decode_unpacked(&[0x41, ESC]).unwrap(), "A ");
}

#[test]
fn unrepresentable_characters_are_named() {
    let text = "ok ` 你 ç";
    let err = gsm7_encode_unpacked(text, &mut Vec::new()).unwrap_err();
    assert_eq!(err, SmsError::Unrepresentable { ch: '`', index: 3 });
    let bad: Vec<(usize, char)> = gsm7_unrepresentable(text).collect();
    assert_eq!(bad, vec![(3, '`'), (5, '你'), (9, 'ç')]);
    assert_eq!(gsm7_septet_len(text), None);
    // The output buffer is left as it was.
    let mut out = vec![7u8];
    assert!(gsm7_encode_unpacked("a`", &mut out).is_err());
    assert_eq!(out, [7]);
}

#[test]
fn invalid_septet_and_truncation_are_errors() {
    assert_eq!(
        gsm7_decode_unpacked(&[0x41, 0x80]),
        Err(SmsError::InvalidSeptet {
            value: 0x80,
            index: 1
        })
    );
    assert!(matches!(
        gsm7_unpack(&[0xFF; 7], 0, 9, &mut Vec::new()),
        Err(SmsError::Truncated {
            needed_bits: 63,
            available_bits: 56
        })
    ));
    assert!(gsm7_unpack(&[0xFF; 7], 1, 8, &mut Vec::new()).is_err());
    assert!(gsm7_unpack(&[], 3, 0, &mut Vec::new()).is_ok());
}

#[test]
fn seven_spare_bits_are_padded_with_cr() {
    // 7 septets = 49 bits in 7 octets: 7 spare bits must be CR, not '@' (TS 23.038 §6.1.2.3.1).
    let mut septets = Vec::new();
    gsm7_encode_unpacked("1234567", &mut septets).unwrap();
    let mut packed = Vec::new();
    gsm7_pack(&septets, 0, &mut packed);
    let mut with_cr = septets.clone();
    with_cr.push(0x0D);
    assert_eq!(packed, reference_pack(&with_cr, 0));
    assert_eq!(
        decode_text(0, &packed, SeptetPacking::Packed).unwrap(),
        "1234567"
    );
}

#[test]
fn final_cr_on_octet_boundary_is_doubled() {
    // 8 septets ending in CR end on an octet boundary; the sender adds a CR and the receiver
    // sees CR CR (TS 23.038 §6.1.2.3.1).
    let mut out = Vec::new();
    assert_eq!(gsm7_encode_packed("abcdefg\r", 0, &mut out), Ok(9));
    assert_eq!(
        decode_text(0, &out, SeptetPacking::Packed).unwrap(),
        "abcdefg\r\r"
    );
    // Not on a boundary: no doubling.
    let mut out = Vec::new();
    assert_eq!(gsm7_encode_packed("abc\r", 0, &mut out), Ok(4));
    assert_eq!(
        decode_text(0, &out, SeptetPacking::Packed).unwrap(),
        "abc\r"
    );
}

#[test]
fn pack_with_fill_bits_matches_reference() {
    let septets: Vec<u8> = (0u8..40).map(|i| i.wrapping_mul(37) & 0x7F).collect();
    for fill in 0..7u8 {
        let mut out = Vec::new();
        gsm7_pack(&septets, fill, &mut out);
        let bits = usize::from(fill) + septets.len() * 7;
        let mut expect_septets = septets.clone();
        if bits % 8 == 1 {
            expect_septets.push(0x0D);
        }
        assert_eq!(
            out,
            reference_pack(&expect_septets, usize::from(fill)),
            "fill {fill}"
        );
        let mut back = Vec::new();
        gsm7_unpack(&out, fill, septets.len(), &mut back).unwrap();
        assert_eq!(back, septets);
    }
}

fn gsm_char() -> impl Strategy<Value = char> {
    let mut all: Vec<char> = DEFAULT_ALPHABET
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != usize::from(ESC))
        .map(|(_, &c)| c)
        .collect();
    all.extend(EXTENSION_TABLE.iter().map(|&(_, c)| c));
    proptest::sample::select(all)
}

proptest! {
    #[test]
    fn pack_unpack_identity(septets in proptest::collection::vec(0u8..128, 0..400), fill in 0u8..7) {
        let mut packed = Vec::new();
        gsm7_pack(&septets, fill, &mut packed);
        prop_assert_eq!(packed.len(), (septets.len() * 7 + usize::from(fill)).div_ceil(8) * usize::from(!septets.is_empty()));
        let mut back = Vec::new();
        gsm7_unpack(&packed, fill, septets.len(), &mut back).unwrap();
        prop_assert_eq!(back, septets);
    }

    #[test]
    fn gsm_text_round_trips(chars in proptest::collection::vec(gsm_char(), 0..300), fill in 0u8..7) {
        let text: String = chars.into_iter().collect();
        let mut septets = Vec::new();
        let n = gsm7_encode_unpacked(&text, &mut septets).unwrap();
        prop_assert_eq!(Some(n), gsm7_septet_len(&text));
        prop_assert_eq!(gsm7_decode_unpacked(&septets).unwrap(), text.clone());
        let mut packed = Vec::new();
        let m = gsm7_encode_packed(&text, fill, &mut packed).unwrap();
        let decoded = decode_text_with_fill(0, &packed, SeptetPacking::Packed, fill).unwrap();
        if m == n {
            prop_assert_eq!(decoded, text);
        } else {
            // Only the documented CR doubling may add a septet.
            prop_assert_eq!(decoded, format!("{text}\r"));
        }
    }

    #[test]
    fn unpack_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200), fill in any::<u8>(), count in 0usize..300) {
        let mut out = Vec::new();
        let r = gsm7_unpack(&bytes, fill, count, &mut out);
        prop_assert_eq!(r.is_ok(), count == 0 || count * 7 + usize::from(fill & 7) <= bytes.len() * 8);
        let _ = decode_text_with_fill(0, &bytes, SeptetPacking::Packed, fill);
        let _ = decode_text(0, &bytes, SeptetPacking::Unpacked);
    }
}
