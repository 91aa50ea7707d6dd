//! The data that crosses the boundary between the sans-IO service and the glommio runtime.
//!
//! The service never sends a byte itself: it returns [`Transmit`]s and [`ShardMsg`]s in an
//! [`Outputs`] buffer the runtime drains after each call. That keeps every protocol decision
//! testable without sockets, and makes "what leaves the node" an explicit, inspectable value.

use smartchat_core::Subscriber;
use std::net::SocketAddr;

/// A shard's index, 0..N.
pub type ShardId = usize;

/// A TCP connection, named by the shard that owns its socket and a per-shard counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConnId {
    pub shard: ShardId,
    pub seq: u64,
}

/// Where bytes that the service produced go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// A UDP datagram to this address (sent from the shared SIP port).
    Udp(SocketAddr),
    /// Bytes on an existing TCP connection (possibly owned by another shard: the runtime routes).
    Tcp(ConnId),
    /// Open (or reuse) an outbound TCP connection to this address, then send.
    TcpTo(SocketAddr),
}

/// One message to send.
#[derive(Debug, Clone)]
pub struct Transmit {
    pub destination: Destination,
    pub bytes: Vec<u8>,
}

/// How a request reached this node, so the answer can go back the same way
/// (RFC 3261 §18.2.2: responses follow the Via, over the connection the request came on).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyPath {
    /// The shard whose socket received the request (it holds the server transaction).
    pub shard: ShardId,
    pub peer: SocketAddr,
    pub transport: Transport,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Udp,
    Tcp(ConnId),
}

impl ReplyPath {
    /// The destination of a response on this path.
    pub fn destination(&self) -> Destination {
        match self.transport {
            Transport::Udp => Destination::Udp(self.peer),
            Transport::Tcp(conn) => Destination::Tcp(conn),
        }
    }
}

/// Administrative operations, run on the shard that owns the subscriber (the admin HTTP thread
/// puts them on that shard's admin ring).
#[derive(Debug, Clone)]
pub enum AdminOp {
    Upsert(Box<Subscriber>),
    Remove(String),
    Export,
    Presence(String),
}

/// The answer to an [`AdminOp`].
#[derive(Debug, Clone)]
pub enum AdminReply {
    Done,
    NotFound,
    Failed(String),
    Subscribers(Vec<Subscriber>),
    Presence {
        status: String,
        contacts: Vec<String>,
        /// Live watcher dialogs as `call-id;our-tag`.
        watchers: Vec<String>,
    },
}

/// Where a request forwarded between shards is in its journey.
///
/// A request may need two owners: the shard that holds the *sender's* credentials (digest
/// check) and the shard that owns the *target* (the registrar, presentity or recipient).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestStage {
    /// Check the digest credentials of the sender, who this shard owns, then dispatch.
    Authenticate,
    /// Handle it: this shard owns the target. `authenticated` names the AOR whose credentials
    /// were verified (None when authentication is off or the sender is not local).
    Handle { authenticated: Option<String> },
}

/// Everything one shard sends another through the bounded channel mesh.
///
/// Raw SIP bytes travel rather than a parsed structure: parsing is a few hundred nanoseconds,
/// cheaper than building an owned copy of every header, and the receiving shard re-parses
/// against its own buffer with no lifetime tying it to the sender.
#[derive(Debug)]
pub enum ShardMsg {
    /// A SIP request for a subscriber this shard owns.
    SipRequest {
        bytes: Vec<u8>,
        reply: ReplyPath,
        stage: RequestStage,
    },
    /// A SIP response to a client transaction that the destination shard started
    /// (the branch names the shard).
    SipResponse {
        bytes: Vec<u8>,
    },
    /// A final response for a server transaction held by the destination shard.
    ServerTxnReply {
        reply: ReplyPath,
        branch: String,
        bytes: Vec<u8>,
        /// Sent right after the response, in order (e.g. the first NOTIFY of a subscription).
        then: Vec<Transmit>,
    },
    /// Bytes for a TCP connection the destination shard owns.
    ConnSend {
        conn: ConnId,
        bytes: Vec<u8>,
    },
    /// A receipt or MO about a phone, travelling to the phone's subscriber shard.
    SmsIn {
        event: super::sms::SmsIn,
        msisdn: String,
        ack: smartchat_relay::DeliverSmRef,
        stage: super::sms::SmsStage,
    },
    /// deliver_sm_resp for a deliver_sm the destination shard's session received.
    AckDeliverSm {
        seq: smartchat_esme::DeliverSeq,
        status: smartchat_smpp::CommandStatus,
    },
    /// An IM produced by the relay (from an SMS, a held IM, a notice), for the recipient's shard.
    DeliverIm {
        im: smartchat_relay::DeliverIm,
        origin: ShardId,
    },
    /// What became of a DeliverIm, for the relay that produced it.
    ImOutcome {
        id: u64,
        outcome: smartchat_relay::ImOutcome,
    },
    /// A user came online: release IMs held for them on every shard.
    UserOnline {
        aor: String,
    },
    /// Maintain the MSISDN index (on the shard that owns the number).
    IndexMsisdn {
        msisdn: String,
        aor: String,
    },
    UnindexMsisdn {
        msisdn: String,
        aor: String,
    },
}

/// A durable change to this shard's subscriber store.
#[derive(Debug, Clone)]
pub enum StoreOp {
    Upsert(Box<Subscriber>),
    Remove(String),
}

/// What one call into the service produced, drained by the runtime after every call.
///
/// `persist` comes first: the runtime makes those records durable *before* it releases any
/// transmit or shard message of the same batch ("acknowledge only after persisted", as data).
#[derive(Debug, Default)]
pub struct Outputs {
    pub persist: Vec<StoreOp>,
    pub transmits: Vec<Transmit>,
    pub to_shards: Vec<(ShardId, ShardMsg)>,
    /// Bytes for this shard's SMSC connection.
    pub smsc: Vec<u8>,
    /// The WAL has records waiting for a group commit.
    pub wal_pending: bool,
    /// WAL segments whose every record is final: delete them.
    pub wal_reclaim: Vec<smartchat_wal::SegmentId>,
}

impl Outputs {
    pub fn send(&mut self, destination: Destination, bytes: Vec<u8>) {
        self.transmits.push(Transmit { destination, bytes });
    }

    pub fn to_shard(&mut self, shard: ShardId, msg: ShardMsg) {
        self.to_shards.push((shard, msg));
    }

    /// Appends another call's outputs, keeping order.
    pub fn merge(&mut self, other: Outputs) {
        self.persist.extend(other.persist);
        self.transmits.extend(other.transmits);
        self.to_shards.extend(other.to_shards);
        self.smsc.extend(other.smsc);
        self.wal_pending |= other.wal_pending;
        self.wal_reclaim.extend(other.wal_reclaim);
    }

    pub fn is_empty(&self) -> bool {
        self.persist.is_empty() && self.transmits.is_empty() && self.to_shards.is_empty()
    }
}
