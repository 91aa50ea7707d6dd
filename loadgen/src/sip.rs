//! The few SIP messages loadgen writes and the little it reads back.
//!
//! Deliberately independent of the server's codec: a load generator that shares the parser
//! under test would hide the bugs both have.

use std::io::Write;
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Writes one request of `flow` into `out`. The Call-ID carries the scheduled send time.
#[allow(clippy::too_many_arguments)]
pub fn build_request(
    out: &mut Vec<u8>,
    flow: &str,
    domain: &str,
    local: SocketAddr,
    from: u32,
    to: u32,
    seq: u64,
    scheduled_ns: u64,
) {
    let call_id = format!("lg-{seq}-{scheduled_ns}@loadgen");
    let via = format!("SIP/2.0/UDP {local};branch=z9hG4bK-lg{seq}-{scheduled_ns};rport");
    match flow {
        "register" => {
            let _ = write!(
                out,
                "REGISTER sip:{domain} SIP/2.0\r\nVia: {via}\r\nFrom: <sip:user{from:05}@{domain}>;tag=lg{seq}\r\nTo: <sip:user{from:05}@{domain}>\r\nCall-ID: {call_id}\r\nCSeq: 1 REGISTER\r\nContact: <sip:user{from:05}@{local}>\r\nExpires: 300\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
            );
        }
        "publish" => {
            let body = format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"sip:user{from:05}@{domain}\"><tuple id=\"t1\"><status><basic>open</basic></status></tuple></presence>\r\n"
            );
            let _ = write!(
                out,
                "PUBLISH sip:user{from:05}@{domain} SIP/2.0\r\nVia: {via}\r\nFrom: <sip:user{from:05}@{domain}>;tag=lg{seq}\r\nTo: <sip:user{from:05}@{domain}>\r\nCall-ID: {call_id}\r\nCSeq: 1 PUBLISH\r\nMax-Forwards: 70\r\nEvent: presence\r\nExpires: 300\r\nContent-Type: application/pidf+xml\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
        }
        _ => {
            let body =
                format!("Hello user{to:05}, this is user{from:05}, message #{seq} from loadgen");
            let _ = write!(
                out,
                "MESSAGE sip:user{to:05}@{domain} SIP/2.0\r\nVia: {via}\r\nFrom: <sip:user{from:05}@{domain}>;tag=lg{seq}\r\nTo: <sip:user{to:05}@{domain}>\r\nCall-ID: {call_id}\r\nCSeq: 1 MESSAGE\r\nMax-Forwards: 70\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
        }
    }
}

/// What loadgen needs from a response.
pub struct Response {
    pub status: u16,
    pub scheduled_ns: Option<u64>,
}

impl Response {
    /// Status line and the scheduled time from our Call-ID; None for requests or garbage.
    pub fn scan(bytes: &[u8]) -> Option<Response> {
        let text = std::str::from_utf8(bytes).ok()?;
        let rest = text.strip_prefix("SIP/2.0 ")?;
        let status: u16 = rest.get(..3)?.parse().ok()?;
        let scheduled_ns = header(text, "call-id", "i").and_then(|call_id| {
            let id = call_id.strip_prefix("lg-")?.split('@').next()?;
            id.split('-').nth(1)?.parse().ok()
        });
        Some(Response {
            status,
            scheduled_ns,
        })
    }
}

/// The value of the first header named `long` or `compact`.
pub fn header<'a>(text: &'a str, long: &str, compact: &str) -> Option<&'a str> {
    let head = text.split("\r\n\r\n").next()?;
    head.split("\r\n").skip(1).find_map(|line| {
        let (name, value) = line.split_once(':')?;
        let name = name.trim();
        (name.eq_ignore_ascii_case(long) || name.eq_ignore_ascii_case(compact))
            .then(|| value.trim())
    })
}

