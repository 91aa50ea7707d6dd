//! IM → SMS (C3, C8): admission, encoding, the delivery state machine, retries, receipts.

mod common;

use common::*;
use smartchat_relay::{
    Action, Bound, DeliverSmRef, FailReason, ImdnStatus, MessageKind, PartStatus, PendingPhase,
    RateLimit, ReceiptStat, Record, RelayConfig, RelayError, RetryPolicy, SessionId, State,
    SubmitFailure,
};

const ACK: DeliverSmRef = DeliverSmRef {
    session: SessionId::new(0, 1),
    seq: 99,
};

#[test]
fn accept_persists_then_acks_then_submits_from_the_conversation_number() {
    let mut s = shard();
    let r = s
        .accept_im_for_sms(im(ALICE, BOB, "hello"), BOB_PHONE, T0)
        .expect("accepted");
    // The conversation extension is new, so it is persisted along with the message.
    assert!(matches!(r.persist.first(), Some(Record::Conversation(c)) if c.extension == 1));
    let Some(Record::Message(m)) = r.persist.get(1) else {
        panic!("no message record in {r:?}");
    };
    assert_eq!(m.kind, MessageKind::ImToSms);
    assert_eq!(m.text, "alice: hello");
    assert_eq!(m.source_address.as_deref(), Some("1065901"));
    assert_eq!(m.validity_until_ms, T0 + RelayConfig::default().validity_ms);
    assert_eq!(r.after_persist.first(), Some(&Action::Ack202 { id: m.id }));
    let sub = only_submit(&r);
    assert_eq!(sub.parts.len(), 1);
    let p = &sub.parts[0];
    assert_eq!((p.source.as_str(), p.dest.as_str()), ("1065901", BOB_PHONE));
    assert_eq!((p.data_coding, p.esm_class), (0x00, 0x00));
    assert_eq!(p.short_message, b"alice: hello");
}

#[test]
fn template_is_configurable_and_non_gsm_text_goes_ucs2_in_parts() {
    let mut s = shard_with(RelayConfig {
        template: "[{from}] {text}".into(),
        ..RelayConfig::default()
    });
    let text = "你好".repeat(40); // 80 UCS-2 units + prefix: two parts of <= 67
    let r = s
        .accept_im_for_sms(im(ALICE, BOB, &text), BOB_PHONE, T0)
        .expect("accepted");
    let sub = only_submit(&r);
    assert_eq!(sub.parts.len(), 2);
    assert!(sub
        .parts
        .iter()
        .all(|p| p.data_coding == 0x08 && p.esm_class == 0x40));
    let first = &sub.parts[0].short_message;
    // UDH 05 00 03 ref 02 01, then "[sip:alice..." in UTF-16BE.
    assert_eq!(&first[..6], &[5, 0, 3, (sub.id & 0xFF) as u8, 2, 1]);
    assert_eq!(&first[6..8], &[0, b'[']);
}

#[test]
fn too_long_and_bad_addresses_are_typed_errors_that_change_nothing() {
    let mut s = shard();
    let long = "x".repeat(153 * 6);
    assert!(matches!(
        s.accept_im_for_sms(im(ALICE, BOB, &long), BOB_PHONE, T0),
        Err(RelayError::TextTooLong { max_parts: 6, .. })
    ));
    assert!(matches!(
        s.accept_im_for_sms(im(ALICE, BOB, "hi"), "not-a-number", T0),
        Err(RelayError::InvalidAddress {
            field: "to_msisdn",
            ..
        })
    ));
    assert!(matches!(
        s.accept_im_for_sms(im("alice", BOB, "hi"), BOB_PHONE, T0),
        Err(RelayError::InvalidAddress {
            field: "from_aor",
            ..
        })
    ));
    assert_eq!(s.in_flight(), 0);
    assert_eq!(
        s.conversations().phones(),
        0,
        "no extension spent on a refused IM"
    );
}

