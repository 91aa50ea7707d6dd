//! Delivery-receipt text (SMPP 3.4 Appendix B) in carrier styles.
mod common;

use common::*;
use proptest::prelude::*;
use smartchat_sms::*;

fn opt(s: &str) -> Option<&str> {
    (s != "-").then_some(s)
}

#[test]
fn receipt_vectors_parse_as_expected() {
    let raw = std::fs::read_to_string(vector_path("receipts.txt")).unwrap();
    let lines: Vec<&str> = raw.lines().filter(|l| !l.is_empty()).collect();
    let expected = vector_lines("receipts.expected");
    assert_eq!(
        lines.len(),
        expected.len(),
        "receipts.txt and receipts.expected disagree"
    );
    assert!(lines.len() >= 10);
    for (line, exp) in lines.iter().zip(expected.iter()) {
        let cols: Vec<&str> = exp.split('\t').collect();
        let [id, sub, dlvrd, submit, done, stat, fin, err, text] = cols[..] else {
            panic!("bad expectation {exp:?}")
        };
        let r = parse_receipt(line).unwrap_or_else(|e| panic!("{line:?}: {e}"));
        assert_eq!(r.id, id, "{line}");
        assert_eq!(r.sub, opt(sub).map(|s| s.parse().unwrap()), "{line}");
        assert_eq!(r.dlvrd, opt(dlvrd).map(|s| s.parse().unwrap()), "{line}");
        assert_eq!(r.submit_date, opt(submit), "{line}");
        assert_eq!(r.done_date, opt(done), "{line}");
        assert_eq!(r.stat.as_str(), stat, "{line}");
        assert_eq!(r.stat.is_final().to_string(), fin, "{line}");
        assert_eq!(r.err, opt(err), "{line}");
        assert_eq!(r.text, opt(text), "{line}");
    }
}

#[test]
fn smsc_sim_receipt() {
    let r = parse_receipt(
        "id:0000002A sub:001 dlvrd:001 submit date:2611281200 done date:2611281200 stat:DELIVRD err:000 text:hello",
    )
    .unwrap();
    assert_eq!(r.stat, ReceiptStat::Delivered);
    assert_eq!(r.stat.message_state(), Some(2));
    assert_eq!(
        r.submit_date_parsed(),
        Some(ReceiptDate {
            year: 26,
            month: 11,
            day: 28,
            hour: 12,
            minute: 0,
            second: None
        })
    );
}

#[test]
fn stat_values_map_to_enum() {
    let cases = [
        ("DELIVRD", ReceiptStat::Delivered, true, 2),
        ("EXPIRED", ReceiptStat::Expired, true, 3),
        ("DELETED", ReceiptStat::Deleted, true, 4),
        ("UNDELIV", ReceiptStat::Undeliverable, true, 5),
        ("ACCEPTD", ReceiptStat::Accepted, true, 6),
        ("UNKNOWN", ReceiptStat::Unknown, true, 7),
        ("REJECTD", ReceiptStat::Rejected, true, 8),
        ("ENROUTE", ReceiptStat::Enroute, false, 1),
    ];
    for (s, st, fin, state) in cases {
        let line = format!("id:1 stat:{}", s.to_lowercase());
        let r = parse_receipt(&line).unwrap();
        assert_eq!(r.stat, st);
        assert_eq!(r.stat.as_str(), s);
        assert_eq!(r.stat.is_final(), fin);
        assert_eq!(r.stat.message_state(), Some(state));
    }
    let other = ReceiptStat::parse("SENT");
    assert_eq!(other, ReceiptStat::Other("SENT".into()));
    assert!(!other.is_final());
    assert_eq!(other.message_state(), None);
}

#[test]
fn text_swallows_colons_and_keys() {
    let r = parse_receipt("id:5 stat:DELIVRD text:stat:UNDELIV id:9 err:1 a:b").unwrap();
    assert_eq!(r.id, "5");
    assert_eq!(r.stat, ReceiptStat::Delivered);
    assert_eq!(r.err, None);
    assert_eq!(r.text, Some("stat:UNDELIV id:9 err:1 a:b"));
}

#[test]
fn tolerant_spacing_and_variants() {
    let r = parse_receipt(
        "  id : abc   SUBMIT-DATE:2401010000  done\tdate:2401010001 stat:  UNDELIV   err:  ",
    )
    .unwrap();
    assert_eq!(r.id, "abc");
    assert_eq!(r.submit_date, Some("2401010000"));
    assert_eq!(r.done_date, Some("2401010001"));
    assert_eq!(r.stat, ReceiptStat::Undeliverable);
    assert_eq!(r.err, None);
    assert_eq!(r.text, None);
    // Keys are recognised only at token starts: "subject:" is not "sub".
    let r = parse_receipt("id:1 subject:9 stat:DELIVRD").unwrap();
    assert_eq!(r.sub, None);
    // First occurrence wins.
    let r = parse_receipt("id:1 id:2 stat:DELIVRD stat:UNDELIV").unwrap();
    assert_eq!((r.id, r.stat), ("1", ReceiptStat::Delivered));
}

