//! Crash test (claim C8, "nothing acknowledged is ever lost"): under steady MESSAGE load to
//! mobile users, `kill -9` the node, restart it on the same data directory, and count at a
//! third-party SMSC (the npm `smpp` server) that every MESSAGE answered 202 was submitted.
//! A resubmission may only happen where the SMSC never answered, and the node reports it.

mod common;

use common::*;
use std::time::Duration;

fn successful_calls(sipp_stdout: &str) -> u64 {
    // The final statistics screen: "Successful call | <periodic> | <cumulative>".
    sipp_stdout
        .lines()
        .filter(|l| l.trim_start().starts_with("Successful call"))
        .filter_map(|l| l.rsplit('|').next().and_then(|v| v.trim().parse().ok()))
        .next_back()
        .unwrap_or(0)
}

#[test]
fn kill_9_under_load_loses_no_accepted_message() {
    let root = repo_root();
    let smsc_port = free_port();
    let Some(smsc) = node_smsc(smsc_port, 0, 120, 20) else {
        return;
    };
    let smsc_addr = format!("127.0.0.1:{smsc_port}");
    let config = std::env::temp_dir().join(format!("smartchat-crash-{}.toml", std::process::id()));
    std::fs::write(&config, "[sms]\nrecipient_per_minute = 100000\nrecipient_burst = 100000\nsender_per_minute = 100000\nsender_burst = 100000\n").unwrap();
    let config = config.display().to_string();
    let demo = demo_subscribers();
    let args = [
        "--no-auth",
        "--shards",
        "2",
        "--smsc",
        &smsc_addr,
        "--subscribers",
        &demo,
        "--config",
        &config,
    ];
    let mut server = Server::start("crash", &args);
    std::thread::sleep(Duration::from_millis(500));

    // 600 MESSAGEs at 100/s from the peers' users.csv (user N → user N+1, all mobile).
    let users = root.join("tests/sip/users.csv").display().to_string();
    let load = sipp_command(
        &[
            &server.sip_addr(),
            "-sf",
            &scenario("message_uac.xml"),
            "-inf",
            &users,
            "-m",
            "600",
            "-r",
            "100",
            "-recv_timeout",
            "4000",
        ],
        20,
    )
    .spawn()
    .expect("sipp load");
    std::thread::sleep(Duration::from_millis(2500));
    server.child.kill().expect("kill -9");
    let _ = server.child.wait();
    let out = wait_child(load, Duration::from_secs(30));
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let accepted = successful_calls(&stdout);
    assert!(
        accepted > 50,
        "some MESSAGEs were accepted before the crash: {accepted}\n{}",
        tail(&stdout, 2000)
    );

    // Restart on the same data directory: recovery resubmits what the SMSC never answered.
    let data = server.data.clone();
    let log = server.log.clone();
    let sip_port = server.sip_port;
    let http_port = free_port();
    std::mem::forget(server);
    let restarted = Server::start_on("crash2", &args, sip_port, http_port, data, log);
    std::thread::sleep(Duration::from_secs(5));
    let log_text = restarted.log_text();
    let resubmitted = log_text.matches("resubmitting").count() as u64;
    let stats = node_smsc_stats(smsc);
    let submitted = stat(&stats, "submit_sm") - stat(&stats, "throttled");
    assert!(
        submitted >= accepted,
        "every 202 must reach the SMSC: accepted {accepted}, submitted {submitted}, stats {stats}\n{}",
        tail(&log_text, 3000)
    );
    assert!(
        submitted <= 600 + resubmitted,
        "no duplicates beyond reported resubmissions: {submitted} > 600 + {resubmitted}"
    );
    eprintln!("crash test: accepted {accepted}, submitted {submitted}, reported resubmissions {resubmitted}");
}
