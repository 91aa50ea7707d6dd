//! The admin and metrics HTTP server: hyper 1.x on its own thread with a small current-thread
//! tokio runtime.
//!
//! Why its own thread: the shards' executors are the data path; an operator exporting a
//! million subscribers or a slow client must not sit on a shard's event loop. Why hyper: HTTP/1.1
//! framing (chunked bodies, pipelining, keep-alive, header limits) is a parser we should not
//! maintain ourselves. What this layer adds on top, as bounds: a connection cap (503 and close
//! beyond it), a header-read timeout and a whole-request timeout, a body limit (413), and the
//! bearer token on every path but `GET /health` and `GET /metrics` (401 and a log line with the
//! source address). Work that needs shard state travels to the owning shard over its bounded
//! admin ring ([`super::admin`]); see [`super::http_routes`] for the paths.

use super::admin::AdminTx;
use super::health::NodeHealth;
use crate::metrics::ShardCounters;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, RETRY_AFTER};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use smartchat_core::ShardMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// How often the server thread looks at the node's shutdown flag.
const SHUTDOWN_POLL: Duration = Duration::from_millis(50);

/// Everything a request handler may use (shared by every connection of the server thread).
pub(crate) struct HttpContext {
    pub token: String,
    pub map: ShardMap,
    /// One admin ring per shard, by shard id.
    pub admin: Vec<AdminTx>,
    pub counters: Arc<[ShardCounters]>,
    pub health: Arc<NodeHealth>,
    pub simulator: Option<Arc<smartchat_esme::SmscHandle>>,
    pub max_body: usize,
    pub timeout: Duration,
}

/// Which paths a listener serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// Everything (the `--http` listener).
    Admin,
    /// `/metrics` and `/health` only (the `--metrics` listener).
    MetricsOnly,
}

/// One answer before it becomes a hyper response.
#[derive(Debug)]
pub(crate) struct Reply {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn text(status: u16, body: impl Into<String>) -> Self {
        let mut body = body.into();
        if !body.ends_with('\n') {
            body.push('\n');
        }
        Self {
            status,
            content_type: "text/plain; charset=utf-8",
            body: body.into_bytes(),
        }
    }

    pub fn json(status: u16, value: &impl serde::Serialize) -> Self {
        match serde_json::to_vec_pretty(value) {
            Ok(mut body) => {
                body.push(b'\n');
                Self {
                    status,
                    content_type: "application/json",
                    body,
                }
            }
            Err(e) => Self::text(500, format!("cannot encode JSON: {e}")),
        }
    }
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("bind HTTP {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot start the HTTP thread: {0}")]
    Thread(std::io::Error),
}

/// Binds `addr` now (so a taken port fails start-up), non-blocking for tokio.
pub(crate) fn bind(addr: SocketAddr) -> Result<std::net::TcpListener, HttpError> {
    let listener =
        std::net::TcpListener::bind(addr).map_err(|source| HttpError::Bind { addr, source })?;
    listener
        .set_nonblocking(true)
        .map_err(|source| HttpError::Bind { addr, source })?;
    Ok(listener)
}

/// Starts the server thread on already-bound listeners; it returns when `shutdown` is set.
pub(crate) fn start(
    ctx: HttpContext,
    listeners: Vec<(std::net::TcpListener, Scope)>,
    max_connections: usize,
    shutdown: Arc<AtomicBool>,
) -> Result<std::thread::JoinHandle<()>, HttpError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
        .map_err(HttpError::Thread)?;
    std::thread::Builder::new()
        .name("http".to_owned())
        .spawn(move || {
            runtime.block_on(async move {
                let ctx = Arc::new(ctx);
                let permits = Arc::new(Semaphore::new(max_connections));
                for (listener, scope) in listeners {
                    match tokio::net::TcpListener::from_std(listener) {
                        Ok(listener) => {
                            tokio::spawn(accept_loop(
                                listener,
                                Arc::clone(&ctx),
                                scope,
                                Arc::clone(&permits),
                            ));
                        }
                        Err(e) => tracing::error!(error = %e, "HTTP listener unusable"),
                    }
                }
                while !shutdown.load(Ordering::Relaxed) {
                    tokio::time::sleep(SHUTDOWN_POLL).await;
                }
            });
            // Dropping the runtime cancels every connection task.
        })
        .map_err(HttpError::Thread)
}

