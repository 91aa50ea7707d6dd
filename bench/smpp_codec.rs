//! SMPP 3.4 codec hot paths: encoding a 160-character submit_sm into a reused buffer, decoding
//! it back, and decoding a delivery receipt (the npm `smpp` simulator's golden vector, with
//! receipted_message_id and message_state TLVs).
//!
//! Run: `cargo bench --bench smpp_codec -- --warm-up-time 1 --measurement-time 3`

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use smartchat_smpp::{
    decode, frame_len, Address, CommandStatus, Pdu, PduBody, SubmitSm, Tlvs, DEFAULT_MAX_PDU_LEN,
};

/// A delivery receipt as the npm `smpp` 0.5.1 SMSC simulator sent it (tests/vectors/smpp).
const RECEIPT: &[u8] = include_bytes!("../tests/vectors/smpp/node_smpp/deliver_sm_receipt.bin");

/// 160 characters of GSM 03.38 default-alphabet text (one full single-part SMS).
const TEXT_160: &[u8; 160] = b"Your smartchat message could not reach the IM client, so it was delivered by SMS instead. Reply to this number to answer in the same conversation. Thanks & bye.";

fn submit_sm() -> Pdu<'static> {
    Pdu {
        sequence_number: 0x0001_0203,
        command_status: CommandStatus::Ok,
        body: PduBody::SubmitSm(SubmitSm {
            service_type: "",
            source: Address {
                ton: 1,
                npi: 1,
                addr: "4915100000001",
            },
            dest: Address {
                ton: 1,
                npi: 1,
                addr: "4915112345678",
            },
            esm_class: 0,
            protocol_id: 0,
            priority_flag: 0,
            schedule_delivery_time: "",
            validity_period: "",
            registered_delivery: 1,
            replace_if_present_flag: 0,
            data_coding: 0,
            sm_default_msg_id: 0,
            short_message: TEXT_160,
            tlvs: Tlvs::default(),
        }),
    }
}

fn codec(c: &mut Criterion) {
    let pdu = submit_sm();
    let mut encoded = Vec::new();
    pdu.encode(&mut encoded).expect("valid submit_sm");
    assert_eq!(
        decode(RECEIPT).map(|p| p.command_id()).ok(),
        Some(smartchat_smpp::CommandId::DeliverSm)
    );

    let mut group = c.benchmark_group("smpp_codec");
    group.throughput(Throughput::Elements(1));

    let mut out = Vec::with_capacity(512);
    group.bench_function("encode_submit_sm_160_gsm", |b| {
        b.iter(|| {
            out.clear();
            black_box(&pdu).encode(&mut out).expect("valid");
            black_box(out.len())
        })
    });

    group.bench_function("decode_submit_sm_160_gsm", |b| {
        b.iter(|| {
            let bytes = black_box(encoded.as_slice());
            let len = frame_len(bytes, DEFAULT_MAX_PDU_LEN)
                .expect("framed")
                .expect("whole");
            decode(&bytes[..len]).expect("valid")
        })
    });

    group.bench_function("decode_deliver_sm_receipt_tlvs", |b| {
        b.iter(|| {
            let bytes = black_box(RECEIPT);
            let len = frame_len(bytes, DEFAULT_MAX_PDU_LEN)
                .expect("framed")
                .expect("whole");
            decode(&bytes[..len]).expect("valid")
        })
    });
    group.finish();
}

criterion_group!(benches, codec);
criterion_main!(benches);
