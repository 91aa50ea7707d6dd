//! Encoding side: every limit a peer would reject is caught before the octets leave, and a
//! failed encode leaves the caller's buffer as it was.

mod common;

use common::{cstr, pdu_bytes, submit_sm_body, tlv};
use smartchat_smpp::{
    decode, Address, Bind, BindResp, CommandId, CommandStatus, Field, MessageState, Pdu, PduBody,
    SmppError, SubmitSm, Tlvs, TAG_MESSAGE_STATE, TAG_RECEIPTED_MESSAGE_ID,
};

fn submit<'a>(source: &'a str, dest: &'a str, short_message: &'a [u8]) -> SubmitSm<'a> {
    SubmitSm {
        service_type: "",
        source: Address {
            ton: 1,
            npi: 1,
            addr: source,
        },
        dest: Address {
            ton: 1,
            npi: 1,
            addr: dest,
        },
        esm_class: 0,
        protocol_id: 0,
        priority_flag: 0,
        schedule_delivery_time: "",
        validity_period: "",
        registered_delivery: 0,
        replace_if_present_flag: 0,
        data_coding: 0,
        sm_default_msg_id: 0,
        short_message,
        tlvs: Tlvs::default(),
    }
}

fn request(body: PduBody<'_>) -> Pdu<'_> {
    Pdu {
        sequence_number: 42,
        command_status: CommandStatus::Ok,
        body,
    }
}

/// Encodes into a buffer that already holds octets; checks they survive a failure.
fn encode_error(pdu: &Pdu<'_>) -> SmppError {
    let mut out = b"earlier PDU".to_vec();
    let error = pdu.encode(&mut out).expect_err("must not encode");
    assert_eq!(out, b"earlier PDU", "buffer restored after {error}");
    error
}

#[test]
fn submit_sm_encodes_to_the_wire_layout() {
    let pdu = request(PduBody::SubmitSm(submit(
        "4915100000001",
        "4915100000002",
        b"hello",
    )));
    let mut out = Vec::new();
    pdu.encode(&mut out).expect("valid");
    assert_eq!(
        out,
        pdu_bytes(
            CommandId::SubmitSm.code(),
            0,
            42,
            &submit_sm_body(b"hello", &[])
        )
    );
    assert_eq!(out.len(), pdu.encoded_len());
    assert_eq!(pdu.header().command_length as usize, out.len());
}

#[test]
fn receipt_tlvs_encode_in_ascending_tag_order() {
    let mut receipt = submit("4915100000001", "4915100000002", b"id:X1 stat:DELIVRD");
    receipt.esm_class = 0x04;
    receipt.tlvs.message_state = Some(MessageState::Delivered);
    receipt.tlvs.receipted_message_id = Some("X1");
    let pdu = request(PduBody::DeliverSm(receipt));
    let mut out = Vec::new();
    pdu.encode(&mut out).expect("valid");
    let expected_tlvs = [
        tlv(TAG_RECEIPTED_MESSAGE_ID, &cstr("X1")),
        tlv(TAG_MESSAGE_STATE, &[2]),
    ]
    .concat();
    let tail = &out[out.len() - expected_tlvs.len()..];
    assert_eq!(tail, expected_tlvs.as_slice());
}

#[test]
fn over_long_c_strings_are_refused() {
    let long_id = "i".repeat(16);
    let bind = Bind {
        system_id: &long_id,
        password: "",
        system_type: "",
        interface_version: 0x34,
        addr_ton: 0,
        addr_npi: 0,
        address_range: "",
    };
    assert_eq!(
        encode_error(&request(PduBody::BindTransceiver(bind))),
        SmppError::CStringTooLong {
            field: Field::SystemId,
            max: 16
        }
    );
    let long_addr = "1".repeat(21);
    assert_eq!(
        encode_error(&request(PduBody::SubmitSm(submit("1", &long_addr, b"")))),
        SmppError::CStringTooLong {
            field: Field::DestinationAddr,
            max: 21
        }
    );
    let long_message_id = "m".repeat(65);
    let resp = request(PduBody::SubmitSmResp {
        message_id: &long_message_id,
    });
    assert_eq!(
        encode_error(&resp),
        SmppError::CStringTooLong {
            field: Field::MessageId,
            max: 65
        }
    );
    let mut sm = submit("1", "2", b"");
    sm.tlvs.receipted_message_id = Some(&long_message_id);
    assert_eq!(
        encode_error(&request(PduBody::DeliverSm(sm))),
        SmppError::CStringTooLong {
            field: Field::ReceiptedMessageId,
            max: 65
        }
    );
}

#[test]
fn embedded_nul_is_refused() {
    let resp = request(PduBody::BindTransceiverResp(BindResp {
        system_id: "SM\0SC",
        sc_interface_version: None,
    }));
    assert_eq!(
        encode_error(&resp),
        SmppError::CStringContainsNul {
            field: Field::SystemId
        }
    );
}

#[test]
fn short_message_over_254_octets_is_refused() {
    let text = [b'a'; 255];
    assert_eq!(
        encode_error(&request(PduBody::SubmitSm(submit("1", "2", &text)))),
        SmppError::ShortMessageTooLong { len: 255 }
    );
    let text = [b'a'; 254];
    let mut out = Vec::new();
    request(PduBody::SubmitSm(submit("1", "2", &text)))
        .encode(&mut out)
        .expect("254 fits");
}

#[test]
fn tlv_values_over_65535_octets_are_refused() {
    let payload = vec![0u8; 65_536];
    let mut sm = submit("1", "2", b"");
    sm.tlvs.message_payload = Some(&payload);
    assert_eq!(
        encode_error(&request(PduBody::SubmitSm(sm))),
        SmppError::TlvTooLong {
            tag: 0x0424,
            len: 65_536
        }
    );
}

#[test]
fn error_responses_with_empty_fields_have_no_body_and_ok_ones_do() {
    let ok = request(PduBody::SubmitSmResp { message_id: "" });
    let mut out = Vec::new();
    ok.encode(&mut out).expect("valid");
    assert_eq!(out, pdu_bytes(CommandId::SubmitSmResp.code(), 0, 42, &[0]));

    let throttled = Pdu {
        command_status: CommandStatus::Throttled,
        ..ok
    };
    out.clear();
    throttled.encode(&mut out).expect("valid");
    assert_eq!(
        out,
        pdu_bytes(CommandId::SubmitSmResp.code(), 0x58, 42, &[])
    );
    assert_eq!(decode(&out).expect("decodes"), throttled);
}

#[test]
fn encode_appends_to_a_reused_buffer() {
    let mut out = Vec::new();
    let link = request(PduBody::EnquireLink);
    link.encode(&mut out).expect("valid");
    link.encode(&mut out).expect("valid");
    assert_eq!(out.len(), 32);
    assert_eq!(&out[..16], &out[16..]);
}
