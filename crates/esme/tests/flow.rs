//! Flow control of the ESME session against a scripted SMSC: the window, throttling and its
//! ordering, response timeouts, keep-alive, reconnect backoff, deliver_sm acknowledgement and
//! shutdown.

mod common;

use common::wire::{bind_resp, bound_session, deliver, sent, simple, submit_resp};
use common::{esme_config, text_submit};
use smartchat_esme::{
    AckError, DisconnectReason, EsmeConfig, EsmeEvent, EsmeSession, ResendReason, SessionState,
    SubmitError,
};
use smartchat_smpp::{CommandId, CommandStatus, PduBody};

fn events(esme: &mut EsmeSession) -> Vec<EsmeEvent> {
    std::iter::from_fn(|| esme.poll_event()).collect()
}

fn texts(out: &[common::wire::Out]) -> Vec<String> {
    out.iter()
        .filter(|o| o.id == CommandId::SubmitSm)
        .map(|o| String::from_utf8(o.short_message.clone()).unwrap())
        .collect()
}

#[test]
fn window_bounds_what_is_in_flight() {
    let config = EsmeConfig {
        window: 3,
        ..esme_config()
    };
    let mut esme = bound_session(config, 0);
    for token in 0..10 {
        esme.submit(token, &text_submit(&format!("49170{token}"), "x"), 1)
            .unwrap();
    }
    let out = sent(&mut esme);
    assert_eq!(out.len(), 3);
    assert_eq!((esme.in_flight(), esme.queued()), (3, 7));
    esme.on_bytes(&submit_resp(out[1].seq, CommandStatus::Ok, "id1"), 2);
    assert_eq!(sent(&mut esme).len(), 1, "one answer frees one slot");
    assert_eq!(esme.in_flight(), 3);
}

#[test]
fn queue_full_window_full_and_invalid_are_refused() {
    let config = EsmeConfig {
        window: 2,
        queue_capacity: 1,
        ..esme_config()
    };
    let mut esme = bound_session(config.clone(), 0);
    for token in 0..3 {
        esme.submit(token, &text_submit("4917", "x"), 0).unwrap();
    }
    assert_eq!(
        esme.submit(9, &text_submit("4917", "x"), 0),
        Err(SubmitError::QueueFull { capacity: 1 })
    );
    let mut no_queue = bound_session(
        EsmeConfig {
            queue_capacity: 0,
            ..config
        },
        0,
    );
    no_queue.submit(1, &text_submit("1", "x"), 0).unwrap();
    no_queue.submit(2, &text_submit("2", "x"), 0).unwrap();
    assert_eq!(
        no_queue.submit(3, &text_submit("3", "x"), 0),
        Err(SubmitError::WindowFull)
    );
    let too_long = text_submit("4917", &"x".repeat(255));
    assert!(matches!(
        esme.submit(10, &too_long, 0),
        Err(SubmitError::Invalid(_))
    ));
}

#[test]
fn throttled_submit_goes_first_after_the_pause() {
    let mut esme = bound_session(esme_config(), 0);
    for (token, text) in ["a", "b", "c", "d"].iter().enumerate() {
        esme.submit(token as u64, &text_submit(&format!("4917{token}"), text), 0)
            .unwrap();
    }
    let out = sent(&mut esme);
    assert_eq!(texts(&out), ["a", "b", "c", "d"]);
    esme.on_bytes(&submit_resp(out[1].seq, CommandStatus::Throttled, ""), 10);
    let evs = events(&mut esme);
    assert_eq!(
        evs,
        [EsmeEvent::Throttled {
            token: 1,
            status: CommandStatus::Throttled,
            resume_at: 260
        }]
    );
    // A later submit waits behind the throttled one, even when the window has room.
    esme.submit(4, &text_submit("49174", "e"), 20).unwrap();
    esme.on_bytes(&submit_resp(out[0].seq, CommandStatus::Ok, "A"), 30);
    assert_eq!(sent(&mut esme), []);
    assert_eq!(esme.next_deadline(), Some(260));
    esme.on_timer(259);
    assert_eq!(sent(&mut esme), []);
    esme.on_timer(260);
    assert_eq!(texts(&sent(&mut esme)), ["b", "e"]);
}

#[test]
fn msgqful_also_pauses_and_other_errors_are_final() {
    let mut esme = bound_session(esme_config(), 0);
    for token in 0..3 {
        esme.submit(token, &text_submit(&format!("4917{token}"), "x"), 0)
            .unwrap();
    }
    let out = sent(&mut esme);
    esme.on_bytes(&submit_resp(out[0].seq, CommandStatus::MsgQFul, ""), 1);
    esme.on_bytes(&submit_resp(out[1].seq, CommandStatus::InvDstAdr, ""), 1);
    esme.on_bytes(&submit_resp(out[2].seq, CommandStatus::SysErr, ""), 1);
    let evs = events(&mut esme);
    assert!(matches!(evs[0], EsmeEvent::Throttled { token: 0, .. }));
    assert_eq!(
        evs[1..],
        [
            EsmeEvent::SubmitFailed {
                token: 1,
                status: CommandStatus::InvDstAdr,
                permanent: true
            },
            EsmeEvent::SubmitFailed {
                token: 2,
                status: CommandStatus::SysErr,
                permanent: false
            }
        ]
    );
}

