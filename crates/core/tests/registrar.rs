//! REGISTER rules (RFC 3261 §10.3) and the IM routing decision (C2/C3).
mod common;
use common::*;
use smartchat_core::*;

#[test]
fn first_binding_makes_user_online_and_200_lists_bindings() {
    let mut s = shard();
    assert_eq!(s.status(ALICE), Some(&mobile(ALICE_TEL)));
    let out = s
        .register(
            ALICE,
            &reg("c1", 1, vec![contact("sip:a@10.0.0.1", Some(600))]),
            0,
        )
        .unwrap();
    assert_eq!(
        out.bindings,
        [BindingView {
            uri: "sip:a@10.0.0.1".into(),
            expires_secs: 600,
            q: None
        }]
    );
    assert_eq!(s.status(ALICE), Some(&Status::Available));
    assert_eq!(
        drain(&mut s),
        [Effect::PresenceChanged {
            aor: ALICE.into(),
            status: Status::Available
        }]
    );
    // Fetch (no Contact) lists the bindings with the remaining time, rounded up.
    let req = RegisterRequest {
        call_id: "c9".into(),
        cseq: 1,
        expires_secs: None,
        contacts: RegisterContacts::Fetch,
    };
    assert_eq!(
        s.register(ALICE, &req, 100_500).unwrap().bindings[0].expires_secs,
        500
    );
}

#[test]
fn expiry_resolution_param_header_default_and_clamp() {
    let mut s = shard();
    let mut req = reg(
        "c1",
        1,
        vec![contact("sip:a@h1", None), contact("sip:a@h2", Some(120))],
    );
    req.expires_secs = Some(300);
    let out = s.register(ALICE, &req, 0).unwrap();
    let by_uri = |u: &str| {
        out.bindings
            .iter()
            .find(|b| b.uri == u)
            .unwrap()
            .expires_secs
    };
    assert_eq!((by_uri("sip:a@h1"), by_uri("sip:a@h2")), (300, 120));
    let out = s
        .register(BOB, &reg("c2", 1, vec![contact("sip:b@h", None)]), 0)
        .unwrap();
    assert_eq!(out.bindings[0].expires_secs, 3600, "registrar default");
    let out = s
        .register(
            BOB,
            &reg("c2", 2, vec![contact("sip:b@h", Some(1_000_000))]),
            0,
        )
        .unwrap();
    assert_eq!(out.bindings[0].expires_secs, 86_400, "clamped to max");
}

#[test]
fn interval_too_brief_is_423_and_atomic() {
    let mut s = shard();
    let req = reg(
        "c1",
        1,
        vec![
            contact("sip:a@h1", Some(600)),
            contact("sip:a@h2", Some(30)),
        ],
    );
    let err = s.register(ALICE, &req, 0).unwrap_err();
    assert_eq!(err, RegistrarError::IntervalTooBrief { min_expires: 60 });
    assert_eq!(err.sip_status(), 423);
    assert!(s.contacts(ALICE, 0).is_empty(), "no partial commit");
    assert_eq!(s.status(ALICE), Some(&mobile(ALICE_TEL)));
    assert!(drain(&mut s).is_empty());
}

#[test]
fn expires_zero_removes_one_binding() {
    let mut s = shard();
    let two = vec![
        contact("sip:a@h1", Some(600)),
        contact("sip:a@h2", Some(600)),
    ];
    s.register(ALICE, &reg("c1", 1, two), 0).unwrap();
    let out = s
        .register(ALICE, &reg("c1", 2, vec![contact("sip:a@h1", Some(0))]), 0)
        .unwrap();
    assert_eq!(out.bindings.len(), 1);
    assert_eq!(out.bindings[0].uri, "sip:a@h2");
    // Removing a contact that is not bound is not an error.
    s.register(
        ALICE,
        &reg("c1", 3, vec![contact("sip:a@nope", Some(0))]),
        0,
    )
    .unwrap();
    s.register(ALICE, &reg("c1", 4, vec![contact("sip:a@h2", Some(0))]), 0)
        .unwrap();
    assert_eq!(s.status(ALICE), Some(&mobile(ALICE_TEL)));
}

