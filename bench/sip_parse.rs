//! SIP codec hot paths: parsing the messages the server receives most (a
//! sipp MESSAGE, a sipp REGISTER, a NOTIFY carrying PIDF), the per-message
//! work the server does on every request (parse + top Via + From + To +
//! CSeq + Call-ID), building the 202 it answers with, and stream framing.
//!
//! Run: `cargo bench --bench sip_parse -- --warm-up-time 1 --measurement-time 3`

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use smartchat_sip::{
    frame_stream, parse_datagram, response_to, RequestBuilder, DEFAULT_MAX_MESSAGE_SIZE,
};

/// MESSAGE as sipp 3.6 sent it (tests/vectors/sip/sipp, message_uac.xml).
const MESSAGE: &[u8] = include_bytes!("../tests/vectors/sip/sipp/message.sip");
/// REGISTER as sipp 3.6 sent it (register_uac.xml).
const REGISTER: &[u8] = include_bytes!("../tests/vectors/sip/sipp/register.sip");

const PIDF: &[u8] = br#"<?xml version="1.0" encoding="UTF-8"?>
<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" entity="sip:user00002@example.com">
<tuple id="t1"><status><basic>open</basic></status><note>online</note></tuple>
<dm:person id="p1"><rpid:activities><rpid:busy/></rpid:activities></dm:person>
</presence>
"#;

/// The NOTIFY the server sends to a watcher (RFC 6665 + RFC 3863 body).
fn notify() -> Vec<u8> {
    let mut out = Vec::new();
    RequestBuilder::new("NOTIFY", "sip:user00001@127.0.0.1:5098;transport=UDP")
        .header("Via", "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-notify-17")
        .header("Max-Forwards", "70")
        .header("From", "<sip:user00002@example.com>;tag=srv-9")
        .header("To", "<sip:user00001@example.com>;tag=9093SIPpTag1")
        .header("Call-ID", "1-9093@127.0.0.1")
        .header("CSeq", "2 NOTIFY")
        .header("Contact", "<sip:presence@127.0.0.1:5060>")
        .header("Event", "presence")
        .header("Subscription-State", "active;expires=598")
        .body("application/pidf+xml", PIDF)
        .encode(&mut out);
    out
}

fn parse(c: &mut Criterion) {
    let notify = notify();
    let mut g = c.benchmark_group("parse");
    for (name, msg) in [
        ("message_sipp", MESSAGE),
        ("register_sipp", REGISTER),
        ("notify_pidf", notify.as_slice()),
    ] {
        g.throughput(Throughput::Bytes(msg.len() as u64));
        g.bench_function(format!("{name}_{}B", msg.len()), |b| {
            b.iter(|| parse_datagram(black_box(msg)).map(|m| m.headers.len()))
        });
    }
    g.finish();
}

fn server_path(c: &mut Criterion) {
    let mut g = c.benchmark_group("server");
    g.throughput(Throughput::Bytes(MESSAGE.len() as u64));
    g.bench_function("message_parse_via_from_to_cseq_callid", |b| {
        b.iter(|| {
            let m = parse_datagram(black_box(MESSAGE)).expect("vector parses");
            let via = m.top_via().expect("via");
            let from = m.from().expect("from");
            let to = m.to().expect("to");
            let cseq = m.cseq().expect("cseq");
            let call_id = m.call_id().expect("call-id");
            black_box((
                via.branch(),
                from.tag(),
                to.uri.port,
                cseq.seq,
                call_id.len(),
            ));
        })
    });
    let req = parse_datagram(MESSAGE).expect("vector parses");
    let mut out = Vec::with_capacity(1024);
    g.bench_function("build_202_response", |b| {
        b.iter(|| {
            out.clear();
            response_to(black_box(&req), 202, "Accepted")
                .to_tag("srv-1")
                .encode(&mut out);
            out.len()
        })
    });
    g.bench_function("frame_stream_message", |b| {
        b.iter(|| frame_stream(black_box(MESSAGE), DEFAULT_MAX_MESSAGE_SIZE))
    });
    g.finish();
}

criterion_group!(benches, parse, server_path);
criterion_main!(benches);