#[test]
fn per_destination_order_survives_throttling() {
    let mut esme = bound_session(esme_config(), 0);
    for (token, text) in ["1", "2", "3"].iter().enumerate() {
        esme.submit(token as u64, &text_submit("4917000", text), 0)
            .unwrap();
    }
    esme.submit(9, &text_submit("4917999", "other"), 0).unwrap();
    // One per destination in flight: "1" and "other".
    let out = sent(&mut esme);
    assert_eq!(texts(&out), ["1", "other"]);
    esme.on_bytes(&submit_resp(out[0].seq, CommandStatus::Throttled, ""), 1);
    esme.on_timer(1000);
    let again = sent(&mut esme);
    assert_eq!(texts(&again), ["1"]);
    esme.on_bytes(&submit_resp(again[0].seq, CommandStatus::Ok, "m1"), 1001);
    assert_eq!(texts(&sent(&mut esme)), ["2"]);
}

#[test]
fn response_timeout_resends_and_late_answers_are_ignored() {
    let mut esme = bound_session(esme_config(), 0);
    esme.submit(5, &text_submit("4917", "x"), 0).unwrap();
    let first = sent(&mut esme);
    assert_eq!(esme.next_deadline(), Some(2_000));
    esme.on_timer(2_000);
    let again = sent(&mut esme);
    // The resend and an enquire_link to probe the link.
    let ids: Vec<CommandId> = again.iter().map(|o| o.id).collect();
    assert_eq!(ids, [CommandId::EnquireLink, CommandId::SubmitSm]);
    assert_ne!(again[1].seq, first[0].seq);
    assert_eq!(
        events(&mut esme),
        [EsmeEvent::Resent {
            token: 5,
            reason: ResendReason::ResponseTimeout
        }]
    );
    esme.on_bytes(&submit_resp(first[0].seq, CommandStatus::Ok, "old"), 2_100);
    assert_eq!(events(&mut esme), []);
    assert_eq!(esme.stats().unmatched_responses, 1);
    esme.on_bytes(&submit_resp(again[1].seq, CommandStatus::Ok, "new"), 2_200);
    assert_eq!(
        events(&mut esme),
        [EsmeEvent::Submitted {
            token: 5,
            message_id: "new".into()
        }]
    );
}

#[test]
fn unanswered_submit_gives_up_after_max_attempts() {
    let config = EsmeConfig {
        max_submit_attempts: 3,
        enquire_link_interval_ms: 0,
        ..esme_config()
    };
    let mut esme = bound_session(config, 0);
    esme.submit(1, &text_submit("4917", "x"), 0).unwrap();
    let mut now = 0;
    let mut finals = Vec::new();
    for _ in 0..3 {
        now += 2_000;
        // Keep the link alive so only the submit times out.
        for out in sent(&mut esme) {
            if out.id == CommandId::EnquireLink {
                esme.on_bytes(&simple(out.seq, PduBody::EnquireLinkResp), now - 1);
            }
        }
        esme.on_timer(now);
        finals.extend(events(&mut esme));
    }
    assert_eq!(
        finals.last(),
        Some(&EsmeEvent::SubmitTimedOut {
            token: 1,
            attempts: 3
        })
    );
    assert_eq!(esme.in_flight() + esme.queued(), 0);
}

#[test]
fn silent_link_is_dropped_and_submits_survive_the_reconnect() {
    let mut esme = bound_session(esme_config(), 0);
    esme.submit(1, &text_submit("4917", "x"), 0).unwrap();
    sent(&mut esme);
    // Keep-alive: nothing received for 30 s → enquire_link (the submit timed out earlier).
    let mut now = 2_000;
    esme.on_timer(now);
    let out = sent(&mut esme);
    assert!(out.iter().any(|o| o.id == CommandId::EnquireLink));
    now += 2_000;
    esme.on_timer(now);
    let evs = events(&mut esme);
    assert!(evs.contains(&EsmeEvent::Disconnected {
        reason: DisconnectReason::EnquireLinkTimeout
    }));
    assert_eq!(esme.state(), SessionState::Disconnected);
    assert!(!esme.wants_connect(now + 99));
    assert!(esme.wants_connect(now + 100));
    esme.on_connected(now + 100);
    let bind = sent(&mut esme);
    esme.on_bytes(&bind_resp(bind[0].seq, CommandStatus::Ok), now + 101);
    let resent = sent(&mut esme);
    assert_eq!(texts(&resent), ["x"]);
    let evs = events(&mut esme);
    assert!(evs.contains(&EsmeEvent::Resent {
        token: 1,
        reason: ResendReason::ConnectionLost
    }));
}

