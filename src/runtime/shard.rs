//! One shard's event loop: UDP receive, TCP accept, mesh receive and a timer, all feeding the
//! one [`ShardService`] this shard owns, and one executor of its outputs.
//!
//! The service is behind `Rc<RefCell<…>>` because several glommio tasks on the *same* thread feed
//! it; a borrow never lives across an `.await`, so the `RefCell` can never be found borrowed.

use super::conn::Connections;
use super::health::{ShardLiveness, ShardState, SmscState, WalState};
use super::ShardContext;
use crate::metrics::ShardCounters;
use crate::service::io::{Destination, Outputs, ShardMsg};
use crate::service::ShardService;
use glommio::channels::channel_mesh::Senders;
use glommio::channels::local_channel::LocalSender;
use glommio::net::{TcpListener, UdpSocket};
use std::cell::RefCell;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How often the timer task wakes to run expiries and retransmissions.
const TICK: Duration = Duration::from_millis(10);
/// Largest UDP datagram read (the SIP size bound is checked by the codec on top).
const UDP_BUFFER: usize = 65_536;

/// Everything a task on this shard needs, shared by `Rc` (never across threads).
pub(crate) struct ShardRuntime {
    pub id: usize,
    pub service: RefCell<ShardService>,
    pub udp: UdpSocket,
    pub senders: Senders<ShardMsg>,
    pub conns: Connections,
    pub counters: Arc<[ShardCounters]>,
    pub started: Instant,
    /// This shard's subscriber store directory.
    pub store_dir: PathBuf,
    /// What this shard publishes for readiness (`GET /health`).
    pub health: Arc<super::health::NodeHealth>,
    /// The SMSC connection's writer queue, while connected.
    pub smsc_writer: RefCell<Option<LocalSender<Vec<u8>>>>,
    /// Rings the WAL task when records wait for a group commit.
    pub wal_doorbell: LocalSender<()>,
    /// WAL segments to delete (every record in them final).
    pub wal_reclaim: RefCell<Vec<smartchat_wal::SegmentId>>,
}

impl ShardRuntime {
    /// Milliseconds since the node started: the service's monotonic clock.
    pub fn now_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    pub fn counters(&self) -> &ShardCounters {
        &self.counters[self.id]
    }

    /// This shard's readiness entry.
    pub fn liveness(&self) -> Option<&ShardLiveness> {
        self.health.shard(self.id)
    }

    /// The timer tick's heartbeat: alive, with the SMSC session's and the WAL's state.
    fn beat(&self) {
        let Some(liveness) = self.liveness() else {
            return;
        };
        let (smsc, wal) = {
            let svc = self.service.borrow();
            let smsc = svc
                .smsc_state()
                .map_or(SmscState::Disconnected, SmscState::from);
            let wal = if svc.sms_full() {
                WalState::Full
            } else {
                WalState::Ok
            };
            (smsc, wal)
        };
        liveness.beat(self.now_ms(), smsc, wal, self.conns.count());
    }

    /// Makes the outputs' store records durable (one fdatasync for the batch).
    pub(crate) fn persist(&self, outputs: &Outputs) -> Result<(), String> {
        if outputs.persist.is_empty() {
            return Ok(());
        }
        crate::store::append(&self.store_dir, &outputs.persist).map_err(|e| {
            tracing::error!(shard = self.id, error = %e, "cannot persist subscriber change");
            format!("store: {e}")
        })
    }

    /// Sends what one service call produced. Never holds the service borrow.
    /// Store records are made durable first; if that fails, admin replies turn into failures.
    pub async fn execute(self: &Rc<Self>, mut outputs: Outputs) {
        if !outputs.smsc.is_empty() {
            let bytes = std::mem::take(&mut outputs.smsc);
            let sent = self
                .smsc_writer
                .borrow()
                .as_ref()
                .is_some_and(|w| w.try_send(bytes).is_ok());
            if !sent {
                tracing::warn!(
                    shard = self.id,
                    "SMPP bytes with no SMSC connection; the session will resend"
                );
            }
        }
        if outputs.wal_pending {
            let _ = self.wal_doorbell.try_send(());
        }
        if !outputs.wal_reclaim.is_empty() {
            self.wal_reclaim
                .borrow_mut()
                .append(&mut outputs.wal_reclaim);
            let _ = self.wal_doorbell.try_send(());
        }
        // Admin jobs persist before they get here (and clear `persist`); nothing else fills it.
        let _ = self.persist(&outputs);
        for transmit in outputs.transmits {
            match transmit.destination {
                Destination::Udp(addr) => self.send_udp(&transmit.bytes, addr).await,
                Destination::Tcp(conn) if conn.shard == self.id => {
                    self.conns.send(conn, transmit.bytes);
                }
                Destination::Tcp(conn) => {
                    self.forward(
                        conn.shard,
                        ShardMsg::ConnSend {
                            conn,
                            bytes: transmit.bytes,
                        },
                    )
                    .await;
                }
                Destination::TcpTo(addr) => {
                    Connections::send_to_addr(self, addr, transmit.bytes).await;
                }
            }
        }
        for (shard, msg) in outputs.to_shards {
            self.forward(shard, msg).await;
        }
    }

