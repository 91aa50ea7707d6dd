//! Deterministic simulation of one relay shard (TigerBeetle VOPR style).
//!
//! Random IMs to mobile users, held IMs, MOs with and without `@prefix` / extension, SMSC
//! outcomes (ok, throttled, temporary, permanent, receipts delivered / failed / expired / lost
//! / intermediate), IM delivery outcomes, REGISTERs, clock jumps past validity and hold times,
//! group commits, checkpoints and crashes (the shard is dropped and recovered from the records
//! of the Readies made durable so far). Invariants, checked as the run goes and at the end:
//!
//! 1. no action (202, deliver_sm_resp, submit, IM, IMDN, Final) before its records are durable;
//! 2. every durable message is final, or in flight with a deadline — never lost — and after
//!    the drain every one of them has exactly one durable final state and one `Final` action;
//! 3. every MO the shard accepts yields exactly one of DeliverIm / help SMS / HelpSuppressed,
//!    and exactly one deliver_sm_resp;
//! 4. recovery resubmits only parts with no recorded SMSC answer, never final messages;
//! 5. an IMDN is sent at most once and only backed by a matching durable final state.
//!
//! `SMARTCHAT_RELAY_SEED=n` replays one seed; `SMARTCHAT_RELAY_SEEDS=n` runs n seeds.

#[path = "sim/world.rs"]
mod world;

use smartchat_relay::{
    Action, DeliverSmRef, ImRequest, Imdn, MessageKind, MobileOriginated, ReceiptStat, SessionId,
    State,
};
use world::{aor, msisdn, World, USERS};

const STEPS: usize = 400;

fn text(w: &mut World) -> String {
    let max = if w.rng.chance(10) { 600 } else { 120 };
    let len = 1 + w.rng.below(max) as usize;
    let alphabet: &[char] = if w.rng.chance(20) {
        &['你', '好', ' ', 'a', '€']
    } else {
        &['a', 'b', ' ', '.', '{', '@', '1']
    };
    (0..len)
        .map(|_| alphabet[w.rng.below(alphabet.len() as u64) as usize])
        .collect()
}

fn im_request(w: &mut World, from: usize, to: usize) -> ImRequest {
    let n = w.rng.next();
    let imdn = w.rng.chance(50).then(|| Imdn {
        message_id: format!("imdn-{}-{n}", w.seed),
        delivered: w.rng.chance(70),
        failed: w.rng.chance(70),
    });
    ImRequest {
        from_aor: aor(from),
        to_aor: aor(to),
        text: text(w),
        content_type: "text/plain".into(),
        imdn,
        sip_call_id: format!("call-{n}"),
    }
}

fn new_im(w: &mut World) {
    let from = w.rng.below(USERS as u64) as usize;
    let to = w.rng.below(4) as usize; // users with a phone
    let req = im_request(w, from, to);
    let phone = msisdn(to).expect("has a phone");
    match w.shard.accept_im_for_sms(req, &phone, w.now) {
        Ok(r) => {
            assert!(
                r.after_persist
                    .iter()
                    .filter(|a| matches!(a, Action::Ack202 { .. }))
                    .count()
                    == 1
            );
            w.unsynced.push(r);
            w.count("im_to_sms");
        }
        Err(e) => w.count(refusal(&e)),
    }
}

fn hold(w: &mut World) {
    let from = w.rng.below(USERS as u64) as usize;
    let to = 4 + w.rng.below(2) as usize; // users without a phone
    let req = im_request(w, from, to);
    match w.shard.hold_im(req, w.now) {
        Ok(r) => {
            w.unsynced.push(r);
            w.count("held");
        }
        Err(e) => w.count(refusal(&e)),
    }
}

fn refusal(e: &smartchat_relay::RelayError) -> &'static str {
    match e {
        smartchat_relay::RelayError::RateLimited { .. } => "refused_rate",
        smartchat_relay::RelayError::Full(_) => "refused_full",
        smartchat_relay::RelayError::TextTooLong { .. } => "refused_long",
        _ => "refused_other",
    }
}