#[test]
fn reconnect_backoff_doubles_to_its_bound_and_resets_on_bind() {
    let mut esme = EsmeSession::new(esme_config()).unwrap();
    let mut now = 0;
    let mut delays = Vec::new();
    for _ in 0..7 {
        assert!(esme.wants_connect(now));
        esme.on_connected(now);
        esme.on_disconnected(now);
        let at = esme.next_deadline().unwrap();
        assert!(!esme.wants_connect(at - 1));
        delays.push(at - now);
        now = at;
    }
    assert_eq!(delays, [100, 200, 400, 800, 1600, 1600, 1600]);
    // A bind timeout counts as a failure too; a successful bind resets the backoff.
    esme.on_connected(now);
    esme.on_timer(now + 2_000);
    assert_eq!(esme.next_deadline(), Some(now + 2_000 + 1600));
    now += 3_600;
    esme.on_connected(now);
    let bind = sent(&mut esme);
    esme.on_bytes(&bind_resp(bind[0].seq, CommandStatus::Ok), now);
    esme.on_disconnected(now);
    assert_eq!(esme.next_deadline(), Some(now + 100));
}

#[test]
fn bind_failure_is_reported_and_retried() {
    let mut esme = EsmeSession::new(esme_config()).unwrap();
    esme.on_connected(0);
    let bind = sent(&mut esme);
    esme.on_bytes(&bind_resp(bind[0].seq, CommandStatus::BindFail), 1);
    assert_eq!(
        events(&mut esme),
        [
            EsmeEvent::BindFailed {
                status: CommandStatus::BindFail
            },
            EsmeEvent::Disconnected {
                reason: DisconnectReason::BindFailed(CommandStatus::BindFail)
            }
        ]
    );
    assert!(esme.wants_connect(101));
}

#[test]
fn deliveries_wait_for_the_node_and_are_bounded() {
    let config = EsmeConfig {
        max_unacked_deliveries: 2,
        ..esme_config()
    };
    let mut esme = bound_session(config, 0);
    esme.on_bytes(&deliver(40, "hello", None), 1);
    esme.on_bytes(&deliver(41, "id:X stat:DELIVRD", Some("X")), 1);
    esme.on_bytes(&deliver(42, "third", None), 1);
    // The third is refused for now (the SMSC will retry): ESME_RX_T_APPN.
    let out = sent(&mut esme);
    assert_eq!(out.len(), 1);
    assert_eq!(
        (out[0].id, out[0].seq, out[0].status),
        (CommandId::DeliverSmResp, 42, CommandStatus::RxTAppn)
    );
    let evs = events(&mut esme);
    let EsmeEvent::MobileOriginated {
        seq, short_message, ..
    } = &evs[0]
    else {
        panic!("expected an MO, got {evs:?}");
    };
    assert_eq!(short_message, b"hello");
    assert!(matches!(evs[1], EsmeEvent::DeliveryReceipt { .. }));
    esme.ack_deliver(*seq, CommandStatus::Ok).unwrap();
    assert_eq!(
        esme.ack_deliver(*seq, CommandStatus::Ok),
        Err(AckError::Unknown(*seq))
    );
    assert_eq!(sent(&mut esme)[0].seq, 40);
    // After a reconnect an old handle cannot answer anything.
    let EsmeEvent::DeliveryReceipt { seq: old, .. } = evs[1] else {
        unreachable!()
    };
    esme.on_disconnected(2);
    assert_eq!(
        esme.ack_deliver(old, CommandStatus::Ok),
        Err(AckError::StaleConnection(old))
    );
}

#[test]
fn close_unbinds_and_hands_back_what_was_not_sent() {
    let config = EsmeConfig {
        window: 1,
        ..esme_config()
    };
    let mut esme = bound_session(config, 0);
    esme.submit(1, &text_submit("1", "x"), 0).unwrap();
    esme.submit(2, &text_submit("2", "y"), 0).unwrap();
    let submit = sent(&mut esme);
    esme.close(1);
    let unbind = sent(&mut esme);
    assert_eq!(unbind[0].id, CommandId::Unbind);
    assert_eq!(esme.state(), SessionState::Unbinding);
    assert_eq!(
        esme.submit(3, &text_submit("3", "z"), 1),
        Err(SubmitError::NotBound)
    );
    // The in-flight submit may still be answered before unbind_resp.
    esme.on_bytes(&submit_resp(submit[0].seq, CommandStatus::Ok, "m"), 2);
    esme.on_bytes(&simple(unbind[0].seq, PduBody::UnbindResp), 3);
    let evs = events(&mut esme);
    assert_eq!(
        evs.last(),
        Some(&EsmeEvent::Disconnected {
            reason: DisconnectReason::Closed
        })
    );
    assert!(!esme.wants_connect(u64::MAX));
    assert_eq!(esme.next_deadline(), None);
    assert_eq!(esme.take_unsent(), [2]);
}
