//! Golden vectors captured from third-party SMPP peers (npm `smpp` 0.5.1 client and server,
//! PyPI `smpplib` 2.2.4 client); see tests/vectors/smpp/README.md for how. Expected values are
//! what the capture scripts asked each peer to send, never output of this codec.

use smartchat_smpp::{
    decode, frame_len, CommandId, CommandStatus, MessageState, Pdu, PduBody, SubmitSm,
    DEFAULT_MAX_PDU_LEN,
};

const VECTOR_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/vectors/smpp");

/// Every captured vector, relative to [`VECTOR_DIR`].
const ALL_VECTORS: &[&str] = &[
    "node_smpp/bind_transceiver.bin",
    "node_smpp/bind_transceiver_resp.bin",
    "node_smpp/bind_transceiver_resp_bindfail.bin",
    "node_smpp/deliver_sm_mo.bin",
    "node_smpp/deliver_sm_receipt.bin",
    "node_smpp/deliver_sm_resp.bin",
    "node_smpp/enquire_link.bin",
    "node_smpp/enquire_link_resp.bin",
    "node_smpp/submit_sm_gsm.bin",
    "node_smpp/submit_sm_payload.bin",
    "node_smpp/submit_sm_registered.bin",
    "node_smpp/submit_sm_resp.bin",
    "node_smpp/submit_sm_resp_throttled.bin",
    "node_smpp/submit_sm_ucs2.bin",
    "node_smpp/unbind.bin",
    "node_smpp/unbind_resp.bin",
    "smpplib/bind_transceiver.bin",
    "smpplib/deliver_sm_resp.bin",
    "smpplib/enquire_link.bin",
    "smpplib/submit_sm_gsm.bin",
    "smpplib/submit_sm_payload.bin",
    "smpplib/submit_sm_registered.bin",
    "smpplib/submit_sm_ucs2.bin",
    "smpplib/unbind.bin",
];

fn vector(name: &str) -> Vec<u8> {
    let path = format!("{VECTOR_DIR}/{name}");
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

fn decoded(bytes: &[u8]) -> Pdu<'_> {
    decode(bytes).unwrap_or_else(|e| panic!("golden vector does not decode: {e}"))
}

fn utf16_be(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_be_bytes).collect()
}

fn submit_sm<'p>(pdu: &'p Pdu<'_>) -> &'p SubmitSm<'p> {
    match &pdu.body {
        PduBody::SubmitSm(sm) => sm,
        other => panic!("expected submit_sm, got {other:?}"),
    }
}

fn deliver_sm<'p>(pdu: &'p Pdu<'_>) -> &'p SubmitSm<'p> {
    match &pdu.body {
        PduBody::DeliverSm(sm) => sm,
        other => panic!("expected deliver_sm, got {other:?}"),
    }
}

#[test]
fn every_vector_is_framed_decoded_and_reencoded_identically() {
    for name in ALL_VECTORS {
        let bytes = vector(name);
        assert_eq!(
            frame_len(&bytes, DEFAULT_MAX_PDU_LEN),
            Ok(Some(bytes.len())),
            "{name}: frame_len"
        );
        let pdu = decoded(&bytes);
        assert_eq!(pdu.encoded_len(), bytes.len(), "{name}: encoded_len");
        let mut out = Vec::new();
        pdu.encode(&mut out).expect("re-encode");
        assert_eq!(
            out, bytes,
            "{name}: re-encoding differs from the peer's octets"
        );
    }
}

#[test]
fn node_bind_transceiver() {
    let bytes = vector("node_smpp/bind_transceiver.bin");
    let pdu = decoded(&bytes);
    assert_eq!(pdu.sequence_number, 1);
    assert_eq!(pdu.command_status, CommandStatus::Ok);
    let PduBody::BindTransceiver(bind) = pdu.body else {
        panic!("expected bind_transceiver, got {:?}", pdu.body)
    };
    assert_eq!(bind.system_id, "esme1");
    assert_eq!(bind.password, "pwd");
    assert_eq!(bind.system_type, "");
    assert_eq!(bind.interface_version, 0x50, "node smpp defaults to 5.0");
    assert_eq!(bind.address_range, "");
}

