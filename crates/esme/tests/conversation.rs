//! Byte-level conversations with the ESME session: the octets it writes are compared with
//! hand-assembled SMPP 3.4 PDUs, and hand-assembled PDUs are fed to it (no shared encoder, so
//! an encoder bug cannot hide itself), plus malformed input.

mod common;

use common::wire::{bound_session, parse_all, sent};
use common::{esme_config, text_submit};
use smartchat_esme::{DisconnectReason, EsmeEvent, EsmeSession, SessionState};
use smartchat_smpp::{CommandId, CommandStatus, MessageState};

fn hex(s: &str) -> Vec<u8> {
    let digits: Vec<u8> = s.bytes().filter(u8::is_ascii_hexdigit).collect();
    digits
        .chunks(2)
        .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).unwrap(), 16).unwrap())
        .collect()
}

fn ascii(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn full_conversation_in_octets() {
    let config = smartchat_esme::EsmeConfig {
        system_id: "esme1".into(),
        password: "pwd".into(),
        ..esme_config()
    };
    let mut esme = EsmeSession::new(config).unwrap();
    esme.on_connected(0);
    // §4.1.5 bind_transceiver: system_id, password, system_type, version 0x34, ton, npi, range.
    let bind = format!(
        "0000001F 00000009 00000000 00000001 {}00 {}00 00 34 00 00 00",
        ascii("esme1"),
        ascii("pwd")
    );
    assert_eq!(esme.poll_transmit().unwrap(), hex(&bind));

    // bind_transceiver_resp ESME_ROK, system_id "SMSC".
    let bind_resp = format!("00000015 80000009 00000000 00000001 {}00", ascii("SMSC"));
    esme.on_bytes(&hex(&bind_resp), 5);
    assert_eq!(
        esme.poll_event(),
        Some(EsmeEvent::Bound {
            smsc_system_id: "SMSC".into()
        })
    );

    // §4.4.1 submit_sm, registered_delivery 1, "hi" from 111 to 222.
    let mut request = text_submit("222", "hi");
    request.source = smartchat_esme::OwnedAddress::international("111");
    esme.submit(77, &request, 10).unwrap();
    let submit = format!(
        "00000029 00000004 00000000 00000002 00 0101{}00 0101{}00 00 00 00 00 00 01 00 00 00 02 {}",
        ascii("111"),
        ascii("222"),
        ascii("hi")
    );
    assert_eq!(esme.poll_transmit().unwrap(), hex(&submit));

    // submit_sm_resp with message id "ab12": the submit is final.
    esme.on_bytes(
        &hex(&format!(
            "00000015 80000004 00000000 00000002 {}00",
            ascii("ab12")
        )),
        20,
    );
    assert_eq!(
        esme.poll_event(),
        Some(EsmeEvent::Submitted {
            token: 77,
            message_id: "ab12".into()
        })
    );

    // deliver_sm receipt (esm_class 0x04) with receipted_message_id and message_state TLVs;
    // split across two reads in the middle of the header.
    let receipt = hex(&format!(
        "00000049 00000005 00000000 00000007 00 0101{}00 0101{}00 04 00 00 00 00 00 00 00 00 14 {} \
         001E 0005 {}00 0427 0001 02",
        ascii("222"),
        ascii("111"),
        ascii("id:ab12 stat:DELIVRD"),
        ascii("ab12")
    ));
    esme.on_bytes(&receipt[..7], 30);
    assert_eq!(esme.poll_event(), None);
    esme.on_bytes(&receipt[7..], 31);
    let Some(EsmeEvent::DeliveryReceipt {
        seq,
        receipted_message_id,
        message_state,
        receipt_text,
        source,
        dest,
        ..
    }) = esme.poll_event()
    else {
        panic!("expected a receipt");
    };
    assert_eq!(receipted_message_id, "ab12");
    assert_eq!(message_state, Some(MessageState::Delivered));
    assert_eq!(receipt_text.as_deref(), Some("id:ab12 stat:DELIVRD"));
    assert_eq!((source.as_str(), dest.as_str()), ("222", "111"));
    // Nothing is answered until the node says the receipt is durable.
    assert_eq!(esme.poll_transmit(), None);
    esme.ack_deliver(seq, CommandStatus::Ok).unwrap();
    assert_eq!(
        esme.poll_transmit().unwrap(),
        hex("00000011 80000005 00000000 00000007 00")
    );

    // enquire_link from the SMSC is answered by the session itself.
    esme.on_bytes(&hex("00000010 00000015 00000000 00000008"), 40);
    assert_eq!(
        esme.poll_transmit().unwrap(),
        hex("00000010 80000015 00000000 00000008")
    );

    // An undefined command_id gets generic_nack ESME_RINVCMDID (§4.3.1).
    esme.on_bytes(&hex("00000010 00000099 00000000 00000009"), 50);
    assert_eq!(
        esme.poll_transmit().unwrap(),
        hex("00000010 80000000 00000003 00000009")
    );

    // The SMSC unbinds: answered, then disconnected.
    esme.on_bytes(&hex("00000010 00000006 00000000 0000000A"), 60);
    assert_eq!(
        esme.poll_transmit().unwrap(),
        hex("00000010 80000006 00000000 0000000A")
    );
    assert_eq!(
        esme.poll_event(),
        Some(EsmeEvent::Disconnected {
            reason: DisconnectReason::PeerUnbound
        })
    );
    assert_eq!(esme.state(), SessionState::Disconnected);
}

#[test]
fn receipt_text_alone_is_enough() {
    let mut esme = bound_session(esme_config(), 0);
    // No TLVs, esm_class 0x04: the Appendix B text is parsed instead.
    let text = "id:0000002A sub:001 dlvrd:001 submit date:2402291345 done date:2402291346 \
                stat:UNDELIV err:034 text:hello";
    let mut pdu = common::wire::deliver(3, text, None);
    // esm_class sits after service_type (1), source (2+13), dest (2+8): offset 16 + 26.
    pdu[16 + 26] = 0x04;
    esme.on_bytes(&pdu, 1);
    let Some(EsmeEvent::DeliveryReceipt {
        receipted_message_id,
        message_state,
        receipt_err,
        ..
    }) = esme.poll_event()
    else {
        panic!("expected a receipt");
    };
    assert_eq!(receipted_message_id, "0000002A");
    assert_eq!(message_state, Some(MessageState::Undeliverable));
    assert_eq!(receipt_err.as_deref(), Some("034"));
}

#[test]
fn malformed_input_is_answered_never_a_panic() {
    let mut esme = bound_session(esme_config(), 0);
    // deliver_sm whose body stops after service_type: answered with deliver_sm_resp + error.
    esme.on_bytes(&hex("00000011 00000005 00000000 0000000B 00"), 1);
    let out = sent(&mut esme);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].id, CommandId::DeliverSmResp);
    assert_eq!(out[0].seq, 0x0B);
    assert!(!out[0].status.is_ok());
    assert_eq!(esme.poll_event(), None);

    // A response that does not decode is never answered (no nack ping-pong).
    esme.on_bytes(&hex("00000012 80000004 00000000 0000000C 4142"), 2);
    assert_eq!(esme.poll_transmit(), None);

    // query_sm (a 3.4 command the codec has no body for): generic_nack ESME_RINVCMDID.
    esme.on_bytes(&hex("00000010 00000003 00000000 0000000D"), 3);
    let out = sent(&mut esme);
    assert_eq!(out[0].id, CommandId::GenericNack);
    assert_eq!(out[0].status, CommandStatus::InvCmdId);
    assert!(esme.stats().nacks_sent >= 2);
    assert_eq!(esme.state(), SessionState::Bound);

    // command_length 8: the stream cannot be trusted any more.
    esme.on_bytes(&hex("00000008 00000015 00000000 0000000E"), 4);
    assert_eq!(
        esme.poll_event(),
        Some(EsmeEvent::Disconnected {
            reason: DisconnectReason::Desynchronised(8)
        })
    );
}

#[test]
fn several_pdus_in_one_read_are_all_handled() {
    let mut esme = bound_session(esme_config(), 0);
    let mut burst = Vec::new();
    for seq in 20..30u32 {
        burst.extend(hex(&format!("00000010 00000015 00000000 {seq:08X}")));
    }
    esme.on_bytes(&burst, 1);
    let answers = parse_all(&esme.poll_transmit().unwrap());
    let seqs: Vec<u32> = answers.iter().map(|o| o.seq).collect();
    assert_eq!(seqs, (20..30).collect::<Vec<_>>());
    assert!(answers.iter().all(|o| o.id == CommandId::EnquireLinkResp));
}