    async fn send_udp(&self, bytes: &[u8], addr: SocketAddr) {
        if let Err(e) = self.udp.send_to(bytes, addr).await {
            tracing::warn!(shard = self.id, %addr, error = %e, "UDP send failed");
            self.counters().send_errors.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Puts a message on another shard's ring. A SIP request meeting a full ring is answered
    /// 503 + Retry-After by the service (back-pressure the sender sees); everything else waits
    /// for room, which bounds this task's progress rather than dropping anything.
    async fn forward(self: &Rc<Self>, shard: usize, msg: ShardMsg) {
        let counters = &self.counters[shard];
        match self.senders.try_send_to(shard, msg) {
            Ok(()) => {
                counters.ring_enqueued.fetch_add(1, Ordering::Relaxed);
            }
            Err(err) => {
                let msg = match err {
                    glommio::GlommioError::WouldBlock(glommio::ResourceType::Channel(msg)) => msg,
                    other => {
                        tracing::error!(shard = self.id, to = shard, error = %other, "ring send failed");
                        return;
                    }
                };
                self.counters().ring_full.fetch_add(1, Ordering::Relaxed);
                if let ShardMsg::SipRequest { bytes, reply, .. } = msg {
                    let out = self
                        .service
                        .borrow_mut()
                        .overloaded(&bytes, &reply, self.now_ms());
                    Box::pin(self.execute(out)).await;
                } else if self.senders.send_to(shard, msg).await.is_ok() {
                    counters.ring_enqueued.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }
}

/// A shard's main future: binds, spawns its tasks, returns on shutdown.
pub(crate) async fn run_shard(mut ctx: ShardContext) -> Result<(), String> {
    let (senders, mut receivers) = ctx
        .mesh
        .clone()
        .join()
        .await
        .map_err(|e| format!("cannot join the shard mesh: {e}"))?;
    let udp = UdpSocket::bind(ctx.config.sip.listen)
        .map_err(|e| format!("bind UDP {}: {e}", ctx.config.sip.listen))?;
    let tcp = TcpListener::bind(ctx.config.sip.listen)
        .map_err(|e| format!("bind TCP {}: {e}", ctx.config.sip.listen))?;
    let wall_clock = || {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
    };
    let wall = wall_clock();
    let (sms, wal_writer) = super::sms_io::open(&ctx, wall.saturating_mul(1000)).await?;
    let subscribers = std::mem::take(&mut ctx.subscribers);
    let mut service = ShardService::new(
        ctx.id,
        ctx.map,
        &ctx.config,
        subscribers,
        ctx.secret,
        wall,
        Arc::clone(&ctx.counters),
        Some(sms),
    );
    service.index_msisdns(std::mem::take(&mut ctx.msisdn_index));
    let (doorbell_tx, doorbell_rx) = super::sms_io::doorbell();
    let rt = Rc::new(ShardRuntime {
        id: ctx.id,
        service: RefCell::new(service),
        udp,
        senders,
        conns: Connections::new(ctx.id, ctx.config.sip.max_tcp_connections),
        counters: Arc::clone(&ctx.counters),
        started: ctx.started,
        store_dir: crate::store::shard_dir(&ctx.config.server.data_dir, ctx.id),
        health: Arc::clone(&ctx.health),
        smsc_writer: RefCell::new(None),
        wal_doorbell: doorbell_tx,
        wal_reclaim: RefCell::new(Vec::new()),
    });
    tracing::info!(shard = ctx.id, "shard serving");

    let mut tasks = vec![
        glommio::spawn_local(udp_loop(Rc::clone(&rt))),
        glommio::spawn_local(super::sms_io::wal_loop(
            Rc::clone(&rt),
            wal_writer,
            doorbell_rx,
        )),
    ];
    tasks.push(glommio::spawn_local(super::sms_io::smsc_loop(
        Rc::clone(&rt),
        ctx.smsc,
    )));
    tasks.push(glommio::spawn_local(super::conn::accept_loop(
        Rc::clone(&rt),
        tcp,
        ctx.config.sip.max_message_size,
    )));
    for (_, stream) in receivers.streams() {
        let rt = Rc::clone(&rt);
        tasks.push(glommio::spawn_local(async move {
            while let Some(msg) = stream.recv().await {
                rt.counters().ring_dequeued.fetch_add(1, Ordering::Relaxed);
                match msg {
                    ShardMsg::ConnSend { conn, bytes } => {
                        rt.conns.send(conn, bytes);
                    }
                    msg => {
                        let out = rt.service.borrow_mut().on_shard_msg(msg, rt.now_ms());
                        rt.execute(out).await;
                    }
                }
            }
        }));
    }
    if let Some(admin_rx) = ctx.admin_rx.take() {
        tasks.push(glommio::spawn_local(super::admin::serve_jobs(
            Rc::clone(&rt),
            admin_rx,
        )));
    }
    rt.beat();
    if let Some(liveness) = rt.liveness() {
        liveness.set_state(ShardState::Serving);
    }

    // The timer task doubles as the shutdown watcher.
    loop {
        glommio::timer::sleep(TICK).await;
        let now = rt.now_ms();
        let out = rt.service.borrow_mut().on_timer(now);
        rt.execute(out).await;
        rt.beat();
        if ctx.shutdown.load(Ordering::Relaxed) {
            break;
        }
    }
    tracing::info!(shard = ctx.id, "shard shutting down");
    if let Some(liveness) = rt.liveness() {
        liveness.set_state(ShardState::Stopping);
    }
    let out = rt.service.borrow_mut().shutdown(rt.now_ms());
    rt.execute(out).await;
    rt.senders.close();
    for task in tasks {
        task.cancel().await;
    }
    Ok(())
}

async fn udp_loop(rt: Rc<ShardRuntime>) {
    let mut buf = vec![0u8; UDP_BUFFER];
    loop {
        let (len, peer) = match rt.udp.recv_from(&mut buf).await {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(shard = rt.id, error = %e, "UDP receive failed");
                glommio::timer::sleep(Duration::from_millis(1)).await;
                continue;
            }
        };
        let Some(datagram) = buf.get(..len) else {
            continue;
        };
        let out = rt.service.borrow_mut().on_udp(peer, datagram, rt.now_ms());
        rt.execute(out).await;
    }
}