#[test]
fn rate_limits_per_recipient_and_per_sender() {
    let cfg = RelayConfig {
        msisdn_rate: RateLimit {
            per_minute: 2,
            burst: 2,
        },
        sender_rate: RateLimit {
            per_minute: 60,
            burst: 3,
        },
        ..RelayConfig::default()
    };
    let mut s = shard_with(cfg);
    for _ in 0..2 {
        s.accept_im_for_sms(im(ALICE, BOB, "x"), BOB_PHONE, T0)
            .expect("burst");
    }
    // Bob's phone is out of tokens: 2 per minute → one every 30 s.
    assert_eq!(
        s.accept_im_for_sms(im(ALICE, BOB, "x"), BOB_PHONE, T0),
        Err(RelayError::RateLimited { retry_after_s: 30 })
    );
    // Alice has one token left: another phone works once, then Alice is limited.
    s.accept_im_for_sms(im(ALICE, CAROL, "x"), "+8613800000003", T0)
        .expect("ok");
    assert_eq!(
        s.accept_im_for_sms(im(ALICE, CAROL, "x"), "+8613800000004", T0),
        Err(RelayError::RateLimited { retry_after_s: 1 })
    );
    s.accept_im_for_sms(im(ALICE, BOB, "x"), BOB_PHONE, T0 + 30_000)
        .expect("refilled");
}

#[test]
fn message_table_is_bounded() {
    let mut s = shard_with(RelayConfig {
        max_messages: 2,
        ..RelayConfig::default()
    });
    accept(&mut s, "a", T0);
    accept(&mut s, "b", T0);
    assert_eq!(
        s.accept_im_for_sms(im(ALICE, BOB, "c"), BOB_PHONE, T0),
        Err(RelayError::Full(Bound::Messages))
    );
}

#[test]
fn submitted_then_delivered_sends_the_imdn_and_is_final() {
    let mut s = shard();
    let r = s
        .accept_im_for_sms(im_with_imdn(ALICE, BOB, "hi"), BOB_PHONE, T0)
        .expect("accepted");
    let id = only_submit(&r).id;
    let r = s.on_submitted(id, 0, "smsc-1", T0 + 10).expect("ok");
    assert!(matches!(
        r.persist.as_slice(),
        [Record::State(c)] if c.state == State::Submitted { part: 0, smsc_message_id: "smsc-1".into() }
    ));
    assert!(r.after_persist.is_empty());
    let r = s.on_receipt("smsc-1", &ReceiptStat::Delivered, ACK, T0 + 20);
    assert!(matches!(r.persist.as_slice(), [Record::State(c)] if c.state == State::Delivered));
    assert_eq!(
        r.after_persist,
        vec![
            Action::AckDeliverSm(ACK),
            Action::SendImdn {
                to: ALICE.into(),
                original_message_id: "imdn-1".into(),
                status: ImdnStatus::Delivered
            },
            Action::Final { id },
        ]
    );
    assert_eq!(s.pending(id), None);
    // A duplicate receipt is acknowledged and otherwise ignored.
    let again = s.on_receipt("smsc-1", &ReceiptStat::Delivered, ACK, T0 + 30);
    assert!(again.persist.is_empty());
    assert_eq!(again.after_persist, vec![Action::AckDeliverSm(ACK)]);
}

#[test]
fn multipart_is_delivered_only_when_every_part_is() {
    let mut s = shard();
    let (id, n) = accept(&mut s, &"z".repeat(290), T0);
    assert_eq!(n, 2);
    s.on_submitted(id, 0, "p0", T0).expect("ok");
    s.on_submitted(id, 1, "p1", T0).expect("ok");
    let r = s.on_receipt("p1", &ReceiptStat::Delivered, ACK, T0);
    assert!(
        matches!(r.persist.as_slice(), [Record::State(c)] if c.state == State::PartDelivered { part: 1 })
    );
    assert_eq!(r.final_ids().count(), 0);
    let r = s.on_receipt("p0", &ReceiptStat::Delivered, ACK, T0);
    assert_eq!(r.final_ids().collect::<Vec<_>>(), vec![id]);
}

