//! data_coding values, choosing a coding, and decoding per coding.
use smartchat_sms::*;

#[test]
fn data_coding_bytes_round_trip() {
    for dc in [
        DataCoding::Gsm7,
        DataCoding::Ia5,
        DataCoding::Latin1,
        DataCoding::Binary,
        DataCoding::Ucs2,
    ] {
        assert_eq!(DataCoding::from_byte(dc.to_byte()), Some(dc));
    }
    assert_eq!(DataCoding::from_byte(0x02), Some(DataCoding::Binary));
    // TS 23.038 §4 groups: class 0 UCS-2 (flash), class 1 GSM, 8-bit class 2.
    assert_eq!(DataCoding::from_byte(0x18), Some(DataCoding::Ucs2));
    assert_eq!(DataCoding::from_byte(0xF1), Some(DataCoding::Gsm7));
    assert_eq!(DataCoding::from_byte(0xF6), Some(DataCoding::Binary));
    for unsupported in [0x05u8, 0x06, 0x09, 0x0E, 0x1C, 0x20, 0x80] {
        assert_eq!(DataCoding::from_byte(unsupported), None, "{unsupported:#x}");
        assert_eq!(
            decode_text(unsupported, b"x", SeptetPacking::Unpacked),
            Err(SmsError::UnsupportedDataCoding(unsupported))
        );
    }
}

#[test]
fn choose_coding_picks_gsm_when_everything_fits() {
    assert_eq!(choose_coding(""), DataCoding::Gsm7);
    assert_eq!(choose_coding("Hello {world} €5 ^~|[]\\"), DataCoding::Gsm7);
    assert_eq!(choose_coding("Ελλάδα ΔΦΓ"), DataCoding::Ucs2); // lower-case Greek is not GSM
    assert_eq!(choose_coding("ΔΦΓΛΩΠΨΣΘΞ"), DataCoding::Gsm7);
    assert_eq!(choose_coding("price `5`"), DataCoding::Ucs2);
    assert_eq!(choose_coding("hi 😀"), DataCoding::Ucs2);
    assert_eq!(choose_coding("ça"), DataCoding::Ucs2);
}

#[test]
fn latin1_ia5_and_binary_on_receive() {
    let latin1 = [b'C', b'a', b'f', 0xE9, b' ', 0xA3, b'5'];
    assert_eq!(
        decode_text(0x03, &latin1, SeptetPacking::Unpacked).unwrap(),
        "Café £5"
    );
    assert_eq!(
        decode_text(0x01, &[b'o', b'k', 0xE9], SeptetPacking::Unpacked).unwrap(),
        "ok\u{FFFD}"
    );
    let bin = [0x00, 0xFF, 0x10];
    for dc in [0x02u8, 0x04] {
        assert_eq!(
            decode_payload(dc, &bin, SeptetPacking::Packed),
            Ok(Payload::Binary(&bin[..]))
        );
        assert_eq!(
            decode_text(dc, &bin, SeptetPacking::Packed),
            Err(SmsError::BinaryPayload(dc))
        );
    }
}

#[test]
fn decode_short_message_strips_udh_with_fill_bits() {
    let text = "Packed text after a UDH needs one fill bit; this one is long enough for two parts."
        .repeat(2);
    for packing in [SeptetPacking::Packed, SeptetPacking::Unpacked] {
        let opts = SplitOptions {
            reference: 0x1234,
            packing,
            ..SplitOptions::default()
        };
        let parts = split_message(&text, &opts).unwrap();
        assert_eq!(parts.len(), 2);
        let mut joined = String::new();
        for (i, p) in parts.iter().enumerate() {
            let rp =
                decode_short_message(p.data_coding, &p.short_message, p.esm_class_udhi, packing)
                    .unwrap();
            assert_eq!(
                rp.concat,
                Some(ConcatInfo {
                    reference: 0x34,
                    total: 2,
                    seq: i as u8 + 1
                })
            );
            let Payload::Text(t) = rp.payload else {
                panic!("binary")
            };
            joined.push_str(&t);
        }
        assert_eq!(joined, text);
    }
    // Without UDHI the whole short_message is text.
    let rp = decode_short_message(0, &[0x05, 0x00, 0x03], false, SeptetPacking::Unpacked).unwrap();
    assert_eq!(rp.concat, None);
    assert_eq!(rp.payload, Payload::Text("é@¥".to_owned()));
}
