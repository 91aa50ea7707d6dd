//! A small TCP server around the simulator: one acceptor thread and one thread per connection
//! (bounded by [`crate::SmscConfig::max_connections`]), on plain `std::net`.
//!
//! Why threads and a mutex here, when DESIGN.md forbids both on the data path: this is the
//! *SMSC simulator*, a demo and test tool that stands in for a carrier's SMSC — not part of
//! the node's data path. The shared [`Smsc`] (throttle counter, ids, records, MO queue) sits
//! behind one `Mutex`, held only while a connection feeds it a chunk or a tick. Each
//! connection polls with a short read timeout, so receipts and injected MOs go out within
//! about [`TICK`] of being due.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::smsc::{InjectError, RecordedSubmit, Smsc, SmscConfig, SmscConnection, SmscCounters};

/// Longest a connection thread sleeps in `read` before it looks at its timers again.
pub const TICK: Duration = Duration::from_millis(5);

/// Octets read per `read` call.
const READ_CHUNK: usize = 16 * 1024;

#[derive(Debug)]
struct Shared {
    smsc: Mutex<Smsc>,
    stop: AtomicBool,
    live: AtomicUsize,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

impl Shared {
    /// A panicking connection thread must not take the simulator down with it.
    fn smsc(&self) -> MutexGuard<'_, Smsc> {
        self.smsc.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Milliseconds since the Unix epoch: the simulator's clock, so that receipt dates are real.
fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Starts simulators.
#[derive(Debug)]
pub struct SmscServer;

impl SmscServer {
    /// Listens on `bind` (port 0 picks a free one) and serves until [`SmscHandle::stop`] or
    /// the handle is dropped.
    pub fn start(bind: SocketAddr, config: SmscConfig) -> io::Result<SmscHandle> {
        let listener = TcpListener::bind(bind)?;
        listener.set_nonblocking(true)?;
        let local_addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            smsc: Mutex::new(Smsc::new(config)),
            stop: AtomicBool::new(false),
            live: AtomicUsize::new(0),
            threads: Mutex::new(Vec::new()),
        });
        let acceptor_shared = Arc::clone(&shared);
        let acceptor = thread::Builder::new()
            .name("smsc-accept".into())
            .spawn(move || accept_loop(&listener, &acceptor_shared))?;
        Ok(SmscHandle {
            local_addr,
            shared,
            acceptor: Some(acceptor),
        })
    }
}

/// A running simulator.
#[derive(Debug)]
pub struct SmscHandle {
    local_addr: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

impl SmscHandle {
    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Queues an MO for the next bound receiver/transceiver (see [`Smsc::inject_mo`]).
    pub fn inject_mo(
        &self,
        source_msisdn: &str,
        dest_address: &str,
        text: &str,
    ) -> Result<usize, InjectError> {
        self.shared
            .smsc()
            .inject_mo(source_msisdn, dest_address, text)
    }

    /// Every accepted submit so far (bounded by `max_records`).
    pub fn submits(&self) -> Vec<RecordedSubmit> {
        self.shared.smsc().submits()
    }

    /// The counters so far.
    pub fn counters(&self) -> SmscCounters {
        self.shared.smsc().counters()
    }

    /// Stops accepting, closes every connection and joins all threads.
    pub fn stop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
        let threads = std::mem::take(
            &mut *self
                .shared
                .threads
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        for thread in threads {
            let _ = thread.join();
        }
    }
}

impl Drop for SmscHandle {
    fn drop(&mut self) {
        self.stop();
    }
}

fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>) {
    while !shared.stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, _peer)) => {
                let max = shared.smsc().config().max_connections;
                if shared.live.load(Ordering::SeqCst) >= max {
                    shared.smsc().counters_mut().connections_refused += 1;
                    drop(stream);
                    continue;
                }
                shared.live.fetch_add(1, Ordering::SeqCst);
                let conn_shared = Arc::clone(shared);
                let spawned = thread::Builder::new()
                    .name("smsc-conn".into())
                    .spawn(move || {
                        serve(stream, &conn_shared);
                        conn_shared.live.fetch_sub(1, Ordering::SeqCst);
                    });
                match spawned {
                    Ok(handle) => {
                        let mut threads = shared
                            .threads
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner);
                        threads.retain(|t| !t.is_finished());
                        threads.push(handle);
                    }
                    Err(_) => {
                        shared.live.fetch_sub(1, Ordering::SeqCst);
                    }
                }
            }
            Err(err) if err.kind() == ErrorKind::WouldBlock => thread::sleep(TICK),
            Err(_) => thread::sleep(TICK),
        }
    }
}

/// One connection's loop: read (with a short timeout), feed, tick, write; until closed.
fn serve(stream: TcpStream, shared: &Shared) {
    let mut stream = stream;
    let ready = stream
        .set_nonblocking(false)
        .and_then(|()| stream.set_read_timeout(Some(TICK)))
        .and_then(|()| stream.set_nodelay(true));
    let mut conn = SmscConnection::new(&mut shared.smsc());
    let mut buf = vec![0u8; READ_CHUNK];
    let mut open = ready.is_ok();
    while open && !shared.stop.load(Ordering::SeqCst) {
        match stream.read(&mut buf) {
            Ok(0) => open = false,
            Ok(n) => conn.on_bytes(
                &mut shared.smsc(),
                buf.get(..n).unwrap_or_default(),
                now_ms(),
            ),
            Err(err) if matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(err) if err.kind() == ErrorKind::Interrupted => {}
            Err(_) => open = false,
        }
        conn.on_timer(&mut shared.smsc(), now_ms());
        while let Some(bytes) = conn.poll_transmit() {
            if stream.write_all(&bytes).is_err() {
                open = false;
            }
        }
        if conn.is_closed() {
            open = false;
        }
    }
    let _ = stream.flush();
    conn.on_disconnected(&mut shared.smsc());
}
