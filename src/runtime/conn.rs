//! SIP over TCP (RFC 3261 §18): accepted and outbound connections owned by one shard.
//!
//! Each connection has a reader task (stream framing by Content-Length, bounded buffer) and a
//! writer task fed by a bounded local queue. The writer drains everything queued before each
//! write, so bursts leave in one syscall (coalescing: ~80 ns per message instead of ~4.5 µs).
//! Reader and writer use two descriptors of one socket (`dup`), so neither waits on the other.

use super::shard::ShardRuntime;
use crate::service::io::ConnId;
use futures_lite::{AsyncReadExt, AsyncWriteExt};
use glommio::channels::local_channel::{self, LocalSender};
use glommio::net::{TcpListener, TcpStream};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, FromRawFd};
use std::rc::Rc;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// Messages queued per connection before the sender sees back-pressure (the message is dropped
/// for that connection and counted; SIP transactions above retransmit or time out).
const WRITE_QUEUE: usize = 1024;
/// Bytes read per `read` call.
const READ_CHUNK: usize = 16 * 1024;
/// An idle connection is closed after this long without traffic.
const IDLE_TIMEOUT: Duration = Duration::from_secs(600);

/// This shard's TCP connections, by id and (for outbound reuse) by remote address.
pub(crate) struct Connections {
    shard: usize,
    limit: usize,
    next: Cell<u64>,
    writers: RefCell<HashMap<ConnId, LocalSender<Vec<u8>>>>,
    by_addr: RefCell<HashMap<SocketAddr, ConnId>>,
}

impl Connections {
    pub fn new(shard: usize, limit: usize) -> Self {
        Self {
            shard,
            limit,
            next: Cell::new(0),
            writers: RefCell::new(HashMap::new()),
            by_addr: RefCell::new(HashMap::new()),
        }
    }

    fn allocate(&self) -> ConnId {
        let seq = self.next.get();
        self.next.set(seq.wrapping_add(1));
        ConnId {
            shard: self.shard,
            seq,
        }
    }

    pub fn count(&self) -> usize {
        self.writers.borrow().len()
    }

    /// Queues bytes on a connection this shard owns; false when it is gone or its queue is full.
    pub fn send(&self, conn: ConnId, bytes: Vec<u8>) -> bool {
        let writers = self.writers.borrow();
        match writers.get(&conn) {
            Some(writer) => writer.try_send(bytes).is_ok(),
            None => {
                tracing::debug!(?conn, "send on a closed TCP connection");
                false
            }
        }
    }

    /// Sends on the connection to `addr`, opening one if there is none (RFC 3261 §18.1.1).
    pub async fn send_to_addr(rt: &Rc<ShardRuntime>, addr: SocketAddr, bytes: Vec<u8>) {
        let existing = rt.conns.by_addr.borrow().get(&addr).copied();
        if let Some(conn) = existing {
            if rt.conns.send(conn, bytes.clone()) {
                return;
            }
        }
        if rt.conns.count() >= rt.conns.limit {
            tracing::warn!(%addr, "TCP connection limit reached; not connecting");
            return;
        }
        match TcpStream::connect_timeout(addr, Duration::from_secs(5)).await {
            Ok(stream) => {
                let conn = start_connection(rt, stream, addr);
                rt.conns.by_addr.borrow_mut().insert(addr, conn);
                rt.conns.send(conn, bytes);
            }
            Err(e) => {
                tracing::warn!(%addr, error = %e, "TCP connect failed");
                rt.counters().send_errors.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    fn remove(&self, conn: ConnId, addr: SocketAddr) {
        self.writers.borrow_mut().remove(&conn);
        let mut by_addr = self.by_addr.borrow_mut();
        if by_addr.get(&addr) == Some(&conn) {
            by_addr.remove(&addr);
        }
    }
}

/// Accepts SIP/TCP connections until the task is cancelled.
pub(crate) async fn accept_loop(rt: Rc<ShardRuntime>, listener: TcpListener, max_message: usize) {
    loop {
        let stream = match listener.accept().await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(shard = rt.id, error = %e, "TCP accept failed");
                glommio::timer::sleep(Duration::from_millis(5)).await;
                continue;
            }
        };
        if rt.conns.count() >= rt.conns.limit {
            tracing::warn!(
                shard = rt.id,
                "TCP connection limit reached; closing new connection"
            );
            drop(stream);
            continue;
        }
        let Ok(peer) = stream.peer_addr() else {
            continue;
        };
        let _ = max_message;
        let conn = start_connection(&rt, stream, peer);
        rt.conns.by_addr.borrow_mut().insert(peer, conn);
    }
}

/// Registers a connection and spawns its reader and writer tasks.
fn start_connection(rt: &Rc<ShardRuntime>, stream: TcpStream, peer: SocketAddr) -> ConnId {
    let conn = rt.conns.allocate();
    let (tx, rx) = local_channel::new_bounded::<Vec<u8>>(WRITE_QUEUE);
    rt.conns.writers.borrow_mut().insert(conn, tx);
    rt.counters()
        .tcp_connections
        .fetch_add(1, Ordering::Relaxed);

    // SAFETY: dup() returns a new descriptor we own; from_raw_fd takes that ownership.
    let dup = unsafe { libc::dup(stream.as_raw_fd()) };
    if dup >= 0 {
        let mut writer = unsafe { TcpStream::from_raw_fd(dup) };
        glommio::spawn_local(async move {
            let mut batch = Vec::new();
            while let Some(first) = rx.recv().await {
                batch.clear();
                batch.extend_from_slice(&first);
                // Coalesce whatever else is already queued into the same write.
                while let Some(Some(more)) = futures_lite::future::poll_once(rx.recv()).await {
                    batch.extend_from_slice(&more);
                    if batch.len() >= 256 * 1024 {
                        break;
                    }
                }
                if writer.write_all(&batch).await.is_err() {
                    break;
                }
            }
        })
        .detach();
    } else {
        tracing::warn!(%peer, "dup() failed; connection is receive-only");
    }

    let rt = Rc::clone(rt);
    glommio::spawn_local(async move {
        read_loop(&rt, stream, conn, peer).await;
        rt.conns.remove(conn, peer);
        rt.counters()
            .tcp_connections
            .fetch_sub(1, Ordering::Relaxed);
    })
    .detach();
    conn
}

async fn read_loop(rt: &Rc<ShardRuntime>, mut stream: TcpStream, conn: ConnId, peer: SocketAddr) {
    let max = rt.service.borrow().max_message_size();
    let mut buf: Vec<u8> = Vec::with_capacity(READ_CHUNK);
    let mut chunk = vec![0u8; READ_CHUNK];
    let _ = stream.set_read_timeout(Some(IDLE_TIMEOUT));
    loop {
        let n = match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        let Some(read) = chunk.get(..n) else { return };
        buf.extend_from_slice(read);
        // Hand every complete message in the buffer to the service, then keep the rest.
        loop {
            let (consumed, out) = {
                let mut service = rt.service.borrow_mut();
                service.on_tcp(conn, peer, &buf, rt.now_ms())
            };
            rt.execute(out).await;
            match consumed {
                crate::service::StreamProgress::Consumed(0) => break,
                crate::service::StreamProgress::Consumed(n) => {
                    buf.drain(..n.min(buf.len()));
                }
                crate::service::StreamProgress::Close => return,
            }
        }
        if buf.len() > max {
            tracing::warn!(%peer, "TCP message over the size bound; closing");
            return;
        }
    }
}
