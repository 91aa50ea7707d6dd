//! The ESME session against the SMSC simulator, in memory with a virtual clock: ids and
//! receipts, throttling (every Nth and by rate) with exactly-once in-order delivery, MOs with
//! concatenation and acknowledgement back-pressure, UUID ids, bind failures.

mod common;

use std::collections::HashMap;

use common::{esme_config, final_token, text_submit, World};
use smartchat_esme::{Account, EsmeConfig, EsmeEvent, MessageIdStyle, SmscConfig};
use smartchat_smpp::{CommandStatus, MessageState};
use smartchat_sms::{decode_text, SeptetPacking};

fn count(events: &[EsmeEvent], pred: impl Fn(&EsmeEvent) -> bool) -> usize {
    events.iter().filter(|e| pred(e)).count()
}

fn is_receipt(e: &EsmeEvent) -> bool {
    matches!(e, EsmeEvent::DeliveryReceipt { .. })
}

/// Submits `texts` (token = index) to `dest_of(index)` and runs until all are final.
fn submit_all(world: &mut World, texts: &[String], dest_of: impl Fn(usize) -> String) {
    for (index, text) in texts.iter().enumerate() {
        world
            .esme
            .submit(index as u64, &text_submit(&dest_of(index), text), world.now)
            .unwrap();
    }
    let n = texts.len();
    assert!(
        world.run_until(600_000, |evs| evs.iter().filter_map(final_token).count()
            >= n),
        "not every submit got a final answer"
    );
}

/// Every token has exactly one final event and it is `Submitted`.
fn assert_each_submitted_once(events: &[EsmeEvent], n: usize) -> HashMap<u64, String> {
    let mut ids = HashMap::new();
    for event in events {
        if let Some(token) = final_token(event) {
            let EsmeEvent::Submitted { message_id, .. } = event else {
                panic!("unexpected final event {event:?}");
            };
            assert!(
                ids.insert(token, message_id.clone()).is_none(),
                "token {token} twice"
            );
        }
    }
    assert_eq!(ids.len(), n);
    ids
}

#[test]
fn submits_get_ids_and_receipts() {
    let mut world = World::new(esme_config(), SmscConfig::default());
    let texts: Vec<String> = (0..50).map(|i| format!("hello {i}")).collect();
    submit_all(&mut world, &texts, |i| format!("49151{i:07}"));
    assert!(world.run_until(world.now + 10_000, |evs| count(evs, is_receipt) >= 50));
    let ids = assert_each_submitted_once(&world.events, 50);
    let mut receipted: Vec<&str> = world
        .events
        .iter()
        .filter_map(|e| match e {
            EsmeEvent::DeliveryReceipt {
                receipted_message_id,
                message_state,
                ..
            } => {
                assert_eq!(*message_state, Some(MessageState::Delivered));
                Some(receipted_message_id.as_str())
            }
            _ => None,
        })
        .collect();
    receipted.sort_unstable();
    let mut expected: Vec<&str> = ids.values().map(String::as_str).collect();
    expected.sort_unstable();
    assert_eq!(receipted, expected);
    let records = world.smsc.submits();
    assert_eq!(records.len(), 50);
    assert_eq!(records[7].text.as_deref(), Some("hello 7"));
    assert_eq!(records[7].dest, "491510000007");
    let counters = world.smsc.counters();
    assert_eq!((counters.receipts_sent, counters.deliver_sm_resp), (50, 50));
}

#[test]
fn throttle_every_third_still_delivers_each_once_in_order() {
    let smsc = SmscConfig {
        throttle_every: 3,
        ..SmscConfig::default()
    };
    // One destination: the per-destination order is the global order.
    let mut world = World::new(esme_config(), smsc);
    let texts: Vec<String> = (0..60).map(|i| format!("msg {i:02}")).collect();
    submit_all(&mut world, &texts, |_| "491700000001".into());
    assert_each_submitted_once(&world.events, 60);
    let recorded: Vec<String> = world
        .smsc
        .submits()
        .into_iter()
        .map(|r| r.text.unwrap())
        .collect();
    assert_eq!(recorded, texts);
    assert!(world.smsc.counters().throttled >= 20);
}

