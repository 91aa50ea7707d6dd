//! What the ESME session does with each PDU the SMSC sends (SMPP 3.4 §4), and how a deliver_sm
//! becomes a [`EsmeEvent::DeliveryReceipt`] or [`EsmeEvent::MobileOriginated`].
//!
//! Why receipts read the TLVs first and the text only as a fallback: receipted_message_id and
//! message_state (§5.3.2.12, §5.3.2.35) are typed and exact, while the Appendix B text is
//! "vendor specific"; SMSCs that send both agree, SMSCs that send only text are still served
//! by `smartchat_sms::parse_receipt`.

use smartchat_smpp::{
    decode, CommandId, CommandStatus, ErrorReply, MessageState, Pdu, PduBody, SubmitSm,
};
use smartchat_sms::{parse_receipt, split_udh, ConcatInfo, ESM_CLASS_UDHI};

use super::{DeliverSeq, DisconnectReason, EsmeEvent, EsmeSession, SessionState};

/// §5.2.12 esm_class bits 5–2, the message type.
const ESM_TYPE_MASK: u8 = 0x3C;
/// Message type "SMSC Delivery Receipt".
const ESM_TYPE_RECEIPT: u8 = 0x04;
/// Message type "Intermediate Delivery Notification".
const ESM_TYPE_INTERMEDIATE: u8 = 0x20;

impl EsmeSession {
    /// One framed PDU: decode it, or answer what could not be decoded (§3.3, §4.3.1).
    pub(super) fn handle_frame(&mut self, frame: &[u8], now: u64) {
        match decode(frame) {
            Ok(pdu) => self.handle_pdu(&pdu, now),
            Err(err) => {
                if let Some(reply) = err.reply() {
                    self.stats.nacks_sent += 1;
                    self.push_pdu(&reply.to_pdu());
                }
                if err.desynchronises_stream() {
                    let len = match err {
                        smartchat_smpp::SmppError::BadCommandLength { len } => len,
                        _ => 0,
                    };
                    self.disconnect(DisconnectReason::Desynchronised(len), now);
                }
            }
        }
    }

    fn handle_pdu(&mut self, pdu: &Pdu<'_>, now: u64) {
        let seq = pdu.sequence_number;
        let status = pdu.command_status;
        match &pdu.body {
            PduBody::BindTransceiverResp(resp)
            | PduBody::BindTransmitterResp(resp)
            | PduBody::BindReceiverResp(resp) => {
                self.on_bind_resp(seq, status, resp.system_id, now);
            }
            PduBody::SubmitSmResp { message_id } => {
                self.on_submit_resp(seq, status, message_id, now);
            }
            PduBody::GenericNack => self.on_generic_nack(seq, status, now),
            PduBody::EnquireLink => self.push_pdu(&Pdu {
                sequence_number: seq,
                command_status: CommandStatus::Ok,
                body: PduBody::EnquireLinkResp,
            }),
            PduBody::EnquireLinkResp => self.on_enquire_resp(seq),
            PduBody::DeliverSm(sm) => self.on_deliver_sm(seq, sm),
            PduBody::Unbind => {
                self.push_pdu(&Pdu {
                    sequence_number: seq,
                    command_status: CommandStatus::Ok,
                    body: PduBody::UnbindResp,
                });
                self.disconnect(DisconnectReason::PeerUnbound, now);
            }
            PduBody::UnbindResp => {
                if self.unbind.is_some_and(|u| u.seq == seq) {
                    self.disconnect(DisconnectReason::Closed, now);
                } else {
                    self.stats.unmatched_responses += 1;
                }
            }
            // We are connected already; an outbind here has nothing to trigger (§4.1.7).
            PduBody::Outbind { .. } => {}
            PduBody::BindTransceiver(_)
            | PduBody::BindTransmitter(_)
            | PduBody::BindReceiver(_)
            | PduBody::SubmitSm(_) => self.refuse(pdu.command_id(), seq, CommandStatus::InvCmdId),
            PduBody::DeliverSmResp { .. } => self.stats.unmatched_responses += 1,
        }
    }

    /// Answers a request an ESME does not take: its own `_resp`, else generic_nack.
    fn refuse(&mut self, request: CommandId, seq: u32, status: CommandStatus) {
        self.stats.nacks_sent += 1;
        let reply = ErrorReply {
            command_id: request.response().unwrap_or(CommandId::GenericNack),
            sequence_number: seq,
            command_status: status,
        };
        self.push_pdu(&reply.to_pdu());
    }

    fn on_bind_resp(&mut self, seq: u32, status: CommandStatus, smsc: &str, now: u64) {
        let ours = matches!(self.bind, Some(b) if b.seq == seq);
        if self.state != SessionState::Binding || !ours {
            self.stats.unmatched_responses += 1;
            return;
        }
        self.bind = None;
        if status.is_ok() {
            self.state = SessionState::Bound;
            self.backoff_ms = self.config.reconnect_backoff_min_ms;
            self.events.push_back(EsmeEvent::Bound {
                smsc_system_id: smsc.to_owned(),
            });
            self.pump(now);
        } else {
            self.events.push_back(EsmeEvent::BindFailed { status });
            self.disconnect(DisconnectReason::BindFailed(status), now);
        }
    }

