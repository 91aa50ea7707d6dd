#![no_main]
//! SMPP 3.4 Appendix B delivery-receipt text: `parse_receipt` must never panic, and whatever it
//! accepts must respect the documented bounds.
use smartchat_sms::parse_receipt;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(r) = parse_receipt(&text) {
        assert!(!r.id.is_empty() && r.id.len() <= 64);
        assert!(r.id.bytes().all(|b| b.is_ascii_graphic()));
        for d in [r.submit_date, r.done_date].into_iter().flatten() {
            assert!(d.len() == 10 || d.len() == 12);
        }
        let _ = (
            r.stat.is_final(),
            r.stat.message_state(),
            r.submit_date_parsed(),
        );
    }
});
