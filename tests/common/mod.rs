//! Harness for end-to-end tests: start the real `smartchat` binary on free loopback ports with
//! its own data directory, and run real peers (sipp) against it, every step bounded in time.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A port free on both UDP and TCP on 127.0.0.1 (SIP uses both on one port).
pub fn free_port() -> u16 {
    for _ in 0..200 {
        let udp = UdpSocket::bind("127.0.0.1:0").expect("bind udp");
        let port = udp.local_addr().unwrap().port();
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port");
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn scenario(name: &str) -> String {
    repo_root()
        .join("tests/sip")
        .join(name)
        .display()
        .to_string()
}

/// A running smartchat node, stopped (SIGTERM, then kill) when dropped.
pub struct Server {
    pub child: Child,
    pub sip_port: u16,
    pub http_port: u16,
    pub data: PathBuf,
    pub log: PathBuf,
}

impl Server {
    /// Starts `smartchat serve` with the given extra flags and waits until /health answers.
    pub fn start(name: &str, extra: &[&str]) -> Server {
        let sip_port = free_port();
        let http_port = free_port();
        let data =
            std::env::temp_dir().join(format!("smartchat-e2e-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&data);
        std::fs::create_dir_all(&data).unwrap();
        let log = data.join("server.log");
        Self::start_on(name, extra, sip_port, http_port, data, log)
    }

    /// Starts on the given ports; if another test took one of them between `free_port` and the
    /// node's bind (the node exits with "Address already in use"), retries on fresh ports, at
    /// most three times.
    pub fn start_on(
        name: &str,
        extra: &[&str],
        sip_port: u16,
        http_port: u16,
        data: PathBuf,
        log: PathBuf,
    ) -> Server {
        let (mut sip_port, mut http_port) = (sip_port, http_port);
        for _ in 0..3 {
            match Self::try_start_on(name, extra, sip_port, http_port, data.clone(), log.clone()) {
                Ok(server) => return server,
                Err(log_text) if log_text.contains("Address already in use") => {
                    sip_port = free_port();
                    http_port = free_port();
                }
                Err(log_text) => panic!("{name}: server did not come up; log:\n{log_text}"),
            }
        }
        panic!(
            "{name}: no free ports after three tries; log:\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
    }

    fn try_start_on(
        name: &str,
        extra: &[&str],
        sip_port: u16,
        http_port: u16,
        data: PathBuf,
        log: PathBuf,
    ) -> Result<Server, String> {
        let log_start = std::fs::metadata(&log).map(|m| m.len()).unwrap_or(0) as usize;
        let log_file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .unwrap();
        let sip = format!("127.0.0.1:{sip_port}");
        let http = format!("127.0.0.1:{http_port}");
        let child = Command::new(env!("CARGO_BIN_EXE_smartchat"))
            .args(["serve", "--sip", &sip, "--http", &http, "--data"])
            .arg(data.join("store"))
            .args(extra)
            .env("SMARTCHAT_LOG", "info")
            .stdout(Stdio::null())
            .stderr(log_file)
            .spawn()
            .unwrap_or_else(|e| panic!("{name}: cannot start smartchat: {e}"));
        let mut server = Server {
            child,
            sip_port,
            http_port,
            data,
            log,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok((200, _)) = server.http("GET", "/health", "") {
                return Ok(server);
            }
            if let Ok(Some(_)) = server.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let text = server.log_text();
        let _ = server.child.kill();
        let _ = server.child.wait();
        Err(text.get(log_start..).unwrap_or(&text).to_owned())
    }

    pub fn sip_addr(&self) -> String {
        format!("127.0.0.1:{}", self.sip_port)
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// One HTTP/1.1 request to the admin endpoint with the node's admin token: (status, body).
    pub fn http(&self, method: &str, path: &str, body: &str) -> std::io::Result<(u16, String)> {
        http_auth(self.http_port, method, path, body, Some(&self.token()))
    }

    /// The node's data directory (`--data`).
    pub fn store(&self) -> PathBuf {
        self.data.join("store")
    }

    /// The admin token the node wrote to `DATA_DIR/admin.token`.
    pub fn token(&self) -> String {
        std::fs::read_to_string(self.store().join("admin.token"))
            .map(|t| t.trim().to_owned())
            .unwrap_or_default()
    }

    /// Stops the node with SIGTERM and waits (bounded) for a clean exit; returns the status.
    pub fn stop(&mut self) -> Option<std::process::ExitStatus> {
        unsafe_kill(self.child.id(), 15);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        None
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.stop();
        }
    }
}

fn unsafe_kill(pid: u32, signal: i32) {
    let _ = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .status();
}

/// One HTTP/1.1 request without a token (the open paths, or to see a 401).
pub fn http(port: u16, method: &str, path: &str, body: &str) -> std::io::Result<(u16, String)> {
    http_auth(port, method, path, body, None)
}

/// One HTTP/1.1 request, with `Authorization: Bearer TOKEN` when given.
pub fn http_auth(
    port: u16,
    method: &str,
    path: &str,
    body: &str,
    token: Option<&str>,
) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Ok((status, body))
}

/// Runs sipp in the foreground, bounded: `-nostdin -timeout T -timeout_error`.
pub fn sipp(args: &[&str], timeout_secs: u32) -> Output {
    sipp_command(args, timeout_secs)
        .output()
        .expect("sipp is installed (apt-get install sip-tester)")
}

pub fn sipp_command(args: &[&str], timeout_secs: u32) -> Command {
    let mut cmd = Command::new("sipp");
    cmd.args(args)
        .args([
            "-nostdin",
            "-timeout",
            &format!("{timeout_secs}s"),
            "-timeout_error",
        ])
        .args(["-max_socket", "100", "-i", "127.0.0.1"])
        .current_dir(std::env::temp_dir())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Asserts sipp passed, with its output (and the server log) when it did not.
pub fn assert_sipp_ok(what: &str, output: &Output, server: &Server) {
    assert!(
        output.status.success(),
        "{what}: sipp failed ({:?})\nstdout:\n{}\nstderr:\n{}\nserver log:\n{}",
        output.status,
        tail(&String::from_utf8_lossy(&output.stdout), 3000),
        tail(&String::from_utf8_lossy(&output.stderr), 3000),
        tail(&server.log_text(), 4000)
    );
}

pub fn tail(s: &str, n: usize) -> &str {
    let start = s.len().saturating_sub(n);
    let mut start = start;
    while !s.is_char_boundary(start) {
        start += 1;
    }
    &s[start..]
}

/// Waits for a background sipp to finish, bounded; kills it on timeout.
pub fn wait_child(mut child: Child, timeout: Duration) -> Output {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return child.wait_with_output().unwrap();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    child.wait_with_output().unwrap()
}

pub fn csv(name: &str) -> String {
    scenario(name)
}

pub fn path_str(p: &Path) -> String {
    p.display().to_string()
}

/// The npm `smpp` SMSC (a third-party SMPP server) on a free port, bounded in time.
pub fn node_smsc(
    port: u16,
    throttle_every: u32,
    seconds: u32,
    dlr_delay_ms: u32,
) -> Option<std::process::Child> {
    let root = repo_root();
    let script = root.join("crates/esme/tests/peers/smsc_sim.js");
    let modules = std::env::var("SMARTCHAT_NODE_MODULES")
        .unwrap_or_else(|_| root.join("tests/peers/node_modules").display().to_string());
    if !std::path::Path::new(&modules).join("smpp").exists() {
        assert!(
            std::env::var("SMARTCHAT_REQUIRE_PEERS").is_err(),
            "npm smpp is not installed in {modules}"
        );
        eprintln!("SKIPPED: npm smpp not installed in {modules} (run .ci/run)");
        return None;
    }
    let mut child = std::process::Command::new("node")
        .arg(script)
        .env("NODE_PATH", modules)
        .env("PORT", port.to_string())
        .env("SECONDS", seconds.to_string())
        .env("DLR_DELAY_MS", dlr_delay_ms.to_string())
        .env("THROTTLE_EVERY", throttle_every.to_string())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("node");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::time::Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some(child);
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("node SMSC did not start");
}

/// Stops the node SMSC (SIGTERM) and returns its counters JSON line.
pub fn node_smsc_stats(child: std::process::Child) -> String {
    let _ = std::process::Command::new("kill")
        .arg("-15")
        .arg(child.id().to_string())
        .status();
    let out = wait_child(child, std::time::Duration::from_secs(10));
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    stdout
        .lines()
        .find(|l| l.contains("smsc_sim stats"))
        .unwrap_or_default()
        .to_owned()
}

/// A counter from the node SMSC's stats JSON line.
pub fn stat(json: &str, key: &str) -> u64 {
    let pat = format!("\"{key}\":");
    json.split(&pat)
        .nth(1)
        .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// A sipp user list (the CSV sipp reads with `-inf`: `user;peer;domain;` rows) in a temp file.
pub fn user_csv(name: &str, rows: &str) -> String {
    let path =
        std::env::temp_dir().join(format!("smartchat-users-{name}-{}.csv", std::process::id()));
    std::fs::write(&path, format!("SEQUENTIAL\n{rows}")).unwrap();
    path.display().to_string()
}

/// REGISTERs the CSV's first user with a contact on 127.0.0.1:`contact_port` (sipp,
/// register_expires.xml) over `transport` (`u1` or `t1`); asserts the 200.
pub fn register_contact(
    server: &Server,
    csv_path: &str,
    transport: &str,
    contact_port: u16,
    expires: u32,
    cseq: u32,
) {
    let (port, expires, cseq) = (
        contact_port.to_string(),
        expires.to_string(),
        cseq.to_string(),
    );
    let out = sipp(
        &[
            &server.sip_addr(),
            "-sf",
            &scenario("register_expires.xml"),
            "-inf",
            csv_path,
            "-m",
            "1",
            "-t",
            transport,
            "-set",
            "contact_port",
            &port,
            "-set",
            "expires",
            &expires,
            "-set",
            "cseq",
            &cseq,
        ],
        10,
    );
    assert_sipp_ok("REGISTER", &out, server);
}

/// A sipp UAS on `port` answering `calls` MESSAGEs with `scenario_name`, recording what it
/// received in `trace`.
pub fn uas(
    port: u16,
    scenario_name: &str,
    calls: u32,
    trace: &std::path::Path,
) -> std::process::Child {
    let (port, calls, trace) = (
        port.to_string(),
        calls.to_string(),
        trace.display().to_string(),
    );
    sipp_command(
        &[
            "-sf",
            &scenario(scenario_name),
            "-p",
            &port,
            "-m",
            &calls,
            "-trace_msg",
            "-message_file",
            &trace,
        ],
        60,
    )
    .spawn()
    .expect("sipp UAS")
}

/// The demo subscriber CSV, for nodes started with `--smsc` (they never load the demo set on
/// their own, so a test against a real SMSC peer imports it with `--subscribers`).
pub fn demo_subscribers() -> String {
    path_str(&repo_root().join("data/demo-subscribers.csv"))
}

/// sipp registers demo user00001 (password secret00001) with digest credentials at `sip_addr`,
/// its contact on a free port; bounded by `timeout_secs`.
pub fn sipp_register_user00001(sip_addr: &str, timeout_secs: u32) -> Output {
    let port = free_port().to_string();
    sipp(
        &[
            sip_addr,
            "-sf",
            &scenario("register_digest.xml"),
            "-inf",
            &csv("pair.csv"),
            "-m",
            "1",
            "-au",
            "user00001",
            "-ap",
            "secret00001",
            "-set",
            "contact_port",
            &port,
        ],
        timeout_secs,
    )
}
