//! End-to-end store-and-forward tests (claims C3, C8, C9): real sipp user agents on the SIP side;
//! on the SMPP side the built-in SMSC simulator (inspected through the admin endpoint) and a
//! third-party SMSC, the npm `smpp` library's server (crates/esme/tests/peers/smsc_sim.js).

mod common;

use common::*;
use std::time::{Duration, Instant};

fn submits(server: &Server) -> Vec<Vec<String>> {
    let (status, body) = server.http("GET", "/simulator/submits", "").unwrap();
    assert_eq!(status, 200, "{body}");
    body.lines()
        .skip(1)
        .map(|l| l.splitn(6, ',').map(str::to_owned).collect())
        .collect()
}

fn wait_for<T>(what: &str, server: &Server, mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        if let Some(v) = probe() {
            return v;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!(
        "timed out waiting for {what}\nserver log:\n{}",
        tail(&server.log_text(), 4000)
    );
}

#[test]
fn im_to_mobile_user_becomes_an_sms_naming_the_sender() {
    let server = Server::start("sms-mt", &["--no-auth", "--shards", "2"]);
    // user00002 is offline, has the service and an MSISDN: mobile. message_uac accepts 202.
    let out = sipp(
        &[
            &server.sip_addr(),
            "-sf",
            &scenario("message_uac.xml"),
            "-inf",
            &csv("pair.csv"),
            "-m",
            "1",
        ],
        10,
    );
    assert_sipp_ok("MESSAGE to a mobile user", &out, &server);
    let submit = wait_for("the submit_sm", &server, || {
        submits(&server).into_iter().next()
    });
    // message_id,source,dest,data_coding,esm_class,text
    assert_eq!(
        submit[2], "8613900000002",
        "to the recipient's MSISDN: {submit:?}"
    );
    assert!(
        submit[1].starts_with("10659") && submit[1].len() == 7,
        "access number + 2-digit extension: {submit:?}"
    );
    assert_eq!(submit[3], "0", "GSM 7-bit for ASCII text: {submit:?}");
    assert!(
        submit[5].starts_with("user00001: Hello user00002"),
        "names the IM sender: {submit:?}"
    );
    let (_, presence) = server
        .http("GET", "/presence/sip:user00002@example.com", "")
        .unwrap();
    assert!(presence.contains("mobile"), "{presence}");
}

#[test]
fn sms_reply_reaches_the_chat_by_extension_by_at_user_and_by_last_correspondent() {
    let server = Server::start("sms-mo", &["--no-auth", "--shards", "2"]);
    // 1. user00001 → user00002 (mobile): an SMS from 10659NN.
    let out = sipp(
        &[
            &server.sip_addr(),
            "-sf",
            &scenario("message_uac.xml"),
            "-inf",
            &csv("pair.csv"),
            "-m",
            "1",
        ],
        10,
    );
    assert_sipp_ok("MESSAGE to a mobile user", &out, &server);
    let submit = wait_for("the submit_sm", &server, || {
        submits(&server).into_iter().next()
    });
    let conversation_number = submit[1].clone();

    // 2. user00001 comes online with a client on a free port.
    let dir = std::env::temp_dir().join(format!("smartchat-mo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let port = free_port();
    let reg = user_csv("mo-reg", "user00001;user00002;example.com;\n");
    for (round, (to, text)) in [
        (conversation_number.as_str(), "reply by extension"),
        ("10659", "@user00001 reply by at-user"),
        ("10659", "reply to last correspondent"),
    ]
    .into_iter()
    .enumerate()
    {
        let trace = dir.join(format!("uas-{round}.log"));
        let _ = std::fs::remove_file(&trace);
        let client = uas(port, "message_uas.xml", 1, &trace);
        std::thread::sleep(Duration::from_millis(300));
        register_contact(&server, &reg, "u1", port, 300, 1);
        let path = format!("/simulator/mo?from=%2B8613900000002&to={to}");
        let (status, body) = server.http("POST", &path, text).unwrap();
        assert_eq!(status, 200, "{body}");
        let out = wait_child(client, Duration::from_secs(20));
        assert_sipp_ok(
            &format!("IM client got the SMS reply ({text})"),
            &out,
            &server,
        );
        let seen = std::fs::read_to_string(&trace).unwrap_or_default();
        let expected = text.trim_start_matches("@user00001 ");
        assert!(
            seen.contains(expected),
            "round {round}: {expected:?} not in\n{seen}"
        );
        assert!(
            seen.contains("From: <sip:user00002@example.com>"),
            "the phone owner is the IM sender:\n{seen}"
        );
    }

    // 3. An SMS from a phone with no conversation and no @user: a help SMS goes back.
    let (status, _) = server
        .http(
            "POST",
            "/simulator/mo?from=%2B8613900000777&to=10659",
            "hello?",
        )
        .unwrap();
    assert_eq!(status, 200);
    wait_for("an answer SMS to the unknown phone", &server, || {
        submits(&server)
            .into_iter()
            .find(|s| s[2] == "8613900000777")
    });
}

#[test]
fn im_for_offline_user_without_service_is_held_and_delivered_on_register() {
    let server = Server::start("sms-held", &["--no-auth", "--shards", "2"]);
    let (status, body) = server
        .http(
            "POST",
            "/subscribers",
            "sip:nosvc@example.com,,off,pw,sip:user00001@example.com\n",
        )
        .unwrap();
    assert_eq!(status, 200, "{body}");
    let sender = user_csv("held", "user00001;nosvc;example.com;\n");
    let out = sipp(
        &[
            &server.sip_addr(),
            "-sf",
            &scenario("message_uac.xml"),
            "-inf",
            &sender,
            "-m",
            "1",
        ],
        10,
    );
    assert_sipp_ok(
        "MESSAGE to an offline user without the service (202, held)",
        &out,
        &server,
    );
    assert!(submits(&server).is_empty(), "no SMS without the service");
    let port = free_port();
    let trace = std::env::temp_dir().join(format!("smartchat-held-{}.log", std::process::id()));
    let client = uas(port, "message_uas.xml", 1, &trace);
    std::thread::sleep(Duration::from_millis(300));
    let reg = user_csv("held-reg", "nosvc;user00001;example.com;\n");
    register_contact(&server, &reg, "u1", port, 300, 1);
    let out = wait_child(client, Duration::from_secs(20));
    assert_sipp_ok("the held IM arrives after REGISTER", &out, &server);
    let seen = std::fs::read_to_string(&trace).unwrap_or_default();
    assert!(seen.contains("Hello nosvc, this is user00001"), "{seen}");
}

#[test]
fn delivery_receipt_becomes_an_imdn_to_the_sender() {
    let server = Server::start("sms-imdn", &["--no-auth", "--shards", "2"]);
    let port = free_port();
    let trace = std::env::temp_dir().join(format!("smartchat-imdn-{}.log", std::process::id()));
    let client = uas(port, "imdn_uas.xml", 1, &trace);
    std::thread::sleep(Duration::from_millis(300));
    let reg = user_csv("imdn-reg", "user00001;user00002;example.com;\n");
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
    assert_sipp_ok("MESSAGE asking for IMDN to a mobile user", &out, &server);
    let out = wait_child(client, Duration::from_secs(20));
    assert_sipp_ok(
        "the sender's client got an IMDN saying delivered",
        &out,
        &server,
    );
    let submit = wait_for("the submit_sm", &server, || {
        submits(&server).into_iter().next()
    });
    assert!(
        submit[5].contains("Please confirm"),
        "the CPIM envelope is unwrapped: {submit:?}"
    );
}

#[test]
fn third_party_smsc_gets_the_sms_and_its_mo_reply_reaches_the_chat() {
    let smsc_port = free_port();
    let Some(smsc) = node_smsc(smsc_port, 0, 60, 50) else {
        return;
    };
    let smsc_addr = format!("127.0.0.1:{smsc_port}");
    // smsc_sim.js echoes texts that *start* with "echo ": send the IM text alone.
    let config = std::env::temp_dir().join(format!("smartchat-node-{}.toml", std::process::id()));
    std::fs::write(&config, "[sms]\ntemplate = \"{text}\"\n").unwrap();
    let config = config.display().to_string();
    let server = Server::start(
        "sms-node",
        &[
            "--no-auth",
            "--shards",
            "2",
            "--smsc",
            &smsc_addr,
            "--subscribers",
            &demo_subscribers(),
            "--config",
            &config,
        ],
    );
    // user00001 is online; user00002 is mobile. smsc_sim.js answers "echo X" with an MO from
    // the phone to our source address (the conversation number): "MO reply: X".
    let port = free_port();
    let trace = std::env::temp_dir().join(format!("smartchat-node-{}.log", std::process::id()));
    let client = uas(port, "message_uas.xml", 1, &trace);
    std::thread::sleep(Duration::from_millis(300));
    let reg = user_csv("node-reg", "user00001;user00002;example.com;\n");
    register_contact(&server, &reg, "u1", port, 300, 1);
    // Wait until both shards are bound.
    std::thread::sleep(Duration::from_millis(500));
    let echo = user_csv("node-echo", "user00001;user00002;example.com;\n");
    let out = sipp(
        &[
            &server.sip_addr(),
            "-sf",
            &scenario("message_echo.xml"),
            "-inf",
            &echo,
            "-m",
            "1",
        ],
        10,
    );
    assert_sipp_ok("MESSAGE 'echo ...' to a mobile user", &out, &server);
    let out = wait_child(client, Duration::from_secs(20));
    assert_sipp_ok("the phone's reply arrived in the chat", &out, &server);
    let seen = std::fs::read_to_string(&trace).unwrap_or_default();
    assert!(seen.contains("MO reply:"), "{seen}");
    let stats = node_smsc_stats(smsc);
    assert!(
        stat(&stats, "submit_sm") >= 1
            && stat(&stats, "dlr_sent") >= 1
            && stat(&stats, "mo_sent") >= 1,
        "{stats}"
    );
}

#[test]
fn throttling_smsc_every_third_submit_still_gets_every_message_once() {
    let smsc_port = free_port();
    let Some(smsc) = node_smsc(smsc_port, 3, 60, 50) else {
        return;
    };
    let smsc_addr = format!("127.0.0.1:{smsc_port}");
    let server = Server::start(
        "sms-throttle",
        &[
            "--no-auth",
            "--shards",
            "1",
            "--smsc",
            &smsc_addr,
            "--subscribers",
            &demo_subscribers(),
        ],
    );
    std::thread::sleep(Duration::from_millis(500));
    // Ten different senders to ten different mobile users (stays under per-user SMS limits).
    let rows: String = (1..=10)
        .map(|i| format!("user{:05};user{:05};example.com;\n", 100 + i, 200 + i))
        .collect();
    let csv = user_csv("throttle", &rows);
    let out = sipp(
        &[
            &server.sip_addr(),
            "-sf",
            &scenario("message_uac.xml"),
            "-inf",
            &csv,
            "-m",
            "10",
            "-r",
            "20",
        ],
        20,
    );
    assert_sipp_ok("ten MESSAGEs to mobile users", &out, &server);
    std::thread::sleep(Duration::from_secs(4));
    let stats = node_smsc_stats(smsc);
    let (submits, throttled) = (stat(&stats, "submit_sm"), stat(&stats, "throttled"));
    assert!(throttled >= 3, "the SMSC throttled: {stats}");
    assert_eq!(
        submits - throttled,
        10,
        "every message accepted exactly once: {stats}"
    );
}

/// Online delivery fails (the client answers 480): the user has the service and an MSISDN, so
/// the IM falls back to SMS and the sender gets 202 — at once, or, with `sms.fallback_delay_ms`,
/// after the delay and a fresh look at presence (here the user de-registers meanwhile, so the
/// delayed fallback finds them *mobile* and sends the SMS without a second online attempt).
#[test]
fn failed_online_delivery_falls_back_to_sms() {
    for (name, delay) in [("fallback-now", 0u64), ("fallback-delayed", 1500)] {
        let config =
            std::env::temp_dir().join(format!("smartchat-{name}-{}.toml", std::process::id()));
        std::fs::write(&config, format!("[sms]\nfallback_delay_ms = {delay}\n")).unwrap();
        let config = config.display().to_string();
        let server = Server::start(name, &["--no-auth", "--shards", "2", "--config", &config]);
        let port = free_port();
        let trace =
            std::env::temp_dir().join(format!("smartchat-{name}-{}.log", std::process::id()));
        let client = uas(port, "message_uas_480.xml", 1, &trace);
        std::thread::sleep(Duration::from_millis(300));
        let reg = user_csv(name, "user00002;user00001;example.com;\n");
        register_contact(&server, &reg, "u1", port, 300, 1);
        let started = Instant::now();
        let sender = sipp_command(
            &[
                &server.sip_addr(),
                "-sf",
                &scenario("message_uac.xml"),
                "-inf",
                &csv("pair.csv"),
                "-m",
                "1",
            ],
            15,
        )
        .spawn()
        .expect("sipp");
        let out = wait_child(client, Duration::from_secs(20));
        assert_sipp_ok(
            &format!("{name}: the IM client was tried first"),
            &out,
            &server,
        );
        if delay > 0 {
            // De-REGISTER during the fallback delay.
            register_contact(&server, &reg, "u1", port, 0, 2);
        }
        let out = wait_child(sender, Duration::from_secs(20));
        assert_sipp_ok(
            &format!("{name}: MESSAGE whose online delivery fails → 202 via SMS"),
            &out,
            &server,
        );
        assert!(
            started.elapsed() >= Duration::from_millis(delay),
            "{name}: the fallback waited"
        );
        let submit = wait_for("the fallback submit_sm", &server, || {
            submits(&server).into_iter().next()
        });
        assert_eq!(submit[2], "8613900000002", "{name}: {submit:?}");
    }
}

/// A long non-GSM text becomes UCS-2 (data_coding 8) concatenated parts with a UDH
/// (esm_class 0x40), all to the recipient's MSISDN.
#[test]
fn long_chinese_im_becomes_concatenated_ucs2_sms() {
    let server = Server::start("sms-ucs2", &["--no-auth", "--shards", "2"]);
    let out = sipp(
        &[
            &server.sip_addr(),
            "-sf",
            &scenario("message_ucs2_long.xml"),
            "-inf",
            &csv("pair.csv"),
            "-m",
            "1",
        ],
        10,
    );
    assert_sipp_ok("long UCS-2 MESSAGE to a mobile user", &out, &server);
    let parts = wait_for("every part", &server, || {
        let all = submits(&server);
        (all.len() >= 2).then_some(all)
    });
    for part in &parts {
        assert_eq!(part[2], "8613900000002", "{part:?}");
        assert_eq!(part[3], "8", "UCS-2: {part:?}");
        assert_eq!(part[4], "64", "UDHI set: {part:?}");
    }
    let text: String = parts.iter().map(|p| p[5].clone()).collect();
    assert!(text.contains("你好"), "{text}");
}

#[test]
fn a_node_with_a_real_smsc_never_loads_the_demo_set() {
    let smsc_port = free_port();
    let Some(smsc) = node_smsc(smsc_port, 0, 30, 50) else {
        return;
    };
    let smsc_addr = format!("127.0.0.1:{smsc_port}");
    let server = Server::start(
        "sms-nodemo",
        &["--no-auth", "--shards", "1", "--smsc", &smsc_addr],
    );
    let (status, body) = server.http("GET", "/subscribers", "").unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(
        !body.contains("user00001@example.com") && !body.contains("alice@"),
        "no demo users on a node with --smsc: {body}"
    );
    let (status, _) = server
        .http("GET", "/presence/sip:user00002@example.com", "")
        .unwrap();
    assert_eq!(status, 404, "user00002 unknown without the demo set");
    drop(server);
    let _ = node_smsc_stats(smsc);

    // The out-of-the-box run (built-in simulator) still has them.
    let server = Server::start("sms-demo", &["--no-auth", "--shards", "1"]);
    let (status, body) = server.http("GET", "/subscribers", "").unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("user00001@example.com"), "{body}");
}