#[test]
fn one_failed_part_fails_the_message_with_an_imdn() {
    let mut s = shard();
    let text = "q".repeat(290);
    let r = s
        .accept_im_for_sms(im_with_imdn(ALICE, BOB, &text), BOB_PHONE, T0)
        .expect("ok");
    let id = only_submit(&r).id;
    s.on_submitted(id, 0, "p0", T0).expect("ok");
    s.on_submitted(id, 1, "p1", T0).expect("ok");
    s.on_receipt("p0", &ReceiptStat::Delivered, ACK, T0);
    let r = s.on_receipt("p1", &ReceiptStat::Undeliverable, ACK, T0);
    let reason = FailReason::Receipt {
        stat: "UNDELIV".into(),
    };
    assert!(
        matches!(r.persist.as_slice(), [Record::State(c)] if c.state == State::Failed { reason: reason.clone() })
    );
    assert!(has(&r, |a| matches!(
        a,
        Action::SendImdn {
            status: ImdnStatus::Failed,
            ..
        }
    )));
    assert!(has(&r, |a| *a == Action::Final { id }));
}

#[test]
fn permanent_submit_error_fails_at_once() {
    let mut s = shard();
    let (id, _) = accept(&mut s, "x", T0);
    let r = s.on_submit_failed(
        id,
        0,
        SubmitFailure::Permanent {
            command_status: 0x0B,
        },
        T0,
    );
    let reason = FailReason::SubmitRejected {
        command_status: 0x0B,
    };
    assert!(
        matches!(r.persist.as_slice(), [Record::State(c)] if c.state == State::Failed { reason: reason.clone() })
    );
    assert_eq!(s.pending(id), None);
}

fn retry_cfg() -> RelayConfig {
    RelayConfig {
        retry: RetryPolicy {
            base_ms: 1_000,
            max_backoff_ms: 60_000,
            max_attempts: 3,
            throttle_delay_ms: 500,
        },
        ..RelayConfig::default()
    }
}

#[test]
fn temporary_errors_back_off_exponentially_and_are_bounded() {
    let mut s = shard_with(retry_cfg());
    let (id, _) = accept(&mut s, "x", T0);
    let r = s.on_submit_failed(id, 0, SubmitFailure::Temporary, T0);
    let Some(Record::State(c)) = r.persist.first() else {
        panic!("retry not persisted: {r:?}");
    };
    let State::Retry {
        part: 0,
        attempt: 1,
        next_at_ms: first,
    } = c.state
    else {
        panic!("unexpected {c:?}");
    };
    assert!((T0 + 1_000..T0 + 1_125).contains(&first), "{first}");
    assert_eq!(s.next_deadline(), Some(first));
    assert!(
        s.on_timer(first - 1).is_empty(),
        "nothing before the retry is due"
    );
    let r = s.on_timer(first);
    assert_eq!(only_submit(&r).parts.len(), 1);
    let r = s.on_submit_failed(id, 0, SubmitFailure::Temporary, first);
    let Some(Record::State(c)) = r.persist.first() else {
        panic!("{r:?}");
    };
    let State::Retry {
        attempt: 2,
        next_at_ms: second,
        ..
    } = c.state
    else {
        panic!("{c:?}");
    };
    assert!(second - first >= 2_000, "doubled: {}", second - first);
    s.on_timer(second);
    // Third failure = max_attempts submissions: the message fails.
    let r = s.on_submit_failed(id, 0, SubmitFailure::Temporary, second);
    let reason = FailReason::RetriesExhausted;
    assert!(
        matches!(r.persist.as_slice(), [Record::State(c)] if c.state == State::Failed { reason: reason.clone() })
    );
}

#[test]
fn throttling_is_retried_quickly_without_using_attempts_or_the_wal() {
    let mut s = shard_with(retry_cfg());
    let (id, _) = accept(&mut s, "x", T0);
    let mut now = T0;
    for _ in 0..10 {
        let r = s.on_submit_failed(id, 0, SubmitFailure::Throttled, now);
        assert!(r.persist.is_empty() && r.after_persist.is_empty());
        now += 500;
        assert_eq!(only_submit(&s.on_timer(now)).parts.len(), 1);
    }
    assert!(
        matches!(s.pending(id).map(|p| p.phase), Some(PendingPhase::Sms(v)) if v == vec![PartStatus::Sending])
    );
}

