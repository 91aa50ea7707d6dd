//! Broken input (§3.1 C-octet strings, §5.2.21 sm_length, §3.2.4 TLVs, §5.1.2.1 command ids):
//! each case must give a typed error that tells the caller what to answer.

mod common;

use common::{bind_body, cstr, pdu_bytes, submit_sm_body, submit_sm_head, tlv};
use smartchat_smpp::{
    decode, BodyError, CommandId, CommandStatus, ErrorReply, Field, MessageState, PduBody,
    SmppError, TAG_MESSAGE_PAYLOAD, TAG_MESSAGE_STATE, TAG_NETWORK_ERROR_CODE,
    TAG_RECEIPTED_MESSAGE_ID, TAG_SAR_MSG_REF_NUM, TAG_SAR_SEGMENT_SEQNUM, TAG_SAR_TOTAL_SEGMENTS,
    TAG_SC_INTERFACE_VERSION,
};

const SEQ: u32 = 0x0102_0304;

fn malformed(command_id: CommandId, body: &[u8]) -> (BodyError, Option<ErrorReply>) {
    let bytes = pdu_bytes(command_id.code(), 0, SEQ, body);
    match decode(&bytes) {
        Err(
            error @ SmppError::Malformed {
                command_id: reported,
                sequence_number,
                reason,
            },
        ) => {
            assert_eq!(reported, command_id);
            assert_eq!(sequence_number, SEQ);
            (reason, error.reply())
        }
        other => panic!("expected Malformed, got {other:?}"),
    }
}

fn reply(command_id: CommandId, command_status: CommandStatus) -> Option<ErrorReply> {
    Some(ErrorReply {
        command_id,
        sequence_number: SEQ,
        command_status,
    })
}

#[test]
fn c_string_without_nul_is_unterminated() {
    let (reason, answer) = malformed(CommandId::BindTransceiver, b"esme1");
    assert_eq!(
        reason,
        BodyError::Unterminated {
            field: Field::SystemId
        }
    );
    assert_eq!(
        answer,
        reply(CommandId::BindTransceiverResp, CommandStatus::InvCmdLen)
    );
}

#[test]
fn c_strings_over_their_limit_get_the_field_specific_status() {
    let long = |n: usize| "9".repeat(n);
    let cases = [
        (
            CommandId::BindTransmitter,
            bind_body(&long(16), "", "", ""),
            Field::SystemId,
            CommandStatus::InvSysId,
        ),
        (
            CommandId::BindReceiver,
            bind_body("id", &long(9), "", ""),
            Field::Password,
            CommandStatus::InvPaswd,
        ),
        (
            CommandId::BindTransceiver,
            bind_body("id", "pw", &long(13), ""),
            Field::SystemType,
            CommandStatus::InvSysTyp,
        ),
        (
            CommandId::BindTransceiver,
            bind_body("id", "pw", "", &long(41)),
            Field::AddressRange,
            CommandStatus::BindFail,
        ),
        (
            CommandId::SubmitSm,
            submit_sm_head(&long(21), "1", 0),
            Field::SourceAddr,
            CommandStatus::InvSrcAdr,
        ),
        (
            CommandId::DeliverSm,
            submit_sm_head("1", &long(21), 0),
            Field::DestinationAddr,
            CommandStatus::InvDstAdr,
        ),
        (
            CommandId::SubmitSmResp,
            cstr(&long(65)),
            Field::MessageId,
            CommandStatus::InvMsgId,
        ),
    ];
    for (command_id, body, field, status) in cases {
        let max = field.max_cstring_len().expect("string field");
        let (reason, answer) = malformed(command_id, &body);
        assert_eq!(reason, BodyError::CStringTooLong { field, max }, "{field}");
        assert_eq!(reason.status(), status, "{field}");
        if command_id.is_response() {
            assert_eq!(answer, None, "responses are never answered");
        } else {
            let resp = command_id.response().expect("request");
            assert_eq!(answer, reply(resp, status), "{field}");
        }
    }
}