#[test]
fn throttling_keeps_order_per_destination_with_a_full_window() {
    let smsc = SmscConfig {
        throttle_every: 4,
        ..SmscConfig::default()
    };
    let mut world = World::new(esme_config(), smsc);
    let texts: Vec<String> = (0..120).map(|i| format!("{}:{i:03}", i % 7)).collect();
    submit_all(&mut world, &texts, |i| format!("4917000000{}", i % 7));
    assert_each_submitted_once(&world.events, 120);
    let mut per_dest: HashMap<String, Vec<String>> = HashMap::new();
    for record in world.smsc.submits() {
        per_dest
            .entry(record.dest)
            .or_default()
            .push(record.text.unwrap());
    }
    assert_eq!(per_dest.len(), 7);
    for (dest, got) in per_dest {
        let mut sorted = got.clone();
        sorted.sort();
        assert_eq!(got, sorted, "order to {dest}");
    }
}

#[test]
fn global_order_with_window_one() {
    let smsc = SmscConfig {
        throttle_every: 2,
        ..SmscConfig::default()
    };
    let esme = EsmeConfig {
        window: 1,
        ..esme_config()
    };
    let mut world = World::new(esme, smsc);
    let texts: Vec<String> = (0..30).map(|i| format!("t{i:02}")).collect();
    submit_all(&mut world, &texts, |i| format!("49170000{i:04}"));
    let recorded: Vec<String> = world
        .smsc
        .submits()
        .into_iter()
        .filter_map(|r| r.text)
        .collect();
    assert_eq!(recorded, texts);
}

#[test]
fn rate_limit_throttles_but_everything_arrives() {
    let smsc = SmscConfig {
        max_rate_per_sec: 100,
        ..SmscConfig::default()
    };
    let esme = EsmeConfig {
        window: 50,
        throttle_pause_ms: 100,
        ..esme_config()
    };
    let mut world = World::new(esme, smsc);
    let texts: Vec<String> = (0..300).map(|i| format!("r{i}")).collect();
    submit_all(&mut world, &texts, |i| format!("4917{i:08}"));
    assert_each_submitted_once(&world.events, 300);
    assert!(world.smsc.counters().throttled > 0);
    // 100 burst + 100/s: the last of 300 cannot be accepted before ~2 s.
    assert!(world.now >= 1_900, "finished at {} ms", world.now);
}

#[test]
fn uuid_message_ids_round_trip() {
    let smsc = SmscConfig {
        message_id_style: MessageIdStyle::Uuid,
        ..SmscConfig::default()
    };
    let mut world = World::new(esme_config(), smsc);
    submit_all(&mut world, &["uuid please".to_owned()], |_| "4917".into());
    assert!(world.run_until(world.now + 1_000, |evs| count(evs, is_receipt) == 1));
    let ids = assert_each_submitted_once(&world.events, 1);
    assert_eq!(ids[&0].len(), 36);
    assert!(world.events.iter().any(|e| matches!(e,
        EsmeEvent::DeliveryReceipt { receipted_message_id, .. } if *receipted_message_id == ids[&0])));
}

