//! SMS text layer hot paths: choosing the coding and encoding a full single SMS, splitting a
//! long text into concatenated parts, and parsing a delivery receipt (one per SMS sent).
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use smartchat_sms::{
    choose_coding, gsm7_encode_packed, gsm7_encode_unpacked, parse_receipt, split_message,
    SeptetPacking, SplitOptions,
};

fn text_160() -> String {
    let base = "Meet me at the station at 10:30, bring the tickets {and} 5€ for coffee! ";
    let mut s: String = base.chars().cycle().take(160).collect();
    while smartchat_sms::gsm7_septet_len(&s).unwrap_or(usize::MAX) > 160 {
        s.pop();
    }
    s
}

fn benches(c: &mut Criterion) {
    let t160 = text_160();
    let t500: String = "The quick brown fox jumps over the lazy dog. "
        .chars()
        .cycle()
        .take(500)
        .collect();
    let receipt = "id:0000002A sub:001 dlvrd:001 submit date:2611281200 done date:2611281200 stat:DELIVRD err:000 text:hello";

    c.bench_function("choose_coding_160", |b| {
        b.iter(|| choose_coding(black_box(&t160)))
    });
    let mut out = Vec::with_capacity(200);
    c.bench_function("gsm7_encode_unpacked_160", |b| {
        b.iter(|| {
            out.clear();
            gsm7_encode_unpacked(black_box(&t160), &mut out)
        })
    });
    c.bench_function("gsm7_encode_packed_160", |b| {
        b.iter(|| {
            out.clear();
            gsm7_encode_packed(black_box(&t160), 0, &mut out)
        })
    });
    for (name, packing) in [
        ("split_500_unpacked", SeptetPacking::Unpacked),
        ("split_500_packed", SeptetPacking::Packed),
    ] {
        let opts = SplitOptions {
            reference: 42,
            packing,
            ..SplitOptions::default()
        };
        c.bench_function(name, |b| b.iter(|| split_message(black_box(&t500), &opts)));
    }
    c.bench_function("parse_receipt", |b| {
        b.iter(|| parse_receipt(black_box(receipt)))
    });
}

criterion_group!(gsm7, benches);
criterion_main!(gsm7);
