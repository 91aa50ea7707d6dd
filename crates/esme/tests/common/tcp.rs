//! A tiny blocking runtime for the ESME session over real TCP (std only): what the node's
//! glommio runtime does, minus the reactor.
#![allow(dead_code)]

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use smartchat_esme::{EsmeConfig, EsmeEvent, EsmeSession};
use smartchat_smpp::CommandStatus;

pub struct TcpDriver {
    pub esme: EsmeSession,
    pub addr: SocketAddr,
    pub stream: Option<TcpStream>,
    pub start: Instant,
    pub events: Vec<EsmeEvent>,
    pub auto_ack: bool,
}

impl TcpDriver {
    pub fn new(config: EsmeConfig, addr: SocketAddr) -> Self {
        TcpDriver {
            esme: EsmeSession::new(config).expect("valid config"),
            addr,
            stream: None,
            start: Instant::now(),
            events: Vec::new(),
            auto_ack: true,
        }
    }

    pub fn now(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn flush(&mut self) {
        while let Some(bytes) = self.esme.poll_transmit() {
            let failed = self
                .stream
                .as_mut()
                .is_some_and(|stream| stream.write_all(&bytes).is_err());
            if failed {
                self.stream = None;
                self.esme.on_disconnected(self.now());
            }
        }
    }

    /// One turn: connect when wanted, read what is there (waiting at most 5 ms), tick, write.
    pub fn step(&mut self) {
        let now = self.now();
        if self.stream.is_none() && self.esme.wants_connect(now) {
            match TcpStream::connect_timeout(&self.addr, Duration::from_secs(2)) {
                Ok(stream) => {
                    stream
                        .set_read_timeout(Some(Duration::from_millis(5)))
                        .unwrap();
                    stream.set_nodelay(true).unwrap();
                    self.stream = Some(stream);
                    self.esme.on_connected(now);
                }
                Err(_) => self.esme.on_connect_failed(now),
            }
        }
        let mut buf = [0u8; 8192];
        let read = self.stream.as_mut().map(|stream| stream.read(&mut buf));
        match read {
            Some(Ok(0)) => {
                self.stream = None;
                self.esme.on_disconnected(self.now());
            }
            Some(Ok(n)) => self.esme.on_bytes(&buf[..n], self.now()),
            Some(Err(e)) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Some(Err(_)) => {
                self.stream = None;
                self.esme.on_disconnected(self.now());
            }
            None => std::thread::sleep(Duration::from_millis(5)),
        }
        self.esme.on_timer(self.now());
        self.flush();
        while let Some(event) = self.esme.poll_event() {
            match &event {
                EsmeEvent::Disconnected { .. } => {
                    self.flush();
                    self.stream = None;
                }
                EsmeEvent::DeliveryReceipt { seq, .. }
                | EsmeEvent::MobileOriginated { seq, .. }
                    if self.auto_ack =>
                {
                    self.esme
                        .ack_deliver(*seq, CommandStatus::Ok)
                        .expect("fresh delivery");
                }
                _ => {}
            }
            self.events.push(event);
        }
        self.flush();
    }

    /// Steps until `done(events)` or `timeout` of wall time; returns whether it held.
    pub fn run_until(
        &mut self,
        timeout: Duration,
        mut done: impl FnMut(&[EsmeEvent]) -> bool,
    ) -> bool {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            self.step();
            if done(&self.events) {
                return true;
            }
        }
        false
    }
}
