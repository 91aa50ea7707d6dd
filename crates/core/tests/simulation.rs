//! Deterministic simulation (TigerBeetle VOPR style) of several `PresenceShard`s behind one
//! `ShardMap`, in virtual time, against a plain reference model (`sim/model.rs`).
//!
//! Each seed picks a shard count, a rate-limit interval and a timer batch size, then runs
//! random REGISTER / wildcard / PUBLISH (initial, refresh, modify, remove, stale ETag) /
//! SUBSCRIBE (new, fetch, refresh, unsubscribe, unauthorised, unknown) / NOTIFY failure /
//! profile change / deprovision / provision / IM routing, and clock advances — small, to the
//! next deadline exactly, or big jumps that make the timer late. After every step it checks:
//!
//! * every request's result equals the model's (same success or the same typed error);
//!   each SUBSCRIBE success carries exactly one NOTIFY;
//! * no `NotOwner`: the harness routes by the map, shards assert ownership;
//! * every NOTIFY: belongs to a live dialog, CSeq +1, active ones only to authorised watchers,
//!   not a duplicate status, not inside the rate-limit window; terminations only when due
//!   (`timeout` never before expiry, `rejected` only when unauthorised, `noresource` only when
//!   deprovisioned);
//! * every active dialog's last NOTIFY equals the composed status, unless a flush is pending
//!   and due at the end of the current window (then it is sent exactly then — never lost);
//! * shard status == model status; contacts == model bindings; nothing past its expiry
//!   remains and every due deadline has been processed (expiry happens on time);
//! * bounded state: watcher/subscriber/binding counts within limits; the effect queue drains;
//! * the MSISDN index on the numbers' shards maps exactly the provisioned numbers.
//!
//! `SMARTCHAT_SIM_SEED=n` replays one seed; `SMARTCHAT_SIM_SEEDS`, `SMARTCHAT_SIM_STEPS`
//! change the defaults (200 × 2000). A failure prints the seed and the last operations.

#[path = "sim/check.rs"]
mod check;
#[path = "sim/driver.rs"]
mod driver;
#[path = "sim/model.rs"]
mod model;
#[path = "sim/ops.rs"]
mod ops;

use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};

use smartchat_core::*;

