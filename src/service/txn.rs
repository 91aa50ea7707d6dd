//! RFC 3261 §17 non-INVITE transactions, sans-IO: the tables and timers, not the sockets.
//!
//! Why it matters here: over UDP a lost datagram must neither lose a message nor deliver it
//! twice. Server transactions (§17.2.2) absorb a retransmitted request and answer it with the
//! cached final response (Timer J); client transactions (§17.1.2) retransmit what this node
//! sends (Timer E) until a final response or Timer F, then absorb late responses (Timer K).
//! Over TCP (reliable) Timer E is not used and J/K are zero, per §17.1.2.2 and §17.2.2.
//!
//! All times are milliseconds on the caller's monotonic clock. Both tables are bounded; when one
//! is full the caller answers 503 rather than growing memory.

use super::io::{Destination, ReplyPath, Transmit};
use std::collections::{BTreeMap, HashMap};

/// RFC 3261 §17.1.1.1 timer values.
pub const T1_MS: u64 = 500;
pub const T2_MS: u64 = 4_000;
pub const T4_MS: u64 = 5_000;
/// Timer F / Timer J: 64·T1.
pub const TIMEOUT_MS: u64 = 64 * T1_MS;

/// Identifies a server transaction: the top Via branch plus the CSeq method (§17.2.3).
pub type ServerKey = (String, String);

#[derive(Debug)]
enum ServerState {
    /// The request is being handled (possibly on another shard); retransmissions are absorbed.
    Proceeding,
    /// The final response, resent for every retransmission until `until`.
    Completed { response: Vec<u8>, until: u64 },
}

/// What to do with an arriving request.
#[derive(Debug, PartialEq, Eq)]
pub enum ServerVerdict {
    /// First sight: handle it.
    New,
    /// A retransmission while the answer is pending: drop it silently.
    Absorb,
    /// A retransmission after the answer: send these bytes again.
    Resend(Vec<u8>),
    /// The table is full: answer 503.
    Full,
}

#[derive(Debug)]
struct ServerEntry {
    state: ServerState,
    reply: ReplyPath,
    created: u64,
}

/// Server transactions held by the shard whose socket received the requests.
#[derive(Debug)]
pub struct ServerTransactions {
    entries: HashMap<ServerKey, ServerEntry>,
    limit: usize,
}

