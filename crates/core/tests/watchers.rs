//! SUBSCRIBE/NOTIFY rules (RFC 6665, RFC 3856), rate limiting, and profile changes.
mod common;
use common::*;
use smartchat_core::*;

fn active(n: &Notify) -> u32 {
    match n.subscription_state {
        SubscriptionState::Active { expires_secs } => expires_secs,
        other => panic!("expected active, got {other:?}"),
    }
}

fn terminated(n: &Notify) -> TerminationReason {
    match n.subscription_state {
        SubscriptionState::Terminated { reason } => reason,
        other => panic!("expected terminated, got {other:?}"),
    }
}

fn register_alice(s: &mut PresenceShard, cseq: u32, expires: u32, now: u64) {
    s.register(
        ALICE,
        &reg("ca", cseq, vec![contact("sip:a@h", Some(expires))]),
        now,
    )
    .unwrap();
}

#[test]
fn authorisation_404_403_and_self() {
    let mut s = shard();
    let err = s.subscribe(&sub_req(EVE, BOB, 1, None), 0).unwrap_err();
    assert_eq!(
        (err.clone(), err.sip_status()),
        (SubscribeError::UnknownPresentity, 404)
    );
    let err = s.subscribe(&sub_req(ALICE, EVE, 1, None), 0).unwrap_err();
    assert_eq!(
        (err.clone(), err.sip_status()),
        (SubscribeError::Forbidden, 403)
    );
    // Buddies are per presentity: alice may watch bob, carol may not.
    assert!(s.subscribe(&sub_req(BOB, ALICE, 2, None), 0).is_ok());
    assert_eq!(
        s.subscribe(&sub_req(BOB, CAROL, 3, None), 0),
        Err(SubscribeError::Forbidden)
    );
    // A user may always watch themself.
    assert!(s.subscribe(&sub_req(CAROL, CAROL, 4, None), 0).is_ok());
    assert_eq!(s.watcher_count(), 2);
}

#[test]
fn initial_refresh_unsubscribe() {
    let mut s = shard();
    let out = s.subscribe(&sub_req(ALICE, BOB, 1, Some(600)), 0).unwrap();
    assert_eq!(out.expires_secs, 600);
    let n = &out.notify;
    assert_eq!((n.cseq, active(n)), (1, 600));
    assert_eq!(n.status, Some(mobile(ALICE_TEL)));
    assert_eq!((n.presentity.as_str(), n.watcher.as_str()), (ALICE, BOB));
    assert_eq!(n.watcher_target, "sip:1@10.0.0.9");
    // Refresh inside the dialog: NOTIFY again, CSeq 2, new target honoured.
    let mut refresh = sub_req(ALICE, BOB, 1, Some(1200));
    refresh.in_dialog = true;
    refresh.watcher_target = "sip:moved@10.0.0.10".into();
    let n = s.subscribe(&refresh, 100_000).unwrap().notify;
    assert_eq!(
        (n.cseq, active(&n), n.watcher_target.as_str()),
        (2, 1200, "sip:moved@10.0.0.10")
    );
    // Unsubscribe: terminated NOTIFY with the final state, subscription gone.
    refresh.expires_secs = Some(0);
    let out = s.subscribe(&refresh, 200_000).unwrap();
    assert_eq!(out.expires_secs, 0);
    assert_eq!(
        (out.notify.cseq, terminated(&out.notify)),
        (3, TerminationReason::Timeout)
    );
    assert_eq!(out.notify.status, Some(mobile(ALICE_TEL)));
    assert_eq!(s.watcher_count(), 0);
    // In-dialog request for a subscription that no longer exists: 481.
    let err = s.subscribe(&refresh, 200_000).unwrap_err();
    assert_eq!(
        (err.clone(), err.sip_status()),
        (SubscribeError::NoSuchSubscription, 481)
    );
}

