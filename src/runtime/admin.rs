//! The admin and metrics HTTP endpoint, served by shard 0.
//!
//! Small on purpose: HTTP/1.1 parsed with `httparse`, one request per connection read, bodies
//! bounded. Operations on subscribers travel to the owning shard through the same mesh as SIP,
//! so the admin path obeys the same ownership rule as the data path.
//!
//! | method | path                | what |
//! |--------|---------------------|------|
//! | GET    | /health             | `ok` |
//! | GET    | /metrics            | Prometheus text, per-shard counters |
//! | GET    | /subscribers        | every subscriber as CSV |
//! | POST   | /subscribers        | CSV lines (header optional): add or replace each |
//! | DELETE | /subscribers/{aor}  | remove one subscriber |
//! | GET    | /presence/{aor}     | `status contacts…` as JSON |
//! | POST   | /simulator/mo?from=MSISDN&to=ADDR | built-in SMSC: inject an MO (body = text) |
//! | GET    | /simulator/submits  | built-in SMSC: every submit_sm it accepted, as CSV |
//! | GET    | /simulator/counters | built-in SMSC: its counters |

use super::shard::ShardRuntime;
use crate::service::io::{AdminOp, AdminReply};
use futures_lite::{AsyncReadExt, AsyncWriteExt};
use glommio::net::{TcpListener, TcpStream};
use std::rc::Rc;
use std::time::Duration;

/// Largest request (head + body) accepted: a few hundred thousand subscriber lines.
const MAX_REQUEST: usize = 64 * 1024 * 1024;
const MAX_HEADERS: usize = 32;

pub(crate) async fn serve(rt: Rc<ShardRuntime>, listener: TcpListener) {
    loop {
        match listener.accept().await {
            Ok(stream) => {
                let rt = Rc::clone(&rt);
                glommio::spawn_local(async move {
                    if let Err(e) = handle(&rt, stream).await {
                        tracing::debug!(error = %e, "admin connection ended");
                    }
                })
                .detach();
            }
            Err(e) => {
                tracing::warn!(error = %e, "admin accept failed");
                glommio::timer::sleep(Duration::from_millis(5)).await;
            }
        }
    }
}

struct Request {
    method: String,
    path: String,
    body: Vec<u8>,
}

async fn read_request(stream: &mut TcpStream) -> std::io::Result<Option<Request>> {
    let mut buf = Vec::new();
    let mut chunk = vec![0u8; 16 * 1024];
    loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
        if buf.len() > MAX_REQUEST {
            return Err(std::io::Error::other("request too large"));
        }
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut req = httparse::Request::new(&mut headers);
        match req.parse(&buf) {
            Ok(httparse::Status::Complete(head_len)) => {
                let content_length = req
                    .headers
                    .iter()
                    .find(|h| h.name.eq_ignore_ascii_case("content-length"))
                    .and_then(|h| std::str::from_utf8(h.value).ok())
                    .and_then(|v| v.trim().parse::<usize>().ok())
                    .unwrap_or(0);
                if content_length > MAX_REQUEST {
                    return Err(std::io::Error::other("body too large"));
                }
                if buf.len() < head_len + content_length {
                    continue;
                }
                let method = req.method.unwrap_or("GET").to_owned();
                let path = req.path.unwrap_or("/").to_owned();
                let body = buf
                    .get(head_len..head_len + content_length)
                    .unwrap_or_default()
                    .to_vec();
                return Ok(Some(Request { method, path, body }));
            }
            Ok(httparse::Status::Partial) => continue,
            Err(e) => return Err(std::io::Error::other(e.to_string())),
        }
    }
}

async fn handle(rt: &Rc<ShardRuntime>, mut stream: TcpStream) -> std::io::Result<()> {
    let Some(req) = read_request(&mut stream).await? else {
        return Ok(());
    };
    let (status, content_type, body) = route(rt, &req).await;
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(&body).await?;
    stream.flush().await?;
    Ok(())
}

fn text(status: &'static str, body: impl Into<String>) -> (&'static str, &'static str, Vec<u8>) {
    (
        status,
        "text/plain; charset=utf-8",
        body.into().into_bytes(),
    )
}