#[test]
fn wildcard_requires_expires_zero_and_removes_all() {
    let mut s = shard();
    let two = vec![
        contact("sip:a@h1", Some(600)),
        contact("sip:a@h2", Some(600)),
    ];
    s.register(ALICE, &reg("c1", 5, two), 0).unwrap();
    let mut star = RegisterRequest {
        call_id: "c2".into(),
        cseq: 1,
        expires_secs: None,
        contacts: RegisterContacts::Wildcard,
    };
    let err = s.register(ALICE, &star, 0).unwrap_err();
    assert_eq!(
        (err.clone(), err.sip_status()),
        (RegistrarError::InvalidWildcard, 400)
    );
    star.expires_secs = Some(3600);
    assert_eq!(
        s.register(ALICE, &star, 0),
        Err(RegistrarError::InvalidWildcard)
    );
    // Same Call-ID as the bindings with a CSeq not higher: the update is aborted.
    star.expires_secs = Some(0);
    star.call_id = "c1".into();
    star.cseq = 5;
    assert_eq!(s.register(ALICE, &star, 0), Err(RegistrarError::OutOfOrder));
    assert_eq!(s.contacts(ALICE, 0).len(), 2);
    star.cseq = 6;
    assert!(s.register(ALICE, &star, 0).unwrap().bindings.is_empty());
    assert_eq!(s.status(ALICE), Some(&mobile(ALICE_TEL)));
}

#[test]
fn cseq_ordering_per_call_id() {
    let mut s = shard();
    s.register(
        ALICE,
        &reg("c1", 10, vec![contact("sip:a@h1", Some(600))]),
        0,
    )
    .unwrap();
    for cseq in [9, 10] {
        let err = s
            .register(
                ALICE,
                &reg("c1", cseq, vec![contact("sip:a@h1", Some(900))]),
                0,
            )
            .unwrap_err();
        assert_eq!(
            (err.clone(), err.sip_status()),
            (RegistrarError::OutOfOrder, 500)
        );
    }
    assert_eq!(s.contacts(ALICE, 0)[0].expires_secs, 600, "not updated");
    s.register(
        ALICE,
        &reg("c1", 11, vec![contact("sip:a@h1", Some(900))]),
        0,
    )
    .unwrap();
    assert_eq!(s.contacts(ALICE, 0)[0].expires_secs, 900);
    // A different Call-ID (the device restarted) replaces the binding whatever its CSeq.
    s.register(
        ALICE,
        &reg("c2", 1, vec![contact("sip:a@h1", Some(700))]),
        0,
    )
    .unwrap();
    assert_eq!(s.contacts(ALICE, 0)[0].expires_secs, 700);
    // The same contact twice in one request is not out of order with itself.
    let twice = vec![contact("sip:a@h1", Some(800)), contact("sip:a@h1", Some(0))];
    assert!(s
        .register(ALICE, &reg("c2", 2, twice), 0)
        .unwrap()
        .bindings
        .is_empty());
}

#[test]
fn contact_limit_unknown_user_and_wrong_shard() {
    let mut cfg = config(0);
    cfg.limits.max_contacts_per_aor = 2;
    let mut s = shard_with(cfg);
    let three = (0..3)
        .map(|i| contact(&format!("sip:a@h{i}"), Some(600)))
        .collect();
    let err = s.register(ALICE, &reg("c1", 1, three), 0).unwrap_err();
    assert_eq!(
        (err.clone(), err.sip_status()),
        (RegistrarError::TooManyContacts { limit: 2 }, 503)
    );
    assert!(s.contacts(ALICE, 0).is_empty());
    let err = s
        .register(EVE, &reg("c1", 1, vec![contact("sip:e@h", None)]), 0)
        .unwrap_err();
    assert_eq!(
        (err.clone(), err.sip_status()),
        (RegistrarError::UnknownUser, 404)
    );

    let map = ShardMap::new(1, 2).unwrap();
    let mine = map.owner(ALICE);
    let other = ShardId(1 - mine.0);
    let mut wrong = PresenceShard::new(other, map, config(0)).unwrap();
    let err = wrong.register(ALICE, &reg("c1", 1, vec![]), 0).unwrap_err();
    assert_eq!(
        err,
        RegistrarError::NotOwner(NotOwner {
            owner: Owner::Shard(mine),
            revision: 1
        })
    );
}

