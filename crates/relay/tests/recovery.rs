//! Recovery from the WAL: what is resubmitted, what waits, what is gone; checkpoints.

mod common;

use common::*;
use smartchat_relay::{
    access_record, encode_record, Action, DeliverSmRef, ImOutcome, PartStatus, PendingPhase,
    ReceiptStat, Record, RelayConfig, RelayShard, Resubmission, SessionId, SubmitFailure,
};

const ACK: DeliverSmRef = DeliverSmRef {
    session: SessionId::new(0, 2),
    seq: 1,
};

/// Runs `f` on a shard and returns everything it asked to persist.
fn log_of(
    s: &mut RelayShard,
    f: impl FnOnce(&mut RelayShard) -> Vec<smartchat_relay::Ready>,
) -> Vec<Record> {
    f(s).into_iter().flat_map(|r| r.persist).collect()
}

#[test]
fn only_parts_without_an_smsc_answer_are_resubmitted() {
    let mut s = shard();
    let mut log = Vec::new();
    let r = s
        .accept_im_for_sms(im(ALICE, BOB, &"m".repeat(400)), BOB_PHONE, T0)
        .expect("ok"); // 3 parts
    let id = only_submit(&r).id;
    let original = only_submit(&r).parts.clone();
    log.extend(r.persist);
    log.extend(s.on_submitted(id, 0, "s0", T0 + 1).expect("ok").persist);
    log.extend(
        s.on_submit_failed(id, 2, SubmitFailure::Temporary, T0 + 1)
            .persist,
    );
    // Part 1 never got an answer before the crash.
    let (mut r2, rec) = RelayShard::recover(RelayConfig::default(), &log, T0 + 5).expect("cfg");
    assert_eq!(rec.resubmitted, vec![Resubmission { id, parts: vec![1] }]);
    assert_eq!(rec.in_flight, 1);
    let sub = only_submit(&rec.ready);
    assert_eq!(
        sub.parts.iter().map(|p| p.part).collect::<Vec<_>>(),
        vec![1]
    );
    assert!(rec.ready.persist.is_empty());
    // The resubmitted bytes are the ones the first submission carried.
    assert_eq!(sub.parts[0], original[1]);
    let Some(PendingPhase::Sms(parts)) = r2.pending(id).map(|p| p.phase) else {
        panic!("not pending");
    };
    assert_eq!(parts[0], PartStatus::Submitted);
    assert_eq!(parts[1], PartStatus::Sending);
    assert!(matches!(parts[2], PartStatus::RetryAt(_)));
    // The SMSC id was indexed again: its receipt still lands.
    let r = r2.on_receipt("s0", &ReceiptStat::Delivered, ACK, T0 + 6);
    assert_eq!(r.persist.len(), 1);
}

#[test]
fn final_messages_are_gone_and_orphans_are_counted() {
    let mut s = shard();
    let log = log_of(&mut s, |s| {
        let r = s
            .accept_im_for_sms(im(ALICE, BOB, "x"), BOB_PHONE, T0)
            .expect("ok");
        let id = only_submit(&r).id;
        vec![
            r,
            s.on_submit_failed(id, 0, SubmitFailure::Permanent { command_status: 11 }, T0),
        ]
    });
    let (r2, rec) = RelayShard::recover(RelayConfig::default(), &log, T0).expect("cfg");
    assert_eq!((rec.in_flight, r2.in_flight()), (0, 0));
    assert!(rec.ready.is_empty());
    // The WAL reclaimed the message record but a state record survived: ignored, counted.
    let (_, rec) = RelayShard::recover(RelayConfig::default(), &log[2..], T0).expect("cfg");
    assert_eq!(rec.orphan_records, 1);
}

