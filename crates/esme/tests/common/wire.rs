//! Building SMSC-side PDUs and reading what the ESME wrote, for tests without the simulator.
#![allow(dead_code)]

use smartchat_esme::EsmeSession;
use smartchat_smpp::{
    decode, frame_len, BindResp, CommandId, CommandStatus, MessageState, Pdu, PduBody, SubmitSm,
    Tlvs,
};

/// What a test needs to know about one PDU the ESME sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Out {
    pub id: CommandId,
    pub seq: u32,
    pub status: CommandStatus,
    pub short_message: Vec<u8>,
    pub dest: String,
}

/// Splits and decodes everything `bytes` holds.
pub fn parse_all(bytes: &[u8]) -> Vec<Out> {
    let mut rest = bytes;
    let mut out = Vec::new();
    while let Ok(Some(len)) = frame_len(rest, 65_536) {
        let (frame, tail) = rest.split_at(len);
        let pdu = decode(frame).expect("the ESME writes valid PDUs");
        let (short_message, dest) = match &pdu.body {
            PduBody::SubmitSm(sm) => (sm.short_message.to_vec(), sm.dest.addr.to_owned()),
            _ => (Vec::new(), String::new()),
        };
        out.push(Out {
            id: pdu.command_id(),
            seq: pdu.sequence_number,
            status: pdu.command_status,
            short_message,
            dest,
        });
        rest = tail;
    }
    assert!(rest.is_empty(), "trailing partial PDU");
    out
}

/// Everything the session wants written now, decoded.
pub fn sent(session: &mut EsmeSession) -> Vec<Out> {
    session
        .poll_transmit()
        .map(|bytes| parse_all(&bytes))
        .unwrap_or_default()
}

pub fn encode(pdu: &Pdu<'_>) -> Vec<u8> {
    let mut out = Vec::new();
    pdu.encode(&mut out).expect("test PDU encodes");
    out
}

pub fn bind_resp(seq: u32, status: CommandStatus) -> Vec<u8> {
    encode(&Pdu {
        sequence_number: seq,
        command_status: status,
        body: PduBody::BindTransceiverResp(BindResp {
            system_id: if status.is_ok() { "SMSC" } else { "" },
            sc_interface_version: None,
        }),
    })
}

pub fn submit_resp(seq: u32, status: CommandStatus, message_id: &str) -> Vec<u8> {
    encode(&Pdu {
        sequence_number: seq,
        command_status: status,
        body: PduBody::SubmitSmResp { message_id },
    })
}

pub fn simple(seq: u32, body: PduBody<'static>) -> Vec<u8> {
    encode(&Pdu {
        sequence_number: seq,
        command_status: CommandStatus::Ok,
        body,
    })
}

/// A deliver_sm; a receipt when `receipt_id` is given (esm_class 0x04 + TLVs).
pub fn deliver(seq: u32, text: &str, receipt_id: Option<&str>) -> Vec<u8> {
    let mut sm = SubmitSm {
        service_type: "",
        source: smartchat_smpp::Address {
            ton: 1,
            npi: 1,
            addr: "491511234567",
        },
        dest: smartchat_smpp::Address {
            ton: 0,
            npi: 1,
            addr: "4000123",
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
        short_message: text.as_bytes(),
        tlvs: Tlvs::default(),
    };
    if let Some(id) = receipt_id {
        sm.esm_class = 0x04;
        sm.tlvs.receipted_message_id = Some(id);
        sm.tlvs.message_state = Some(MessageState::Delivered);
    }
    encode(&Pdu {
        sequence_number: seq,
        command_status: CommandStatus::Ok,
        body: PduBody::DeliverSm(sm),
    })
}

/// A session bound at `now`, output drained. Returns the bind's sequence number.
pub fn bound_session(config: smartchat_esme::EsmeConfig, now: u64) -> EsmeSession {
    let mut session = EsmeSession::new(config).expect("valid config");
    assert!(session.wants_connect(now));
    session.on_connected(now);
    let bind = sent(&mut session);
    assert_eq!(bind.len(), 1);
    assert_eq!(bind[0].id, CommandId::BindTransceiver);
    session.on_bytes(&bind_resp(bind[0].seq, CommandStatus::Ok), now);
    assert!(matches!(
        session.poll_event(),
        Some(smartchat_esme::EsmeEvent::Bound { .. })
    ));
    session
}
