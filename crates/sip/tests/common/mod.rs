//! Shared helpers: loading the byte-exact vectors under tests/vectors/sip.
#![allow(dead_code)]

use std::path::PathBuf;

pub fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors/sip")
}

pub fn load(rel: &str) -> Vec<u8> {
    let p = vectors_dir().join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("reading {}: {e}", p.display()))
}

/// Names (without `.dat`) of the vectors in one RFC 4475 directory, sorted.
pub fn names(kind: &str) -> Vec<String> {
    let dir = vectors_dir().join("rfc4475").join(kind);
    let mut v: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("listing {}: {e}", dir.display()))
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            e.file_name()
                .to_str()
                .and_then(|n| n.strip_suffix(".dat"))
                .map(str::to_owned)
        })
        .collect();
    v.sort();
    v
}

pub fn rfc(kind: &str, name: &str) -> Vec<u8> {
    load(&format!("rfc4475/{kind}/{name}.dat"))
}
