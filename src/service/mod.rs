//! The SIP service of one shard, sans-IO: bytes and time in, [`Outputs`] out.
//!
//! This is the glue between the wire (the `smartchat-sip` codec) and the presence core
//! (`smartchat-core`): it validates requests, runs RFC 3261 transactions, checks digest
//! credentials, routes each request to the shard that owns its subscriber, and turns the core's
//! decisions into responses, NOTIFYs and relayed MESSAGEs. It knows no socket and no clock,
//! so the same code runs under glommio, in tests, and in the deterministic simulation.

pub mod admin;
mod auth;
mod handlers;
pub mod io;
mod outbound;
mod routing;
pub mod sms;
pub mod txn;

use crate::config::Config;
use crate::metrics::ShardCounters;
use io::{ConnId, Outputs, ReplyPath, ShardId, ShardMsg, Transport};
use smartchat_core::{PresenceShard, ShardMap, Subscriber};
use smartchat_sip::{parse_datagram, SipMessage};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use txn::{ClientTransactions, ServerTransactions};

/// Most server transactions and client transactions a shard holds at once.
const MAX_SERVER_TXNS: usize = 200_000;
const MAX_CLIENT_TXNS: usize = 200_000;

/// How much of a TCP receive buffer one call consumed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamProgress {
    /// This many bytes were one message (0: need more bytes).
    Consumed(usize),
    /// The stream is unusable (framing error): close it.
    Close,
}

/// What a relayed MESSAGE's client transaction remembers (RFC 3428 §7: the recipient's final
/// response goes back to the sender).
#[derive(Debug)]
pub(crate) struct RelayContext {
    /// The original request, to build the response to the sender.
    pub original: Vec<u8>,
    pub reply: ReplyPath,
    /// Contacts still to try after this one fails (most recent registration first).
    pub remaining: Vec<String>,
    pub recipient: String,
    /// The SMS fallback delay already passed once: the next failure falls back at once.
    pub fallback_waited: bool,
}

/// Why a client transaction exists.
#[derive(Debug)]
pub(crate) enum ClientContext {
    Notify {
        presentity: String,
        dialog: smartchat_core::DialogKey,
    },
    Relay(Box<RelayContext>),
    /// An IM the relay produced (from an SMS, a held IM, an IMDN, a notice).
    SmsIm {
        id: u64,
        origin: usize,
        remaining: Vec<String>,
        im: Box<smartchat_relay::DeliverIm>,
    },
}

/// One shard's SIP service and all the state it owns.
pub struct ShardService {
    pub(crate) id: ShardId,
    pub(crate) map: ShardMap,
    pub(crate) presence: PresenceShard,
    pub(crate) server_txns: ServerTransactions,
    pub(crate) client_txns: ClientTransactions<ClientContext>,
    pub(crate) auth: auth::Authenticator,
    pub(crate) settings: Settings,
    /// Which connection each registered contact or watcher arrived on (for TCP flows).
    pub(crate) flows: HashMap<String, ReplyPath>,
    branch_counter: u64,
    tag_counter: u64,
    /// Wall-clock seconds at `now_ms == 0` (for nonce timestamps; nothing else uses wall time).
    wall_base_secs: u64,
    /// Observability only: relaxed atomics this shard bumps, the admin endpoint reads.
    counters: Arc<[ShardCounters]>,
    /// Wall-clock milliseconds at `now_ms == 0` (the relay's clock: ids and validity).
    pub(crate) wall_base_ms: u64,
    /// Store-and-forward to SMS; None in tests that exercise SIP alone.
    pub(crate) sms: Option<sms::SmsState>,
    /// MESSAGEs whose online delivery failed, waiting for the SMS fallback delay (bounded by the
    /// server-transaction table: each one holds a transaction open).
    pub(crate) fallbacks: Vec<(u64, Vec<u8>, io::ReplyPath, String, String)>,
}