#[test]
fn c_strings_at_their_limit_are_accepted() {
    let bytes = pdu_bytes(
        CommandId::BindTransceiver.code(),
        0,
        SEQ,
        &bind_body(
            &"s".repeat(15),
            &"p".repeat(8),
            &"t".repeat(12),
            &"a".repeat(40),
        ),
    );
    let pdu = decode(&bytes).expect("limits are inclusive of the NUL");
    let PduBody::BindTransceiver(bind) = pdu.body else {
        panic!("{:?}", pdu.body)
    };
    assert_eq!(bind.system_id.len(), 15);
    assert_eq!(bind.address_range.len(), 40);
}

#[test]
fn message_ids_of_64_characters_such_as_uuids_are_accepted() {
    let uuid = "0b5a0d4e-9a8f-4c59-8f7e-2d1b6c3a4f51";
    let sixty_four = "m".repeat(64);
    for id in [uuid, sixty_four.as_str()] {
        let bytes = pdu_bytes(CommandId::SubmitSmResp.code(), 0, SEQ, &cstr(id));
        let pdu = decode(&bytes).expect("id within 65 octets");
        assert_eq!(pdu.body, PduBody::SubmitSmResp { message_id: id });
        let receipt = submit_sm_body(b"", &tlv(TAG_RECEIPTED_MESSAGE_ID, &cstr(id)));
        let bytes = pdu_bytes(CommandId::DeliverSm.code(), 0, SEQ, &receipt);
        let pdu = decode(&bytes).expect("receipted id within 65 octets");
        let PduBody::DeliverSm(sm) = pdu.body else {
            panic!("{:?}", pdu.body)
        };
        assert_eq!(sm.tlvs.receipted_message_id, Some(id));
    }
}

#[test]
fn non_utf8_c_string_names_its_field() {
    let mut body = submit_sm_head("1", "2", 0);
    body.insert(0, 0xFF); // service_type becomes one invalid octet before its NUL
    let (reason, _) = malformed(CommandId::SubmitSm, &body);
    assert_eq!(
        reason,
        BodyError::NotUtf8 {
            field: Field::ServiceType
        }
    );
    assert_eq!(reason.status(), CommandStatus::InvSerTyp);
}

#[test]
fn sm_length_past_the_end_is_an_invalid_message_length() {
    let mut body = submit_sm_head("1", "2", 10);
    body.extend_from_slice(b"short");
    let (reason, answer) = malformed(CommandId::SubmitSm, &body);
    assert_eq!(
        reason,
        BodyError::Truncated {
            field: Field::ShortMessage
        }
    );
    assert_eq!(
        answer,
        reply(CommandId::SubmitSmResp, CommandStatus::InvMsgLen)
    );
}

#[test]
fn sm_length_255_is_rejected() {
    let mut body = submit_sm_head("1", "2", 255);
    body.extend_from_slice(&[b'x'; 255]);
    let (reason, answer) = malformed(CommandId::DeliverSm, &body);
    assert_eq!(reason, BodyError::SmLengthTooLarge { sm_length: 255 });
    assert_eq!(
        answer,
        reply(CommandId::DeliverSmResp, CommandStatus::InvMsgLen)
    );
}

#[test]
fn body_ending_inside_the_fixed_fields_is_an_invalid_command_length() {
    let head = submit_sm_head("1", "2", 0);
    // Cut just after destination_addr's NUL: esm_class is missing.
    let cut = head.iter().rposition(|&b| b == b'2').expect("dest") + 2;
    let (reason, answer) = malformed(CommandId::SubmitSm, &head[..cut]);
    assert_eq!(
        reason,
        BodyError::Truncated {
            field: Field::EsmClass
        }
    );
    assert_eq!(
        answer,
        reply(CommandId::SubmitSmResp, CommandStatus::InvCmdLen)
    );
}

#[test]
fn tlv_length_past_the_end_is_an_optional_parameter_stream_error() {
    let mut tlvs = tlv(TAG_MESSAGE_PAYLOAD, b"0123456789");
    tlvs.truncate(tlvs.len() - 3);
    let (reason, answer) = malformed(CommandId::SubmitSm, &submit_sm_body(b"", &tlvs));
    assert_eq!(
        reason,
        BodyError::TlvPastEnd {
            tag: TAG_MESSAGE_PAYLOAD,
            length: 10,
            available: 7
        }
    );
    assert_eq!(
        answer,
        reply(CommandId::SubmitSmResp, CommandStatus::InvOptParStream)
    );
}

