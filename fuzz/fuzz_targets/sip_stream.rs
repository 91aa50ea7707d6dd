#![no_main]
//! Fuzzes stream framing: the input is cut into chunks whose sizes come from
//! the first bytes, fed to an incremental framer as a TCP reader would, and
//! every frame must agree with the stateless framer and lie inside the
//! buffer and the size bound.

use libfuzzer_sys::fuzz_target;
use smartchat_sip::{frame_stream, parse_datagram, StreamFramer};

const MAX: usize = 4096;

fuzz_target!(|data: &[u8]| {
    let (sizes, stream) = data.split_at(data.len().min(4));
    let mut framer = StreamFramer::new(MAX);
    let mut buf: Vec<u8> = Vec::new();
    let mut pos = 0;
    let mut i = 0;
    while pos < stream.len() {
        let step = 1 + usize::from(sizes.get(i % sizes.len().max(1)).copied().unwrap_or(255));
        i += 1;
        let end = (pos + step).min(stream.len());
        buf.extend_from_slice(&stream[pos..end]);
        pos = end;
        loop {
            let once = frame_stream(&buf, MAX);
            match framer.next_frame(&buf) {
                Ok(Some(f)) => {
                    assert_eq!(
                        once,
                        Ok(Some(f)),
                        "incremental and one-shot framing disagree"
                    );
                    assert!(f.consumed() <= buf.len() && f.len <= MAX);
                    if !f.is_keepalive() {
                        let _ = parse_datagram(&buf[f.skip..f.consumed()]);
                    }
                    buf.drain(..f.consumed());
                }
                Ok(None) => {
                    assert_eq!(once, Ok(None));
                    assert!(buf.len() < MAX + 4096, "buffered past the bound");
                    break;
                }
                Err(_) => {
                    assert!(once.is_err());
                    return; // a real connection is closed here
                }
            }
        }
    }
});