#[test]
fn ids_up_to_64_chars() {
    let id64 = "f".repeat(64);
    assert_eq!(
        parse_receipt(&format!("id:{id64} stat:DELIVRD"))
            .unwrap()
            .id,
        id64
    );
    assert_eq!(
        parse_receipt(&format!("id:{id64}0 stat:DELIVRD")),
        Err(SmsError::ReceiptInvalidField("id"))
    );
    let uuid = "550e8400-e29b-41d4-a716-446655440000";
    assert_eq!(
        parse_receipt(&format!("id:{uuid} stat:DELIVRD"))
            .unwrap()
            .id,
        uuid
    );
}

#[test]
fn errors_for_missing_or_bad_fields() {
    assert_eq!(
        parse_receipt("stat:DELIVRD"),
        Err(SmsError::ReceiptMissingField("id"))
    );
    assert_eq!(
        parse_receipt("id: stat:DELIVRD"),
        Err(SmsError::ReceiptMissingField("id"))
    );
    assert_eq!(
        parse_receipt("id:1 err:0"),
        Err(SmsError::ReceiptMissingField("stat"))
    );
    assert_eq!(parse_receipt(""), Err(SmsError::ReceiptMissingField("id")));
    assert_eq!(
        parse_receipt(&format!("id:1 stat:{}", "X".repeat(33))),
        Err(SmsError::ReceiptInvalidField("stat"))
    );
    let huge = format!("id:1 stat:DELIVRD text:{}", "x".repeat(70_000));
    assert!(matches!(
        parse_receipt(&huge),
        Err(SmsError::ReceiptTooLong { .. })
    ));
    // Non-numeric counts and malformed dates are dropped, not fatal.
    let r = parse_receipt("id:1 sub:abc dlvrd:99999999999 submit date:2401 stat:DELIVRD").unwrap();
    assert_eq!((r.sub, r.dlvrd, r.submit_date), (None, None, None));
}

#[test]
fn dates_are_range_checked() {
    assert_eq!(
        ReceiptDate::parse("240229235959"),
        Some(ReceiptDate {
            year: 24,
            month: 2,
            day: 29,
            hour: 23,
            minute: 59,
            second: Some(59)
        })
    );
    for bad in [
        "2413011200",
        "2401321200",
        "2401012400",
        "2401011260",
        "240101120060",
        "24010112",
        "24O1011200",
    ] {
        assert_eq!(ReceiptDate::parse(bad), None, "{bad}");
    }
}

proptest! {
    #[test]
    fn parse_receipt_never_panics(s in "\\PC{0,300}") {
        if let Ok(r) = parse_receipt(&s) {
            prop_assert!(!r.id.is_empty() && r.id.len() <= 64);
        }
    }

    #[test]
    fn parse_receipt_never_panics_on_near_misses(
        parts in proptest::collection::vec(
            prop_oneof![
                Just("id:".to_owned()), Just("stat:".to_owned()), Just("text:".to_owned()),
                Just("submit date:".to_owned()), Just("done_date:".to_owned()), Just(" ".to_owned()),
                Just("DELIVRD".to_owned()), Just("\0".to_owned()), "[0-9A-Fa-f:é ]{0,12}",
            ],
            0..30,
        ),
    ) {
        let s: String = parts.concat();
        if let Ok(r) = parse_receipt(&s) {
            prop_assert!(r.id.bytes().all(|b| b.is_ascii_graphic()));
            prop_assert!(s.contains(r.id));
        }
    }

    #[test]
    fn generated_receipts_round_trip(
        id in "[0-9A-Za-z-]{1,64}",
        sub in 0u32..1000,
        date in "[0-9]{10}|[0-9]{12}",
        text in "[ -~]{0,40}",
        upper in any::<bool>(),
    ) {
        let line = format!("id:{id} sub:{sub:03} dlvrd:{sub:03} submit date:{date} done date:{date} stat:DELIVRD err:000 text:{text}");
        let line = if upper { line.replacen("submit date", "SUBMIT_DATE", 1) } else { line };
        let r = parse_receipt(&line).unwrap();
        prop_assert_eq!(r.id, id.as_str());
        prop_assert_eq!(r.sub, Some(sub));
        prop_assert_eq!(r.submit_date, Some(date.as_str()));
        prop_assert_eq!(r.text, Some(text.as_str()));
    }
}