#[test]
fn ids_keep_growing_and_conversations_survive() {
    let mut s = shard();
    let r = s
        .accept_im_for_sms(im(ALICE, BOB, "x"), BOB_PHONE, T0)
        .expect("ok");
    let id = only_submit(&r).id;
    let (mut r2, _) = RelayShard::recover(RelayConfig::default(), &r.persist, T0).expect("cfg");
    let r = r2
        .accept_im_for_sms(im(CAROL, BOB, "y"), BOB_PHONE, T0)
        .expect("ok");
    assert!(only_submit(&r).id > id);
    assert_eq!(
        only_submit(&r).parts[0].source,
        "1065902",
        "extension 01 is still Alice's"
    );
    let r = r2
        .on_mobile_originated(mo(BOB_PHONE, Some(BOB), "1065901", "to alice", 1), T0 + 1)
        .expect("ok");
    assert_eq!(only_delivery(&r).to, ALICE);
}

#[test]
fn sms_to_im_is_redelivered_and_held_stays_held() {
    let mut s = shard();
    let mut log = Vec::new();
    let r = s
        .on_mobile_originated(mo(BOB_PHONE, Some(BOB), "10659", "@alice a", 1), T0)
        .expect("ok");
    let a = only_delivery(&r).id;
    log.extend(r.persist);
    let r = s
        .on_mobile_originated(mo(BOB_PHONE, Some(BOB), "10659", "@carol c", 2), T0)
        .expect("ok");
    let c = only_delivery(&r).id;
    log.extend(r.persist);
    log.extend(s.on_im_outcome(c, ImOutcome::Offline, T0 + 1).persist);
    let h = s.hold_im(im(ALICE, CAROL, "held"), T0 + 2).expect("ok");
    log.extend(h.persist);
    let (mut r2, rec) = RelayShard::recover(RelayConfig::default(), &log, T0 + 3).expect("cfg");
    assert_eq!(rec.redelivered, vec![a]);
    assert_eq!(only_delivery(&rec.ready).id, a);
    assert_eq!(r2.held_for(CAROL), 2);
    let r = r2.on_register(CAROL, T0 + 4);
    assert_eq!(r.deliveries().count(), 2);
}

#[test]
fn checkpoint_rebuilds_the_same_state_and_reads_in_place() {
    let mut s = shard();
    let r = s
        .accept_im_for_sms(im(ALICE, BOB, &"m".repeat(300)), BOB_PHONE, T0)
        .expect("ok");
    let id = only_submit(&r).id;
    s.on_submitted(id, 0, "c0", T0).expect("ok");
    s.on_submit_failed(id, 1, SubmitFailure::Temporary, T0);
    s.hold_im(im(ALICE, CAROL, "held"), T0).expect("ok");
    s.accept_im_for_sms(im(CAROL, BOB, "z"), BOB_PHONE, T0)
        .expect("ok");
    let cp = s.checkpoint(T0 + 1);
    let bytes: Vec<_> = cp.iter().map(encode_record).collect();
    let archived = bytes.iter().map(|b| access_record(b).expect("valid"));
    let (r2, rec) =
        RelayShard::recover_archived(RelayConfig::default(), archived, T0 + 1).expect("cfg");
    assert_eq!(rec.in_flight, s.in_flight());
    for i in s.in_flight_ids() {
        assert_eq!(r2.pending(i), s.pending(i), "message {i}");
    }
    assert_eq!(r2.conversations().extensions_of(BOB_PHONE), 2);
    // The checkpoint of the recovered shard is the same set of records.
    assert_eq!(r2.checkpoint(T0 + 1).len(), cp.len());
}

#[test]
fn expired_while_down_is_not_resubmitted_but_expires_on_the_first_tick() {
    let mut s = shard();
    let r = s
        .accept_im_for_sms(im_with_imdn(ALICE, BOB, "x"), BOB_PHONE, T0)
        .expect("ok");
    let late = T0 + RelayConfig::default().validity_ms + 1;
    let (mut r2, rec) = RelayShard::recover(RelayConfig::default(), &r.persist, late).expect("cfg");
    assert!(rec.resubmitted.is_empty() && rec.ready.is_empty());
    let r = r2.on_timer(late);
    assert!(r.final_ids().count() == 1);
    assert!(r
        .after_persist
        .iter()
        .any(|a| matches!(a, Action::SendImdn { .. })));
}