#[test]
fn a_partial_tlv_header_is_an_optional_parameter_stream_error() {
    let (reason, _) = malformed(
        CommandId::DeliverSm,
        &submit_sm_body(b"hi", &[0x04, 0x27, 0x00]),
    );
    assert_eq!(reason, BodyError::TlvHeaderTruncated { available: 3 });
    assert_eq!(reason.status(), CommandStatus::InvOptParStream);
}

#[test]
fn fixed_size_tlvs_with_another_length_are_invalid_parameter_lengths() {
    for (tag, value, expected) in [
        (TAG_MESSAGE_STATE, &[2u8, 0][..], 1),
        (TAG_SAR_MSG_REF_NUM, &[1][..], 2),
        (TAG_SAR_TOTAL_SEGMENTS, &[][..], 1),
        (TAG_SAR_SEGMENT_SEQNUM, &[1, 2][..], 1),
        (TAG_NETWORK_ERROR_CODE, &[3, 0][..], 3),
    ] {
        let (reason, answer) =
            malformed(CommandId::DeliverSm, &submit_sm_body(b"", &tlv(tag, value)));
        let length = u16::try_from(value.len()).expect("small");
        assert_eq!(
            reason,
            BodyError::TlvBadLength {
                tag,
                length,
                expected
            }
        );
        assert_eq!(
            answer,
            reply(CommandId::DeliverSmResp, CommandStatus::InvParLen)
        );
    }
}

#[test]
fn receipted_message_id_too_long_is_an_invalid_parameter_value() {
    let body = submit_sm_body(b"", &tlv(TAG_RECEIPTED_MESSAGE_ID, &cstr(&"7".repeat(65))));
    let (reason, _) = malformed(CommandId::DeliverSm, &body);
    assert!(matches!(
        reason,
        BodyError::TlvBadValue {
            tag: TAG_RECEIPTED_MESSAGE_ID,
            ..
        }
    ));
    assert_eq!(reason.status(), CommandStatus::InvOptParamVal);
}

#[test]
fn receipt_tlvs_without_nul_and_unknown_and_repeated_tlvs_are_kept() {
    let tlvs = [
        tlv(TAG_RECEIPTED_MESSAGE_ID, b"A1B2C3"), // no NUL, as some SMSCs send it
        tlv(0x1403, b"vendor"),
        tlv(TAG_MESSAGE_STATE, &[5]),
        tlv(TAG_NETWORK_ERROR_CODE, &[3, 0x00, 0x22]),
        tlv(TAG_MESSAGE_STATE, &[2]),
        tlv(TAG_SAR_MSG_REF_NUM, &[0x12, 0x34]),
        tlv(TAG_SAR_TOTAL_SEGMENTS, &[3]),
        tlv(TAG_SAR_SEGMENT_SEQNUM, &[2]),
    ]
    .concat();
    let bytes = pdu_bytes(
        CommandId::DeliverSm.code(),
        0,
        SEQ,
        &submit_sm_body(b"x", &tlvs),
    );
    let pdu = decode(&bytes).expect("well-formed");
    let PduBody::DeliverSm(sm) = &pdu.body else {
        panic!("{:?}", pdu.body)
    };
    assert_eq!(sm.tlvs.receipted_message_id, Some("A1B2C3"));
    assert_eq!(
        sm.tlvs.message_state,
        Some(MessageState::Undeliverable),
        "first one wins"
    );
    assert_eq!(sm.tlvs.network_error_code, Some([3, 0x00, 0x22]));
    assert_eq!(sm.tlvs.sar_msg_ref_num, Some(0x1234));
    assert_eq!(sm.tlvs.sar_total_segments, Some(3));
    assert_eq!(sm.tlvs.sar_segment_seqnum, Some(2));
    assert_eq!(
        sm.tlvs.other,
        vec![(0x1403, &b"vendor"[..]), (TAG_MESSAGE_STATE, &[2u8][..])]
    );
    // Re-encoding keeps every TLV (the receipted id gains its NUL) and decodes to the same PDU.
    let mut out = Vec::new();
    pdu.encode(&mut out).expect("encodable");
    assert_eq!(out.len(), bytes.len() + 1);
    assert_eq!(decode(&out).expect("re-decodes"), pdu);
}

