//! Building what this node sends: responses, NOTIFYs, relayed MESSAGEs — and where they go.
//!
//! Responses copy the request's Via/From/To/Call-ID/CSeq (RFC 3261 §8.2.6.2) through the
//! codec's builder. Requests this node originates carry one Via naming our address and a branch
//! that names the originating shard, so the response finds its transaction on any shard.

use super::io::{Destination, ReplyPath, Transport};
use smartchat_sip::{response_to, RequestBuilder, SipMessage, Uri};
use std::net::{IpAddr, SocketAddr};

/// Methods this node accepts (Allow header, RFC 3261 §20.5).
pub const ALLOW: &str = "REGISTER, PUBLISH, SUBSCRIBE, MESSAGE, OPTIONS";

/// Encodes a response to `msg`.
pub(crate) fn response(
    msg: &SipMessage<'_>,
    code: u16,
    reason: &str,
    to_tag: Option<&str>,
    headers: &[(&str, &str)],
    body: Option<(&str, &[u8])>,
) -> Vec<u8> {
    let mut builder = response_to(msg, code, reason);
    if let Some(tag) = to_tag {
        builder = builder.to_tag(tag);
    }
    for (name, value) in headers {
        builder = builder.header(name, value);
    }
    if let Some((content_type, bytes)) = body {
        builder = builder.body(content_type, bytes);
    }
    let mut out = Vec::with_capacity(512);
    builder.encode(&mut out);
    out
}

/// A 400 for bytes the parser rejected, built from whatever header lines can be found.
/// None when the mandatory headers for a response are missing (then nothing can be sent).
pub(crate) fn bad_request_from_raw(bytes: &[u8], reason: &str) -> Option<Vec<u8>> {
    let head_end = find(bytes, b"\r\n\r\n").unwrap_or(bytes.len());
    let head = String::from_utf8_lossy(bytes.get(..head_end)?);
    let mut vias = Vec::new();
    let (mut from, mut to, mut call_id, mut cseq) = (None, None, None, None);
    for line in head.split("\r\n").skip(1) {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim().to_owned();
        match name.trim().to_ascii_lowercase().as_str() {
            "via" | "v" => vias.push(value),
            "from" | "f" => from = from.or(Some(value)),
            "to" | "t" => to = to.or(Some(value)),
            "call-id" | "i" => call_id = call_id.or(Some(value)),
            "cseq" => cseq = cseq.or(Some(value)),
            _ => {}
        }
    }
    if vias.is_empty() {
        return None;
    }
    let (from, to, call_id, cseq) = (from?, to?, call_id?, cseq?);
    let reason: String = reason
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(100)
        .collect();
    let mut out = format!("SIP/2.0 400 Bad Request ({reason})\r\n");
    for via in vias {
        out.push_str(&format!("Via: {via}\r\n"));
    }
    out.push_str(&format!(
        "From: {from}\r\nTo: {to}\r\nCall-ID: {call_id}\r\nCSeq: {cseq}\r\nContent-Length: 0\r\n\r\n"
    ));
    Some(out.into_bytes())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Our own address as it appears in Via and Contact.
pub(crate) fn via_value(advertised: SocketAddr, transport: &str, branch: &str) -> String {
    format!("SIP/2.0/{transport} {advertised};branch={branch};rport")
}

/// Where to send a request whose target is `contact` (a URI string), given how the UA reached
/// us (`flow`). RFC 3263 would resolve names; this node serves numeric contacts and otherwise
/// falls back to the flow's source address (what a UA behind NAT expects anyway).
pub(crate) fn destination_for(contact: &str, flow: Option<&ReplyPath>) -> Option<Destination> {
    let uri = Uri::parse(contact).ok();
    let addr = uri.as_ref().and_then(|u| {
        let ip: IpAddr = u
            .host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse()
            .ok()?;
        Some(SocketAddr::new(ip, u.port.unwrap_or(5060)))
    });
    let tcp_param = uri
        .as_ref()
        .and_then(|u| u.param("transport").flatten())
        .map(|t| t.eq_ignore_ascii_case("tcp"));
    let flow_tcp = flow.and_then(|f| match f.transport {
        Transport::Tcp(conn) => Some((conn, f.peer)),
        Transport::Udp => None,
    });
    match (addr, tcp_param, flow_tcp) {
        (Some(addr), Some(true), Some((conn, peer))) if peer == addr => {
            Some(Destination::Tcp(conn))
        }
        (Some(addr), Some(true), _) => Some(Destination::TcpTo(addr)),
        (Some(addr), Some(false), _) => Some(Destination::Udp(addr)),
        (Some(addr), None, Some((conn, peer))) if peer == addr => Some(Destination::Tcp(conn)),
        (Some(addr), None, Some(_)) => Some(Destination::TcpTo(addr)),
        (Some(addr), None, None) => Some(Destination::Udp(addr)),
        (None, _, Some((conn, _))) => Some(Destination::Tcp(conn)),
        (None, _, None) => flow.map(|f| Destination::Udp(f.peer)),
    }
}

/// The transport token for a Via on a destination.
pub(crate) fn transport_token(destination: &Destination) -> &'static str {
    match destination {
        Destination::Udp(_) => "UDP",
        Destination::Tcp(_) | Destination::TcpTo(_) => "TCP",
    }
}