async fn accept_loop(
    listener: tokio::net::TcpListener,
    ctx: Arc<HttpContext>,
    scope: Scope,
    permits: Arc<Semaphore>,
) {
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                tracing::warn!(error = %e, "HTTP accept failed");
                tokio::time::sleep(Duration::from_millis(5)).await;
                continue;
            }
        };
        let Ok(permit) = Arc::clone(&permits).try_acquire_owned() else {
            tracing::warn!(%peer, "HTTP connection refused: connection cap reached");
            let _ = stream.try_write(
                b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
            continue;
        };
        let ctx = Arc::clone(&ctx);
        tokio::spawn(async move {
            let _permit = permit;
            let timeout = ctx.timeout;
            let service = service_fn(move |req| {
                let ctx = Arc::clone(&ctx);
                async move { Ok::<_, Infallible>(handle(&ctx, scope, peer, req).await) }
            });
            let conn = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(timeout)
                .max_buf_size(64 * 1024)
                .serve_connection(TokioIo::new(stream), service);
            if let Err(e) = conn.await {
                tracing::debug!(%peer, error = %e, "HTTP connection ended");
            }
        });
    }
}

async fn handle(
    ctx: &HttpContext,
    scope: Scope,
    peer: SocketAddr,
    req: Request<Incoming>,
) -> Response<Full<Bytes>> {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let query = req.uri().query().unwrap_or_default().to_owned();
    let open = method == Method::GET && (path == "/health" || path == "/metrics");
    if scope == Scope::MetricsOnly && !open {
        return respond(Reply::text(
            404,
            "this listener serves /metrics and /health only",
        ));
    }
    if !open && !authorized(ctx, &req) {
        tracing::warn!(%peer, %method, %path, "admin request refused: missing or wrong bearer token");
        let mut response = respond(Reply::text(401, "admin token required"));
        response.headers_mut().insert(
            hyper::header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"smartchat\""),
        );
        return response;
    }
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > ctx.max_body as u64) {
        return too_large(ctx, peer);
    }
    let collected = tokio::time::timeout(
        ctx.timeout,
        Limited::new(req.into_body(), ctx.max_body).collect(),
    )
    .await;
    let body = match collected {
        Err(_) => return respond(Reply::text(408, "request body not received in time")),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => return too_large(ctx, peer),
        Ok(Err(e)) => return respond(Reply::text(400, format!("bad request body: {e}"))),
        Ok(Ok(collected)) => collected.to_bytes(),
    };
    let routed = tokio::time::timeout(
        ctx.timeout,
        super::http_routes::route(ctx, &method, &path, &query, &body),
    )
    .await;
    respond(routed.unwrap_or_else(|_| Reply::text(503, "the shards did not answer in time")))
}

fn too_large(ctx: &HttpContext, peer: SocketAddr) -> Response<Full<Bytes>> {
    tracing::warn!(%peer, limit = ctx.max_body, "HTTP request body over the limit");
    respond(Reply::text(
        413,
        format!("request body over {} bytes", ctx.max_body),
    ))
}

fn authorized<B>(ctx: &HttpContext, req: &Request<B>) -> bool {
    req.headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|presented| crate::admin_token::matches(presented.trim(), &ctx.token))
}

fn respond(reply: Reply) -> Response<Full<Bytes>> {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = Response::new(Full::new(Bytes::from(reply.body)));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(reply.content_type));
    if status == StatusCode::SERVICE_UNAVAILABLE {
        headers.insert(RETRY_AFTER, HeaderValue::from_static("1"));
    }
    response
}