    /// §4.3.1: generic_nack answers a request the SMSC could not take; find which one.
    fn on_generic_nack(&mut self, seq: u32, status: CommandStatus, now: u64) {
        if self.bind.is_some_and(|b| b.seq == seq) {
            return self.on_bind_resp(seq, status, "", now);
        }
        if self.enquire.is_some_and(|e| e.seq == seq) {
            // The link answered, which is all enquire_link asks.
            self.enquire = None;
            return;
        }
        if self.unbind.is_some_and(|u| u.seq == seq) {
            return self.disconnect(DisconnectReason::Closed, now);
        }
        let status = if status.is_ok() {
            CommandStatus::UnknownErr
        } else {
            status
        };
        self.on_submit_resp(seq, status, "", now);
    }

    fn on_enquire_resp(&mut self, seq: u32) {
        if self.enquire.is_some_and(|e| e.seq == seq) {
            self.enquire = None;
        } else {
            self.stats.unmatched_responses += 1;
        }
    }

    fn on_deliver_sm(&mut self, seq: u32, sm: &SubmitSm<'_>) {
        let refuse_with = match self.state {
            SessionState::Bound if self.unacked.len() < self.config.max_unacked_deliveries => None,
            SessionState::Bound => {
                self.stats.deliveries_refused += 1;
                Some(CommandStatus::RxTAppn)
            }
            // Closing: we will not be here to acknowledge it; the SMSC retries elsewhere/later.
            SessionState::Unbinding => Some(CommandStatus::RxTAppn),
            SessionState::Binding | SessionState::Disconnected => Some(CommandStatus::InvBndSts),
        };
        if let Some(status) = refuse_with {
            return self.refuse(CommandId::DeliverSm, seq, status);
        }
        let handle = DeliverSeq {
            connection: self.connection,
            sequence_number: seq,
        };
        let event = if is_receipt(sm) {
            match receipt_event(handle, sm) {
                Some(event) => event,
                None => {
                    self.stats.receipts_unusable += 1;
                    return self.refuse(CommandId::DeliverSm, seq, CommandStatus::RxPAppn);
                }
            }
        } else {
            mo_event(handle, sm)
        };
        self.unacked.push(seq);
        self.events.push_back(event);
    }
}

/// §5.2.12 message types 0x04 / 0x20, or receipt TLVs on a deliver_sm whose esm_class forgot.
fn is_receipt(sm: &SubmitSm<'_>) -> bool {
    let kind = sm.esm_class & ESM_TYPE_MASK;
    kind == ESM_TYPE_RECEIPT
        || kind == ESM_TYPE_INTERMEDIATE
        || (sm.tlvs.receipted_message_id.is_some() && sm.tlvs.message_state.is_some())
}

/// The user data: message_payload when present (§5.3.2.32 says short_message is then empty).
fn user_data<'a>(sm: &SubmitSm<'a>) -> &'a [u8] {
    sm.tlvs.message_payload.unwrap_or(sm.short_message)
}

/// Receipt text is ASCII in practice whatever data_coding says, except for UCS-2.
fn receipt_text(sm: &SubmitSm<'_>) -> Option<String> {
    let data = user_data(sm);
    if data.is_empty() {
        return None;
    }
    if sm.data_coding == 0x08 {
        if let Ok(text) = smartchat_sms::ucs2_decode(data) {
            return Some(text);
        }
    }
    Some(String::from_utf8_lossy(data).into_owned())
}

fn receipt_event(seq: DeliverSeq, sm: &SubmitSm<'_>) -> Option<EsmeEvent> {
    let text = receipt_text(sm);
    let parsed = text.as_deref().and_then(|t| parse_receipt(t).ok());
    let receipted_message_id = sm
        .tlvs
        .receipted_message_id
        .filter(|id| !id.is_empty())
        .or(parsed.as_ref().map(|p| p.id))?
        .to_owned();
    let message_state = sm.tlvs.message_state.or_else(|| {
        parsed
            .as_ref()
            .and_then(|p| p.stat.message_state())
            .map(MessageState::from)
    });
    let receipt_err = parsed.as_ref().and_then(|p| p.err).map(str::to_owned);
    Some(EsmeEvent::DeliveryReceipt {
        seq,
        receipted_message_id,
        message_state,
        network_error_code: sm.tlvs.network_error_code,
        receipt_err,
        receipt_text: text,
        source: sm.source.addr.to_owned(),
        dest: sm.dest.addr.to_owned(),
    })
}

fn mo_event(seq: DeliverSeq, sm: &SubmitSm<'_>) -> EsmeEvent {
    let data = user_data(sm);
    let (short_message, udh_concat) = if sm.esm_class & ESM_CLASS_UDHI != 0 {
        match split_udh(data) {
            Ok(view) => (view.payload.to_vec(), view.concat),
            Err(_) => (data.to_vec(), None),
        }
    } else {
        (data.to_vec(), None)
    };
    let tlvs = &sm.tlvs;
    let sar = match (
        tlvs.sar_msg_ref_num,
        tlvs.sar_total_segments,
        tlvs.sar_segment_seqnum,
    ) {
        (Some(reference), Some(total), Some(seq)) => Some(ConcatInfo {
            reference,
            total,
            seq,
        })
        .filter(ConcatInfo::is_valid),
        _ => None,
    };
    EsmeEvent::MobileOriginated {
        seq,
        source: sm.source.addr.to_owned(),
        dest: sm.dest.addr.to_owned(),
        esm_class: sm.esm_class,
        data_coding: sm.data_coding,
        short_message,
        concat: udh_concat.or(sar),
    }
}
