//! The WAL under sustained SMS traffic with a small disk bound: it checkpoints the relay's live
//! state, reclaims segments, never exceeds its bound — and a conversation assigned before all
//! that (and before a restart) still routes the phone's reply to the right chat.

mod common;

use common::*;
use std::time::Duration;

fn wal_segments(data: &std::path::Path) -> usize {
    let mut n = 0;
    for shard in std::fs::read_dir(data.join("store"))
        .into_iter()
        .flatten()
        .flatten()
    {
        if let Ok(entries) = std::fs::read_dir(shard.path().join("wal")) {
            n += entries
                .flatten()
                .filter(|e| e.file_name().to_string_lossy().ends_with(".seg"))
                .count();
        }
    }
    n
}

#[test]
fn checkpoints_bound_the_wal_and_conversations_survive_reclaim_and_restart() {
    let config = std::env::temp_dir().join(format!("smartchat-wal-{}.toml", std::process::id()));
    std::fs::write(
        &config,
        "[wal]\nsegment_mib = 1\nmax_segments = 12\n\n[sms]\nrecipient_per_minute = 100000\nrecipient_burst = 100000\nsender_per_minute = 100000\nsender_burst = 100000\n",
    )
    .unwrap();
    let config = config.display().to_string();
    let args = ["--no-auth", "--shards", "1", "--config", &config];
    let mut server = Server::start("wal", &args);
    // 1500 IMs to mobile users (user N → user N+1): the first one gives +8613900000002 the
    // conversation number 1065901 for user00001.
    let users = repo_root()
        .join("tests/sip/users.csv")
        .display()
        .to_string();
    let out = sipp(
        &[
            &server.sip_addr(),
            "-sf",
            &scenario("message_uac.xml"),
            "-inf",
            &users,
            "-m",
            "1500",
            "-r",
            "150",
        ],
        60,
    );
    assert_sipp_ok("1500 MESSAGEs to mobile users", &out, &server);
    std::thread::sleep(Duration::from_secs(7));
    let log = server.log_text();
    assert!(
        log.contains("WAL checkpoint"),
        "no checkpoint was written:\n{}",
        tail(&log, 3000)
    );
    let segments = wal_segments(&server.data);
    assert!(segments <= 12, "WAL over its bound: {segments} segments");

    // Restart; user00001 comes online; the phone answers the conversation number.
    let status = server.stop().expect("stops on SIGTERM");
    assert!(status.success());
    let (data, log_path) = (server.data.clone(), server.log.clone());
    let restarted = Server::start_on("wal2", &args, free_port(), free_port(), data, log_path);
    let port = free_port();
    let trace = std::env::temp_dir().join(format!("smartchat-wal-{}.log", std::process::id()));
    let client = uas(port, "message_uas.xml", 1, &trace);
    std::thread::sleep(Duration::from_millis(300));
    let reg = user_csv(
        "wal-reg",
        "user00001;user00002;example.com;
",
    );
    register_contact(&restarted, &reg, "u1", port, 300, 1);
    let (status, body) = restarted
        .http(
            "POST",
            "/simulator/mo?from=%2B8613900000002&to=1065901",
            "still here",
        )
        .unwrap();
    assert_eq!(status, 200, "{body}");
    let out = wait_child(client, Duration::from_secs(20));
    assert_sipp_ok(
        "the reply reached user00001 through the recovered conversation",
        &out,
        &restarted,
    );
    let seen = std::fs::read_to_string(&trace).unwrap_or_default();
    assert!(
        seen.contains("still here") && seen.contains("From: <sip:user00002@example.com>"),
        "{seen}"
    );
}
