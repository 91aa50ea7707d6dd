//! Property tests: whatever the interleaving of submits, answers, throttles, timeouts, lost
//! links and garbage, every token gets exactly one final answer; random octets never panic
//! either side; how the stream is chunked never changes what the session does.

mod common;

use std::collections::HashMap;

use common::wire::{bind_resp, deliver, encode, simple, submit_resp};
use common::{esme_config, final_token, text_submit};
use proptest::prelude::*;
use smartchat_esme::{EsmeConfig, EsmeEvent, EsmeSession, Smsc, SmscConfig, SmscConnection};
use smartchat_smpp::{decode, frame_len, CommandStatus, Pdu, PduBody};

#[derive(Debug, Clone)]
enum How {
    Ok,
    Throttled,
    MsgQFul,
    Permanent,
    Temporary,
    Nack,
}

#[derive(Debug, Clone)]
enum Op {
    Submit(u8),
    Answer(usize, How),
    Advance(u16),
    DropLink,
    Garbage(Vec<u8>),
    Mo,
}

fn op() -> impl Strategy<Value = Op> {
    let how = prop_oneof![
        6 => Just(How::Ok),
        2 => Just(How::Throttled),
        1 => Just(How::MsgQFul),
        1 => Just(How::Permanent),
        1 => Just(How::Temporary),
        1 => Just(How::Nack),
    ];
    prop_oneof![
        6 => (0u8..6).prop_map(Op::Submit),
        8 => (any::<usize>(), how).prop_map(|(i, h)| Op::Answer(i, h)),
        3 => (0u16..3000).prop_map(Op::Advance),
        1 => Just(Op::DropLink),
        1 => prop::collection::vec(any::<u8>(), 0..40).prop_map(Op::Garbage),
        1 => Just(Op::Mo),
    ]
}

/// A scripted SMSC that answers binds, enquire_links and unbinds itself and lets the test
/// decide about every submit_sm.
struct Fake {
    connected: bool,
    pending: Vec<u32>,
    next_seq: u32,
    events: Vec<EsmeEvent>,
}

impl Fake {
    fn pump(&mut self, esme: &mut EsmeSession, now: u64) {
        // Bounded: each round answers what the session wrote; sessions go quiet quickly.
        for _ in 0..100 {
            if !self.connected && esme.wants_connect(now) {
                esme.on_connected(now);
                self.connected = true;
            }
            let mut replies = Vec::new();
            if let Some(bytes) = esme.poll_transmit() {
                let mut rest = bytes.as_slice();
                while let Ok(Some(len)) = frame_len(rest, 65_536) {
                    let pdu = decode(&rest[..len]).expect("valid output");
                    let seq = pdu.sequence_number;
                    match pdu.body {
                        PduBody::BindTransceiver(_) => {
                            replies.push(bind_resp(seq, CommandStatus::Ok))
                        }
                        PduBody::SubmitSm(_) => self.pending.push(seq),
                        PduBody::EnquireLink => replies.push(simple(seq, PduBody::EnquireLinkResp)),
                        PduBody::Unbind => replies.push(simple(seq, PduBody::UnbindResp)),
                        _ => {}
                    }
                    rest = &rest[len..];
                }
            }
            for reply in &replies {
                if self.connected {
                    esme.on_bytes(reply, now);
                }
            }
            let mut quiet = replies.is_empty();
            while let Some(event) = esme.poll_event() {
                quiet = false;
                if matches!(event, EsmeEvent::Disconnected { .. }) {
                    self.connected = false;
                    self.pending.clear();
                }
                self.events.push(event);
            }
            if quiet && (self.connected || !esme.wants_connect(now)) {
                return;
            }
        }
    }

    fn answer(&mut self, esme: &mut EsmeSession, pick: usize, how: &How, now: u64) {
        if self.pending.is_empty() || !self.connected {
            return;
        }
        let seq = self.pending.remove(pick % self.pending.len());
        let bytes = match how {
            How::Ok => submit_resp(seq, CommandStatus::Ok, &format!("m{seq}")),
            How::Throttled => submit_resp(seq, CommandStatus::Throttled, ""),
            How::MsgQFul => submit_resp(seq, CommandStatus::MsgQFul, ""),
            How::Permanent => submit_resp(seq, CommandStatus::InvDstAdr, ""),
            How::Temporary => submit_resp(seq, CommandStatus::SysErr, ""),
            How::Nack => encode(&Pdu {
                sequence_number: seq,
                command_status: CommandStatus::InvCmdLen,
                body: PduBody::GenericNack,
            }),
        };
        esme.on_bytes(&bytes, now);
    }
}

