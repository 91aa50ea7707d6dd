//! The README's run command as a newcomer meets it: the binary started from a fresh, empty
//! working directory with the default data dir (`smartchat-data`, relative) and with a relative
//! `--data`, answering a real SIP client (sipp, digest REGISTER of a demo user).
//!
//! Why this test exists: every other suite passes an absolute temp `--data`, which hid that the
//! default relative data dir made glommio fail at start-up (`Bad file descriptor`).

mod common;

use common::*;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// `smartchat serve` in `cwd` with only the ports set (plus `extra`), waiting for /health.
fn serve_in(cwd: &Path, extra: &[&str]) -> (Child, u16, u16) {
    let sip_port = free_port();
    let http_port = free_port();
    let log = std::fs::File::create(cwd.join("server.log")).expect("log file");
    let child = Command::new(env!("CARGO_BIN_EXE_smartchat"))
        .current_dir(cwd)
        .args(["serve", "--sip", &format!("127.0.0.1:{sip_port}")])
        .args(["--http", &format!("127.0.0.1:{http_port}")])
        .args(extra)
        .env("SMARTCHAT_LOG", "info")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("start smartchat");
    (child, sip_port, http_port)
}

fn stop(mut child: Child) {
    let _ = Command::new("kill")
        .arg("-15")
        .arg(child.id().to_string())
        .status();
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Starts the node in a fresh directory, registers demo user00001 with digest over UDP and
/// checks the answer and the files the node made under `expected_data` (relative to `cwd`).
fn fresh_start_answers_sip(name: &str, extra: &[&str], expected_data: &str) {
    let cwd = std::env::temp_dir().join(format!("smartchat-fresh-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&cwd);
    std::fs::create_dir_all(&cwd).expect("fresh dir");
    let (mut child, sip_port, http_port) = serve_in(&cwd, extra);
    let log = || std::fs::read_to_string(cwd.join("server.log")).unwrap_or_default();

    let deadline = Instant::now() + Duration::from_secs(30);
    let mut up = false;
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "{name}: smartchat exited at start-up ({status}); log:\n{}",
                log()
            );
        }
        if let Ok((200, _)) = http(http_port, "GET", "/health", "") {
            up = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(up, "{name}: node did not come up; log:\n{}", log());

    let out = sipp_register_user00001(&format!("127.0.0.1:{sip_port}"), 15);
    let still_running = matches!(child.try_wait(), Ok(None));
    stop(child);
    assert!(
        out.status.success(),
        "{name}: REGISTER got no 200 from a node started in a fresh directory\nsipp:\n{}\n{}\nlog:\n{}",
        tail(&String::from_utf8_lossy(&out.stdout), 2000),
        tail(&String::from_utf8_lossy(&out.stderr), 2000),
        log()
    );
    assert!(still_running, "{name}: node died; log:\n{}", log());
    let shard0 = cwd.join(expected_data).join("shard-0");
    assert!(
        shard0.join("wal").is_dir(),
        "{name}: no WAL under {}; log:\n{}",
        shard0.display(),
        log()
    );
    let _ = std::fs::remove_dir_all(&cwd);
}

#[test]
fn default_relative_data_dir_in_a_fresh_directory() {
    fresh_start_answers_sip("default", &["--shards", "2"], "smartchat-data");
}

#[test]
fn relative_data_flag_in_a_fresh_directory() {
    fresh_start_answers_sip("relative", &["--data", "state/node-a"], "state/node-a");
}