/// The parts of [`Config`] the service consults per request.
#[derive(Debug, Clone)]
pub struct Settings {
    pub domain: String,
    pub advertised: SocketAddr,
    pub max_message_size: usize,
    pub udp_body_limit: usize,
    pub tcp_body_limit: usize,
    pub min_expires: u32,
    pub max_expires: u32,
    pub default_expires: u32,
    /// Wait this long after online delivery failed before falling back to SMS.
    pub sms_fallback_delay_ms: u64,
}

impl ShardService {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        id: ShardId,
        map: ShardMap,
        config: &Config,
        subscribers: Vec<Subscriber>,
        secret: [u8; 32],
        wall_now_secs: u64,
        counters: Arc<[ShardCounters]>,
        sms: Option<sms::SmsState>,
    ) -> Self {
        let presence = routing::new_presence_shard(id, &map, config, subscribers);
        Self {
            id,
            map,
            presence,
            server_txns: ServerTransactions::new(MAX_SERVER_TXNS),
            client_txns: ClientTransactions::new(MAX_CLIENT_TXNS),
            auth: auth::Authenticator::new(config, secret),
            settings: Settings {
                domain: config.sip.domain.clone(),
                advertised: config.sip.listen,
                max_message_size: config.sip.max_message_size,
                udp_body_limit: config.sip.udp_message_body_limit,
                tcp_body_limit: config.sip.tcp_message_body_limit,
                min_expires: config.sip.min_expires,
                max_expires: config.sip.max_expires,
                default_expires: config.sip.default_expires,
                sms_fallback_delay_ms: config.sms.fallback_delay_ms,
            },
            fallbacks: Vec::new(),
            flows: HashMap::new(),
            branch_counter: 0,
            tag_counter: 0,
            wall_base_secs: wall_now_secs,
            counters,
            wall_base_ms: wall_now_secs.saturating_mul(1000),
            sms,
        }
    }

    fn counters(&self) -> &ShardCounters {
        &self.counters[self.id]
    }

    pub(crate) fn count(&self, pick: impl Fn(&ShardCounters) -> &AtomicU64) {
        pick(self.counters()).fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn presence_counters_parse_error(&self) {
        self.count(|c| &c.sip_parse_errors);
    }

    pub(crate) fn count_absorbed(&self) {
        self.count(|c| &c.txn_absorbed);
    }

    pub(crate) fn count_response(&self) {
        self.count(|c| &c.sip_in_response);
    }

    pub(crate) fn count_timeout(&self) {
        self.count(|c| &c.txn_timeouts);
    }

    pub(crate) fn count_challenge(&self) {
        self.count(|c| &c.auth_challenges);
    }

    pub(crate) fn count_auth_failure(&self) {
        self.count(|c| &c.auth_failures);
    }

    pub(crate) fn count_request(&self, method: &smartchat_sip::Method<'_>) {
        use smartchat_sip::Method;
        self.count(|c| match method {
            Method::Register => &c.sip_in_register,
            Method::Publish => &c.sip_in_publish,
            Method::Subscribe => &c.sip_in_subscribe,
            Method::Message => &c.sip_in_message,
            _ => &c.sip_in_other,
        });
    }

    pub(crate) fn map_shard_count(&self) -> usize {
        usize::from(self.map.shard_count)
    }

    pub fn max_message_size(&self) -> usize {
        self.settings.max_message_size
    }

    /// The shard that owns `aor`.
    pub fn owner_of(&self, aor: &str) -> ShardId {
        routing::owner(&self.map, aor)
    }

    pub(crate) fn wall_secs(&self, now_ms: u64) -> u64 {
        self.wall_base_secs + now_ms / 1000
    }

    /// A new branch for a client transaction; it names this shard so that any shard receiving
    /// the response can hand it to us (RFC 3261 §8.1.1.7 magic cookie first).
    pub(crate) fn new_branch(&mut self) -> String {
        self.branch_counter += 1;
        format!("z9hG4bK-sc{}-{:x}", self.id, self.branch_counter)
    }

    pub(crate) fn new_tag(&mut self) -> String {
        self.tag_counter += 1;
        format!("sc{}t{:x}", self.id, self.tag_counter)
    }

    /// A datagram from `peer`.
    pub fn on_udp(&mut self, peer: SocketAddr, bytes: &[u8], now: u64) -> Outputs {
        let mut out = Outputs::default();
        let reply = ReplyPath {
            shard: self.id,
            peer,
            transport: Transport::Udp,
        };
        if bytes.iter().all(|b| b.is_ascii_whitespace()) {
            return out; // keep-alive (RFC 5626 §3.5.1 CRLF ping over UDP is just ignored)
        }
        if bytes.len() > self.settings.max_message_size {
            handlers::reject_unparsable(self, bytes, &reply, "Message Too Large", &mut out);
            return out;
        }
        match parse_datagram(bytes) {
            Ok(msg) => self.on_message(&msg, bytes, reply, now, &mut out),
            Err(e) => {
                tracing::info!(shard = self.id, %peer, error = %e, "malformed SIP datagram");
                handlers::reject_unparsable(self, bytes, &reply, &e.to_string(), &mut out);
            }
        }
        out
    }

    /// Bytes buffered on a TCP connection: handles at most one whole message.
    pub fn on_tcp(
        &mut self,
        conn: ConnId,
        peer: SocketAddr,
        buffer: &[u8],
        now: u64,
    ) -> (StreamProgress, Outputs) {
        let mut out = Outputs::default();
        let reply = ReplyPath {
            shard: self.id,
            peer,
            transport: Transport::Tcp(conn),
        };
        match smartchat_sip::frame_stream(buffer, self.settings.max_message_size) {
            Ok(None) => (StreamProgress::Consumed(0), out),
            Ok(Some(frame)) => {
                let end = frame.skip + frame.len;
                let Some(bytes) = buffer.get(frame.skip..end) else {
                    return (StreamProgress::Close, out);
                };
                if frame.len == 0 {
                    // RFC 5626 §4.4.1: a CRLFCRLF ping on a stream is answered with a CRLF pong,
                    // so a client behind NAT learns its flow (and the binding) is still alive.
                    if frame.skip >= 4 {
                        out.send(reply.destination(), b"\r\n".to_vec());
                    }
                    return (StreamProgress::Consumed(end), out);
                }
                match parse_datagram(bytes) {
                    Ok(msg) => self.on_message(&msg, bytes, reply, now, &mut out),
                    Err(e) => {
                        tracing::info!(shard = self.id, %peer, error = %e, "malformed SIP on TCP");
                        handlers::reject_unparsable(self, bytes, &reply, &e.to_string(), &mut out);
                    }
                }
                (StreamProgress::Consumed(end.max(1)), out)
            }
            Err(e) => {
                tracing::info!(shard = self.id, %peer, error = %e, "SIP framing error on TCP; closing");
                handlers::reject_unparsable(self, buffer, &reply, &e.to_string(), &mut out);
                (StreamProgress::Close, out)
            }
        }
    }

    fn on_message(
        &mut self,
        msg: &SipMessage<'_>,
        bytes: &[u8],
        reply: ReplyPath,
        now: u64,
        out: &mut Outputs,
    ) {
        if msg.is_request() {
            handlers::on_request_received(self, msg, bytes, reply, now, out);
        } else {
            handlers::on_response_received(self, msg, bytes, now, out);
        }
    }

    /// A message from another shard.
    pub fn on_shard_msg(&mut self, msg: ShardMsg, now: u64) -> Outputs {
        let mut out = Outputs::default();
        match msg {
            ShardMsg::SipRequest {
                bytes,
                reply,
                stage,
            } => match parse_datagram(&bytes) {
                Ok(parsed) => {
                    handlers::on_owned_request(self, &parsed, &bytes, reply, stage, now, &mut out)
                }
                Err(e) => {
                    tracing::error!(shard = self.id, error = %e, "unparsable request from a shard")
                }
            },
            ShardMsg::SipResponse { bytes } => {
                if let Ok(parsed) = parse_datagram(&bytes) {
                    handlers::on_response_received(self, &parsed, &bytes, now, &mut out);
                }
            }
            ShardMsg::ServerTxnReply {
                reply,
                branch,
                bytes,
                then,
            } => {
                handlers::complete_server_txn(self, &reply, branch, bytes, now, &mut out);
                out.transmits.extend(then);
            }
            ShardMsg::ConnSend { conn, bytes } => {
                // Only reached if the runtime routed a send here; it re-queues on the connection.
                out.send(io::Destination::Tcp(conn), bytes);
            }
            msg @ ShardMsg::SmsIn { .. } => out.merge(self.on_sms_in(msg, now)),
            ShardMsg::AckDeliverSm { seq, status } => {
                out.merge(self.on_ack_deliver(seq, status, now))
            }
            msg @ ShardMsg::DeliverIm { .. } => out.merge(self.on_deliver_im(msg, now)),
            ShardMsg::ImOutcome { id, outcome } => {
                let origin = self.id;
                self.im_outcome(id, origin, outcome, now, &mut out);
            }
            ShardMsg::UserOnline { aor } => self.on_user_online(&aor, now, &mut out),
            ShardMsg::IndexMsisdn { msisdn, aor } => {
                if let Err(e) = self.presence.index_msisdn(&msisdn, &aor) {
                    tracing::warn!(shard = self.id, %msisdn, error = %e, "MSISDN not indexed");
                }
            }
            ShardMsg::UnindexMsisdn { msisdn, aor } => {
                let _ = self.presence.unindex_msisdn(&msisdn, &aor);
            }
        }
        out
    }

    /// Runs expiries (registrations, publications, subscriptions, rate-limit windows) and
    /// transaction timers.
    pub fn on_timer(&mut self, now: u64) -> Outputs {
        let mut out = Outputs::default();
        self.server_txns.on_timer(now);
        let mut resend = Vec::new();
        let outcomes = self.client_txns.on_timer(now, &mut resend);
        for _ in &resend {
            self.count(|c| &c.txn_retransmissions);
        }
        out.transmits.extend(resend);
        for outcome in outcomes {
            handlers::on_client_outcome(self, outcome, now, &mut out);
        }
        routing::presence_timers(self, now, &mut out);
        routing::fallback_timers(self, now, &mut out);
        self.sms_timers(now, &mut out);
        out
    }

    /// A SIP request that could not be put on its owner's ring: 503 with Retry-After.
    pub fn overloaded(&mut self, bytes: &[u8], reply: &ReplyPath, now: u64) -> Outputs {
        let mut out = Outputs::default();
        if let Ok(msg) = parse_datagram(bytes) {
            let response = outbound::response(
                &msg,
                503,
                "Service Unavailable",
                None,
                &[("Retry-After", "1")],
                None,
            );
            handlers::finish(self, &msg, reply, response, now, &mut out);
        }
        out
    }

    /// Loads the MSISDN index entries this shard owns (start-up).
    pub fn index_msisdns(&mut self, entries: Vec<(String, String)>) {
        for (msisdn, aor) in entries {
            if let Err(e) = self.presence.index_msisdn(&msisdn, &aor) {
                tracing::warn!(shard = self.id, %msisdn, error = %e, "MSISDN not indexed");
            }
        }
    }

    /// Runs an admin operation on this shard (the runtime persists `Outputs::persist` first).
    pub fn admin(&mut self, op: io::AdminOp, now: u64) -> (io::AdminReply, Outputs) {
        let mut out = Outputs::default();
        let reply = admin::apply(self, op, now, &mut out);
        (reply, out)
    }

    /// What this shard holds and queues (admin introspection).
    pub fn snapshot(&self) -> admin::ShardSnapshot {
        admin::snapshot(self)
    }

    /// The SMSC session's state, when this shard has one.
    pub fn smsc_state(&self) -> Option<smartchat_esme::SessionState> {
        self.sms.as_ref().map(|s| s.esme.state())
    }

    /// True when new SMS work is refused (the WAL at its bound).
    pub fn sms_full(&self) -> bool {
        self.sms.as_ref().is_some_and(|s| s.is_full())
    }

    /// Graceful shutdown: nothing to flush yet beyond what the runtime persists.
    pub fn shutdown(&mut self, _now: u64) -> Outputs {
        Outputs::default()
    }
}