#[test]
fn smpplib_bind_transceiver() {
    let bytes = vector("smpplib/bind_transceiver.bin");
    let pdu = decoded(&bytes);
    let PduBody::BindTransceiver(bind) = pdu.body else {
        panic!("expected bind_transceiver, got {:?}", pdu.body)
    };
    assert_eq!(bind.system_id, "esme2");
    assert_eq!(bind.password, "secret");
    assert_eq!(bind.interface_version, 0x34);
}

#[test]
fn node_submit_sm_gsm_keeps_nul_octets_inside_short_message() {
    let bytes = vector("node_smpp/submit_sm_gsm.bin");
    let pdu = decoded(&bytes);
    assert_eq!(pdu.command_id(), CommandId::SubmitSm);
    let sm = submit_sm(&pdu);
    assert_eq!(sm.source.addr, "4915100000001");
    assert_eq!(sm.dest.addr, "4915100000002");
    assert_eq!(sm.data_coding, 1);
    // GSM 03.38 unpacked: '@' is 0x00, '{' and '}' are ESC 0x28 / ESC 0x29.
    assert_eq!(sm.short_message, b"Hello \x00 smartchat \x1b\x28ok\x1b\x29");
    assert_eq!(sm.tlvs, Default::default());
}

#[test]
fn smpplib_submit_sm_gsm() {
    let bytes = vector("smpplib/submit_sm_gsm.bin");
    let pdu = decoded(&bytes);
    let sm = submit_sm(&pdu);
    assert_eq!((sm.source.ton, sm.source.npi), (1, 1));
    assert_eq!((sm.dest.ton, sm.dest.npi), (1, 1));
    assert_eq!(sm.data_coding, 0);
    assert_eq!(sm.short_message, b"Hello from smpplib");
}

#[test]
fn ucs2_submit_sm_from_both_peers() {
    for (name, text) in [
        ("node_smpp/submit_sm_ucs2.bin", "Привет, мир ✓"),
        ("smpplib/submit_sm_ucs2.bin", "Grüße aus Köln ✓"),
    ] {
        let bytes = vector(name);
        let pdu = decoded(&bytes);
        let sm = submit_sm(&pdu);
        assert_eq!(sm.data_coding, 8, "{name}");
        assert_eq!(sm.short_message, utf16_be(text).as_slice(), "{name}");
    }
}

#[test]
fn node_submit_sm_message_payload() {
    let bytes = vector("node_smpp/submit_sm_payload.bin");
    let pdu = decoded(&bytes);
    let sm = submit_sm(&pdu);
    assert!(sm.short_message.is_empty());
    let sent = format!(
        "A long text sent in message_payload instead of short_message, well beyond one SMS of 160 GSM characters: {}",
        "x".repeat(120)
    );
    // node smpp GSM-encodes the payload: '_' becomes 0x11, the rest is ASCII-compatible.
    let expected: Vec<u8> = sent
        .bytes()
        .map(|b| if b == b'_' { 0x11 } else { b })
        .collect();
    assert_eq!(sm.tlvs.message_payload, Some(expected.as_slice()));
    assert!(sm.tlvs.other.is_empty());
}

#[test]
fn smpplib_submit_sm_message_payload() {
    let bytes = vector("smpplib/submit_sm_payload.bin");
    let pdu = decoded(&bytes);
    let sm = submit_sm(&pdu);
    assert!(sm.short_message.is_empty());
    let sent = "A long text sent in message_payload instead of short_message, ".repeat(4);
    assert_eq!(sm.tlvs.message_payload, Some(sent.as_bytes()));
}

#[test]
fn registered_delivery_submit_sm_from_both_peers() {
    for name in [
        "node_smpp/submit_sm_registered.bin",
        "smpplib/submit_sm_registered.bin",
    ] {
        let bytes = vector(name);
        let pdu = decoded(&bytes);
        let sm = submit_sm(&pdu);
        assert_eq!(sm.registered_delivery, 1, "{name}");
        assert_eq!(sm.short_message, b"Please confirm delivery", "{name}");
        assert_eq!((sm.source.ton, sm.source.npi), (1, 1), "{name}");
    }
}

