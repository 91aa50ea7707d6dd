//! End-to-end tests of the locked admin API (issue 9 "The admin API") and of readiness and
//! introspection (issue 10 "Health and introspection"), against the real binary, with curl as
//! the HTTP client: the bearer token on every admin path, the token file, the `--metrics`
//! listener, the body limit, `/health` verdicts, and `smartchat status` / `stats`.

mod common;

use common::*;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;
use std::time::{Duration, Instant};

fn smartchat(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_smartchat"))
        .args(args)
        .output()
        .expect("run smartchat")
}

/// One request with curl (bounded): (status, body).
fn curl(port: u16, method: &str, path: &str, token: Option<&str>, extra: &[&str]) -> (u16, String) {
    let url = format!("http://127.0.0.1:{port}{path}");
    let mut cmd = Command::new("curl");
    cmd.args([
        "-s",
        "--max-time",
        "20",
        "-X",
        method,
        "-w",
        "\n%{http_code}",
    ]);
    if let Some(t) = token {
        cmd.args(["-H", &format!("Authorization: Bearer {t}")]);
    }
    let out = cmd
        .args(extra)
        .arg(&url)
        .output()
        .expect("curl is installed");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let (body, code) = text.rsplit_once('\n').unwrap_or(("", &text));
    (code.trim().parse().unwrap_or(0), body.to_owned())
}

fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

/// Polls GET /health until its "status" is `want` (bounded); returns the last (code, JSON).
fn wait_health(port: u16, want: &str) -> (u16, serde_json::Value) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (code, body) = curl(port, "GET", "/health", None, &[]);
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&body) {
            if v["status"] == want || Instant::now() > deadline {
                return (code, v);
            }
        }
        assert!(
            Instant::now() < deadline,
            "no /health answer: {code} {body}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn every_admin_path_needs_the_token_except_health_and_metrics() {
    let server = Server::start("api-token", &["--no-auth", "--shards", "2"]);
    let port = server.http_port;
    let token_path = server.store().join("admin.token");
    let mode = std::fs::metadata(&token_path)
        .expect("the node wrote DATA_DIR/admin.token")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "token file mode {mode:o}");
    let token = server.token();
    assert_eq!(token.len(), 64, "{token}");
    assert!(token.chars().all(|c| c.is_ascii_hexdigit()), "{token}");
    assert!(
        server.log_text().contains("admin.token"),
        "the token path is logged"
    );
    assert!(
        !server.log_text().contains(&token),
        "the token is never logged"
    );

    let locked: &[(&str, &str)] = &[
        ("GET", "/subscribers"),
        ("POST", "/subscribers"),
        ("DELETE", "/subscribers/sip:bob@example.com"),
        ("GET", "/presence/sip:alice@example.com"),
        ("GET", "/simulator/submits"),
        ("GET", "/simulator/counters"),
        ("POST", "/simulator/mo?from=%2B8613900000002&to=10659"),
        ("GET", "/status"),
    ];
    for (method, path) in locked {
        let (code, _) = curl(port, method, path, None, &[]);
        assert_eq!(code, 401, "{method} {path} without a token");
        let (code, _) = curl(port, method, path, Some("not-the-token"), &[]);
        assert_eq!(code, 401, "{method} {path} with a wrong token");
        let (code, _) = curl(port, method, path, Some(&token[..63]), &[]);
        assert_eq!(code, 401, "{method} {path} with a truncated token");
    }
    let log = server.log_text();
    assert!(
        log.lines()
            .any(|l| l.contains("admin request refused") && l.contains("127.0.0.1:")),
        "a refused request is logged with its source address:\n{log}"
    );

    // With the token: real answers.
    let (code, csv) = curl(port, "GET", "/subscribers", Some(&token), &[]);
    assert_eq!(code, 200, "{csv}");
    assert!(csv.contains("sip:alice@example.com"), "{csv}");
    let (code, body) = curl(
        port,
        "GET",
        "/presence/sip:alice@example.com",
        Some(&token),
        &[],
    );
    assert_eq!(code, 200, "{body}");
    assert!(json(&body)["status"].is_string(), "{body}");
    let (code, body) = curl(
        port,
        "POST",
        "/subscribers",
        Some(&token),
        &["--data-binary", "sip:new@example.com,,off,pw,\n"],
    );
    assert_eq!(code, 200, "{body}");
    assert!(body.contains("1 subscribers stored"), "{body}");
    let (code, _) = curl(
        port,
        "DELETE",
        "/subscribers/sip:new@example.com",
        Some(&token),
        &[],
    );
    assert_eq!(code, 200);
    let (code, body) = curl(port, "GET", "/simulator/submits", Some(&token), &[]);
    assert_eq!(code, 200, "{body}");
    assert!(body.starts_with("message_id,"), "{body}");
    let (code, body) = curl(port, "GET", "/status", Some(&token), &[]);
    assert_eq!(code, 200, "{body}");
    assert_eq!(json(&body)["shard_count"], 2, "{body}");

    // Open paths.
    let (code, body) = curl(port, "GET", "/health", None, &[]);
    assert_eq!(code, 200, "{body}");
    let (code, body) = curl(port, "GET", "/metrics", None, &[]);
    assert_eq!(code, 200);
    assert!(body.contains("smartchat_"), "{body}");

    // A restart on the same data directory reuses the token.
    let mut server = server;
    assert!(server.stop().is_some_and(|s| s.success()));
    let again = Server::start_on(
        "api-token2",
        &["--no-auth", "--shards", "2"],
        free_port(),
        free_port(),
        server.data.clone(),
        server.log.clone(),
    );
    assert_eq!(again.token(), token, "the token file is reused");
    let (code, _) = curl(again.http_port, "GET", "/subscribers", Some(&token), &[]);
    assert_eq!(code, 200);
}

