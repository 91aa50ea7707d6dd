#![no_main]
// placeholder: filled in by the codec work
libfuzzer_sys::fuzz_target!(|_data: &[u8]| {});