#[test]
fn bind_resp_keeps_sc_interface_version_and_skips_other_tlvs() {
    let body = [
        cstr("SMSC"),
        tlv(0x1500, b"??"),
        tlv(TAG_SC_INTERFACE_VERSION, &[0x34]),
    ]
    .concat();
    let bytes = pdu_bytes(CommandId::BindTransmitterResp.code(), 0, SEQ, &body);
    let pdu = decode(&bytes).expect("well-formed");
    let PduBody::BindTransmitterResp(resp) = pdu.body else {
        panic!("{:?}", pdu.body)
    };
    assert_eq!(resp.system_id, "SMSC");
    assert_eq!(resp.sc_interface_version, Some(0x34));
}

#[test]
fn unknown_command_id_carries_the_sequence_for_a_generic_nack() {
    let bytes = pdu_bytes(0x0000_0999, 0, SEQ, b"whatever");
    let error = decode(&bytes).expect_err("unknown");
    assert_eq!(
        error,
        SmppError::UnknownCommand {
            command_id: 0x999,
            sequence_number: SEQ
        }
    );
    assert_eq!(error.nack_status(), Some((SEQ, CommandStatus::InvCmdId)));
    let nack = error.reply().expect("answer").to_pdu();
    assert_eq!(nack.body, PduBody::GenericNack);
    assert_eq!(nack.sequence_number, SEQ);
    assert_eq!(nack.command_status, CommandStatus::InvCmdId);
}

#[test]
fn responses_are_never_answered() {
    let unknown_response = pdu_bytes(0x8000_0999, 0, SEQ, &[]);
    assert_eq!(
        decode(&unknown_response)
            .expect_err("unknown")
            .nack_status(),
        None
    );
    let broken_resp = pdu_bytes(CommandId::SubmitSmResp.code(), 0, SEQ, b"no-nul");
    assert_eq!(
        decode(&broken_resp).expect_err("broken").nack_status(),
        None
    );
    let broken_nack = pdu_bytes(CommandId::GenericNack.code(), 8, SEQ, b"x");
    assert_eq!(
        decode(&broken_nack).expect_err("broken").nack_status(),
        None
    );
}

#[test]
fn known_but_unsupported_commands_get_a_generic_nack() {
    let bytes = pdu_bytes(CommandId::QuerySm.code(), 0, SEQ, &cstr("id"));
    let error = decode(&bytes).expect_err("unsupported");
    assert_eq!(
        error,
        SmppError::UnsupportedCommand {
            command_id: CommandId::QuerySm,
            sequence_number: SEQ
        }
    );
    assert_eq!(
        error.reply(),
        reply(CommandId::GenericNack, CommandStatus::InvCmdId)
    );
}

#[test]
fn octets_after_a_bodyless_request_are_answered_with_its_resp() {
    let (reason, answer) = malformed(CommandId::EnquireLink, b"\0\0");
    assert_eq!(reason, BodyError::TrailingBytes { count: 2 });
    assert_eq!(
        answer,
        reply(CommandId::EnquireLinkResp, CommandStatus::InvCmdLen)
    );
    let (_, answer) = malformed(
        CommandId::Outbind,
        &[cstr("smsc"), cstr("pw"), vec![1]].concat(),
    );
    assert_eq!(
        answer,
        reply(CommandId::GenericNack, CommandStatus::InvCmdLen),
        "outbind has no resp"
    );
}

#[test]
fn error_replies_encode_as_bodyless_pdus_that_decode_back() {
    for (command_id, status) in [
        (CommandId::SubmitSmResp, CommandStatus::InvMsgLen),
        (CommandId::DeliverSmResp, CommandStatus::RxTAppn),
        (CommandId::BindReceiverResp, CommandStatus::InvPaswd),
        (CommandId::EnquireLinkResp, CommandStatus::InvCmdLen),
        (CommandId::GenericNack, CommandStatus::InvCmdId),
    ] {
        let answer = ErrorReply {
            command_id,
            sequence_number: SEQ,
            command_status: status,
        };
        let pdu = answer.to_pdu();
        assert_eq!(pdu.command_id(), command_id);
        let mut out = Vec::new();
        pdu.encode(&mut out).expect("encodable");
        assert_eq!(out, pdu_bytes(command_id.code(), status.code(), SEQ, &[]));
        assert_eq!(decode(&out).expect("decodes"), pdu);
    }
}