#[test]
fn fetch_423_and_watcher_limits() {
    let mut cfg = config(0);
    cfg.limits.max_watchers_per_presentity = 1;
    cfg.limits.max_watchers_per_shard = 2;
    let mut s = shard_with(cfg);
    let out = s.subscribe(&sub_req(ALICE, BOB, 1, Some(0)), 0).unwrap();
    assert_eq!(terminated(&out.notify), TerminationReason::Timeout);
    assert_eq!(
        (out.notify.cseq, s.watcher_count()),
        (1, 0),
        "fetch stores nothing"
    );
    let err = s
        .subscribe(&sub_req(ALICE, BOB, 1, Some(10)), 0)
        .unwrap_err();
    assert_eq!(
        (err.clone(), err.sip_status()),
        (SubscribeError::IntervalTooBrief { min_expires: 60 }, 423)
    );
    s.subscribe(&sub_req(ALICE, BOB, 1, None), 0).unwrap();
    let err = s.subscribe(&sub_req(ALICE, CAROL, 2, None), 0).unwrap_err();
    assert_eq!(
        (err.clone(), err.sip_status()),
        (SubscribeError::TooManyWatchers { limit: 1 }, 503)
    );
    s.subscribe(&sub_req(BOB, ALICE, 3, None), 0).unwrap();
    assert_eq!(
        s.subscribe(&sub_req(CAROL, CAROL, 4, None), 0),
        Err(SubscribeError::TooManyWatchers { limit: 2 })
    );
}

#[test]
fn subscription_expires_on_time_with_terminated_notify() {
    let mut s = shard();
    s.subscribe(&sub_req(ALICE, BOB, 1, Some(60)), 7).unwrap();
    assert_eq!(s.next_deadline(), Some(60_007));
    s.on_timer(60_006);
    assert!(drain(&mut s).is_empty());
    s.on_timer(60_007);
    let n = notifies(&mut s);
    assert_eq!(n.len(), 1);
    assert_eq!(
        (terminated(&n[0]), n[0].cseq),
        (TerminationReason::Timeout, 2)
    );
    assert_eq!(s.watcher_count(), 0);
    assert_eq!(s.counters().subscriptions_expired, 1);
}

#[test]
fn every_transition_notifies_every_watcher() {
    let mut s = shard();
    s.subscribe(&sub_req(ALICE, BOB, 1, None), 0).unwrap();
    s.subscribe(&sub_req(ALICE, CAROL, 2, None), 0).unwrap();
    register_alice(&mut s, 1, 60, 0);
    let n = notifies(&mut s);
    assert_eq!(n.len(), 2);
    assert!(n
        .iter()
        .all(|n| n.status == Some(Status::Available) && n.cseq == 2));
    s.publish(ALICE, None, busy(true), None, 0).unwrap();
    assert!(notifies(&mut s)
        .iter()
        .all(|n| n.status == Some(Status::Busy)));
    // Same status again (a note change) is not re-sent.
    s.publish(
        ALICE,
        None,
        Some(PublishedState {
            busy: true,
            note: Some("mtg".into()),
        }),
        None,
        0,
    )
    .unwrap();
    assert!(notifies(&mut s).is_empty());
    // Binding expiry: busy → mobile (C7).
    s.on_timer(60_000);
    let n = notifies(&mut s);
    assert_eq!(n.len(), 2);
    assert!(n
        .iter()
        .all(|n| n.status == Some(mobile(ALICE_TEL)) && n.cseq == 4));
}

#[test]
fn rate_limit_coalesces_and_keeps_the_final_state() {
    let mut s = shard_with(config(1000));
    s.subscribe(&sub_req(ALICE, BOB, 1, None), 0).unwrap();
    register_alice(&mut s, 1, 3600, 100);
    s.publish(ALICE, None, busy(true), None, 200).unwrap();
    let e = s.publish(ALICE, None, busy(false), None, 300).unwrap().etag;
    let e = s
        .publish(ALICE, Some(&e), busy(true), None, 400)
        .unwrap()
        .etag;
    assert!(notifies(&mut s).is_empty(), "inside the window");
    assert_eq!(s.next_deadline(), Some(1000));
    let w = &s.watchers(ALICE)[0];
    assert_eq!(
        (w.pending_until, w.last_status.clone()),
        (Some(1000), Some(mobile(ALICE_TEL)))
    );
    s.on_timer(999);
    assert!(notifies(&mut s).is_empty());
    s.on_timer(1000);
    let n = notifies(&mut s);
    assert_eq!(n.len(), 1);
    assert_eq!((n[0].status.clone(), n[0].cseq), (Some(Status::Busy), 2));
    // The next change opens a new window that starts at 1000.
    s.publish(ALICE, Some(&e), busy(false), None, 1500).unwrap();
    assert!(notifies(&mut s).is_empty());
    s.on_timer(2000);
    assert_eq!(notifies(&mut s)[0].status, Some(Status::Available));
    assert!(s.counters().notifies_deferred >= 2);
}