/// Registers user00001..=users with `contact` as their contact; waits for every 200 (bounded).
pub fn register_all(
    socket: &UdpSocket,
    target: SocketAddr,
    domain: &str,
    users: u32,
    contact: SocketAddr,
) -> std::io::Result<()> {
    let local = socket.local_addr()?;
    let mut pending: std::collections::HashSet<u32> = (1..=users).collect();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut buf = vec![0u8; 65_536];
    while !pending.is_empty() && Instant::now() < deadline {
        for &user in &pending {
            let msg = format!(
                "REGISTER sip:{domain} SIP/2.0\r\nVia: SIP/2.0/UDP {local};branch=z9hG4bK-lgreg{user}\r\nFrom: <sip:user{user:05}@{domain}>;tag=lgreg\r\nTo: <sip:user{user:05}@{domain}>\r\nCall-ID: lgreg-{user}@loadgen\r\nCSeq: {} REGISTER\r\nContact: <sip:user{user:05}@{contact}>\r\nExpires: 3600\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
                std::process::id() % 100_000 + 1
            );
            socket.send_to(msg.as_bytes(), target)?;
        }
        let round_end = Instant::now() + Duration::from_millis(500);
        while Instant::now() < round_end && !pending.is_empty() {
            let Ok((n, _)) = socket.recv_from(&mut buf) else {
                continue;
            };
            let text = String::from_utf8_lossy(&buf[..n]);
            if !text.starts_with("SIP/2.0 200") {
                continue;
            }
            if let Some(user) = header(&text, "call-id", "i")
                .and_then(|c| c.strip_prefix("lgreg-"))
                .and_then(|c| c.split('@').next())
                .and_then(|u| u.parse::<u32>().ok())
            {
                pending.remove(&user);
            }
        }
    }
    if pending.is_empty() {
        Ok(())
    } else {
        Err(std::io::Error::other(format!(
            "{} of {users} REGISTERs unanswered (is the server up, with auth off?)",
            pending.len()
        )))
    }
}

/// Answers 200 OK to every request arriving on `socket` until `stop`.
pub fn answer_messages(socket: &UdpSocket, stop: &AtomicBool) {
    let mut buf = vec![0u8; 65_536];
    let mut out = Vec::with_capacity(1024);
    while !stop.load(Ordering::Relaxed) {
        let Ok((n, peer)) = socket.recv_from(&mut buf) else {
            continue;
        };
        let Ok(text) = std::str::from_utf8(&buf[..n]) else {
            continue;
        };
        if text.starts_with("SIP/2.0") {
            continue;
        }
        let head = text.split("\r\n\r\n").next().unwrap_or_default();
        out.clear();
        out.extend_from_slice(b"SIP/2.0 200 OK\r\n");
        for line in head.split("\r\n").skip(1) {
            let name = line.split(':').next().unwrap_or_default().trim();
            let keep = ["via", "v", "from", "f", "to", "t", "call-id", "i", "cseq"]
                .iter()
                .any(|k| name.eq_ignore_ascii_case(k));
            if keep {
                out.extend_from_slice(line.as_bytes());
                if name.eq_ignore_ascii_case("to") || name.eq_ignore_ascii_case("t") {
                    out.extend_from_slice(b";tag=lguas");
                }
                out.extend_from_slice(b"\r\n");
            }
        }
        out.extend_from_slice(b"Content-Length: 0\r\n\r\n");
        let _ = socket.send_to(&out, peer);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheduled_time_survives_the_round_trip() {
        let mut out = Vec::new();
        let local: SocketAddr = "127.0.0.1:40000".parse().unwrap();
        build_request(
            &mut out,
            "message",
            "example.com",
            local,
            1,
            2,
            7,
            123_456_789,
        );
        let text = String::from_utf8(out).unwrap();
        let call_id = header(&text, "call-id", "i").unwrap();
        let response = format!("SIP/2.0 200 OK\r\nCall-ID: {call_id}\r\nContent-Length: 0\r\n\r\n");
        let scanned = Response::scan(response.as_bytes()).unwrap();
        assert_eq!(scanned.status, 200);
        assert_eq!(scanned.scheduled_ns, Some(123_456_789));
        assert!(text.contains(&format!(
            "Content-Length: {}",
            text.split("\r\n\r\n").nth(1).unwrap().len()
        )));
    }
}