fn mobile_originated(w: &mut World, seq: u32) {
    let phone_user = w.rng.below(4) as usize;
    let target = w.rng.below(USERS as u64 + 1) as usize; // USERS = nobody
    let body = text(w);
    let text = match w.rng.below(4) {
        0 => format!("@u{target} {body}"),
        1 => format!("@sip:u{target}@example.com: {body}"),
        _ => format!("x{body}"),
    };
    let dest = match w.rng.below(3) {
        0 => "10659".to_string(),
        _ => format!("10659{:02}", w.rng.below(5)),
    };
    let mo = MobileOriginated {
        source_msisdn: msisdn(phone_user).expect("phone"),
        sender_aor: (!w.rng.chance(5)).then(|| aor(phone_user)),
        dest_address: dest,
        text,
        deliver_sm: DeliverSmRef {
            session: SessionId::new(0, 7),
            seq,
        },
    };
    let Ok(r) = w.shard.on_mobile_originated(mo, w.now) else {
        w.count("mo_refused");
        return;
    };
    let delivers = r.deliveries().count();
    let helps = r.submits().filter(|s| s.kind == MessageKind::Help).count();
    let suppressed = r
        .after_persist
        .iter()
        .filter(|a| matches!(a, Action::HelpSuppressed { .. }))
        .count();
    let acks = r
        .after_persist
        .iter()
        .filter(|a| {
            **a == Action::AckDeliverSm(DeliverSmRef {
                session: SessionId::new(0, 7),
                seq,
            })
        })
        .count();
    assert_eq!(
        (delivers + helps + suppressed, acks),
        (1, 1),
        "seed {}: MO outcome {r:?}",
        w.seed
    );
    w.count(if delivers == 1 {
        "mo_delivered"
    } else {
        "mo_help"
    });
    w.unsynced.push(r);
}

/// Runs the SMSC, the IM side and the shard's timer up to `w.now`.
fn process_due(w: &mut World) {
    let now = w.now;
    let (due, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut w.submits)
        .into_iter()
        .partition(|j| j.due <= now);
    w.submits = rest;
    for job in due {
        if !w.draining && w.rng.chance(3) {
            continue; // response lost; validity expiry takes over
        }
        let r = match w.submit_failure() {
            Some(f) => w.shard.on_submit_failed(job.id, job.part, f, now),
            None => {
                w.next_smsc += 1;
                let smsc_id = format!("S{}", w.next_smsc);
                schedule_receipts(w, &smsc_id);
                w.shard
                    .on_submitted(job.id, job.part, &smsc_id, now)
                    .expect("valid id")
            }
        };
        w.unsynced.push(r);
    }
    let (due, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut w.receipts)
        .into_iter()
        .partition(|j| j.due <= now);
    w.receipts = rest;
    for (i, job) in due.into_iter().enumerate() {
        let ack = DeliverSmRef {
            session: SessionId::new(0, 9),
            seq: i as u32,
        };
        let r = w.shard.on_receipt(&job.smsc_id, &job.stat, ack, now);
        assert_eq!(r.after_persist.first(), Some(&Action::AckDeliverSm(ack)));
        w.unsynced.push(r);
    }
    let (due, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut w.ims)
        .into_iter()
        .partition(|j| j.due <= now);
    w.ims = rest;
    for job in due {
        if let Some(outcome) = w.im_outcome(&job.to) {
            let r = w.shard.on_im_outcome(job.id, outcome, now);
            w.unsynced.push(r);
        }
    }
    if w.shard.next_deadline().is_some_and(|d| d <= now) {
        let r = w.shard.on_timer(now);
        w.unsynced.push(r);
    }
}

fn schedule_receipts(w: &mut World, smsc_id: &str) {
    let roll = w.rng.below(100);
    let due = w.now + w.rng.below(60_000);
    let stat = match roll {
        0..=69 => ReceiptStat::Delivered,
        70..=77 => ReceiptStat::Undeliverable,
        78..=80 => ReceiptStat::Expired,
        81..=85 => {
            let first = ReceiptStat::Enroute;
            w.receipts.push(ReceiptJob {
                smsc_id: smsc_id.into(),
                stat: first,
                due,
            });
            ReceiptStat::Delivered
        }
        _ if w.draining => ReceiptStat::Delivered,
        _ => return, // lost: the message ends Unconfirmed after validity + grace
    };
    let due = due + 1;
    w.receipts.push(ReceiptJob {
        smsc_id: smsc_id.into(),
        stat,
        due,
    });
}

