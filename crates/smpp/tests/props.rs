//! Properties: encode → decode is the identity on every valid PDU, `encoded_len` is exact, and
//! no input — random, or a valid PDU mangled — makes decoding panic.
//!
//! Strategies build owned strings and leak them to obtain the `Pdu<'static>` the borrowed API
//! needs; a test run leaks a bounded few hundred KiB.

mod common;

use common::pdu_bytes;
use proptest::collection::vec;
use proptest::prelude::*;
use smartchat_smpp::{
    decode, frame_len, Address, Bind, BindResp, CommandId, CommandStatus, MessageState, Pdu,
    PduBody, SubmitSm, Tlvs, DEFAULT_MAX_PDU_LEN,
};

fn leak_str(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

fn leak_bytes(b: Vec<u8>) -> &'static [u8] {
    Box::leak(b.into_boxed_slice())
}

/// A C-octet string value fitting `max` octets including the NUL; mostly ASCII, some UTF-8.
fn cstring(max: usize) -> impl Strategy<Value = &'static str> {
    let chars = max - 1;
    proptest::string::string_regex(&format!("[ -~éß✓]{{0,{chars}}}"))
        .expect("valid regex")
        .prop_filter("fits the field", move |s| s.len() < max)
        .prop_map(leak_str)
}

fn octets(max: usize) -> impl Strategy<Value = &'static [u8]> {
    vec(any::<u8>(), 0..=max).prop_map(leak_bytes)
}

fn command_status() -> impl Strategy<Value = CommandStatus> {
    prop_oneof![
        proptest::sample::select(CommandStatus::ALL_NAMED),
        any::<u32>().prop_map(CommandStatus::from),
    ]
}

const TYPED_TAGS: [u16; 8] = [
    0x001E, 0x020C, 0x020E, 0x020F, 0x0210, 0x0423, 0x0424, 0x0427,
];

fn tlvs() -> impl Strategy<Value = Tlvs<'static>> {
    let unknown = (
        any::<u16>().prop_filter("untyped", |t| !TYPED_TAGS.contains(t)),
        octets(24),
    );
    (
        proptest::option::of(cstring(65)),
        proptest::option::of(any::<u8>().prop_map(MessageState::from)),
        proptest::option::of(octets(600)),
        proptest::option::of(any::<u16>()),
        proptest::option::of(any::<u8>()),
        proptest::option::of(any::<u8>()),
        proptest::option::of(any::<[u8; 3]>()),
        vec(unknown, 0..3),
    )
        .prop_map(
            |(id, state, payload, reference, total, seqnum, network, other)| Tlvs {
                receipted_message_id: id,
                message_state: state,
                message_payload: payload,
                sar_msg_ref_num: reference,
                sar_total_segments: total,
                sar_segment_seqnum: seqnum,
                network_error_code: network,
                other,
            },
        )
}

fn address(max: usize) -> impl Strategy<Value = Address<'static>> {
    (any::<u8>(), any::<u8>(), cstring(max)).prop_map(|(ton, npi, addr)| Address { ton, npi, addr })
}

fn submit_sm() -> impl Strategy<Value = SubmitSm<'static>> {
    (
        (cstring(6), address(21), address(21), any::<[u8; 3]>()),
        (cstring(17), cstring(17), any::<[u8; 4]>()),
        (octets(254), tlvs()),
    )
        .prop_map(
            |(
                (service_type, source, dest, [esm, pid, prio]),
                (sched, validity, [rd, rip, dc, dflt]),
                (sm, tlvs),
            )| {
                SubmitSm {
                    service_type,
                    source,
                    dest,
                    esm_class: esm,
                    protocol_id: pid,
                    priority_flag: prio,
                    schedule_delivery_time: sched,
                    validity_period: validity,
                    registered_delivery: rd,
                    replace_if_present_flag: rip,
                    data_coding: dc,
                    sm_default_msg_id: dflt,
                    short_message: sm,
                    tlvs,
                }
            },
        )
}

fn bind() -> impl Strategy<Value = Bind<'static>> {
    (
        cstring(16),
        cstring(9),
        cstring(13),
        any::<[u8; 3]>(),
        cstring(41),
    )
        .prop_map(
            |(
                system_id,
                password,
                system_type,
                [interface_version, addr_ton, addr_npi],
                address_range,
            )| Bind {
                system_id,
                password,
                system_type,
                interface_version,
                addr_ton,
                addr_npi,
                address_range,
            },
        )
}

fn bind_resp() -> impl Strategy<Value = BindResp<'static>> {
    (cstring(16), proptest::option::of(any::<u8>())).prop_map(
        |(system_id, sc_interface_version)| BindResp {
            system_id,
            sc_interface_version,
        },
    )
}