#[test]
fn binding_expires_exactly_on_time() {
    let mut s = shard();
    s.register(ALICE, &reg("c1", 1, vec![contact("sip:a@h1", Some(60))]), 5)
        .unwrap();
    drain(&mut s);
    assert_eq!(s.next_deadline(), Some(60_005));
    assert_eq!(s.on_timer(60_004), 0);
    assert_eq!(s.status(ALICE), Some(&Status::Available));
    assert_eq!(s.on_timer(60_005), 1);
    assert_eq!(s.status(ALICE), Some(&mobile(ALICE_TEL)));
    assert_eq!(s.next_deadline(), None);
    assert_eq!(s.counters().bindings_expired, 1);
    assert_eq!(
        drain(&mut s),
        [Effect::PresenceChanged {
            aor: ALICE.into(),
            status: mobile(ALICE_TEL)
        }]
    );
}

#[test]
fn route_message_decisions() {
    let mut s = shard();
    assert_eq!(
        s.route_message(ALICE, 0),
        Ok(RouteDecision::Mobile {
            msisdn: ALICE_TEL.into()
        })
    );
    assert_eq!(
        s.route_message(BOB, 0),
        Ok(RouteDecision::OfflineNoService),
        "no msisdn"
    );
    assert_eq!(
        s.route_message(CAROL, 0),
        Ok(RouteDecision::OfflineNoService),
        "service off"
    );
    assert_eq!(s.route_message(EVE, 0), Ok(RouteDecision::UnknownUser));

    // Most recent registration first; a refresh does not reorder; q ranks above recency.
    s.register(
        ALICE,
        &reg("c1", 1, vec![contact("sip:a@old", Some(600))]),
        0,
    )
    .unwrap();
    s.register(
        ALICE,
        &reg("c2", 1, vec![contact("sip:a@new", Some(60))]),
        1,
    )
    .unwrap();
    s.register(
        ALICE,
        &reg("c1", 2, vec![contact("sip:a@old", Some(600))]),
        2,
    )
    .unwrap();
    let online = |v: &[&str]| RouteDecision::DeliverOnline {
        contacts: v.iter().map(|c| (*c).to_string()).collect(),
    };
    assert_eq!(
        s.route_message(ALICE, 3),
        Ok(online(&["sip:a@new", "sip:a@old"]))
    );
    s.publish(ALICE, None, busy(true), None, 3).unwrap();
    assert_eq!(
        s.route_message(ALICE, 3),
        Ok(online(&["sip:a@new", "sip:a@old"])),
        "busy is online"
    );
    let mut pref = contact("sip:a@desk", Some(600));
    pref.q = Some(1000);
    let mut low = contact("sip:a@new", Some(60));
    low.q = Some(500);
    s.register(ALICE, &reg("c3", 1, vec![pref]), 4).unwrap();
    s.register(ALICE, &reg("c2", 2, vec![low]), 4).unwrap();
    assert_eq!(
        s.route_message(ALICE, 5),
        Ok(online(&["sip:a@desk", "sip:a@old", "sip:a@new"]))
    );
    // A late timer never routes to a dead contact.
    assert_eq!(
        s.route_message(ALICE, 60_004),
        Ok(online(&["sip:a@desk", "sip:a@old"]))
    );
}
