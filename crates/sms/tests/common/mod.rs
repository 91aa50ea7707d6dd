//! Helpers shared by the integration tests: vector files and hex.
#![allow(dead_code)]

use std::path::PathBuf;

/// Path of a file in `tests/vectors/sms/` at the workspace root.
pub fn vector_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/vectors/sms")
        .join(name)
}

/// Non-comment, non-empty lines of a vector file.
pub fn vector_lines(name: &str) -> Vec<String> {
    let p = vector_path(name);
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(str::to_owned)
        .collect()
}

pub fn hex(s: &str) -> Vec<u8> {
    assert!(s.len().is_multiple_of(2), "odd hex {s}");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex digit"))
        .collect()
}

pub fn to_hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02X}")).collect()
}

/// Undoes the `\n \r \f \\` escapes of the vector files.
pub fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match it.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('f') => out.push('\u{000C}'),
            Some('\\') => out.push('\\'),
            other => panic!("bad escape {other:?}"),
        }
    }
    out
}

/// Independent bit-by-bit reference packer (TS 23.038 §6.1.2.1.1): septet bits laid out LSB
/// first after `fill` zero bits, spare bits of the last octet zero (CR for 7 spare bits is
/// applied by the caller where relevant).
pub fn reference_pack(septets: &[u8], fill: usize) -> Vec<u8> {
    let mut bits: Vec<bool> = vec![false; fill];
    for &s in septets {
        for k in 0..7 {
            bits.push((s >> k) & 1 == 1);
        }
    }
    bits.chunks(8)
        .map(|c| {
            c.iter()
                .enumerate()
                .fold(0u8, |acc, (k, &b)| acc | (u8::from(b) << k))
        })
        .collect()
}
