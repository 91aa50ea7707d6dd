//! End-to-end SIP tests with a real peer (sipp 3.6) against the real binary, over UDP and TCP:
//! registration, online IM relay, presence (available → busy → mobile), watcher authorisation,
//! digest authentication, and malformed input.

mod common;

use common::*;
use std::net::UdpSocket;
use std::time::Duration;

fn transport_flag(tcp: bool) -> &'static str {
    if tcp {
        "t1"
    } else {
        "u1"
    }
}

fn register(
    server: &Server,
    tcp: bool,
    user_csv: &str,
    contact_port: u16,
    expires: u32,
    cseq: u32,
) {
    register_contact(
        server,
        &csv(user_csv),
        transport_flag(tcp),
        contact_port,
        expires,
        cseq,
    );
}

fn message_to_online_user(tcp: bool) {
    let server = Server::start(
        if tcp { "msg-tcp" } else { "msg-udp" },
        &["--no-auth", "--shards", "2"],
    );
    // user00002 answers MESSAGEs on uas_port; it registers that contact.
    let uas_port = free_port();
    let uas_port_s = uas_port.to_string();
    let uas = sipp_command(
        &[
            "-sf",
            &scenario("message_uas.xml"),
            "-p",
            &uas_port_s,
            "-m",
            "1",
            "-t",
            transport_flag(tcp),
        ],
        20,
    )
    .spawn()
    .expect("sipp UAS");
    std::thread::sleep(Duration::from_millis(300));
    // pair.csv: user00001 sends to user00002; register user00002 (field0 of a swapped row).
    let reg_csv =
        std::env::temp_dir().join(format!("smartchat-reg-{}-{tcp}.csv", std::process::id()));
    std::fs::write(&reg_csv, "SEQUENTIAL\nuser00002;user00001;example.com;\n").unwrap();
    register(
        &server,
        tcp,
        &reg_csv.display().to_string(),
        uas_port,
        300,
        1,
    );
    let out = sipp(
        &[
            &server.sip_addr(),
            "-sf",
            &scenario("message_uac.xml"),
            "-inf",
            &csv("pair.csv"),
            "-m",
            "1",
            "-t",
            transport_flag(tcp),
        ],
        10,
    );
    assert_sipp_ok("MESSAGE UAC", &out, &server);
    let uas_out = wait_child(uas, Duration::from_secs(15));
    assert_sipp_ok(
        "MESSAGE UAS received the relayed MESSAGE",
        &uas_out,
        &server,
    );
    let (_, metrics) = server.http("GET", "/metrics", "").unwrap();
    assert!(
        metrics.contains("smartchat_sip_in_message_total"),
        "{metrics}"
    );
}

#[test]
fn message_reaches_online_user_over_udp() {
    message_to_online_user(false);
}

#[test]
fn message_reaches_online_user_over_tcp() {
    message_to_online_user(true);
}

#[test]
fn message_to_unknown_user_is_404() {
    let server = Server::start("msg-unknown", &["--no-auth", "--shards", "2"]);
    let out = sipp(
        &[
            &server.sip_addr(),
            "-sf",
            &scenario("message_unknown.xml"),
            "-inf",
            &csv("unknown.csv"),
            "-m",
            "1",
            "-t",
            "u1",
        ],
        10,
    );
    assert_sipp_ok("MESSAGE to an unknown user", &out, &server);
}

fn presence_flow(tcp: bool) {
    let server = Server::start(
        if tcp { "presence-tcp" } else { "presence-udp" },
        &["--no-auth", "--shards", "2", "--notify-interval-ms", "0"],
    );
    // Watcher user00001 follows user00002 (who lists user00001 as a buddy).
    let watcher = sipp_command(
        &[
            &server.sip_addr(),
            "-sf",
            &scenario("watch_presence.xml"),
            "-inf",
            &csv("pair.csv"),
            "-m",
            "1",
            "-t",
            transport_flag(tcp),
        ],
        30,
    )
    .spawn()
    .expect("sipp watcher");
    std::thread::sleep(Duration::from_millis(700));
    let presentity_csv =
        std::env::temp_dir().join(format!("smartchat-pres-{}-{tcp}.csv", std::process::id()));
    std::fs::write(
        &presentity_csv,
        "SEQUENTIAL\nuser00002;user00001;example.com;\n",
    )
    .unwrap();
    let presentity_csv = presentity_csv.display().to_string();
    let contact_port = free_port();
    register(&server, tcp, &presentity_csv, contact_port, 300, 1);
    std::thread::sleep(Duration::from_millis(300));
    let out = sipp(
        &[
            &server.sip_addr(),
            "-sf",
            &scenario("publish_busy.xml"),
            "-inf",
            &presentity_csv,
            "-m",
            "1",
            "-t",
            transport_flag(tcp),
        ],
        10,
    );
    assert_sipp_ok("PUBLISH busy", &out, &server);
    std::thread::sleep(Duration::from_millis(300));
    register(&server, tcp, &presentity_csv, contact_port, 0, 2);
    let watcher_out = wait_child(watcher, Duration::from_secs(20));
    assert_sipp_ok(
        "watcher saw mobile → available → busy → mobile",
        &watcher_out,
        &server,
    );
}

#[test]
fn presence_busy_then_mobile_reaches_watcher_over_udp() {
    presence_flow(false);
}

#[test]
fn presence_busy_then_mobile_reaches_watcher_over_tcp() {
    presence_flow(true);
}

