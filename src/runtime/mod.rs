//! The glommio runtime: one pinned executor per shard, the only layer that knows sockets,
//! io_uring, clocks and threads.
//!
//! Why thread-per-core: a shard owns its subscribers outright (profile, contacts, watchers,
//! transactions), so the hot path takes no lock and touches no shared cache line. Shards speak
//! only through glommio's channel mesh — bounded single-producer/single-consumer rings, one per
//! ordered pair of shards. A full ring is back-pressure the caller sees (503 + Retry-After),
//! never a silent drop.
//!
//! The SIP port is bound once per shard with SO_REUSEPORT (glommio sets it), so the kernel
//! spreads UDP flows and TCP connections over the shards; a request that lands on the wrong
//! shard hops once through the mesh to its owner.

mod admin;
mod conn;
pub mod health;
mod http;
mod http_routes;
mod shard;
mod sms_io;

use crate::config::Config;
use crate::metrics::ShardCounters;
use crate::service::io::ShardMsg;
use crate::store;
use glommio::channels::channel_mesh::{Full, MeshBuilder};
use glommio::{LocalExecutorBuilder, Placement};
use smartchat_core::ShardMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// Why the node could not start or stopped abnormally.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error("subscriber store: {0}")]
    Store(#[from] store::StoreError),
    #[error("cannot start shard {shard}: {source}")]
    Spawn {
        shard: usize,
        source: glommio::GlommioError<()>,
    },
    #[error("shard {0} panicked")]
    ShardPanicked(usize),
    #[error("shard {shard} failed: {reason}")]
    ShardFailed { shard: usize, reason: String },
    #[error("cannot install signal handler: {0}")]
    Signal(std::io::Error),
    #[error(transparent)]
    Token(#[from] crate::admin_token::TokenError),
    #[error(transparent)]
    Http(#[from] http::HttpError),
    #[error("cannot start the built-in SMSC simulator on {addr}: {source}")]
    Simulator {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
}

/// Starts the built-in SMSC simulator (`serve` with no `--smsc`).
fn start_simulator(config: &Config) -> Result<smartchat_esme::SmscHandle, RuntimeError> {
    let smsc = &config.smsc;
    let sim = smartchat_esme::SmscConfig {
        system_id: "SMARTCHAT-SIM".to_owned(),
        accounts: vec![smartchat_esme::Account {
            system_id: smsc.system_id.clone(),
            password: smsc.password.clone(),
        }],
        receipt_delay_ms: smsc.simulator_receipt_delay_ms,
        throttle_every: smsc.simulator_throttle_every,
        echo_mo: true,
        ..smartchat_esme::SmscConfig::default()
    };
    smartchat_esme::SmscServer::start(smsc.simulator_listen, sim).map_err(|source| {
        RuntimeError::Simulator {
            addr: smsc.simulator_listen,
            source,
        }
    })
}

/// What every shard is handed at start-up (all of it `Send`; each shard builds its own state).
pub(crate) struct ShardContext {
    pub id: usize,
    pub config: Arc<Config>,
    pub map: ShardMap,
    pub mesh: MeshBuilder<ShardMsg, Full>,
    pub subscribers: Vec<smartchat_core::Subscriber>,
    pub counters: Arc<[ShardCounters]>,
    pub shutdown: Arc<AtomicBool>,
    pub started: Instant,
    /// Node-wide secret for stateless digest nonces.
    pub secret: [u8; 32],
    /// The SMSC every shard's ESME session binds to.
    pub smsc: std::net::SocketAddr,
    /// Readiness: every shard's liveness entry (this shard writes its own).
    pub health: Arc<health::NodeHealth>,
    /// This shard's admin ring (taken by the shard's admin task).
    pub admin_rx: Option<admin::AdminRx>,
    /// (MSISDN, AOR) pairs this shard indexes (the MSISDN hashes here).
    pub msisdn_index: Vec<(String, String)>,
}

/// Starts every shard and blocks until SIGTERM/SIGINT, then shuts down gracefully.
pub fn run(mut config: Config) -> Result<(), RuntimeError> {
    config
        .resolve_paths()
        .map_err(|e| RuntimeError::ShardFailed {
            shard: 0,
            reason: e.to_string(),
        })?;
    let shard_count = config.effective_shards();
    let shard_count_u16 = u16::try_from(shard_count).map_err(|_| RuntimeError::ShardFailed {
        shard: 0,
        reason: "too many shards".into(),
    })?;
    let map = ShardMap::new(1, shard_count_u16).map_err(|e| RuntimeError::ShardFailed {
        shard: 0,
        reason: e.to_string(),
    })?;
    let per_shard = store::load_for_start(&config, &map)?;
    let total: usize = per_shard.iter().map(Vec::len).sum();
    tracing::info!(
        shards = shard_count,
        subscribers = total,
        sip = %config.sip.listen,
        http = %config.http.listen,
        auth = config.sip.auth,
        "smartchat starting"
    );

    let token = admin_token(&config)?;
    let mut listeners = vec![(http::bind(config.http.listen)?, http::Scope::Admin)];
    if let Some(addr) = config.metrics.listen {
        listeners.push((http::bind(addr)?, http::Scope::MetricsOnly));
        tracing::info!(%addr, "metrics listener (/metrics and /health only)");
    }

    let shutdown = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(signal, Arc::clone(&shutdown)).map_err(RuntimeError::Signal)?;
    }

    let config = Arc::new(config);
    let counters: Arc<[ShardCounters]> =
        (0..shard_count).map(|_| ShardCounters::default()).collect();
    let mesh = MeshBuilder::<ShardMsg, Full>::full(shard_count, config.server.ring_capacity);
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let pin = config.server.pin && shard_count <= cpus;
    let started = Instant::now();
    let health = health::NodeHealth::new(shard_count, started);
    let secret = node_secret();
    let (smsc, simulator) = match config.smsc.address {
        Some(addr) => (addr, None),
        None => {
            let handle = start_simulator(&config)?;
            (handle.local_addr(), Some(Arc::new(handle)))
        }
    };
    tracing::info!(%smsc, simulator = simulator.is_some(), "SMSC");
    let mut msisdn_index: Vec<Vec<(String, String)>> =
        (0..shard_count).map(|_| Vec::new()).collect();
    for sub in per_shard.iter().flatten() {
        if let Some(msisdn) = &sub.msisdn {
            let shard = usize::from(map.msisdn_owner(msisdn).0);
            if let Some(list) = msisdn_index.get_mut(shard) {
                list.push((msisdn.clone(), sub.aor.clone()));
            }
        }
    }

    let (admin_tx, mut admin_rx): (Vec<_>, Vec<_>) = (0..shard_count)
        .map(|_| crossbeam::channel::bounded(admin::ADMIN_RING))
        .unzip();
    let (exits_tx, exits_rx) = crossbeam::channel::bounded(shard_count);
    let mut handles = Vec::with_capacity(shard_count);
    for ((id, subscribers), msisdn_index) in per_shard.into_iter().enumerate().zip(msisdn_index) {
        let ctx = ShardContext {
            id,
            config: Arc::clone(&config),
            map,
            mesh: mesh.clone(),
            subscribers,
            counters: Arc::clone(&counters),
            shutdown: Arc::clone(&shutdown),
            started,
            secret,
            smsc,
            health: Arc::clone(&health),
            admin_rx: admin_rx.get_mut(id).map(|rx| rx.clone()),
            msisdn_index,
        };
        let guard = ExitGuard {
            id,
            health: Arc::clone(&health),
            exits: exits_tx.clone(),
            clean: false,
        };
        let placement = if pin {
            Placement::Fixed(id)
        } else {
            Placement::Unbound
        };
        let handle = LocalExecutorBuilder::new(placement)
            .name(&format!("shard-{id}"))
            .spawn(move || async move {
                let mut guard = guard;
                let result = shard::run_shard(ctx).await;
                guard.clean = result.is_ok();
                result
            })
            .map_err(|e| RuntimeError::Spawn {
                shard: id,
                source: strip_glommio_error(e),
            })?;
        handles.push(handle);
    }

    drop(admin_rx);
    drop(exits_tx);
    let http_thread = http::start(
        http::HttpContext {
            token,
            map,
            admin: admin_tx,
            counters: Arc::clone(&counters),
            health: Arc::clone(&health),
            simulator,
            max_body: config.http.max_body_bytes,
            timeout: std::time::Duration::from_millis(config.http.request_timeout_ms),
        },
        listeners,
        config.http.max_connections,
        Arc::clone(&shutdown),
    )?;

    // Any shard's end, in whatever order: a shard that fails stops the node (a partial node
    // would silently lose a range), and readiness says `down` from that moment.
    for _ in 0..shard_count {
        let Ok((id, clean)) = exits_rx.recv() else {
            break;
        };
        if !clean {
            tracing::error!(shard = id, "shard died; stopping the node");
        }
        shutdown.store(true, Ordering::SeqCst);
    }
    let mut first_error = None;
    for (id, handle) in handles.into_iter().enumerate() {
        let outcome = match handle.join() {
            Ok(Ok(())) => Ok(()),
            Ok(Err(reason)) => Err(RuntimeError::ShardFailed { shard: id, reason }),
            Err(_) => Err(RuntimeError::ShardPanicked(id)),
        };
        if let Err(e) = outcome {
            tracing::error!(shard = id, error = %e, "shard stopped with an error");
            // One shard failing stops the node: a partial node would silently lose a range.
            shutdown.store(true, Ordering::SeqCst);
            first_error.get_or_insert(e);
        }
    }
    if http_thread.join().is_err() {
        tracing::error!("the HTTP thread panicked");
    }
    tracing::info!("smartchat stopped");
    first_error.map_or(Ok(()), Err)
}

/// Marks a shard's end in its liveness entry and tells the main thread, also when the shard's
/// thread unwinds from a panic (the guard is dropped either way).
struct ExitGuard {
    id: usize,
    health: Arc<health::NodeHealth>,
    exits: crossbeam::channel::Sender<(usize, bool)>,
    clean: bool,
}

impl Drop for ExitGuard {
    fn drop(&mut self) {
        if let Some(liveness) = self.health.shard(self.id) {
            liveness.set_state(if self.clean {
                health::ShardState::Stopped
            } else {
                health::ShardState::Failed
            });
        }
        let _ = self.exits.try_send((self.id, self.clean));
    }
}

/// The admin token: from `http.admin_token_file`, or `DATA_DIR/admin.token` (created when
/// missing). The path is logged, never the token.
fn admin_token(config: &Config) -> Result<String, RuntimeError> {
    match &config.http.admin_token_file {
        Some(path) => {
            let token = crate::admin_token::read(path)?;
            tracing::info!(path = %path.display(), "admin token from the configured file");
            Ok(token)
        }
        None => {
            let path = crate::admin_token::default_path(&config.server.data_dir);
            let (token, created) = crate::admin_token::load_or_create(&path)?;
            if created {
                tracing::info!(path = %path.display(), "admin token created (mode 0600)");
            } else {
                tracing::info!(path = %path.display(), "admin token reused");
            }
            Ok(token)
        }
    }
}

fn strip_glommio_error<T>(e: glommio::GlommioError<T>) -> glommio::GlommioError<()> {
    match e {
        glommio::GlommioError::IoError(io) => glommio::GlommioError::IoError(io),
        other => glommio::GlommioError::IoError(std::io::Error::other(other.to_string())),
    }
}

/// 32 random bytes from the kernel for this run's nonce secret.
fn node_secret() -> [u8; 32] {
    let mut secret = [0u8; 32];
    let filled = std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut secret));
    if filled.is_err() {
        // No entropy device: fall back to time and pid; nonces stay unforgeable only as far
        // as this is unpredictable, which is logged.
        tracing::warn!("/dev/urandom unavailable; nonce secret derived from time and pid");
        let seed = format!("{:?}{}", std::time::SystemTime::now(), std::process::id());
        for (i, b) in seed.bytes().enumerate() {
            secret[i % 32] ^= b;
        }
    }
    secret
}