#[test]
fn rate_limit_suppresses_a_change_that_reverted() {
    let mut s = shard_with(config(1000));
    s.subscribe(&sub_req(ALICE, BOB, 1, None), 0).unwrap();
    register_alice(&mut s, 1, 3600, 100);
    s.register(ALICE, &reg("ca", 2, vec![contact("sip:a@h", Some(0))]), 200)
        .unwrap();
    s.on_timer(1000);
    assert!(
        notifies(&mut s).is_empty(),
        "mobile → available → mobile: nothing to say"
    );
    assert_eq!(s.counters().notifies_suppressed, 1);
    assert_eq!(
        s.next_deadline(),
        Some(3_600_000),
        "only the subscription expiry remains"
    );
}

#[test]
fn forced_notifies_bypass_the_rate_limit() {
    let mut s = shard_with(config(5000));
    s.subscribe(&sub_req(ALICE, BOB, 1, None), 0).unwrap();
    register_alice(&mut s, 1, 3600, 10);
    let mut refresh = sub_req(ALICE, BOB, 1, None);
    refresh.in_dialog = true;
    // The refresh answer carries the current state right away and clears the pending flush.
    let n = s.subscribe(&refresh, 20).unwrap().notify;
    assert_eq!(n.status, Some(Status::Available));
    s.on_timer(5000);
    assert!(notifies(&mut s).is_empty());
    refresh.expires_secs = Some(0);
    assert_eq!(
        terminated(&s.subscribe(&refresh, 30).unwrap().notify),
        TerminationReason::Timeout
    );
}

#[test]
fn profile_changes_notify_and_revoke() {
    let mut s = shard();
    s.subscribe(&sub_req(ALICE, BOB, 1, None), 0).unwrap();
    s.subscribe(&sub_req(ALICE, CAROL, 2, None), 0).unwrap();
    // Service off: mobile → offline for everyone still authorised; carol is dropped.
    let changed = sub(ALICE, Some(ALICE_TEL), false, &[BOB]);
    s.update_subscriber(changed, 10).unwrap();
    let n = notifies(&mut s);
    assert_eq!(n.len(), 2);
    let carol = n.iter().find(|n| n.watcher == CAROL).unwrap();
    assert_eq!(
        (terminated(carol), carol.status.clone()),
        (TerminationReason::Rejected, None)
    );
    let bob = n.iter().find(|n| n.watcher == BOB).unwrap();
    assert_eq!(bob.status, Some(Status::Offline));
    assert_eq!(s.watcher_count(), 1);
    assert_eq!(
        s.subscribe(&sub_req(ALICE, CAROL, 3, None), 10),
        Err(SubscribeError::Forbidden)
    );
    // Deprovisioning ends the rest with noresource.
    let removed = s.remove_subscriber(ALICE, 20).unwrap();
    assert_eq!(removed.aor, ALICE);
    let effects = drain(&mut s);
    let Effect::Notify(n) = &effects[0] else {
        panic!("{effects:?}")
    };
    assert_eq!(
        (terminated(n), n.status.clone(), n.watcher.as_str()),
        (TerminationReason::Noresource, None, BOB)
    );
    assert!(effects.contains(&Effect::UnindexMsisdn {
        shard: ShardId(0),
        msisdn: ALICE_TEL.into(),
        aor: ALICE.into()
    }));
    assert_eq!((s.watcher_count(), s.subscriber(ALICE)), (0, None));
    assert_eq!(s.next_deadline(), None);
}

