#![no_main]
//! Fuzzes the SMPP 3.4 codec the way the runtime drives it: frame PDUs out of a byte stream,
//! decode each, build the error answer when decoding fails, re-encode when it succeeds.
//!
//! Invariants checked beyond "no panic": a decoded PDU re-encodes, `encoded_len` is exact,
//! and decoding the re-encoded octets gives the same PDU back.

use libfuzzer_sys::fuzz_target;
use smartchat_smpp::{decode, frame_len, DEFAULT_MAX_PDU_LEN};

/// More PDUs than any corpus entry holds; bounds the work per input.
const MAX_PDUS_PER_INPUT: usize = 64;

fn check_one(bytes: &[u8]) {
    match decode(bytes) {
        Ok(pdu) => {
            let mut out = Vec::new();
            pdu.encode(&mut out).expect("a decoded PDU re-encodes");
            assert_eq!(out.len(), pdu.encoded_len());
            assert_eq!(frame_len(&out, u32::MAX).ok(), Some(Some(out.len())));
            let again = decode(&out).expect("a re-encoded PDU decodes");
            assert_eq!(again, pdu);
        }
        Err(error) => {
            if let Some(reply) = error.reply() {
                let mut out = Vec::new();
                reply
                    .to_pdu()
                    .encode(&mut out)
                    .expect("error answers encode");
                assert_eq!(out.len(), 16);
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut rest = data;
    for _ in 0..MAX_PDUS_PER_INPUT {
        match frame_len(rest, DEFAULT_MAX_PDU_LEN) {
            Ok(Some(len)) => {
                let (pdu, tail) = rest.split_at(len);
                check_one(pdu);
                rest = tail;
            }
            Ok(None) | Err(_) => break,
        }
    }
    // The whole input as one PDU also exercises the Incomplete / LengthMismatch paths.
    check_one(data);
});
