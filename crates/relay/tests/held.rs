//! Held IMs (msilo-like store for offline users without the service).

mod common;

use common::*;
use smartchat_relay::{
    Action, Bound, ImOutcome, ImdnStatus, MessageKind, Record, RelayConfig, RelayError, State,
};

#[test]
fn held_ims_are_acked_after_persist_and_released_in_order() {
    let mut s = shard();
    let mut ids = Vec::new();
    for (i, text) in ["one", "two", "three"].into_iter().enumerate() {
        let r = s
            .hold_im(im(ALICE, BOB, text), T0 + i as u64)
            .expect("held");
        let Some(Record::Message(m)) = r.persist.first() else {
            panic!("{r:?}");
        };
        assert_eq!(m.kind, MessageKind::HeldIm);
        assert_eq!(r.after_persist, vec![Action::Ack202 { id: m.id }]);
        ids.push(m.id);
    }
    assert_eq!(s.held_for(BOB), 3);
    assert!(s.on_register(CAROL, T0).is_empty(), "nothing for Carol");
    let r = s.on_register(BOB, T0 + 10);
    assert!(r.persist.is_empty(), "release needs no write");
    let texts: Vec<&str> = r.deliveries().map(|d| d.text.as_str()).collect();
    assert_eq!(texts, vec!["one", "two", "three"]);
    assert_eq!(s.held_for(BOB), 0);
    for id in ids {
        let r = s.on_im_outcome(id, ImOutcome::Delivered, T0 + 11);
        assert!(r.final_ids().eq([id]));
    }
    assert_eq!(s.in_flight(), 0);
}

#[test]
fn per_recipient_bound() {
    let mut s = shard_with(RelayConfig {
        max_held_per_recipient: 2,
        ..RelayConfig::default()
    });
    s.hold_im(im(ALICE, BOB, "1"), T0).expect("ok");
    s.hold_im(im(ALICE, BOB, "2"), T0).expect("ok");
    assert_eq!(
        s.hold_im(im(ALICE, BOB, "3"), T0),
        Err(RelayError::Full(Bound::HeldForRecipient))
    );
    s.hold_im(im(ALICE, CAROL, "other recipient"), T0)
        .expect("ok");
}

#[test]
fn expiry_sends_the_imdn_when_asked_else_a_notice() {
    let cfg = RelayConfig {
        hold_ms: 1_000,
        ..RelayConfig::default()
    };
    let mut s = shard_with(cfg);
    s.hold_im(im_with_imdn(ALICE, BOB, "imdn"), T0).expect("ok");
    s.hold_im(im(CAROL, BOB, "plain"), T0).expect("ok");
    assert_eq!(s.next_deadline(), Some(T0 + 1_000));
    let r = s.on_timer(T0 + 1_000);
    let expired = r
        .persist
        .iter()
        .filter(|x| matches!(x, Record::State(c) if c.state == State::Expired))
        .count();
    assert_eq!(expired, 2);
    assert!(has(
        &r,
        |a| matches!(a, Action::SendImdn { to, status: ImdnStatus::Failed, .. } if to == ALICE)
    ));
    assert!(has(
        &r,
        |a| matches!(a, Action::Notice { to, text } if to == CAROL && text.contains(BOB))
    ));
    assert_eq!(r.final_ids().count(), 2);
    assert_eq!(s.held_for(BOB), 0);
}

#[test]
fn released_but_offline_again_goes_back_keeping_its_hold_end() {
    let cfg = RelayConfig {
        hold_ms: 10_000,
        ..RelayConfig::default()
    };
    let mut s = shard_with(cfg);
    let r = s.hold_im(im(ALICE, BOB, "x"), T0).expect("ok");
    let Some(&Action::Ack202 { id }) = r.after_persist.first() else {
        panic!("{r:?}");
    };
    s.on_register(BOB, T0 + 1);
    let r = s.on_im_outcome(id, ImOutcome::Offline, T0 + 2);
    assert!(
        matches!(r.persist.as_slice(), [Record::State(c)] if c.state == State::Held { until_ms: T0 + 10_000 })
    );
    assert_eq!(s.held_for(BOB), 1);
    // After the hold end a late Offline answer expires it instead.
    s.on_register(BOB, T0 + 3);
    let r = s.on_im_outcome(id, ImOutcome::Offline, T0 + 10_000);
    assert!(r.final_ids().eq([id]));
}

#[test]
fn rejected_im_fails_with_imdn() {
    let mut s = shard();
    let r = s.hold_im(im_with_imdn(ALICE, BOB, "x"), T0).expect("ok");
    let Some(&Action::Ack202 { id }) = r.after_persist.first() else {
        panic!("{r:?}");
    };
    s.on_register(BOB, T0);
    let r = s.on_im_outcome(id, ImOutcome::Rejected, T0);
    assert!(has(&r, |a| matches!(
        a,
        Action::SendImdn {
            status: ImdnStatus::Failed,
            ..
        }
    )));
    assert!(r.final_ids().eq([id]));
}