#[test]
fn enquire_link_and_unbind_from_both_peers() {
    for (name, command_id, sequence_number) in [
        ("node_smpp/enquire_link.bin", CommandId::EnquireLink, 6),
        ("node_smpp/unbind.bin", CommandId::Unbind, 7),
        ("smpplib/enquire_link.bin", CommandId::EnquireLink, 8),
        ("smpplib/unbind.bin", CommandId::Unbind, 9),
        (
            "node_smpp/enquire_link_resp.bin",
            CommandId::EnquireLinkResp,
            5,
        ),
        ("node_smpp/unbind_resp.bin", CommandId::UnbindResp, 6),
    ] {
        let bytes = vector(name);
        let pdu = decoded(&bytes);
        assert_eq!(pdu.command_id(), command_id, "{name}");
        assert_eq!(pdu.sequence_number, sequence_number, "{name}");
    }
}

#[test]
fn deliver_sm_resp_answers_the_recorders_mo() {
    for name in [
        "node_smpp/deliver_sm_resp.bin",
        "smpplib/deliver_sm_resp.bin",
    ] {
        let bytes = vector(name);
        let pdu = decoded(&bytes);
        assert_eq!(pdu.sequence_number, 7001, "{name}");
        assert_eq!(
            pdu.body,
            PduBody::DeliverSmResp { message_id: "" },
            "{name}"
        );
    }
}

#[test]
fn node_server_bind_responses() {
    let bytes = vector("node_smpp/bind_transceiver_resp.bin");
    let pdu = decoded(&bytes);
    let PduBody::BindTransceiverResp(resp) = pdu.body else {
        panic!("expected bind_transceiver_resp, got {:?}", pdu.body)
    };
    assert_eq!(resp.system_id, "SMSCSIM");
    assert_eq!(resp.sc_interface_version, None);

    let bytes = vector("node_smpp/bind_transceiver_resp_bindfail.bin");
    let pdu = decoded(&bytes);
    assert_eq!(pdu.command_status, CommandStatus::BindFail);
    assert_eq!(pdu.command_id(), CommandId::BindTransceiverResp);
}

#[test]
fn node_server_submit_sm_resp_ok_and_throttled() {
    let bytes = vector("node_smpp/submit_sm_resp.bin");
    let pdu = decoded(&bytes);
    assert_eq!(pdu.sequence_number, 2);
    assert_eq!(
        pdu.body,
        PduBody::SubmitSmResp {
            message_id: "00000001"
        }
    );

    let bytes = vector("node_smpp/submit_sm_resp_throttled.bin");
    let pdu = decoded(&bytes);
    assert_eq!(pdu.sequence_number, 4);
    assert_eq!(pdu.command_status, CommandStatus::Throttled);
    assert!(pdu.command_status.is_temporary());
    assert_eq!(pdu.body, PduBody::SubmitSmResp { message_id: "" });
}

#[test]
fn node_server_delivery_receipt() {
    let bytes = vector("node_smpp/deliver_sm_receipt.bin");
    let pdu = decoded(&bytes);
    let receipt = deliver_sm(&pdu);
    assert_eq!(receipt.esm_class, 0x04, "receipt flag");
    // The simulator swaps the submit's addresses.
    assert_eq!(receipt.source.addr, "4915100000002");
    assert_eq!(receipt.dest.addr, "4915100000001");
    assert_eq!(receipt.tlvs.receipted_message_id, Some("00000001"));
    assert_eq!(receipt.tlvs.message_state, Some(MessageState::Delivered));
    let text = std::str::from_utf8(receipt.short_message).expect("ASCII receipt text");
    assert!(
        text.starts_with("id:00000001 sub:001 dlvrd:001 submit date:"),
        "{text}"
    );
    assert!(
        text.contains(" stat:DELIVRD err:000 text:Hello receipt"),
        "{text}"
    );
}

#[test]
fn node_server_mo_deliver_sm() {
    let bytes = vector("node_smpp/deliver_sm_mo.bin");
    let pdu = decoded(&bytes);
    let mo = deliver_sm(&pdu);
    assert_eq!(mo.esm_class, 0);
    assert_eq!(mo.source.addr, "4915100000002");
    assert_eq!(mo.dest.addr, "4915100000001");
    assert_eq!(mo.short_message, b"MO reply: hi from raw esme");
    assert_eq!(mo.tlvs.receipted_message_id, None);
}
