//! SMS from phones (C9): routing by @prefix, extension, last correspondent, help; and what
//! happens to the IM afterwards (delivered, held, forwarded as SMS, no such user).

mod common;

use common::*;
use smartchat_relay::{
    Action, DeliverSmRef, ImOutcome, MessageKind, PendingPhase, Ready, Record, RelayConfig,
    RelayError, RelayShard, SessionId, State,
};

const ALICE_PHONE: &str = "+8613800000001";

fn ack(seq: u32) -> Action {
    Action::AckDeliverSm(DeliverSmRef {
        session: SessionId::new(0, 1),
        seq,
    })
}

/// The help SMS in `r`, if any: (destination, text).
fn help_sms(r: &Ready) -> Option<(String, String)> {
    r.submits().find(|s| s.kind == MessageKind::Help).map(|s| {
        let p = &s.parts[0];
        let text = smartchat_sms::decode_text(p.data_coding, &p.short_message, Default::default());
        (p.dest.clone(), text.expect("GSM or UCS-2"))
    })
}

#[test]
fn at_prefix_wins_and_is_stripped() {
    let mut s = shard();
    // Bob has a conversation with Carol on extension 01, but names Alice explicitly.
    s.accept_im_for_sms(im(CAROL, BOB, "hi"), BOB_PHONE, T0)
        .expect("ok");
    let r = s
        .on_mobile_originated(mo(BOB_PHONE, Some(BOB), "1065901", "@alice hello", 7), T0)
        .expect("ok");
    let Some(Record::Message(m)) = r.persist.first() else {
        panic!("{r:?}");
    };
    assert_eq!(m.kind, MessageKind::SmsToIm);
    assert_eq!(r.after_persist.first(), Some(&ack(7)));
    let d = only_delivery(&r);
    assert_eq!(
        (d.from.as_str(), d.to.as_str(), d.text.as_str()),
        (BOB, ALICE, "hello")
    );
    let r = s
        .on_mobile_originated(
            mo(BOB_PHONE, Some(BOB), "10659", "@sip:dave@other.org yo", 8),
            T0,
        )
        .expect("ok");
    assert_eq!(only_delivery(&r).to, "sip:dave@other.org");
}

#[test]
fn the_extension_dialled_names_the_conversation() {
    let mut s = shard();
    s.accept_im_for_sms(im(ALICE, BOB, "from alice"), BOB_PHONE, T0)
        .expect("ok");
    s.accept_im_for_sms(im(CAROL, BOB, "from carol"), BOB_PHONE, T0 + 1)
        .expect("ok");
    // Carol wrote last, but Bob answers Alice's SMS (sent from 1065901).
    let r = s
        .on_mobile_originated(mo(BOB_PHONE, Some(BOB), "1065901", "reply", 1), T0 + 2)
        .expect("ok");
    assert_eq!(only_delivery(&r).to, ALICE);
    let r = s
        .on_mobile_originated(mo(BOB_PHONE, Some(BOB), "1065902", "reply", 2), T0 + 3)
        .expect("ok");
    assert_eq!(only_delivery(&r).to, CAROL);
}

#[test]
fn bare_access_number_goes_to_the_last_correspondent_within_the_window() {
    let cfg = RelayConfig {
        last_correspondent_window_ms: 60_000,
        ..RelayConfig::default()
    };
    let mut s = shard_with(cfg);
    s.accept_im_for_sms(im(ALICE, BOB, "1"), BOB_PHONE, T0)
        .expect("ok");
    s.accept_im_for_sms(im(CAROL, BOB, "2"), BOB_PHONE, T0 + 10)
        .expect("ok");
    let r = s
        .on_mobile_originated(mo(BOB_PHONE, Some(BOB), "10659", "who?", 1), T0 + 20)
        .expect("ok");
    assert_eq!(only_delivery(&r).to, CAROL);
    // An unknown extension also falls back to the last correspondent.
    let r = s
        .on_mobile_originated(mo(BOB_PHONE, Some(BOB), "1065977", "x", 2), T0 + 30)
        .expect("ok");
    assert_eq!(only_delivery(&r).to, CAROL);
    // Past the window (counted from the last exchange) nobody fits: help SMS.
    let r = s
        .on_mobile_originated(
            mo(BOB_PHONE, Some(BOB), "10659", "late", 3),
            T0 + 30 + 60_001,
        )
        .expect("ok");
    assert_eq!(r.deliveries().count(), 0);
    let (dest, text) = help_sms(&r).expect("help SMS");
    assert_eq!(dest, BOB_PHONE);
    assert_eq!(text, RelayConfig::default().help_text);
}