fn env(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

fn run_seed(seed: u64, steps: usize, tally: &mut BTreeMap<String, u64>) {
    let log = RefCell::new(VecDeque::new());
    let result = catch_unwind(AssertUnwindSafe(|| {
        let mut sim = driver::Sim::new(seed, &log);
        for _ in 0..steps {
            sim.step();
        }
        sim.finish();
        for (k, v) in &sim.tally {
            *tally.entry(k.clone()).or_default() += v;
        }
        for c in sim.counters() {
            for (k, v) in [
                ("notifies emitted", c.notifies_emitted),
                ("notifies deferred", c.notifies_deferred),
                ("notifies suppressed", c.notifies_suppressed),
                ("presence transitions", c.presence_transitions),
                ("bindings expired", c.bindings_expired),
                ("publications expired", c.publications_expired),
                ("subscriptions expired", c.subscriptions_expired),
            ] {
                *tally.entry(k.to_owned()).or_default() += v;
            }
        }
    }));
    if let Err(panic) = result {
        eprintln!("\n=== simulation failed: seed {seed} (replay: SMARTCHAT_SIM_SEED={seed}) ===");
        for line in log.borrow().iter() {
            eprintln!("  {line}");
        }
        resume_unwind(panic);
    }
}

#[test]
fn simulate_many_seeds() {
    let steps = env("SMARTCHAT_SIM_STEPS").map_or(2000, |s| s as usize);
    let mut tally = BTreeMap::new();
    match env("SMARTCHAT_SIM_SEED") {
        Some(seed) => run_seed(seed, steps, &mut tally),
        None => {
            // Seeds are independent: spread them over a few threads, merge the tallies.
            let seeds = env("SMARTCHAT_SIM_SEEDS").unwrap_or(200);
            let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(4)) as u64;
            let parts: Vec<BTreeMap<String, u64>> = std::thread::scope(|scope| {
                let handles: Vec<_> = (0..threads)
                    .map(|t| {
                        scope.spawn(move || {
                            let mut tally = BTreeMap::new();
                            for seed in (t..seeds).step_by(threads as usize) {
                                run_seed(seed, steps, &mut tally);
                            }
                            tally
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().unwrap_or_else(|p| resume_unwind(p)))
                    .collect()
            });
            for part in parts {
                for (k, v) in part {
                    *tally.entry(k).or_default() += v;
                }
            }
        }
    }
    // Coverage: every outcome the harness is meant to provoke must have happened.
    eprintln!("simulation coverage: {tally:#?}");
    if env("SMARTCHAT_SIM_SEED").is_none() {
        for key in [
            "REGISTER ok",
            "REGISTER OutOfOrder",
            "REGISTER IntervalTooBrief",
            "REGISTER InvalidWildcard",
            "REGISTER UnknownUser",
            "REGISTER TooManyContacts",
            "PUBLISH ok",
            "PUBLISH UnknownEtag",
            "PUBLISH MissingBody",
            "PUBLISH InitialRemove",
            "PUBLISH IntervalTooBrief",
            "PUBLISH TooManyPublications",
            "SUBSCRIBE ok",
            "SUBSCRIBE Forbidden",
            "SUBSCRIBE UnknownPresentity",
            "SUBSCRIBE NoSuchSubscription",
            "SUBSCRIBE TooManyWatchers",
            "notifies deferred",
            "notifies suppressed",
            "subscriptions expired",
            "bindings expired",
            "publications expired",
        ] {
            assert!(
                tally.get(key).is_some_and(|&n| n > 0),
                "never exercised: {key}"
            );
        }
    }
}

#[test]
fn simulation_is_deterministic() {
    let a = RefCell::new(VecDeque::new());
    let b = RefCell::new(VecDeque::new());
    let mut x = driver::Sim::new(7, &a);
    let mut y = driver::Sim::new(7, &b);
    for _ in 0..500 {
        x.step();
        y.step();
    }
    assert_eq!(*a.borrow(), *b.borrow());
    assert_eq!(x.counters(), y.counters());
}

/// With routing wrong on purpose, every entry point refuses with a typed `NotOwner`.
#[test]
fn misrouted_requests_are_refused_with_not_owner() {
    let map = ShardMap::new(3, 3).unwrap();
    let aor = "sip:alice@example.com";
    let owner = map.owner(aor);
    let wrong = ShardId((owner.0 + 1) % 3);
    let mut s = PresenceShard::new(wrong, map, ShardConfig::default()).unwrap();
    let not_owner = NotOwner {
        owner: Owner::Shard(owner),
        revision: 3,
    };
    let profile = Subscriber {
        aor: aor.into(),
        msisdn: None,
        service: true,
        password: String::new(),
        buddies: vec![],
    };
    assert_eq!(
        s.add_subscriber(profile.clone()),
        Err(SubscriberError::NotOwner(not_owner))
    );
    assert_eq!(
        s.update_subscriber(profile, 0),
        Err(SubscriberError::NotOwner(not_owner))
    );
    assert_eq!(
        s.remove_subscriber(aor, 0),
        Err(SubscriberError::NotOwner(not_owner))
    );
    let req = RegisterRequest {
        call_id: "c".into(),
        cseq: 1,
        expires_secs: None,
        contacts: RegisterContacts::Fetch,
    };
    assert_eq!(
        s.register(aor, &req, 0),
        Err(RegistrarError::NotOwner(not_owner))
    );
    assert_eq!(
        s.publish(aor, None, None, None, 0),
        Err(PublishError::NotOwner(not_owner))
    );
    let sub = SubscribeRequest {
        presentity: aor.into(),
        watcher: aor.into(),
        dialog: DialogKey {
            call_id: "c".into(),
            from_tag: "a".into(),
            to_tag: "b".into(),
        },
        watcher_target: "sip:x@h".into(),
        expires_secs: None,
        in_dialog: false,
    };
    assert_eq!(
        s.subscribe(&sub, 0),
        Err(SubscribeError::NotOwner(not_owner))
    );
    assert_eq!(s.route_message(aor, 0), Err(not_owner));
    // The MSISDN index checks the number's owner the same way.
    let (msisdn, m_owner) = (0..)
        .map(|i| format!("+861380000{i:04}"))
        .map(|m| {
            let o = map.msisdn_owner(&m);
            (m, o)
        })
        .find(|(_, o)| *o != wrong)
        .unwrap();
    let err = NotOwner {
        owner: Owner::Shard(m_owner),
        revision: 3,
    };
    assert_eq!(s.lookup_msisdn(&msisdn), Err(err));
    assert_eq!(
        s.index_msisdn(&msisdn, aor),
        Err(MsisdnIndexError::NotOwner(err))
    );
    assert_eq!(s.unindex_msisdn(&msisdn, aor), Err(err));
    // And the owner accepts.
    let mut right = PresenceShard::new(owner, map, ShardConfig::default()).unwrap();
    assert_eq!(right.route_message(aor, 0), Ok(RouteDecision::UnknownUser));
}
