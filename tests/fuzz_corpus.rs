//! Replays every fuzz target's corpus (fuzz/corpus/TARGET) through the *same* target code
//! (fuzz/fuzz_targets/TARGET.rs, included below), so `cargo test` keeps every input the fuzzers
//! ever found interesting — crashes fixed once stay fixed, on stable Rust and without libFuzzer.
#![allow(unused_attributes)]
// The fuzz targets are linted by their own crate; here they are only replayed.
#![allow(clippy::all)]

// The targets say `libfuzzer_sys::fuzz_target!(|data: &[u8]| { ... })`; here that macro
// turns the body into a plain `pub fn run(data: &[u8])`.
extern crate self as libfuzzer_sys;

#[path = "../fuzz/fuzz_targets/imdn_parse.rs"]
mod imdn_parse;
#[path = "../fuzz/fuzz_targets/pidf_parse.rs"]
mod pidf_parse;
#[path = "../fuzz/fuzz_targets/receipt_parse.rs"]
mod receipt_parse;
#[path = "../fuzz/fuzz_targets/sip_parse.rs"]
mod sip_parse;
#[path = "../fuzz/fuzz_targets/sip_stream.rs"]
mod sip_stream;
#[path = "../fuzz/fuzz_targets/smpp_decode.rs"]
mod smpp_decode;
#[path = "../fuzz/fuzz_targets/sms_decode.rs"]
mod sms_decode;
#[path = "../fuzz/fuzz_targets/wal_read.rs"]
mod wal_read;

#[macro_export]
macro_rules! fuzz_target {
    (|$data:ident : &[u8]| $body:block) => {
        pub fn run($data: &[u8]) $body
    };
}

macro_rules! targets {
    ($($name:ident),* $(,)?) => {
        #[test]
        fn every_corpus_input_replays_without_a_panic() {
            let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
            let mut total = 0usize;
            $(
                let dir = root.join(stringify!($name));
                let mut files: Vec<_> = std::fs::read_dir(&dir)
                    .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
                    .filter_map(Result::ok)
                    .map(|e| e.path())
                    .collect();
                files.sort();
                assert!(!files.is_empty(), "empty corpus {}", dir.display());
                for file in &files {
                    // A corpus being minimised by a running fuzzer may lose files meanwhile.
                    let Ok(data) = std::fs::read(file) else { continue };
                    let result = std::panic::catch_unwind(|| $name::run(&data));
                    assert!(result.is_ok(), "{} panics on {}", stringify!($name), file.display());
                }
                total += files.len();
            )*
            eprintln!("replayed {total} corpus inputs");
        }
    };
}

targets!(
    sip_parse,
    sip_stream,
    pidf_parse,
    imdn_parse,
    smpp_decode,
    receipt_parse,
    sms_decode,
    wal_read
);