use world::ReceiptJob;

fn run(seed: u64) -> World {
    let mut w = World::new(seed);
    for step in 0..STEPS {
        match w.rng.below(100) {
            0..=21 => new_im(&mut w),
            22..=26 => hold(&mut w),
            27..=41 => mobile_originated(&mut w, step as u32),
            42..=47 => {
                let u = w.rng.below(USERS as u64) as usize;
                let r = w.shard.on_register(&aor(u), w.now);
                w.unsynced.push(r);
            }
            48..=69 => w.now += w.rng.below(3_000),
            70..=72 => w.now += 1_800_000 + w.rng.below(7_200_000), // past validity / hold
            73..=75 => w.crash(),
            76 => w.compact(),
            _ => w.sync(),
        }
        process_due(&mut w);
        w.shard
            .conversations()
            .check_invariants()
            .expect("conversation table");
        w.check_never_lost();
    }
    drain(&mut w);
    let finals: Vec<&'static str> = w
        .hist
        .finals
        .values()
        .flatten()
        .map(|s| match s {
            State::Delivered => "final_delivered",
            State::Failed { .. } => "final_failed",
            State::Expired => "final_expired",
            State::Unconfirmed => "final_unconfirmed",
            _ => "final_forwarded",
        })
        .collect();
    for f in finals {
        w.count(f);
    }
    w
}

/// No new input and no more faults: everything in flight must finish.
fn drain(w: &mut World) {
    w.draining = true;
    for _ in 0..20_000 {
        w.sync();
        if w.shard.in_flight() == 0
            && w.unsynced.is_empty()
            && w.submits.is_empty()
            && w.ims.is_empty()
        {
            break;
        }
        let next_job = w
            .submits
            .iter()
            .map(|j| j.due)
            .chain(w.receipts.iter().map(|j| j.due))
            .chain(w.ims.iter().map(|j| j.due))
            .chain(w.shard.next_deadline())
            .min()
            .unwrap_or(w.now);
        w.now = w.now.max(next_job);
        process_due(w);
    }
    w.sync();
    let seed = w.seed;
    assert_eq!(w.shard.in_flight(), 0, "seed {seed}: drain did not finish");
    for &id in w.hist.messages.keys() {
        let finals = w.hist.finals.get(&id).map_or(0, Vec::len);
        assert_eq!(
            finals, 1,
            "seed {seed}: message {id} has {finals} final states"
        );
        assert_eq!(
            w.final_actions.get(&id),
            Some(&1),
            "seed {seed}: Final actions for {id}"
        );
    }
}

fn seeds() -> Vec<u64> {
    if let Some(s) = std::env::var("SMARTCHAT_RELAY_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        return vec![s];
    }
    let n = std::env::var("SMARTCHAT_RELAY_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(64);
    (0..n).collect()
}

#[test]
fn simulation_keeps_every_invariant() {
    let mut totals = std::collections::BTreeMap::<&'static str, u64>::new();
    for seed in seeds() {
        let w = std::panic::catch_unwind(|| run(seed)).unwrap_or_else(|_| {
            panic!("simulation failed; replay with SMARTCHAT_RELAY_SEED={seed}")
        });
        for (k, v) in w.stats {
            *totals.entry(k).or_default() += v;
        }
        *totals.entry("messages").or_default() += w.hist.messages.len() as u64;
    }
    eprintln!("simulation totals: {totals:?}");
    // The run must actually exercise the interesting paths, or it proves nothing.
    for key in [
        "im_to_sms",
        "held",
        "mo_delivered",
        "mo_help",
        "crash",
        "resubmitted_part",
        "ack202",
    ] {
        assert!(
            totals.get(key).copied().unwrap_or(0) > 0,
            "no {key} in the whole run: {totals:?}"
        );
    }
}
