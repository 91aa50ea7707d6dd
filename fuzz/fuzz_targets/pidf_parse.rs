#![no_main]
//! PIDF parsing (RFC 3863/4479/4480) on arbitrary bytes: must return Ok or a typed error, never
//! panic, and whatever parses must be interpretable.
use smartchat_pidf::{interpret, parse_pidf, Status};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(doc) = parse_pidf(data) {
        let _ = interpret(&doc);
        let _ = Status::from_document(&doc);
        let _ = doc.activities().count();
    }
});