fn config() -> EsmeConfig {
    EsmeConfig {
        window: 4,
        queue_capacity: 64,
        response_timeout_ms: 1_000,
        enquire_link_interval_ms: 2_000,
        throttle_pause_ms: 300,
        max_submit_attempts: 4,
        ..esme_config()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn every_token_is_answered_exactly_once(ops in prop::collection::vec(op(), 1..120)) {
        let mut esme = EsmeSession::new(config()).unwrap();
        let mut fake = Fake { connected: false, pending: Vec::new(), next_seq: 1_000, events: Vec::new() };
        let mut now = 0u64;
        let mut tokens = Vec::new();
        fake.pump(&mut esme, now);
        for op in &ops {
            match op {
                Op::Submit(dest) => {
                    let token = tokens.len() as u64;
                    if esme.submit(token, &text_submit(&format!("4917{dest}"), "x"), now).is_ok() {
                        tokens.push(token);
                    }
                }
                Op::Answer(pick, how) => fake.answer(&mut esme, *pick, how, now),
                Op::Advance(ms) => {
                    now += u64::from(*ms);
                    esme.on_timer(now);
                }
                Op::DropLink => {
                    esme.on_disconnected(now);
                    fake.connected = false;
                    fake.pending.clear();
                }
                Op::Garbage(bytes) => esme.on_bytes(bytes, now),
                Op::Mo => {
                    fake.next_seq += 1;
                    esme.on_bytes(&deliver(fake.next_seq, "hi", None), now);
                }
            }
            fake.pump(&mut esme, now);
            prop_assert!(esme.in_flight() <= 4);
        }
        // Drain: from now on the SMSC answers everything with ESME_ROK.
        for _ in 0..500 {
            let finals = fake.events.iter().filter_map(final_token).count();
            if finals >= tokens.len() {
                break;
            }
            while !fake.pending.is_empty() {
                fake.answer(&mut esme, 0, &How::Ok, now);
                fake.pump(&mut esme, now);
            }
            now += 250;
            esme.on_timer(now);
            fake.pump(&mut esme, now);
        }
        let mut finals: HashMap<u64, usize> = HashMap::new();
        for (index, event) in fake.events.iter().enumerate() {
            if let Some(token) = final_token(event) {
                *finals.entry(token).or_default() += 1;
                // Nothing about a token may follow its final answer.
                let later = fake.events[index + 1..].iter().any(|e| matches!(e,
                    EsmeEvent::Resent { token: t, .. } | EsmeEvent::Throttled { token: t, .. } if *t == token));
                prop_assert!(!later, "event for token {} after its final answer", token);
            }
        }
        for token in &tokens {
            prop_assert_eq!(finals.get(token).copied(), Some(1), "token {}", token);
        }
        prop_assert_eq!(finals.len(), tokens.len());
        prop_assert_eq!(esme.in_flight() + esme.queued(), 0);
    }

    #[test]
    fn random_octets_never_panic(chunks in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..64), 0..20)) {
        let mut esme = common::wire::bound_session(esme_config(), 0);
        let mut smsc = Smsc::new(SmscConfig::default());
        let mut conn = SmscConnection::new(&mut smsc);
        for (i, chunk) in chunks.iter().enumerate() {
            esme.on_bytes(chunk, i as u64);
            esme.on_timer(i as u64 * 1000);
            conn.on_bytes(&mut smsc, chunk, i as u64);
            conn.on_timer(&mut smsc, i as u64 * 1000);
        }
        // Whatever they answered is well-formed SMPP.
        for bytes in [esme.poll_transmit(), conn.poll_transmit()].into_iter().flatten() {
            let mut rest = bytes.as_slice();
            while let Ok(Some(len)) = frame_len(rest, 65_536) {
                prop_assert!(decode(&rest[..len]).is_ok());
                rest = &rest[len..];
            }
            prop_assert!(rest.is_empty());
        }
    }

    #[test]
    fn chunking_never_changes_the_outcome(cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..12)) {
        let mut stream = Vec::new();
        stream.extend(simple(50, PduBody::EnquireLink));
        stream.extend(deliver(51, "first", None));
        stream.extend(deliver(52, "id:77 stat:DELIVRD", Some("77")));
        stream.extend(submit_resp(9, CommandStatus::Ok, "late"));
        stream.extend(simple(53, PduBody::EnquireLink));
        let run = |pieces: &[&[u8]]| {
            let mut esme = common::wire::bound_session(esme_config(), 0);
            let mut out = Vec::new();
            for piece in pieces {
                esme.on_bytes(piece, 1);
                out.extend(esme.poll_transmit().unwrap_or_default());
            }
            let events: Vec<EsmeEvent> = std::iter::from_fn(|| esme.poll_event()).collect();
            (out, events)
        };
        let whole = run(&[&stream]);
        let mut points: Vec<usize> = cuts.iter().map(|c| c.index(stream.len())).collect();
        points.sort_unstable();
        points.dedup();
        let mut pieces = Vec::new();
        let mut start = 0;
        for point in points {
            pieces.push(&stream[start..point]);
            start = point;
        }
        pieces.push(&stream[start..]);
        prop_assert_eq!(run(&pieces), whole);
    }
}