/// A NOTIFY inside a presence subscription dialog (RFC 6665 §4.2.2, RFC 3856 §6.6).
pub(crate) struct NotifyRequest<'a> {
    pub target: &'a str,
    pub via: &'a str,
    pub presentity: &'a str,
    pub local_tag: &'a str,
    pub watcher: &'a str,
    pub remote_tag: &'a str,
    pub call_id: &'a str,
    pub cseq: u32,
    pub contact: &'a str,
    pub subscription_state: &'a str,
    pub pidf: &'a str,
}

impl NotifyRequest<'_> {
    pub fn encode(&self) -> Vec<u8> {
        let from = format!("<{}>;tag={}", self.presentity, self.local_tag);
        let to = format!("<{}>;tag={}", self.watcher, self.remote_tag);
        let cseq = format!("{} NOTIFY", self.cseq);
        let contact = format!("<{}>", self.contact);
        let mut out = Vec::with_capacity(512 + self.pidf.len());
        RequestBuilder::new("NOTIFY", self.target)
            .header("Via", self.via)
            .header("Max-Forwards", "70")
            .header("From", &from)
            .header("To", &to)
            .header("Call-ID", self.call_id)
            .header("CSeq", &cseq)
            .header("Contact", &contact)
            .header("Event", "presence")
            .header("Subscription-State", self.subscription_state)
            .body("application/pidf+xml", self.pidf.as_bytes())
            .encode(&mut out);
        out
    }
}

/// Headers of an incoming MESSAGE that a relayed copy keeps (RFC 3428 §7 and RFC 5438).
const RELAYED_HEADERS: &[&str] = &[
    "from",
    "to",
    "call-id",
    "cseq",
    "content-type",
    "disposition-notification",
    "date",
    "subject",
    "user-agent",
];

/// The MESSAGE this node sends to a registered contact on behalf of the sender (C2): the
/// sender's From/To/Call-ID/CSeq and body, a new Request-URI and our own Via.
pub(crate) fn relayed_message(original: &SipMessage<'_>, target: &str, via: &str) -> Vec<u8> {
    let mut builder = RequestBuilder::new("MESSAGE", target)
        .header("Via", via)
        .header("Max-Forwards", "69");
    for header in &original.headers {
        let name = header.name.as_str();
        if RELAYED_HEADERS
            .iter()
            .any(|keep| keep.eq_ignore_ascii_case(name))
            && !name.eq_ignore_ascii_case("content-type")
        {
            builder = builder.header(name, &header.value);
        }
    }
    let content_type = original.content_type().unwrap_or("text/plain");
    let mut out = Vec::with_capacity(512 + original.body.len());
    builder.body(content_type, original.body).encode(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_request_copies_dialog_headers() {
        let raw = b"INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKx\r\nFrom: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>\r\nCall-ID: abc\r\nCSeq: 1 INVITE\r\nContent-Length: 99999\r\n\r\n";
        let response = bad_request_from_raw(raw, "bad Content-Length").unwrap();
        let text = String::from_utf8(response).unwrap();
        assert!(text.starts_with("SIP/2.0 400 Bad Request (bad Content-Length)\r\n"));
        assert!(text.contains("Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKx\r\n"));
        assert!(text.contains("Call-ID: abc\r\n"));
        assert!(text.ends_with("Content-Length: 0\r\n\r\n"));
    }

    #[test]
    fn bad_request_needs_a_via() {
        assert!(bad_request_from_raw(b"garbage\r\n\r\n", "x").is_none());
    }

    #[test]
    fn destinations_follow_transport_param_and_flow() {
        let udp = destination_for("sip:bob@127.0.0.1:5095", None);
        assert_eq!(
            udp,
            Some(Destination::Udp(SocketAddr::from(([127, 0, 0, 1], 5095))))
        );
        let tcp = destination_for("sip:bob@127.0.0.1:5095;transport=tcp", None);
        assert_eq!(
            tcp,
            Some(Destination::TcpTo(SocketAddr::from(([127, 0, 0, 1], 5095))))
        );
        let default_port = destination_for("sip:bob@127.0.0.1", None);
        assert_eq!(
            default_port,
            Some(Destination::Udp(SocketAddr::from(([127, 0, 0, 1], 5060))))
        );
    }
}