impl ServerTransactions {
    pub fn new(limit: usize) -> Self {
        Self {
            entries: HashMap::new(),
            limit,
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Classifies a request by its key (§17.2.3 matching).
    pub fn on_request(&mut self, key: &ServerKey, reply: &ReplyPath, now: u64) -> ServerVerdict {
        if let Some(entry) = self.entries.get(key) {
            return match &entry.state {
                ServerState::Proceeding => ServerVerdict::Absorb,
                ServerState::Completed { response, .. } => ServerVerdict::Resend(response.clone()),
            };
        }
        if self.entries.len() >= self.limit {
            return ServerVerdict::Full;
        }
        self.entries.insert(
            key.clone(),
            ServerEntry {
                state: ServerState::Proceeding,
                reply: reply.clone(),
                created: now,
            },
        );
        ServerVerdict::New
    }

    /// Records the final response and returns where to send it. A reliable transport needs no
    /// Timer J, so the entry goes at once (§17.2.2).
    pub fn on_final(&mut self, key: &ServerKey, response: Vec<u8>, now: u64) -> Option<Transmit> {
        let entry = self.entries.get_mut(key)?;
        let destination = entry.reply.destination();
        if matches!(destination, Destination::Udp(_)) {
            entry.state = ServerState::Completed {
                response: response.clone(),
                until: now + TIMEOUT_MS,
            };
        } else {
            self.entries.remove(key);
        }
        Some(Transmit {
            destination,
            bytes: response,
        })
    }

    /// Drops completed entries past Timer J, and proceeding ones nobody answered for 2·Timer F
    /// (a bug or a lost cross-shard reply must not leak memory).
    pub fn on_timer(&mut self, now: u64) {
        self.entries.retain(|_, e| match e.state {
            ServerState::Completed { until, .. } => now < until,
            ServerState::Proceeding => now < e.created + 2 * TIMEOUT_MS,
        });
    }
}

/// A client transaction this shard started, with what the service needs when it ends.
#[derive(Debug)]
struct ClientEntry<C> {
    request: Vec<u8>,
    destination: Destination,
    reliable: bool,
    next_retransmit: Option<u64>,
    interval: u64,
    deadline: u64,
    /// Set once a final response arrived: the entry lingers until then (Timer K) to absorb
    /// retransmitted responses.
    completed_until: Option<u64>,
    context: Option<C>,
}

/// How a client transaction ended.
#[derive(Debug, PartialEq, Eq)]
pub enum ClientOutcome<C> {
    /// A final response with this status code.
    Final { status: u16, context: C },
    /// Timer F fired (§17.1.2.2): treat as 408.
    Timeout { context: C },
}

/// Client transactions keyed by the branch this shard generated.
#[derive(Debug)]
pub struct ClientTransactions<C> {
    entries: HashMap<String, ClientEntry<C>>,
    /// Retransmission and timeout schedule: (time, branch).
    schedule: BTreeMap<(u64, u64), String>,
    sequence: u64,
    limit: usize,
}

impl<C> ClientTransactions<C> {
    pub fn new(limit: usize) -> Self {
        Self {
            entries: HashMap::new(),
            schedule: BTreeMap::new(),
            sequence: 0,
            limit,
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn is_full(&self) -> bool {
        self.entries.len() >= self.limit
    }

    fn schedule_at(&mut self, at: u64, branch: &str) {
        self.sequence += 1;
        self.schedule.insert((at, self.sequence), branch.to_owned());
    }

    /// Starts a transaction; the caller sends `request` once now. Returns false when full.
    pub fn start(
        &mut self,
        branch: String,
        request: Vec<u8>,
        destination: Destination,
        now: u64,
        context: C,
    ) -> bool {
        if self.is_full() {
            return false;
        }
        let reliable = !matches!(destination, Destination::Udp(_));
        let next_retransmit = (!reliable).then_some(now + T1_MS);
        let deadline = now + TIMEOUT_MS;
        if let Some(at) = next_retransmit {
            self.schedule_at(at, &branch);
        }
        self.schedule_at(deadline, &branch);
        self.entries.insert(
            branch,
            ClientEntry {
                request,
                destination,
                reliable,
                next_retransmit,
                interval: T1_MS,
                deadline,
                completed_until: None,
                context: Some(context),
            },
        );
        true
    }

    /// A response for `branch`. Provisional responses move Timer E to T2 (§17.1.2.2); the first
    /// final response ends the transaction; later copies are absorbed.
    pub fn on_response(&mut self, branch: &str, status: u16, now: u64) -> Option<ClientOutcome<C>> {
        let entry = self.entries.get_mut(branch)?;
        if entry.completed_until.is_some() {
            return None;
        }
        if status < 200 {
            entry.interval = T2_MS;
            return None;
        }
        let context = entry.context.take()?;
        entry.next_retransmit = None;
        if entry.reliable {
            self.entries.remove(branch);
        } else {
            let until = now + T4_MS;
            entry.completed_until = Some(until);
            self.schedule_at(until, branch);
        }
        Some(ClientOutcome::Final { status, context })
    }

    /// Runs due timers: retransmissions go into `resend`, timeouts come back as outcomes.
    pub fn on_timer(&mut self, now: u64, resend: &mut Vec<Transmit>) -> Vec<ClientOutcome<C>> {
        let mut outcomes = Vec::new();
        while let Some(entry) = self.schedule.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let branch = entry.remove();
            let Some(txn) = self.entries.get_mut(&branch) else {
                continue;
            };
            if let Some(until) = txn.completed_until {
                if now >= until {
                    self.entries.remove(&branch);
                }
                continue;
            }
            if now >= txn.deadline {
                if let Some(context) = txn.context.take() {
                    outcomes.push(ClientOutcome::Timeout { context });
                }
                self.entries.remove(&branch);
                continue;
            }
            if let Some(at) = txn.next_retransmit {
                if now >= at {
                    resend.push(Transmit {
                        destination: txn.destination.clone(),
                        bytes: txn.request.clone(),
                    });
                    let interval = if txn.interval >= T2_MS {
                        T2_MS
                    } else {
                        (txn.interval * 2).min(T2_MS)
                    };
                    txn.interval = interval;
                    let next = now + interval;
                    txn.next_retransmit = Some(next);
                    self.schedule_at(next, &branch);
                }
            }
        }
        outcomes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::io::Transport;
    use std::net::SocketAddr;

    fn udp_path() -> ReplyPath {
        ReplyPath {
            shard: 0,
            peer: SocketAddr::from(([127, 0, 0, 1], 5070)),
            transport: Transport::Udp,
        }
    }

    #[test]
    fn server_absorbs_then_resends_then_forgets() {
        let mut txns = ServerTransactions::new(10);
        let key = ("z9hG4bK1".to_owned(), "MESSAGE".to_owned());
        assert_eq!(txns.on_request(&key, &udp_path(), 0), ServerVerdict::New);
        assert_eq!(
            txns.on_request(&key, &udp_path(), 100),
            ServerVerdict::Absorb
        );
        let sent = txns
            .on_final(&key, b"SIP/2.0 200 OK".to_vec(), 200)
            .unwrap();
        assert_eq!(sent.bytes, b"SIP/2.0 200 OK");
        assert_eq!(
            txns.on_request(&key, &udp_path(), 300),
            ServerVerdict::Resend(b"SIP/2.0 200 OK".to_vec())
        );
        txns.on_timer(200 + TIMEOUT_MS);
        assert!(txns.is_empty());
        assert_eq!(
            txns.on_request(&key, &udp_path(), 200 + TIMEOUT_MS),
            ServerVerdict::New
        );
    }

    #[test]
    fn server_table_is_bounded() {
        let mut txns = ServerTransactions::new(1);
        let a = ("a".to_owned(), "MESSAGE".to_owned());
        let b = ("b".to_owned(), "MESSAGE".to_owned());
        assert_eq!(txns.on_request(&a, &udp_path(), 0), ServerVerdict::New);
        assert_eq!(txns.on_request(&b, &udp_path(), 0), ServerVerdict::Full);
    }

    #[test]
    fn client_retransmits_on_timer_e_schedule_and_times_out_at_f() {
        let mut txns = ClientTransactions::new(10);
        let dest = Destination::Udp(SocketAddr::from(([127, 0, 0, 1], 5090)));
        assert!(txns.start("b1".into(), b"NOTIFY".to_vec(), dest, 0, 7u32));
        let mut resend = Vec::new();
        let mut times = Vec::new();
        let mut outcome = Vec::new();
        for now in (0..=TIMEOUT_MS).step_by(10) {
            let before = resend.len();
            outcome.extend(txns.on_timer(now, &mut resend));
            if resend.len() > before {
                times.push(now);
            }
        }
        // 500, 1500, 3500, 7500, 11500, ... (doubling to T2 = 4 s)
        assert_eq!(&times[..5], &[500, 1500, 3500, 7500, 11500]);
        assert_eq!(outcome, vec![ClientOutcome::Timeout { context: 7 }]);
        assert!(txns.is_empty());
    }

    #[test]
    fn client_final_response_once_then_absorbs_copies() {
        let mut txns = ClientTransactions::new(10);
        let dest = Destination::Udp(SocketAddr::from(([127, 0, 0, 1], 5090)));
        txns.start("b1".into(), b"MESSAGE".to_vec(), dest, 0, "ctx");
        assert_eq!(txns.on_response("b1", 100, 10), None);
        assert_eq!(
            txns.on_response("b1", 200, 20),
            Some(ClientOutcome::Final {
                status: 200,
                context: "ctx"
            })
        );
        assert_eq!(txns.on_response("b1", 200, 30), None);
        let mut resend = Vec::new();
        assert!(txns.on_timer(20 + T4_MS, &mut resend).is_empty());
        assert!(resend.is_empty());
        assert!(txns.is_empty());
    }

    #[test]
    fn reliable_transport_never_retransmits() {
        let mut txns = ClientTransactions::new(10);
        let dest = Destination::TcpTo(SocketAddr::from(([127, 0, 0, 1], 5090)));
        txns.start("b1".into(), b"MESSAGE".to_vec(), dest, 0, ());
        let mut resend = Vec::new();
        let outcomes = txns.on_timer(TIMEOUT_MS, &mut resend);
        assert!(resend.is_empty());
        assert_eq!(outcomes, vec![ClientOutcome::Timeout { context: () }]);
    }
}
