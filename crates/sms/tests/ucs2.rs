//! UCS-2 (big-endian UTF-16) for data_coding 0x08.
mod common;

use common::*;
use proptest::prelude::*;
use smartchat_sms::*;

#[test]
fn known_vectors() {
    let lines = vector_lines("ucs2.txt");
    assert!(lines.len() >= 4);
    for line in lines {
        let cols: Vec<&str> = line.split('\t').collect();
        let [text, hexs, units] = cols[..] else {
            panic!("bad line {line:?}")
        };
        let mut out = Vec::new();
        ucs2_encode(text, &mut out);
        assert_eq!(to_hex(&out), hexs, "{text}");
        assert_eq!(ucs2_len(text), units.parse::<usize>().unwrap());
        assert_eq!(ucs2_decode(&hex(hexs)).unwrap(), text);
        assert_eq!(ucs2_decode_strict(&hex(hexs)).unwrap(), text);
        assert_eq!(
            decode_text(0x08, &out, SeptetPacking::Unpacked).unwrap(),
            text
        );
    }
}

#[test]
fn lone_surrogates_are_replaced_or_rejected() {
    // High surrogate with no low one, then 'A'.
    let bytes = [0xD8, 0x3D, 0x00, 0x41];
    assert_eq!(ucs2_decode(&bytes).unwrap(), "\u{FFFD}A");
    assert_eq!(
        ucs2_decode_strict(&bytes),
        Err(SmsError::LoneSurrogate {
            unit: 0xD83D,
            index: 0
        })
    );
    // A low surrogate alone, after a BMP character.
    let bytes = [0x00, 0x61, 0xDE, 0x00];
    assert_eq!(ucs2_decode(&bytes).unwrap(), "a\u{FFFD}");
    assert_eq!(
        ucs2_decode_strict(&bytes),
        Err(SmsError::LoneSurrogate {
            unit: 0xDE00,
            index: 2
        })
    );
}

#[test]
fn odd_length_is_an_error() {
    assert_eq!(
        ucs2_decode(&[0x00, 0x41, 0x00]),
        Err(SmsError::OddUcs2Length(3))
    );
}

proptest! {
    #[test]
    fn encode_decode_identity(text in "\\PC{0,200}") {
        let mut out = Vec::new();
        ucs2_encode(&text, &mut out);
        prop_assert_eq!(out.len(), ucs2_len(&text) * 2);
        prop_assert_eq!(ucs2_decode_strict(&out).unwrap(), text);
    }

    #[test]
    fn decode_arbitrary_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let lossy = ucs2_decode(&bytes);
        prop_assert_eq!(lossy.is_ok(), bytes.len() % 2 == 0);
        if let Ok(strict) = ucs2_decode_strict(&bytes) {
            prop_assert_eq!(Ok(strict), lossy);
        }
    }
}