async fn route(rt: &Rc<ShardRuntime>, req: &Request) -> (&'static str, &'static str, Vec<u8>) {
    let path = req.path.split('?').next().unwrap_or("/");
    match (req.method.as_str(), path) {
        ("GET", "/health") => text("200 OK", "ok\n"),
        ("GET", "/metrics") => (
            "200 OK",
            "text/plain; version=0.0.4",
            crate::metrics::render(&rt.counters, rt.conns.count()).into_bytes(),
        ),
        ("GET", "/subscribers") => {
            let mut all = Vec::new();
            for shard in 0..rt.counters.len() {
                match rt.admin_call(shard, AdminOp::Export).await {
                    AdminReply::Subscribers(list) => all.extend(list),
                    other => return text("500 Internal Server Error", format!("{other:?}\n")),
                }
            }
            all.sort_by(|a, b| a.aor.cmp(&b.aor));
            let mut csv = String::new();
            smartchat_core::write_subscribers_csv(&all, &mut csv);
            ("200 OK", "text/csv", csv.into_bytes())
        }
        ("POST", "/subscribers") => {
            let Ok(body) = std::str::from_utf8(&req.body) else {
                return text("400 Bad Request", "body is not UTF-8\n");
            };
            let subscribers = match smartchat_core::parse_subscribers_csv(body) {
                Ok(s) => s,
                Err(e) => return text("400 Bad Request", format!("{e}\n")),
            };
            let count = subscribers.len();
            for sub in subscribers {
                let owner = rt.service.borrow().owner_of(&sub.aor);
                if let AdminReply::Failed(why) =
                    rt.admin_call(owner, AdminOp::Upsert(Box::new(sub))).await
                {
                    return text("507 Insufficient Storage", format!("{why}\n"));
                }
            }
            text("200 OK", format!("{count} subscribers stored\n"))
        }
        ("DELETE", p) if p.starts_with("/subscribers/") => {
            let aor = percent_decode(&p["/subscribers/".len()..]);
            let owner = rt.service.borrow().owner_of(&aor);
            match rt.admin_call(owner, AdminOp::Remove(aor)).await {
                AdminReply::Done => text("200 OK", "removed\n"),
                AdminReply::NotFound => text("404 Not Found", "no such subscriber\n"),
                other => text("500 Internal Server Error", format!("{other:?}\n")),
            }
        }
        ("GET", p) if p.starts_with("/presence/") => {
            let aor = percent_decode(&p["/presence/".len()..]);
            let owner = rt.service.borrow().owner_of(&aor);
            match rt.admin_call(owner, AdminOp::Presence(aor)).await {
                AdminReply::Presence {
                    status,
                    contacts,
                    watchers,
                } => {
                    let contacts: Vec<String> = contacts
                        .iter()
                        .map(|c| format!("\"{}\"", json_escape(c)))
                        .collect();
                    let body = format!(
                        "{{\"status\":\"{}\",\"contacts\":[{}],\"watchers\":{}}}\n",
                        json_escape(&status),
                        contacts.join(","),
                        watchers.len()
                    );
                    ("200 OK", "application/json", body.into_bytes())
                }
                AdminReply::NotFound => text("404 Not Found", "no such subscriber\n"),
                other => text("500 Internal Server Error", format!("{other:?}\n")),
            }
        }
        ("POST", "/simulator/mo") => {
            let Some(sim) = rt.simulator.as_ref() else {
                return text(
                    "409 Conflict",
                    "no built-in SMSC simulator (an external SMSC is configured)\n",
                );
            };
            let query = req.path.split_once('?').map(|(_, q)| q).unwrap_or_default();
            let param = |name: &str| {
                query
                    .split('&')
                    .filter_map(|kv| kv.split_once('='))
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| percent_decode(v))
            };
            let (Some(from), Some(to)) = (param("from"), param("to")) else {
                return text(
                    "400 Bad Request",
                    "need ?from=MSISDN&to=ADDRESS and the text as body\n",
                );
            };
            let body = String::from_utf8_lossy(&req.body).into_owned();
            match sim.inject_mo(&from, &to, &body) {
                Ok(parts) => text("200 OK", format!("{parts} part(s) queued\n")),
                Err(e) => text("503 Service Unavailable", format!("{e}\n")),
            }
        }
        ("GET", "/simulator/submits") => {
            let Some(sim) = rt.simulator.as_ref() else {
                return text("409 Conflict", "no built-in SMSC simulator\n");
            };
            let mut csv = String::from("message_id,source,dest,data_coding,esm_class,text\n");
            for s in sim.submits() {
                let body = s.text.unwrap_or_default().replace(['\n', '\r', ','], " ");
                csv.push_str(&format!(
                    "{},{},{},{},{},{}\n",
                    s.message_id, s.source, s.dest, s.data_coding, s.esm_class, body
                ));
            }
            ("200 OK", "text/csv", csv.into_bytes())
        }
        ("GET", "/simulator/counters") => {
            let Some(sim) = rt.simulator.as_ref() else {
                return text("409 Conflict", "no built-in SMSC simulator\n");
            };
            text("200 OK", format!("{:?}\n", sim.counters()))
        }
        _ => text("404 Not Found", "unknown endpoint\n"),
    }
}

fn json_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// Decodes `%XX` escapes in a path segment (AORs contain `:` and `@`, often escaped).
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding_of_aors() {
        assert_eq!(
            percent_decode("sip%3Aalice%40example.com"),
            "sip:alice@example.com"
        );
        assert_eq!(percent_decode("sip:bob@example.com"), "sip:bob@example.com");
        assert_eq!(percent_decode("bad%zz"), "bad%zz");
        assert_eq!(percent_decode("trail%4"), "trail%4");
    }
}