fn body() -> impl Strategy<Value = PduBody<'static>> {
    prop_oneof![
        bind().prop_map(PduBody::BindTransceiver),
        bind().prop_map(PduBody::BindTransmitter),
        bind().prop_map(PduBody::BindReceiver),
        bind_resp().prop_map(PduBody::BindTransceiverResp),
        bind_resp().prop_map(PduBody::BindTransmitterResp),
        bind_resp().prop_map(PduBody::BindReceiverResp),
        (cstring(16), cstring(9)).prop_map(|(system_id, password)| PduBody::Outbind {
            system_id,
            password
        }),
        submit_sm().prop_map(PduBody::SubmitSm),
        submit_sm().prop_map(PduBody::DeliverSm),
        cstring(65).prop_map(|message_id| PduBody::SubmitSmResp { message_id }),
        cstring(65).prop_map(|message_id| PduBody::DeliverSmResp { message_id }),
        Just(PduBody::EnquireLink),
        Just(PduBody::EnquireLinkResp),
        Just(PduBody::Unbind),
        Just(PduBody::UnbindResp),
        Just(PduBody::GenericNack),
    ]
}

fn pdu() -> impl Strategy<Value = Pdu<'static>> {
    (any::<u32>(), command_status(), body()).prop_map(|(sequence_number, command_status, body)| {
        Pdu {
            sequence_number,
            command_status,
            body,
        }
    })
}

/// Decodes, and when that works checks re-encoding is stable (decode ∘ encode ∘ decode = decode).
fn decode_and_check_stable(bytes: &[u8]) -> Result<(), TestCaseError> {
    if let Ok(first) = decode(bytes) {
        let mut out = Vec::new();
        first
            .encode(&mut out)
            .map_err(|e| TestCaseError::fail(format!("decoded PDU does not re-encode: {e}")))?;
        prop_assert_eq!(out.len(), first.encoded_len());
        prop_assert_eq!(decode(&out).ok(), Some(first));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn encode_then_decode_is_the_identity(pdu in pdu()) {
        let mut out = vec![0xAA; 3]; // encode appends
        pdu.encode(&mut out).expect("valid PDUs encode");
        let written = &out[3..];
        prop_assert_eq!(written.len(), pdu.encoded_len());
        prop_assert_eq!(frame_len(written, u32::MAX), Ok(Some(written.len())));
        prop_assert_eq!(decode(written), Ok(pdu));
    }

    #[test]
    fn arbitrary_octets_never_panic(bytes in vec(any::<u8>(), 0..600)) {
        let _ = frame_len(&bytes, DEFAULT_MAX_PDU_LEN);
        decode_and_check_stable(&bytes)?;
    }

    #[test]
    fn arbitrary_bodies_under_valid_headers_never_panic(
        command_id in proptest::sample::select(CommandId::ALL),
        status in any::<u32>(),
        body in vec(any::<u8>(), 0..400),
    ) {
        decode_and_check_stable(&pdu_bytes(command_id.code(), status, 7, &body))?;
    }

    #[test]
    fn mangled_valid_pdus_never_panic(
        pdu in pdu(),
        edits in vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut bytes = Vec::new();
        pdu.encode(&mut bytes).expect("valid PDUs encode");
        for (at, value) in edits {
            let at = at.index(bytes.len());
            bytes[at] = value;
        }
        // Keep command_length truthful half the time so the body decoder is reached.
        let keep = cut.index(bytes.len() + 1).max(16).min(bytes.len());
        bytes.truncate(keep);
        if keep % 2 == 0 {
            let len = u32::try_from(bytes.len()).expect("small");
            bytes[..4].copy_from_slice(&len.to_be_bytes());
        }
        decode_and_check_stable(&bytes)?;
    }

    #[test]
    fn streams_reassemble_whatever_the_read_sizes(
        pdus in vec(pdu(), 1..5),
        read_sizes in vec(1usize..300, 1..20),
    ) {
        let mut stream = Vec::new();
        for pdu in &pdus {
            pdu.encode(&mut stream).expect("valid PDUs encode");
        }
        let mut buffered = Vec::new();
        let mut frames = Vec::new();
        let mut offset = 0;
        let mut reads = read_sizes.iter().cycle();
        while offset < stream.len() {
            let take = (*reads.next().expect("cycle")).min(stream.len() - offset);
            buffered.extend_from_slice(&stream[offset..offset + take]);
            offset += take;
            while let Some(len) = frame_len(&buffered, u32::MAX).expect("valid stream") {
                frames.push(buffered.drain(..len).collect::<Vec<u8>>());
            }
        }
        prop_assert!(buffered.is_empty());
        let decoded: Vec<Pdu<'_>> = frames.iter().map(|f| decode(f).expect("valid frame")).collect();
        prop_assert_eq!(decoded, pdus);
    }
}
