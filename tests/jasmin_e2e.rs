//! Against Jasmin 0.11.0, a real SMS gateway, as the SMSC (tests/peers/jasmin: Jasmin's SMPP
//! server in front of the npm `smpp` SMSC): an IM to a mobile user is submitted through Jasmin
//! (36-character UUID message ids), its delivery receipt comes back through Jasmin as an IMDN to
//! the sender, and the phone's reply, injected through Jasmin's HTTP API, arrives in the chat.

mod common;

use common::*;
use std::process::Command;
use std::time::Duration;

struct Jasmin;

impl Drop for Jasmin {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(repo_root().join("tests/peers/jasmin/stop.sh"))
            .status();
    }
}

#[test]
fn jasmin_as_the_smsc_submit_receipt_imdn_and_reply() {
    let dir = repo_root().join("tests/peers/jasmin");
    if !dir.join("venv/bin/jasmind.py").exists() && !dir.join("venv/bin/python").exists() {
        assert!(
            std::env::var("SMARTCHAT_REQUIRE_PEERS").is_err(),
            "Jasmin is not installed (tests/peers/jasmin/install.sh)"
        );
        eprintln!("SKIPPED: Jasmin not installed (tests/peers/jasmin/install.sh)");
        return;
    }
    let smpp_port = free_port();
    let start = Command::new("bash")
        .arg(dir.join("start.sh"))
        .arg(smpp_port.to_string())
        .arg(free_port().to_string())
        .output()
        .expect("start Jasmin");
    let _jasmin = Jasmin;
    assert!(
        start.status.success(),
        "Jasmin did not start:\n{}\n{}",
        String::from_utf8_lossy(&start.stdout),
        String::from_utf8_lossy(&start.stderr)
    );

    let smsc = format!("127.0.0.1:{smpp_port}");
    let demo = demo_subscribers();
    let server = Server::start(
        "jasmin",
        &[
            "--no-auth",
            "--shards",
            "2",
            "--smsc",
            &smsc,
            "--subscribers",
            &demo,
        ],
    );
    std::thread::sleep(Duration::from_secs(1));

    // user00001's client expects the IMDN, then the reply.
    let port = free_port();
    let trace =
        std::env::temp_dir().join(format!("smartchat-jasmin-imdn-{}.log", std::process::id()));
    let imdn_client = uas(port, "imdn_uas.xml", 1, &trace);
    std::thread::sleep(Duration::from_millis(300));
    let reg = user_csv(
        "jasmin",
        "user00001;user00002;example.com;
",
    );
    register_contact(&server, &reg, "u1", port, 300, 1);
    let out = sipp(
        &[
            &server.sip_addr(),
            "-sf",
            &scenario("message_imdn.xml"),
            "-inf",
            &csv("pair.csv"),
            "-m",
            "1",
        ],
        10,
    );
    assert_sipp_ok(
        "MESSAGE (IMDN requested) to a mobile user, via Jasmin",
        &out,
        &server,
    );
    let out = wait_child(imdn_client, Duration::from_secs(40));
    assert_sipp_ok(
        "the receipt through Jasmin came back as an IMDN 'delivered'",
        &out,
        &server,
    );

    // The phone answers the conversation number (access number + extension 01).
    let reply_trace =
        std::env::temp_dir().join(format!("smartchat-jasmin-mo-{}.log", std::process::id()));
    let client = uas(port, "message_uas.xml", 1, &reply_trace);
    std::thread::sleep(Duration::from_millis(300));
    let inject = Command::new("bash")
        .arg(dir.join("inject_mo.sh"))
        .args(["8613900000002", "1065901", "see you at eight"])
        .output()
        .expect("inject MO");
    assert!(
        inject.status.success(),
        "{}",
        String::from_utf8_lossy(&inject.stdout)
    );
    let out = wait_child(client, Duration::from_secs(40));
    assert_sipp_ok(
        "the phone's reply through Jasmin reached the chat",
        &out,
        &server,
    );
    let seen = std::fs::read_to_string(&reply_trace).unwrap_or_default();
    assert!(seen.contains("see you at eight"), "{seen}");
    assert!(
        server.log_text().contains("bound to the SMSC"),
        "bound to Jasmin"
    );
}
