#![no_main]
//! Received `short_message` octets: UDH parsing, decoding for every data_coding and packing,
//! and reassembly, driven by one input. Nothing may panic, and the reassembler must stay
//! within its caps.
//!
//! Layout: byte 0 = flags (bit 0 UDHI, bit 1 packed), byte 1 = data_coding, then records of
//! `len, time_delta, source, bytes[len]` each decoded and pushed like one deliver_sm.
use smartchat_sms::{
    decode_short_message, decode_text, gsm7_unpack, parse_udh, Payload, Reassembler,
    ReassemblyLimits, SeptetPacking,
};

const CODINGS: [u8; 9] = [0x00, 0x01, 0x02, 0x03, 0x04, 0x08, 0x18, 0xF0, 0xF4];

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let [flags, dc, rest @ ..] = data else { return };
    let udhi = flags & 1 != 0;
    let packing = if flags & 2 != 0 {
        SeptetPacking::Packed
    } else {
        SeptetPacking::Unpacked
    };

    // The whole rest as one short_message, through every coding.
    let _ = parse_udh(rest);
    for c in CODINGS.iter().copied().chain([*dc]) {
        for p in [SeptetPacking::Packed, SeptetPacking::Unpacked] {
            let _ = decode_text(c, rest, p);
            let _ = decode_short_message(c, rest, true, p);
        }
    }
    let mut septets = Vec::new();
    let _ = gsm7_unpack(rest, *flags, usize::from(*dc), &mut septets);
    assert!(septets.len() <= usize::from(*dc));

    // Records pushed into a small reassembler.
    let limits = ReassemblyLimits {
        max_pending: 4,
        max_bytes: 512,
        max_age_ms: 1000,
    };
    let mut r = Reassembler::with_limits(limits);
    let mut now = 0u64;
    let mut input = rest;
    while let [len, dt, src, tail @ ..] = input {
        let n = usize::from(*len).min(tail.len());
        let (sm, next) = tail.split_at(n);
        input = next;
        now += u64::from(*dt) * 16;
        if let Ok(part) = decode_short_message(*dc, sm, udhi, packing) {
            if let (Some(info), Payload::Text(t)) = (part.concat, part.payload) {
                let _ = r.push(&format!("src{}", src % 4), info, t, now);
            }
        }
        if dt & 0x80 != 0 {
            let _ = r.expire(now);
        }
        assert!(r.pending() <= limits.max_pending);
        assert!(r.pending_bytes() <= limits.max_bytes);
    }
});
