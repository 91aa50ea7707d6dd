//! Against third-party SMPP implementations, on 127.0.0.1 only:
//! - the PyPI package `smpplib` 2.2.4 as an ESME (`peers/esme_client.py`) against our
//!   [`SmscServer`]: binds, submits with registered_delivery, expects a submit_sm_resp and a
//!   receipt for each and an MO for every "echo ..." text;
//! - the npm package `smpp` 0.5.1 as an SMSC (`peers/smsc_sim.js`) against our ESME session:
//!   ids and receipts, and with THROTTLE_EVERY=3 every message once and in order.
//!
//! The peers are installed by `.ci/run` (tests/peers/package.json, requirements.txt); node
//! finds its modules through `SMARTCHAT_NODE_MODULES` (default: tests/peers/node_modules of the
//! workspace). When a peer is missing the test is skipped with a loud message — or fails, when
//! `SMARTCHAT_REQUIRE_PEERS=1`.

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::tcp::TcpDriver;
use common::{esme_config, final_token, text_submit};
use smartchat_esme::{EsmeConfig, EsmeEvent, SmscConfig, SmscServer};
use smartchat_smpp::MessageState;

fn peers_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/peers")
}

fn node_modules() -> PathBuf {
    std::env::var_os("SMARTCHAT_NODE_MODULES").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/peers/node_modules"),
        PathBuf::from,
    )
}

/// Skips loudly (or fails under SMARTCHAT_REQUIRE_PEERS=1). Returns `false` to the caller.
fn skip(why: &str) -> bool {
    let banner = format!(
        "\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\
         !!! SKIPPED third-party SMPP peer test: {why}\n\
         !!! install the peers with: bash .ci/run (tests/peers/)\n\
         !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n"
    );
    assert!(
        std::env::var("SMARTCHAT_REQUIRE_PEERS").as_deref() != Ok("1"),
        "{banner}"
    );
    eprintln!("{banner}");
    false
}