#[test]
fn long_mo_arrives_in_parts_and_waits_for_the_ack() {
    let mut world = World::new(esme_config(), SmscConfig::default());
    world.auto_ack = false;
    assert!(world.run_until(1_000, |evs| evs
        .iter()
        .any(|e| matches!(e, EsmeEvent::Bound { .. }))));
    let text = "Long reply from the phone. ".repeat(15);
    let parts = world
        .smsc
        .inject_mo("491511234567", "4000123", &text)
        .unwrap();
    assert_eq!(parts, 3);
    world.settle();
    let mos: Vec<_> = world
        .events
        .iter()
        .filter_map(|e| match e {
            EsmeEvent::MobileOriginated {
                seq,
                source,
                dest,
                data_coding,
                short_message,
                concat,
                ..
            } => Some((
                *seq,
                source,
                dest,
                *data_coding,
                short_message,
                concat.unwrap(),
            )),
            _ => None,
        })
        .collect();
    assert_eq!(mos.len(), 3);
    assert_eq!(
        world.smsc.counters().deliver_sm_resp,
        0,
        "nothing acked yet"
    );
    let mut joined = String::new();
    for (i, (_, source, dest, dc, payload, concat)) in mos.iter().enumerate() {
        assert_eq!(
            (source.as_str(), dest.as_str()),
            ("491511234567", "4000123")
        );
        assert_eq!((concat.total, usize::from(concat.seq)), (3, i + 1));
        joined += &decode_text(*dc, payload, SeptetPacking::Unpacked).unwrap();
    }
    assert_eq!(joined, text);
    let seqs: Vec<_> = mos.iter().map(|m| m.0).collect();
    for seq in seqs {
        world.esme.ack_deliver(seq, CommandStatus::Ok).unwrap();
    }
    world.settle();
    assert_eq!(world.smsc.counters().deliver_sm_resp, 3);
}

#[test]
fn refused_mos_are_redelivered_by_the_simulator() {
    let esme = EsmeConfig {
        max_unacked_deliveries: 2,
        ..esme_config()
    };
    let smsc = SmscConfig {
        redeliver_delay_ms: 500,
        max_deliver_attempts: 10,
        ..SmscConfig::default()
    };
    let mut world = World::new(esme, smsc);
    world.auto_ack = false;
    world.run_until(1_000, |evs| !evs.is_empty());
    for i in 0..5 {
        world
            .smsc
            .inject_mo("491511234567", "4000123", &format!("mo {i}"))
            .unwrap();
    }
    let is_mo = |e: &EsmeEvent| matches!(e, EsmeEvent::MobileOriginated { .. });
    world.settle();
    assert_eq!(count(&world.events, is_mo), 2);
    assert_eq!(world.esme.stats().deliveries_refused, 3);
    // The node catches up: everything arrives, each MO once.
    world.auto_ack = true;
    for event in world.events.clone() {
        if let EsmeEvent::MobileOriginated { seq, .. } = event {
            world.esme.ack_deliver(seq, CommandStatus::Ok).unwrap();
        }
    }
    assert!(world.run_until(world.now + 5_000, |evs| count(evs, is_mo) == 5));
    let mut texts: Vec<Vec<u8>> = world
        .events
        .iter()
        .filter_map(|e| match e {
            EsmeEvent::MobileOriginated { short_message, .. } => Some(short_message.clone()),
            _ => None,
        })
        .collect();
    texts.sort();
    assert_eq!(
        texts,
        (0..5)
            .map(|i| format!("mo {i}").into_bytes())
            .collect::<Vec<_>>()
    );
}

#[test]
fn echo_text_comes_back_as_an_mo() {
    let mut world = World::new(esme_config(), SmscConfig::default());
    submit_all(&mut world, &["echo ping".to_owned()], |_| {
        "491700000009".into()
    });
    let got = world.run_until(world.now + 1_000, |evs| {
        evs.iter().any(|e| {
            matches!(e,
            EsmeEvent::MobileOriginated { short_message, source, .. }
                if short_message == b"MO reply: ping" && source == "491700000009")
        })
    });
    assert!(got);
}

#[test]
fn wrong_credentials_fail_the_bind_and_retry_with_backoff() {
    let smsc = SmscConfig {
        accounts: vec![Account {
            system_id: "esme1".into(),
            password: "secret".into(),
        }],
        ..SmscConfig::default()
    };
    let mut world = World::new(esme_config(), smsc);
    let failures = |evs: &[EsmeEvent]| {
        count(
            evs,
            |e| matches!(e, EsmeEvent::BindFailed { status } if *status == CommandStatus::BindFail),
        )
    };
    assert!(world.run_until(10_000, |evs| failures(evs) >= 4));
    // Backoff 100 + 200 + 400 between the four attempts.
    assert!(world.now >= 700, "four attempts by {} ms", world.now);
    assert_eq!(world.smsc.counters().bind_failures, 4);
    assert_eq!(world.smsc.counters().binds, 0);
}