#[test]
fn help_is_persisted_acked_and_sent_from_the_bare_number_then_rate_limited() {
    let mut s = shard();
    let r = s
        .on_mobile_originated(mo(BOB_PHONE, Some(BOB), "10659", "hello?", 4), T0)
        .expect("ok");
    assert!(matches!(r.persist.as_slice(), [Record::Message(m)] if m.kind == MessageKind::Help));
    assert_eq!(r.after_persist.first(), Some(&ack(4)));
    assert_eq!(only_submit(&r).parts[0].source, "10659");
    // A second unroutable MO within the cooldown: acknowledged, help explicitly suppressed.
    let r = s
        .on_mobile_originated(mo(BOB_PHONE, Some(BOB), "10659", "hello??", 5), T0 + 1)
        .expect("ok");
    assert!(r.persist.is_empty());
    assert_eq!(
        r.after_persist,
        vec![
            ack(5),
            Action::HelpSuppressed {
                msisdn: BOB_PHONE.into()
            }
        ]
    );
    let later = T0 + RelayConfig::default().help_cooldown_ms;
    let r = s
        .on_mobile_originated(mo(BOB_PHONE, Some(BOB), "10659", "hello???", 6), later)
        .expect("ok");
    assert!(help_sms(&r).is_some());
}

#[test]
fn prefix_without_text_and_unknown_senders_get_help() {
    let mut s = shard();
    let r = s
        .on_mobile_originated(mo(BOB_PHONE, Some(BOB), "10659", "@alice   ", 1), T0)
        .expect("ok");
    assert!(help_sms(&r).is_some());
    let r = s
        .on_mobile_originated(mo("+8613900000000", None, "10659", "@alice hi", 2), T0)
        .expect("ok");
    let (_, text) = help_sms(&r).expect("help");
    assert_eq!(text, RelayConfig::default().not_subscribed_text);
    assert!(matches!(
        s.on_mobile_originated(mo("bad", Some(BOB), "10659", "hi", 3), T0),
        Err(RelayError::InvalidAddress { .. })
    ));
}

fn mo_to_alice(s: &mut RelayShard) -> u64 {
    let r = s
        .on_mobile_originated(mo(BOB_PHONE, Some(BOB), "10659", "@alice hi", 1), T0)
        .expect("ok");
    only_delivery(&r).id
}

#[test]
fn delivered_im_is_final() {
    let mut s = shard();
    let id = mo_to_alice(&mut s);
    let r = s.on_im_outcome(id, ImOutcome::Delivered, T0 + 1);
    assert!(matches!(r.persist.as_slice(), [Record::State(c)] if c.state == State::Delivered));
    assert_eq!(r.after_persist, vec![Action::Final { id }]);
    assert!(
        s.on_im_outcome(id, ImOutcome::Delivered, T0 + 2).is_empty(),
        "late repeat"
    );
}

#[test]
fn offline_recipient_holds_the_im_until_register() {
    let mut s = shard();
    let id = mo_to_alice(&mut s);
    let r = s.on_im_outcome(id, ImOutcome::Offline, T0 + 1);
    let until = T0 + RelayConfig::default().hold_ms;
    assert!(
        matches!(r.persist.as_slice(), [Record::State(c)] if c.state == State::Held { until_ms: until })
    );
    assert_eq!(s.held_for(ALICE), 1);
    let r = s.on_register(ALICE, T0 + 5);
    assert_eq!(only_delivery(&r).id, id);
    assert_eq!(
        s.pending(id).map(|p| p.phase),
        Some(PendingPhase::Delivering)
    );
}

#[test]
fn mobile_recipient_gets_it_as_sms_from_the_senders_conversation_number() {
    let mut s = shard();
    let id = mo_to_alice(&mut s);
    let r = s.on_im_outcome(
        id,
        ImOutcome::Mobile {
            msisdn: ALICE_PHONE.into(),
        },
        T0 + 1,
    );
    let sub = only_submit(&r);
    assert_eq!(sub.kind, MessageKind::ImToSms);
    assert_eq!(sub.parts[0].dest, ALICE_PHONE);
    assert_eq!(sub.parts[0].short_message, b"bob: hi");
    let new_id = sub.id;
    assert!(r.persist.iter().any(
        |x| matches!(x, Record::State(c) if c.id == id && c.state == State::Forwarded { new_id })
    ));
    assert!(r.final_ids().eq([id]));
    // Alice answers from her phone to that number: it reaches Bob.
    let src = sub.parts[0].source.clone();
    let r = s
        .on_mobile_originated(mo(ALICE_PHONE, Some(ALICE), &src, "back at you", 9), T0 + 2)
        .expect("ok");
    assert_eq!(only_delivery(&r).to, BOB);
}

#[test]
fn no_such_user_fails_and_tells_the_phone() {
    let mut s = shard();
    let id = mo_to_alice(&mut s);
    let r = s.on_im_outcome(id, ImOutcome::NoSuchUser, T0 + 1);
    assert!(r.final_ids().eq([id]));
    let (dest, text) = help_sms(&r).expect("notice SMS");
    assert_eq!(dest, BOB_PHONE);
    assert_eq!(
        text,
        format!("No user {ALICE}. Start your message with @name.")
    );
}

#[test]
fn unanswered_delivery_times_out_into_the_held_queue() {
    let mut s = shard();
    let id = mo_to_alice(&mut s);
    let timeout = RelayConfig::default().im_delivery_timeout_ms;
    assert_eq!(s.next_deadline(), Some(T0 + timeout));
    let r = s.on_timer(T0 + timeout);
    assert!(
        matches!(r.persist.as_slice(), [Record::State(c)] if matches!(c.state, State::Held { .. }))
    );
    assert_eq!(s.held_for(ALICE), 1);
    let _ = id;
}
