//! Test harnesses: an ESME session and the simulator wired together in memory with a virtual
//! clock (after quinn-proto's `tests/util.rs`), and small builders.
#![allow(dead_code)]

pub mod tcp;
pub mod wire;

use smartchat_esme::{
    EsmeConfig, EsmeEvent, EsmeSession, OwnedAddress, Smsc, SmscConfig, SmscConnection,
    SubmitRequest,
};
use smartchat_smpp::CommandStatus;

/// An ESME config with short, test-friendly timers.
pub fn esme_config() -> EsmeConfig {
    EsmeConfig {
        system_id: "esme1".into(),
        password: "pwd".into(),
        window: 10,
        queue_capacity: 1000,
        enquire_link_interval_ms: 30_000,
        response_timeout_ms: 2_000,
        reconnect_backoff_min_ms: 100,
        reconnect_backoff_max_ms: 1_600,
        throttle_pause_ms: 250,
        ..EsmeConfig::default()
    }
}

/// A GSM text submit from the service number to `dest`, asking for a receipt.
pub fn text_submit(dest: &str, text: &str) -> SubmitRequest {
    SubmitRequest {
        source: OwnedAddress::international("4915100000001"),
        dest: OwnedAddress::international(dest),
        registered_delivery: 1,
        short_message: text.as_bytes().to_vec(),
        ..SubmitRequest::default()
    }
}

/// Whether `event` ends its token's life.
pub fn final_token(event: &EsmeEvent) -> Option<u64> {
    match event {
        EsmeEvent::Submitted { token, .. }
        | EsmeEvent::SubmitFailed { token, .. }
        | EsmeEvent::SubmitTimedOut { token, .. } => Some(*token),
        _ => None,
    }
}

/// ESME and simulator in memory, one virtual clock.
pub struct World {
    pub esme: EsmeSession,
    pub smsc: Smsc,
    pub conn: Option<SmscConnection>,
    pub now: u64,
    pub events: Vec<EsmeEvent>,
    /// Acknowledge every receipt and MO at once with ESME_ROK (a node whose store is instant).
    pub auto_ack: bool,
}

impl World {
    pub fn new(esme: EsmeConfig, smsc: SmscConfig) -> Self {
        World {
            esme: EsmeSession::new(esme).expect("valid config"),
            smsc: Smsc::new(smsc),
            conn: None,
            now: 0,
            events: Vec::new(),
            auto_ack: true,
        }
    }

    fn close_transport(&mut self) {
        if let Some(mut conn) = self.conn.take() {
            if let Some(bytes) = self.esme.poll_transmit() {
                conn.on_bytes(&mut self.smsc, &bytes, self.now);
            }
            conn.on_disconnected(&mut self.smsc);
        }
    }

    /// Lets both sides talk at the current time until neither has anything to say.
    pub fn settle(&mut self) {
        for _ in 0..100_000 {
            let mut progressed = false;
            if self.conn.is_none() && self.esme.wants_connect(self.now) {
                self.conn = Some(SmscConnection::new(&mut self.smsc));
                self.esme.on_connected(self.now);
                progressed = true;
            }
            if let Some(conn) = self.conn.as_mut() {
                conn.on_timer(&mut self.smsc, self.now);
                if let Some(bytes) = self.esme.poll_transmit() {
                    conn.on_bytes(&mut self.smsc, &bytes, self.now);
                    progressed = true;
                }
                if let Some(bytes) = conn.poll_transmit() {
                    self.esme.on_bytes(&bytes, self.now);
                    progressed = true;
                }
                if conn.is_closed() {
                    conn.on_disconnected(&mut self.smsc);
                    self.conn = None;
                    self.esme.on_disconnected(self.now);
                    progressed = true;
                }
            }
            self.esme.on_timer(self.now);
            while let Some(event) = self.esme.poll_event() {
                progressed = true;
                match &event {
                    EsmeEvent::Disconnected { .. } => self.close_transport(),
                    EsmeEvent::DeliveryReceipt { seq, .. }
                    | EsmeEvent::MobileOriginated { seq, .. }
                        if self.auto_ack =>
                    {
                        self.esme
                            .ack_deliver(*seq, CommandStatus::Ok)
                            .expect("fresh delivery acks");
                    }
                    _ => {}
                }
                self.events.push(event);
            }
            if !progressed {
                return;
            }
        }
        panic!("the two sides never went quiet");
    }

    /// The earliest deadline of either side.
    pub fn next_deadline(&self) -> Option<u64> {
        let esme = self.esme.next_deadline();
        let conn = self.conn.as_ref().and_then(SmscConnection::next_deadline);
        esme.into_iter().chain(conn).min()
    }

    /// Runs until `done(events)` holds or virtual time would pass `limit`; returns whether it
    /// held. The clock jumps from deadline to deadline.
    pub fn run_until(&mut self, limit: u64, mut done: impl FnMut(&[EsmeEvent]) -> bool) -> bool {
        for _ in 0..1_000_000 {
            self.settle();
            if done(&self.events) {
                return true;
            }
            let next = self
                .next_deadline()
                .map_or(u64::MAX, |next| next.max(self.now + 1));
            if next > limit {
                return false;
            }
            self.now = next;
        }
        false
    }
}
