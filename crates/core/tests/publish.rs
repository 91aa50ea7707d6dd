//! PUBLISH rules (RFC 3903 §6) and their effect on the composed status (C4).
mod common;
use common::*;
use smartchat_core::*;

fn online(s: &mut PresenceShard) {
    s.register(
        ALICE,
        &reg("c1", 1, vec![contact("sip:a@h", Some(3600))]),
        0,
    )
    .unwrap();
    drain(s);
}

#[test]
fn initial_requires_body_and_sets_busy() {
    let mut s = shard();
    online(&mut s);
    let err = s.publish(ALICE, None, None, Some(600), 0).unwrap_err();
    assert_eq!(
        (err.clone(), err.sip_status()),
        (PublishError::MissingBody, 400)
    );
    let err = s.publish(ALICE, None, busy(true), Some(0), 0).unwrap_err();
    assert_eq!(
        (err.clone(), err.sip_status()),
        (PublishError::InitialRemove, 400)
    );
    let out = s.publish(ALICE, None, busy(true), Some(600), 0).unwrap();
    assert_eq!(out.expires_secs, 600);
    assert!(!out.etag.is_empty());
    assert_eq!(s.status(ALICE), Some(&Status::Busy));
    assert_eq!(
        drain(&mut s),
        [Effect::PresenceChanged {
            aor: ALICE.into(),
            status: Status::Busy
        }]
    );
}

#[test]
fn registration_is_the_authority_for_online() {
    let mut s = shard();
    s.publish(ALICE, None, busy(false), None, 0).unwrap();
    assert_eq!(
        s.status(ALICE),
        Some(&mobile(ALICE_TEL)),
        "publication alone is not online"
    );
    s.publish(BOB, None, busy(true), None, 0).unwrap();
    assert_eq!(s.status(BOB), Some(&Status::Offline));
    // The kept publication applies as soon as the user registers.
    s.register(BOB, &reg("c", 1, vec![contact("sip:b@h", None)]), 1)
        .unwrap();
    assert_eq!(s.status(BOB), Some(&Status::Busy));
}

#[test]
fn refresh_modify_remove_and_412() {
    let mut s = shard();
    online(&mut s);
    let e1 = s
        .publish(ALICE, None, busy(true), Some(600), 0)
        .unwrap()
        .etag;
    // Refresh: no body, new ETag, state kept, expiry extended.
    let e2 = s.publish(ALICE, Some(&e1), None, Some(900), 1000).unwrap();
    assert_ne!(e2.etag, e1);
    assert_eq!(e2.expires_secs, 900);
    assert_eq!(s.status(ALICE), Some(&Status::Busy));
    // The old tag is gone: 412.
    let err = s.publish(ALICE, Some(&e1), None, None, 1000).unwrap_err();
    assert_eq!(
        (err.clone(), err.sip_status()),
        (PublishError::UnknownEtag, 412)
    );
    assert_eq!(
        s.publish(ALICE, Some("nonsense"), busy(false), None, 1000),
        Err(PublishError::UnknownEtag)
    );
    // Modify: new state, new tag.
    let e3 = s
        .publish(ALICE, Some(&e2.etag), busy(false), None, 2000)
        .unwrap()
        .etag;
    assert_ne!(e3, e2.etag);
    assert_eq!(s.status(ALICE), Some(&Status::Available));
    let e4 = s
        .publish(ALICE, Some(&e3), busy(true), None, 2000)
        .unwrap()
        .etag;
    assert_eq!(s.status(ALICE), Some(&Status::Busy));
    // Remove.
    let out = s.publish(ALICE, Some(&e4), None, Some(0), 3000).unwrap();
    assert_eq!(
        out,
        PublishOutcome {
            etag: e4.clone(),
            expires_secs: 0
        }
    );
    assert_eq!(s.status(ALICE), Some(&Status::Available));
    assert_eq!(s.published_state(ALICE), None);
    assert_eq!(
        s.publish(ALICE, Some(&e4), None, Some(0), 3000),
        Err(PublishError::UnknownEtag)
    );
}

