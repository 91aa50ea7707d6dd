//! `tuning/check-host` runs on this machine and keeps its contract: one
//! `OK|WARN|FAIL <check>: <detail>` line per check, every check the README promises present,
//! and an exit status that is non-zero exactly when a check failed.

use std::process::Command;

#[test]
fn check_host_reports_every_check_and_exits_by_failures() {
    let data = std::env::temp_dir().join(format!("smartchat-check-host-{}", std::process::id()));
    let output = Command::new("bash")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tuning/check-host"))
        .arg("--data-dir")
        .arg(&data)
        .args(["--shards", "2", "--segment-mib", "1", "--max-segments", "4"])
        .output()
        .expect("run tuning/check-host");
    let _ = std::fs::remove_dir_all(&data);
    let text = String::from_utf8_lossy(&output.stdout);
    let mut names = Vec::new();
    let mut any_fail = false;
    for line in text.lines() {
        let (level, rest) = line.split_once(' ').expect("level then check");
        assert!(
            matches!(level, "OK" | "WARN" | "FAIL"),
            "unexpected line {line:?} in\n{text}"
        );
        any_fail |= level == "FAIL";
        let (name, _detail) = rest.trim_start().split_once(": ").expect("check: detail");
        names.push(name.to_owned());
    }
    for expected in [
        "kernel",
        "io_uring",
        "memlock",
        "nofile",
        "net.core.rmem_max",
        "net.core.wmem_max",
        "cpus",
        "data_dir",
        "fdatasync",
        "disk",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "no {expected} check in\n{text}"
        );
    }
    assert_eq!(
        output.status.success(),
        !any_fail,
        "exit status must follow FAIL lines:\n{text}"
    );
}

#[test]
fn check_host_fails_when_the_wal_bound_exceeds_free_disk() {
    let data = std::env::temp_dir().join(format!("smartchat-check-disk-{}", std::process::id()));
    // 4096 shards x 1e6 segments x 1 MiB is more disk than any test machine has.
    let output = Command::new("bash")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tuning/check-host"))
        .arg("--data-dir")
        .arg(&data)
        .args([
            "--shards",
            "4096",
            "--max-segments",
            "1000000",
            "--segment-mib",
            "1",
        ])
        .output()
        .expect("run tuning/check-host");
    let _ = std::fs::remove_dir_all(&data);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.lines().any(|l| l.starts_with("FAIL disk:")), "{text}");
    assert!(!output.status.success(), "{text}");
}