#[test]
fn mobile_versus_offline_follows_service_and_msisdn() {
    let mut s = shard();
    assert_eq!(s.status(ALICE), Some(&mobile(ALICE_TEL)));
    assert_eq!(s.status(BOB), Some(&Status::Offline), "no msisdn");
    assert_eq!(s.status(CAROL), Some(&Status::Offline), "service off");
    s.update_subscriber(sub(CAROL, Some("+8613800000003"), true, &[]), 0)
        .unwrap();
    assert_eq!(s.status(CAROL), Some(&mobile("+8613800000003")));
    s.update_subscriber(sub(BOB, Some("+8613800000002"), true, &[ALICE]), 0)
        .unwrap();
    assert_eq!(s.status(BOB), Some(&mobile("+8613800000002")));
    let effects = drain(&mut s);
    assert!(effects.contains(&Effect::IndexMsisdn {
        shard: ShardId(0),
        msisdn: "+8613800000002".into(),
        aor: BOB.into()
    }));
    assert!(effects.contains(&Effect::PresenceChanged {
        aor: CAROL.into(),
        status: mobile("+8613800000003")
    }));
}

#[test]
fn provisioning_errors_and_msisdn_index() {
    let mut cfg = config(0);
    cfg.limits.max_subscribers = 3;
    let mut s = shard_with(cfg);
    assert_eq!(
        s.add_subscriber(sub(ALICE, None, true, &[])),
        Err(SubscriberError::AlreadyExists)
    );
    assert_eq!(
        s.add_subscriber(sub(EVE, None, true, &[])),
        Err(SubscriberError::TooManySubscribers { limit: 3 })
    );
    let bad = sub("sip:Eve@EXAMPLE.com", None, true, &[]);
    assert!(matches!(
        s.update_subscriber(bad, 0),
        Err(SubscriberError::Invalid(_))
    ));
    assert_eq!(
        s.update_subscriber(sub(EVE, None, true, &[]), 0),
        Err(SubscriberError::Unknown)
    );
    assert_eq!(s.index_msisdn(ALICE_TEL, ALICE), Ok(None));
    assert_eq!(s.lookup_msisdn(ALICE_TEL), Ok(Some(ALICE)));
    assert_eq!(s.unindex_msisdn(ALICE_TEL, BOB), Ok(false));
    assert_eq!(s.unindex_msisdn(ALICE_TEL, ALICE), Ok(true));
    assert_eq!(s.lookup_msisdn(ALICE_TEL), Ok(None));
}

#[test]
fn notify_failure_removes_the_subscription() {
    let mut s = shard();
    s.subscribe(&sub_req(ALICE, BOB, 1, None), 0).unwrap();
    assert!(!s.notify_failed(ALICE, &dialog(2), 1));
    assert!(s.notify_failed(ALICE, &dialog(1), 1));
    assert_eq!(s.watcher_count(), 0);
    assert_eq!(s.next_deadline(), None);
    register_alice(&mut s, 1, 600, 2);
    assert!(notifies(&mut s).is_empty());
}

#[test]
fn full_effect_queue_refuses_before_changing_state() {
    let mut cfg = config(0);
    cfg.limits.max_watchers_per_presentity = 2;
    cfg.limits.max_pending_effects = 6;
    let mut s = shard_with(cfg);
    s.subscribe(&sub_req(ALICE, BOB, 1, None), 0).unwrap();
    s.subscribe(&sub_req(ALICE, CAROL, 2, None), 0).unwrap();
    register_alice(&mut s, 1, 600, 0); // 2 notifies + PresenceChanged queued, not drained
    let err = s.publish(ALICE, None, busy(true), None, 0).unwrap_err();
    assert_eq!(
        (err.clone(), err.sip_status()),
        (PublishError::EffectQueueFull, 503)
    );
    assert_eq!(s.status(ALICE), Some(&Status::Available));
    // Timers wait for room too, and resume once drained.
    assert_eq!(s.on_timer(600_000), 0);
    assert_eq!(drain(&mut s).len(), 3);
    assert_eq!(s.on_timer(600_000), 1);
    assert_eq!(s.status(ALICE), Some(&mobile(ALICE_TEL)));
}