#[test]
fn interval_too_brief_and_bounds() {
    let mut cfg = config(0);
    cfg.limits.max_publications_per_aor = 1;
    cfg.limits.max_note_bytes = 4;
    let mut s = shard_with(cfg);
    let err = s.publish(ALICE, None, busy(true), Some(59), 0).unwrap_err();
    assert_eq!(
        (err.clone(), err.sip_status()),
        (PublishError::IntervalTooBrief { min_expires: 60 }, 423)
    );
    let long = Some(PublishedState {
        busy: false,
        note: Some("hello".into()),
    });
    let err = s.publish(ALICE, None, long, None, 0).unwrap_err();
    assert_eq!(
        (err.clone(), err.sip_status()),
        (PublishError::NoteTooLong { limit: 4 }, 413)
    );
    let e = s.publish(ALICE, None, busy(true), None, 0).unwrap().etag;
    let err = s.publish(ALICE, None, busy(true), None, 0).unwrap_err();
    assert_eq!(
        (err.clone(), err.sip_status()),
        (PublishError::TooManyPublications { limit: 1 }, 503)
    );
    // 423 also applies to a refresh; the publication is untouched.
    assert_eq!(
        s.publish(ALICE, Some(&e), None, Some(10), 0),
        Err(PublishError::IntervalTooBrief { min_expires: 60 })
    );
    assert!(s.publish(ALICE, Some(&e), None, Some(60), 0).is_ok());
    let err = s.publish(EVE, None, busy(true), None, 0).unwrap_err();
    assert_eq!(
        (err.clone(), err.sip_status()),
        (PublishError::UnknownUser, 404)
    );
}

#[test]
fn publication_expires_on_time() {
    let mut s = shard();
    online(&mut s);
    let e = s
        .publish(ALICE, None, busy(true), Some(60), 10)
        .unwrap()
        .etag;
    drain(&mut s);
    assert_eq!(s.next_deadline(), Some(60_010));
    s.on_timer(60_009);
    assert_eq!(s.status(ALICE), Some(&Status::Busy));
    s.on_timer(60_010);
    assert_eq!(s.status(ALICE), Some(&Status::Available));
    assert_eq!(s.counters().publications_expired, 1);
    // An expired tag is unknown even when the request beats the timer.
    let e2 = s
        .publish(ALICE, None, busy(true), Some(60), 70_000)
        .unwrap()
        .etag;
    assert_eq!(
        s.publish(ALICE, Some(&e2), None, None, 130_000),
        Err(PublishError::UnknownEtag)
    );
    assert_eq!(
        s.publish(ALICE, Some(&e), None, None, 0),
        Err(PublishError::UnknownEtag)
    );
}

#[test]
fn latest_modification_wins_across_devices() {
    let mut s = shard();
    online(&mut s);
    let phone = s.publish(ALICE, None, busy(true), None, 0).unwrap().etag;
    let desk = s.publish(ALICE, None, busy(false), None, 1).unwrap().etag;
    assert_eq!(s.status(ALICE), Some(&Status::Available));
    // A refresh of the phone's busy does not make it the latest action.
    let phone = s.publish(ALICE, Some(&phone), None, None, 2).unwrap().etag;
    assert_eq!(s.status(ALICE), Some(&Status::Available));
    s.publish(ALICE, Some(&phone), busy(true), None, 3).unwrap();
    assert_eq!(s.status(ALICE), Some(&Status::Busy));
    s.publish(ALICE, Some(&desk), None, Some(0), 4).unwrap();
    assert_eq!(s.status(ALICE), Some(&Status::Busy));
}

#[test]
fn etags_are_deterministic_and_unique() {
    let mut a = shard();
    let mut b = shard();
    let mut seen = std::collections::HashSet::new();
    for t in 0..50 {
        let ea = a
            .publish(ALICE, None, busy(t % 2 == 0), None, t)
            .unwrap()
            .etag;
        let eb = b
            .publish(ALICE, None, busy(t % 2 == 0), None, t)
            .unwrap()
            .etag;
        assert_eq!(ea, eb, "same inputs, same tags");
        assert!(seen.insert(ea.clone()));
        a.publish(ALICE, Some(&ea), None, Some(0), t).unwrap();
        b.publish(ALICE, Some(&eb), None, Some(0), t).unwrap();
    }
    let mut cfg = config(0);
    cfg.etag_seed = 42;
    let mut c = shard_with(cfg);
    let ec = c.publish(ALICE, None, busy(true), None, 0).unwrap().etag;
    assert!(!seen.contains(&ec), "a new boot seed gives new tags");
}
