#![no_main]
//! message/cpim (RFC 3862) and IMDN (RFC 5438) parsing on arbitrary bytes: the input is tried
//! both as a CPIM envelope (whose body is then parsed as IMDN) and as a bare IMDN document.
use smartchat_pidf::{parse_cpim, parse_imdn};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(m) = parse_cpim(data) {
        let _ = (m.from_uri(), m.to_uri(), m.datetime(), m.content_type());
        let _ = (m.message_id(), m.disposition_notification(), m.is_imdn());
        let _ = parse_imdn(m.body);
    }
    let _ = parse_imdn(data);
});