#[test]
fn a_configured_token_file_is_used_and_the_cli_reads_it() {
    let dir = std::env::temp_dir().join(format!("smartchat-api-tokfile-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let token_file = dir.join("operator.token");
    std::fs::write(&token_file, "s3cret-operator-token\n").unwrap();
    std::fs::set_permissions(&token_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let token_s = path_str(&token_file);
    let server = Server::start(
        "api-tokfile",
        &["--no-auth", "--shards", "2", "--admin-token-file", &token_s],
    );
    assert!(
        !server.store().join("admin.token").exists(),
        "no token is generated when one is configured"
    );
    let port = server.http_port;
    let (code, _) = curl(
        port,
        "GET",
        "/subscribers",
        Some("s3cret-operator-token"),
        &[],
    );
    assert_eq!(code, 200);

    let url = format!("http://127.0.0.1:{port}");
    let line = "sip:cli@example.com,+8613800007777,on,cli-pw,";
    let out = smartchat(&[
        "subscribers",
        "add",
        line,
        "--server",
        &url,
        "--token-file",
        &token_s,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = smartchat(&[
        "subscribers",
        "export",
        "--server",
        &url,
        "--token-file",
        &token_s,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let csv = String::from_utf8_lossy(&out.stdout);
    assert!(csv.contains(line), "{csv}");

    // A wrong token file is refused by the node (401), and the CLI says so.
    let wrong = dir.join("wrong.token");
    std::fs::write(&wrong, "nope\n").unwrap();
    let out = smartchat(&[
        "subscribers",
        "export",
        "--server",
        &url,
        "--token-file",
        &path_str(&wrong),
    ]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("401"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_metrics_listener_serves_metrics_and_health_and_nothing_else() {
    let metrics_port = free_port();
    let metrics = format!("127.0.0.1:{metrics_port}");
    let server = Server::start("api-metrics", &["--no-auth", "--metrics", &metrics]);
    let token = server.token();
    let (code, body) = curl(metrics_port, "GET", "/metrics", None, &[]);
    assert_eq!(code, 200);
    assert!(body.contains("smartchat_sip_in_message_total"), "{body}");
    let (code, body) = curl(metrics_port, "GET", "/health", None, &[]);
    assert_eq!(code, 200, "{body}");
    assert!(json(&body)["status"].is_string());
    for (method, path) in [
        ("GET", "/subscribers"),
        ("GET", "/status"),
        ("GET", "/presence/sip:alice@example.com"),
        ("GET", "/simulator/submits"),
        ("POST", "/subscribers"),
    ] {
        let (code, _) = curl(metrics_port, method, path, Some(&token), &[]);
        assert_eq!(code, 404, "{method} {path} on the metrics listener");
    }
    // The admin listener still serves both.
    let (code, _) = curl(server.http_port, "GET", "/metrics", None, &[]);
    assert_eq!(code, 200);
}

#[test]
fn a_body_over_the_limit_is_413() {
    let dir = std::env::temp_dir().join(format!("smartchat-api-limit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("limit.toml");
    std::fs::write(&config, "[http]\nmax_body_bytes = 1024\n").unwrap();
    let server = Server::start("api-limit", &["--no-auth", "--config", &path_str(&config)]);
    let token = server.token();
    let mut big = String::new();
    for i in 0..100 {
        big.push_str(&format!("sip:big{i:03}@example.com,,off,pw,\n"));
    }
    assert!(big.len() > 1024);
    let (code, body) = curl(
        server.http_port,
        "POST",
        "/subscribers",
        Some(&token),
        &["--data-binary", &big],
    );
    assert_eq!(code, 413, "{body}");
    // Chunked, with no Content-Length: refused while reading.
    let (code, body) = curl(
        server.http_port,
        "POST",
        "/subscribers",
        Some(&token),
        &["-H", "Transfer-Encoding: chunked", "--data-binary", &big],
    );
    assert_eq!(code, 413, "{body}");
    let (code, body) = curl(server.http_port, "GET", "/subscribers", Some(&token), &[]);
    assert_eq!(code, 200);
    assert!(
        !body.contains("sip:big000@"),
        "nothing of a refused body was stored"
    );
    let (code, body) = curl(
        server.http_port,
        "POST",
        "/subscribers",
        Some(&token),
        &["--data-binary", "sip:small@example.com,,off,pw,\n"],
    );
    assert_eq!(code, 200, "{body}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn health_is_ok_with_the_simulator_bound_and_degraded_with_a_dead_smsc() {
    let server = Server::start("api-health-ok", &["--no-auth", "--shards", "2"]);
    let (code, v) = wait_health(server.http_port, "ok");
    assert_eq!(v["status"], "ok", "{v}");
    assert_eq!(code, 200);
    assert_eq!(v["smsc"]["state"], "bound", "{v}");
    assert_eq!(v["wal"]["state"], "ok", "{v}");
    let shards = v["shards"].as_array().expect("shards");
    assert_eq!(shards.len(), 2, "{v}");
    for s in shards {
        assert_eq!(s["state"], "serving", "{v}");
        assert_eq!(s["smsc"], "bound", "{v}");
    }
    drop(server);

    // An SMSC address where nothing listens: the node accepts and queues, but is degraded.
    let dead = format!("127.0.0.1:{}", free_port());
    let server = Server::start(
        "api-health-dead",
        &["--no-auth", "--shards", "2", "--smsc", &dead],
    );
    let (code, v) = wait_health(server.http_port, "degraded");
    assert_eq!(v["status"], "degraded", "{v}");
    assert_eq!(code, 200, "degraded still accepts work");
    assert_eq!(v["smsc"]["state"], "unbound", "{v}");
    assert_eq!(v["smsc"]["bound_sessions"], 0, "{v}");
    assert!(
        v["reasons"].as_array().is_some_and(|r| !r.is_empty()),
        "{v}"
    );
}

#[test]
fn smartchat_status_prints_the_shards_and_stats_the_counters() {
    let server = Server::start("api-status", &["--no-auth", "--shards", "3"]);
    wait_health(server.http_port, "ok");
    let url = format!("http://127.0.0.1:{}", server.http_port);
    let data = path_str(&server.store());
    let out = smartchat(&["status", "--server", &url, "--data", &data]);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("status ok"), "{text}");
    assert!(text.contains("shards 3"), "{text}");
    // The demo set: 1004 subscribers over the shards.
    assert!(text.contains("subscribers 1004"), "{text}");
    let shard_lines: Vec<&str> = text
        .lines()
        .filter(|l| {
            let mut cols = l.split_whitespace();
            cols.next().is_some_and(|c| c.parse::<u32>().is_ok()) && cols.next() == Some("serving")
        })
        .collect();
    assert_eq!(shard_lines.len(), 3, "{text}");
    assert!(shard_lines.iter().all(|l| l.contains("bound")), "{text}");

    let out = smartchat(&["status", "--json", "--server", &url, "--data", &data]);
    let v = json(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(v["totals"]["subscribers"], 1004, "{v}");

    let out = smartchat(&[
        "stats",
        "--server",
        &url,
        "--data",
        &data,
        "--interval",
        "0.3",
    ]);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("sip_in_message"), "{text}");
    assert!(text.contains("per_second"), "{text}");

    // Without a readable token file the CLI refuses before sending anything.
    let out = smartchat(&[
        "status",
        "--server",
        &url,
        "--token-file",
        "/nonexistent/token",
    ]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("admin token"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_connection_cap_and_the_request_timeout_bound_the_admin_server() {
    use std::io::{Read, Write};
    let dir = std::env::temp_dir().join(format!("smartchat-api-bounds-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("bounds.toml");
    std::fs::write(
        &config,
        "[http]\nmax_connections = 2\nrequest_timeout_ms = 1500\n",
    )
    .unwrap();
    let server = Server::start("api-bounds", &["--no-auth", "--config", &path_str(&config)]);
    let token = server.token();
    let port = server.http_port;

    // A body that never completes: 408 once the request timeout passes, not a hung connection.
    let mut slow = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    write!(
        slow,
        "POST /subscribers HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Length: 100\r\n\r\nsip:a@"
    )
    .unwrap();
    let started = Instant::now();
    let mut answer = String::new();
    let _ = slow.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer:?}");
    assert!(started.elapsed() < Duration::from_secs(15));

    // Two idle connections take the two slots; a third is refused with 503 at once.
    let idle: Vec<_> = (0..2)
        .map(|_| std::net::TcpStream::connect(("127.0.0.1", port)).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    let (code, _) = curl(port, "GET", "/health", None, &[]);
    assert_eq!(code, 503, "over the connection cap");
    drop(idle);
    // The slots free up when the idle ones go (or hit the header-read timeout).
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (code, _) = curl(port, "GET", "/health", None, &[]);
        if code == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "slots never freed: {code}");
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = std::fs::remove_dir_all(&dir);
}