fn runs(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Waits for `child` at most `limit`, killing it (by its own handle) past that.
fn wait_bounded(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

#[test]
fn smpplib_esme_against_our_simulator() {
    if !runs("python3", &["-c", "import smpplib"]) {
        skip("python3 with smpplib 2.2.4 not found");
        return;
    }
    let server = SmscServer::start(
        "127.0.0.1:0".parse().unwrap(),
        SmscConfig {
            echo_mo: true,
            receipt_delay_ms: 50,
            ..SmscConfig::default()
        },
    )
    .unwrap();
    let port = server.local_addr().port().to_string();
    let script = peers_dir().join("esme_client.py");
    let mut child = Command::new("python3")
        .arg(&script)
        .args([
            "--host",
            "127.0.0.1",
            "--port",
            &port,
            "-n",
            "20",
            "--timeout",
            "20",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 starts");
    let status = wait_bounded(&mut child, Duration::from_secs(60));
    let output = child.wait_with_output().expect("output");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        status.is_some_and(|s| s.success()),
        "esme_client.py failed ({status:?})\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(stdout.contains("ok=True"), "{stdout}");
    let counters = server.counters();
    assert_eq!(counters.submits_accepted, 20);
    assert_eq!(counters.receipts_sent, 20);
    assert_eq!(counters.mo_sent, 4, "echo every 5th of 20");
    assert_eq!(counters.unbinds, 1);
    assert!(server
        .submits()
        .iter()
        .any(|r| r.text.as_deref() == Some("echo 5")));
}

/// The node `smpp` SMSC (`smsc_sim.js`), killed when dropped.
struct NodeSmsc {
    child: Child,
    port: u16,
    lines: mpsc::Receiver<String>,
}

impl NodeSmsc {
    fn start(throttle_every: u32) -> Option<NodeSmsc> {
        if !runs("node", &["--version"]) {
            skip("node not found");
            return None;
        }
        let modules = node_modules();
        if !modules.join("smpp").is_dir() {
            skip(&format!(
                "npm package smpp@0.5.1 not in {}",
                modules.display()
            ));
            return None;
        }
        // A free port: bind, read, release (the race with other processes is tolerable).
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let mut child = Command::new("node")
            .arg(peers_dir().join("smsc_sim.js"))
            .env("NODE_PATH", &modules)
            .env("HOST", "127.0.0.1")
            .env("PORT", port.to_string())
            .env("SECONDS", "60")
            .env("DLR_DELAY_MS", "20")
            .env("THROTTLE_EVERY", throttle_every.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node starts");
        let stdout = child.stdout.take().expect("piped");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let listening = rx
            .recv_timeout(Duration::from_secs(15))
            .is_ok_and(|line| line.contains("listening"));
        assert!(listening, "smsc_sim.js did not start");
        Some(NodeSmsc {
            child,
            port,
            lines: rx,
        })
    }
}

impl NodeSmsc {
    /// Stops it with SIGTERM (to its own PID) and returns the counters line it prints.
    fn stop_with_stats(&mut self) -> String {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let _ = wait_bounded(&mut self.child, Duration::from_secs(5));
        self.lines
            .iter()
            .find(|line| line.starts_with("smsc_sim stats"))
            .unwrap_or_default()
    }
}

impl Drop for NodeSmsc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `texts` through our ESME against smsc_sim.js; returns token → message id, the
/// receipts' ids and the MO texts.
fn run_against_node(
    sim: &NodeSmsc,
    config: EsmeConfig,
    texts: &[String],
    dest: impl Fn(usize) -> String,
) -> (HashMap<u64, String>, Vec<String>, Vec<String>) {
    let addr = format!("127.0.0.1:{}", sim.port).parse().unwrap();
    let mut driver = TcpDriver::new(config, addr);
    for (i, text) in texts.iter().enumerate() {
        driver
            .esme
            .submit(i as u64, &text_submit(&dest(i), text), 0)
            .unwrap();
    }
    let echoes = texts.iter().filter(|t| t.starts_with("echo ")).count();
    let n = texts.len();
    let done = driver.run_until(Duration::from_secs(15), |evs| {
        let receipts = evs
            .iter()
            .filter(|e| matches!(e, EsmeEvent::DeliveryReceipt { .. }))
            .count();
        let mos = evs
            .iter()
            .filter(|e| matches!(e, EsmeEvent::MobileOriginated { .. }))
            .count();
        evs.iter().filter_map(final_token).count() == n && receipts == n && mos == echoes
    });
    assert!(done, "incomplete: {:?}", driver.events);
    let mut ids = HashMap::new();
    let mut receipts = Vec::new();
    let mut mos = Vec::new();
    for event in &driver.events {
        match event {
            EsmeEvent::Submitted { token, message_id } => {
                assert!(
                    ids.insert(*token, message_id.clone()).is_none(),
                    "token {token} twice"
                );
            }
            EsmeEvent::DeliveryReceipt {
                receipted_message_id,
                message_state,
                ..
            } => {
                assert_eq!(*message_state, Some(MessageState::Delivered));
                receipts.push(receipted_message_id.clone());
            }
            EsmeEvent::MobileOriginated { short_message, .. } => {
                mos.push(String::from_utf8_lossy(short_message).into_owned());
            }
            EsmeEvent::SubmitFailed { .. } | EsmeEvent::SubmitTimedOut { .. } => {
                panic!("unexpected {event:?}");
            }
            _ => {}
        }
    }
    driver.esme.close(driver.now());
    driver.run_until(Duration::from_secs(2), |evs| {
        matches!(evs.last(), Some(EsmeEvent::Disconnected { .. }))
    });
    (ids, receipts, mos)
}

#[test]
fn our_esme_against_node_smpp_smsc() {
    let Some(sim) = NodeSmsc::start(0) else {
        return;
    };
    let texts: Vec<String> = (0..20)
        .map(|i| {
            if i % 5 == 0 {
                format!("echo {i}")
            } else {
                format!("hello {i}")
            }
        })
        .collect();
    let (ids, mut receipts, mut mos) =
        run_against_node(&sim, esme_config(), &texts, |i| format!("49151{i:07}"));
    assert_eq!(ids.len(), 20);
    let mut expected: Vec<String> = ids.into_values().collect();
    expected.sort();
    receipts.sort();
    assert_eq!(receipts, expected);
    mos.sort();
    assert_eq!(
        mos,
        ["MO reply: 0", "MO reply: 10", "MO reply: 15", "MO reply: 5"]
    );
}

#[test]
fn our_esme_against_throttling_node_smsc_keeps_order() {
    let Some(mut sim) = NodeSmsc::start(3) else {
        return;
    };
    let config = EsmeConfig {
        throttle_pause_ms: 20,
        ..esme_config()
    };
    let texts: Vec<String> = (0..30).map(|i| format!("ordered {i:02}")).collect();
    let (ids, receipts, _) = run_against_node(&sim, config, &texts, |_| "491700000001".into());
    assert_eq!(ids.len(), 30);
    assert_eq!(receipts.len(), 30);
    // smsc_sim.js numbers accepted messages in hex, in acceptance order.
    let numbers: Vec<u64> = (0..30u64)
        .map(|token| u64::from_str_radix(&ids[&token], 16).expect("hex id"))
        .collect();
    assert!(
        numbers.windows(2).all(|w| w[0] < w[1]),
        "accepted out of order: {numbers:?}"
    );
    // 44 submit_sm seen: every 3rd (14) throttled.
    let stats = sim.stop_with_stats();
    assert!(stats.contains("\"throttled\":14"), "{stats}");
    assert!(stats.contains("\"dlr_sent\":30"), "{stats}");
}