#[test]
fn unauthorised_subscribe_is_refused_with_403() {
    let server = Server::start("forbidden", &["--no-auth"]);
    for transport in ["u1", "t1"] {
        let out = sipp(
            &[
                &server.sip_addr(),
                "-sf",
                &scenario("subscribe_forbidden.xml"),
                "-inf",
                &csv("stranger.csv"),
                "-m",
                "1",
                "-t",
                transport,
            ],
            10,
        );
        assert_sipp_ok("SUBSCRIBE by a non-buddy", &out, &server);
    }
}

#[test]
fn register_with_digest_credentials() {
    let server = Server::start("digest", &[]);
    let out = sipp_register_user00001(&server.sip_addr(), 10);
    assert_sipp_ok("REGISTER with digest", &out, &server);
    let (status, body) = server
        .http("GET", "/presence/sip:user00001@example.com", "")
        .unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"available\""), "{body}");
}

/// RFC 4475 §3.1.2 invalid messages over UDP: each gets a 400 when it can be addressed, and the
/// server keeps answering a valid OPTIONS afterwards.
#[test]
fn malformed_requests_get_400_and_server_keeps_serving() {
    let server = Server::start("malformed", &["--no-auth", "--shards", "2"]);
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(1500)))
        .unwrap();
    let dir = repo_root().join("tests/vectors/sip/rfc4475/invalid");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("RFC 4475 invalid vectors")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    files.sort();
    assert!(
        files.len() >= 10,
        "expected the RFC 4475 §3.1.2 messages in {dir:?}"
    );
    let mut answered_400 = 0;
    for file in &files {
        let bytes = std::fs::read(file).unwrap();
        if !bytes.starts_with(b"SIP/") && bytes.len() < 60_000 {
            socket.send_to(&bytes, server.sip_addr()).unwrap();
            let mut buf = [0u8; 65_536];
            if let Ok((n, _)) = socket.recv_from(&mut buf) {
                let text = String::from_utf8_lossy(&buf[..n]);
                let status: u16 = text
                    .split(' ')
                    .nth(1)
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0);
                assert!(
                    (400..700).contains(&status),
                    "{file:?} got {status}: {text}"
                );
                if status == 400 {
                    answered_400 += 1;
                }
            }
        }
    }
    assert!(
        answered_400 >= files.len() / 2,
        "only {answered_400} of {} answered 400",
        files.len()
    );
    let options = format!(
        "OPTIONS sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP {addr};branch=z9hG4bK-alive\r\nFrom: <sip:probe@example.com>;tag=1\r\nTo: <sip:example.com>\r\nCall-ID: alive@test\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
        addr = socket.local_addr().unwrap()
    );
    socket
        .send_to(options.as_bytes(), server.sip_addr())
        .unwrap();
    let mut buf = [0u8; 65_536];
    let (n, _) = socket.recv_from(&mut buf).expect("server still answers");
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("SIP/2.0 200"));
}

/// Issue 9, "Digest that cannot be replayed": a Python UDP client captures an authenticated
/// MESSAGE's Authorization and sends it again on a new MESSAGE (new Call-ID, branch, body):
/// 401 and not delivered to the recipient's socket; a digest `uri` other than the Request-URI
/// is refused; an unknown user gets the same 401 as a known one; failures are logged in the
/// fail2ban form. Two shards, so the owner shard of the AOR is not always the receiving one.
#[test]
fn replayed_digest_is_refused_and_not_delivered() {
    let server = Server::start("replay", &["--shards", "2"]);
    let child = std::process::Command::new("timeout")
        .args(["60", "python3"])
        .arg(repo_root().join("tests/peers/digest_replay.py"))
        .arg(server.sip_port.to_string())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3");
    let out = wait_child(child, Duration::from_secs(90));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("ALL OK"),
        "digest_replay.py failed:\n{stdout}\n{}\nserver log:\n{}",
        String::from_utf8_lossy(&out.stderr),
        tail(&server.log_text(), 4000)
    );
    let log = server.log_text();
    assert!(
        log.contains(
            "auth failure from 127.0.0.1 aor=sip:user00001@example.com reason=replayed nonce count"
        ),
        "{}",
        tail(&log, 4000)
    );
}

#[test]
fn crlf_ping_on_tcp_gets_a_crlf_pong_and_lone_crlf_on_udp_is_ignored() {
    use std::io::{Read, Write};
    let server = Server::start("keepalive", &["--no-auth", "--shards", "1"]);
    let addr = server.sip_addr();
    // RFC 5626 §4.4.1: CRLFCRLF ping → CRLF pong, and the connection stays usable.
    let mut tcp = std::net::TcpStream::connect(&addr).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    tcp.write_all(b"\r\n\r\n").unwrap();
    let mut pong = [0u8; 2];
    tcp.read_exact(&mut pong).unwrap();
    assert_eq!(&pong, b"\r\n", "CRLF pong");
    // A lone CRLF on UDP gets no answer; an OPTIONS after it still gets its 200.
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    udp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    udp.send_to(b"\r\n", &addr).unwrap();
    let local = udp.local_addr().unwrap();
    let options = format!(
        "OPTIONS sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP {local};branch=z9hG4bKka1;rport\r\n\
         Max-Forwards: 70\r\nFrom: <sip:user00001@example.com>;tag=ka\r\nTo: <sip:example.com>\r\n\
         Call-ID: keepalive-1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
    );
    udp.send_to(options.as_bytes(), &addr).unwrap();
    let mut buf = [0u8; 2048];
    let (n, _) = udp.recv_from(&mut buf).unwrap();
    let first = String::from_utf8_lossy(&buf[..n]).to_string();
    assert!(
        first.starts_with("SIP/2.0 200"),
        "the first datagram back answers the OPTIONS (nothing for the CRLF): {first}"
    );
}
