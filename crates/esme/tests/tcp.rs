//! The ESME session and the threaded SMSC simulator over real loopback TCP (127.0.0.1 only).

mod common;

use std::io::Read;
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use common::tcp::TcpDriver;
use common::{esme_config, final_token, text_submit};
use smartchat_esme::{EsmeConfig, EsmeEvent, SmscConfig, SmscServer};

fn loopback() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

fn count(events: &[EsmeEvent], pred: impl Fn(&EsmeEvent) -> bool) -> usize {
    events.iter().filter(|e| pred(e)).count()
}

#[test]
fn esme_talks_to_the_server_over_tcp() {
    let mut server = SmscServer::start(
        loopback(),
        SmscConfig {
            receipt_delay_ms: 10,
            ..SmscConfig::default()
        },
    )
    .unwrap();
    let mut driver = TcpDriver::new(esme_config(), server.local_addr());
    for i in 0..100u64 {
        driver
            .esme
            .submit(
                i,
                &text_submit(&format!("49151{i:07}"), &format!("tcp {i}")),
                0,
            )
            .unwrap();
    }
    let all = driver.run_until(Duration::from_secs(20), |evs| {
        count(evs, |e| matches!(e, EsmeEvent::Submitted { .. })) == 100
            && count(evs, |e| matches!(e, EsmeEvent::DeliveryReceipt { .. })) == 100
    });
    assert!(
        all,
        "events: {:?}",
        &driver.events[..driver.events.len().min(10)]
    );
    assert_eq!(driver.events.iter().filter_map(final_token).count(), 100);

    server
        .inject_mo("491511234567", "4000123", "reply over tcp")
        .unwrap();
    let mo = driver.run_until(Duration::from_secs(10), |evs| {
        evs.iter().any(|e| {
            matches!(e,
            EsmeEvent::MobileOriginated { short_message, .. } if short_message == b"reply over tcp")
        })
    });
    assert!(mo);
    let submits = server.submits();
    assert_eq!(submits.len(), 100);
    assert_eq!(submits[42].text.as_deref(), Some("tcp 42"));
    let counters = server.counters();
    assert_eq!(
        (counters.binds, counters.receipts_sent, counters.mo_sent),
        (1, 100, 1)
    );
    // Stopping with the ESME still connected closes the connection and joins every thread.
    server.stop();
    let gone = driver.run_until(Duration::from_secs(5), |evs| {
        evs.iter()
            .any(|e| matches!(e, EsmeEvent::Disconnected { .. }))
    });
    assert!(gone);
}

#[test]
fn throttling_over_tcp_keeps_order() {
    let server = SmscServer::start(
        loopback(),
        SmscConfig {
            throttle_every: 3,
            ..SmscConfig::default()
        },
    )
    .unwrap();
    let config = EsmeConfig {
        throttle_pause_ms: 20,
        ..esme_config()
    };
    let mut driver = TcpDriver::new(config, server.local_addr());
    let texts: Vec<String> = (0..30).map(|i| format!("in order {i:02}")).collect();
    for (i, text) in texts.iter().enumerate() {
        driver
            .esme
            .submit(i as u64, &text_submit("491700000001", text), 0)
            .unwrap();
    }
    assert!(driver.run_until(Duration::from_secs(20), |evs| {
        evs.iter().filter_map(final_token).count() == 30
    }));
    assert_eq!(
        count(&driver.events, |e| matches!(e, EsmeEvent::Submitted { .. })),
        30
    );
    let recorded: Vec<String> = server
        .submits()
        .into_iter()
        .filter_map(|r| r.text)
        .collect();
    assert_eq!(recorded, texts);
    // 44 attempts: every 3rd of them (14) throttled, 30 accepted.
    assert_eq!(server.counters().throttled, 14);
}

#[test]
fn connections_beyond_the_bound_are_refused() {
    let server = SmscServer::start(
        loopback(),
        SmscConfig {
            max_connections: 1,
            ..SmscConfig::default()
        },
    )
    .unwrap();
    let _first = TcpStream::connect(server.local_addr()).unwrap();
    std::thread::sleep(Duration::from_millis(50));
    let mut second = TcpStream::connect(server.local_addr()).unwrap();
    second
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut buf = [0u8; 16];
    assert_eq!(
        second.read(&mut buf).unwrap_or(0),
        0,
        "the second is closed"
    );
    assert_eq!(server.counters().connections_refused, 1);
}
