//! End-to-end tests of the operator interfaces: the admin HTTP endpoint, the `subscribers`
//! CLI (import/export on a data directory and add/remove against a running node), persistence
//! across a restart, Prometheus metrics and graceful shutdown on SIGTERM.

mod common;

use common::*;
use std::process::Command;

fn smartchat(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_smartchat"))
        .args(args)
        .output()
        .expect("run smartchat")
}

#[test]
fn help_explains_the_product() {
    let out = smartchat(&["--help"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("serve"), "{text}");
    assert!(text.contains("subscribers"), "{text}");
    assert!(text.to_lowercase().contains("sms"), "{text}");
}

#[test]
fn add_remove_and_export_on_a_running_node_survive_a_restart() {
    let mut server = Server::start("admin", &["--no-auth", "--shards", "2"]);
    let url = format!("http://127.0.0.1:{}", server.http_port);
    let line = "sip:zed@example.com,+8613800009999,on,zed-pw,sip:alice@example.com";
    let token_file = path_str(&server.store().join("admin.token"));
    let data = path_str(&server.store());
    let out = smartchat(&[
        "subscribers",
        "add",
        line,
        "--server",
        &url,
        "--token-file",
        &token_file,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let (status, body) = server
        .http("GET", "/presence/sip:zed@example.com", "")
        .unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("\"mobile\""),
        "offline + service + MSISDN is mobile: {body}"
    );

    let out = smartchat(&[
        "subscribers",
        "remove",
        "sip:alice@example.com",
        "--server",
        &url,
        "--data",
        &data,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (status, _) = server
        .http("GET", "/presence/sip:alice@example.com", "")
        .unwrap();
    assert_eq!(status, 404);
    let out = smartchat(&[
        "subscribers",
        "remove",
        "sip:nobody@example.com",
        "--server",
        &url,
        "--data",
        &data,
    ]);
    assert!(
        !out.status.success(),
        "removing an unknown subscriber must fail"
    );

    let out = smartchat(&["subscribers", "export", "--server", &url, "--data", &data]);
    let csv = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        csv.contains("sip:zed@example.com,+8613800009999,on,zed-pw,sip:alice@example.com"),
        "{csv}"
    );
    assert!(
        !csv.contains("sip:alice@example.com,"),
        "alice was removed: {csv}"
    );

    // Restart on the same data directory (and another shard count): the changes persist.
    let status = server.stop().expect("graceful stop on SIGTERM");
    assert!(
        status.success(),
        "exit status {status:?}\n{}",
        server.log_text()
    );
    let data = server.data.clone();
    let log = server.log.clone();
    let restarted = Server::start_on(
        "admin2",
        &["--no-auth", "--shards", "3"],
        free_port(),
        free_port(),
        data,
        log,
    );
    let (status, body) = restarted
        .http("GET", "/presence/sip:zed@example.com", "")
        .unwrap();
    assert_eq!(status, 200, "{body}");
    let (status, _) = restarted
        .http("GET", "/presence/sip:alice@example.com", "")
        .unwrap();
    assert_eq!(status, 404, "removal persisted");
}

#[test]
fn import_and_export_on_a_data_directory() {
    let dir = std::env::temp_dir().join(format!("smartchat-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let csv = dir.join("subs.csv");
    std::fs::write(
        &csv,
        "aor,msisdn,service,password,buddies\n\
         sip:a@example.com,+8613800000101,on,pa,sip:b@example.com\n\
         sip:b@example.com,,off,pb,\n",
    )
    .unwrap();
    let data = dir.join("data");
    let data_s = data.display().to_string();
    let out = smartchat(&[
        "subscribers",
        "import",
        &csv.display().to_string(),
        "--data",
        &data_s,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = smartchat(&["subscribers", "export", "--data", &data_s]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("sip:a@example.com,+8613800000101,on,pa,sip:b@example.com"),
        "{text}"
    );
    assert!(text.contains("sip:b@example.com,,off,pb,"), "{text}");
    // A malformed CSV is refused with the line number.
    std::fs::write(&csv, "sip:a@example.com,not-a-number,on,pa,\n").unwrap();
    let out = smartchat(&[
        "subscribers",
        "import",
        &csv.display().to_string(),
        "--data",
        &data_s,
    ]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains('1'),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn subscribers_flag_imports_at_start_and_metrics_are_per_shard() {
    let dir = std::env::temp_dir().join(format!("smartchat-flag-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let csv = dir.join("subs.csv");
    std::fs::write(&csv, "sip:solo@example.com,+8613800000202,on,pw,\n").unwrap();
    let csv_s = csv.display().to_string();
    let server = Server::start(
        "flag",
        &["--no-auth", "--shards", "2", "--subscribers", &csv_s],
    );
    let (status, body) = server
        .http("GET", "/presence/sip:solo@example.com", "")
        .unwrap();
    assert_eq!(status, 200, "{body}");
    let (_, metrics) = server.http("GET", "/metrics", "").unwrap();
    for name in [
        "smartchat_sip_in_message_total{shard=\"0\"}",
        "smartchat_sip_in_message_total{shard=\"1\"}",
        "smartchat_presence_transitions_total",
        "smartchat_ring_depth{shard=\"1\"}",
        "smartchat_txn_retransmissions_total",
    ] {
        assert!(metrics.contains(name), "missing {name} in\n{metrics}");
    }
    let (status, _) = server.http("GET", "/nope", "").unwrap();
    assert_eq!(status, 404);
    let _ = std::fs::remove_dir_all(&dir);
}