#[test]
fn validity_end_expires_unsent_and_grace_end_closes_unconfirmed() {
    let cfg = RelayConfig {
        validity_ms: 10_000,
        receipt_grace_ms: 5_000,
        ..retry_cfg()
    };
    let mut s = shard_with(cfg);
    let r = s
        .accept_im_for_sms(im_with_imdn(ALICE, BOB, "never sent"), BOB_PHONE, T0)
        .expect("ok");
    let unsent = only_submit(&r).id;
    let (sent, _) = accept(&mut s, "sent, receipt lost", T0);
    s.on_submitted(sent, 0, "lost", T0).expect("ok");
    let r = s.on_timer(T0 + 10_000);
    assert_eq!(r.final_ids().collect::<Vec<_>>(), vec![unsent]);
    assert!(matches!(r.persist.as_slice(), [Record::State(c)] if c.state == State::Expired));
    assert!(has(&r, |a| matches!(
        a,
        Action::SendImdn {
            status: ImdnStatus::Failed,
            ..
        }
    )));
    let r = s.on_timer(T0 + 15_000);
    assert!(
        matches!(r.persist.as_slice(), [Record::State(c)] if c.id == sent && c.state == State::Unconfirmed)
    );
    assert_eq!(s.in_flight(), 0);
    assert_eq!(s.next_deadline(), None);
}

#[test]
fn a_retry_that_would_land_after_validity_expires_instead() {
    let cfg = RelayConfig {
        validity_ms: 1_500,
        ..retry_cfg()
    };
    let mut s = shard_with(cfg);
    let (id, _) = accept(&mut s, "x", T0);
    let r = s.on_submit_failed(id, 0, SubmitFailure::Temporary, T0 + 1_000);
    assert!(matches!(r.persist.as_slice(), [Record::State(c)] if c.state == State::Expired));
}

#[test]
fn receipt_before_submit_resp_is_applied_when_the_resp_arrives() {
    let mut s = shard();
    let (id, _) = accept(&mut s, "race", T0);
    let r = s.on_receipt("early", &ReceiptStat::Delivered, ACK, T0);
    assert_eq!(r.after_persist, vec![Action::AckDeliverSm(ACK)]);
    let r = s.on_submitted(id, 0, "early", T0 + 1).expect("ok");
    assert_eq!(r.persist.len(), 2, "Submitted then Delivered: {r:?}");
    assert_eq!(r.final_ids().collect::<Vec<_>>(), vec![id]);
}

#[test]
fn intermediate_receipts_and_late_answers_change_nothing() {
    let mut s = shard();
    let (id, _) = accept(&mut s, "x", T0);
    s.on_submitted(id, 0, "m", T0).expect("ok");
    for stat in [
        ReceiptStat::Enroute,
        ReceiptStat::Accepted,
        ReceiptStat::Other("WEIRD".into()),
    ] {
        let r = s.on_receipt("m", &stat, ACK, T0);
        assert!(r.persist.is_empty());
    }
    assert!(s.pending(id).is_some());
    // Duplicate submit_sm_resp and answers for unknown ids are ignored.
    assert!(s.on_submitted(id, 0, "other", T0).expect("ok").is_empty());
    assert!(s
        .on_submit_failed(id, 0, SubmitFailure::Temporary, T0)
        .is_empty());
    assert!(s.on_submitted(12345, 0, "m2", T0).expect("ok").is_empty());
    assert!(matches!(
        s.on_submitted(id, 0, &"x".repeat(65), T0),
        Err(RelayError::InvalidSmscMessageId { len: 65 })
    ));
}

#[test]
fn same_correspondent_reuses_the_extension_another_gets_the_next() {
    let mut s = shard();
    let src = |r: &smartchat_relay::Ready| only_submit(r).parts[0].source.clone();
    let a1 = s
        .accept_im_for_sms(im(ALICE, BOB, "1"), BOB_PHONE, T0)
        .expect("ok");
    let c1 = s
        .accept_im_for_sms(im(CAROL, BOB, "2"), BOB_PHONE, T0)
        .expect("ok");
    let a2 = s
        .accept_im_for_sms(im(ALICE, BOB, "3"), BOB_PHONE, T0)
        .expect("ok");
    assert_eq!(src(&a1), "1065901");
    assert_eq!(src(&c1), "1065902");
    assert_eq!(src(&a2), "1065901");
    assert!(!a2
        .persist
        .iter()
        .any(|r| matches!(r, Record::Conversation(_))));
}
