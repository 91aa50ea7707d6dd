//! Structured logs with `tracing`: one line per event, fields as key=value, level from
//! `SMARTCHAT_LOG` (or `RUST_LOG`), default `info`. Logs go to stderr so stdout stays usable
//! for command output (CSV export).

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber; a second call is a no-op.
pub fn init() {
    let filter = std::env::var("SMARTCHAT_LOG")
        .ok()
        .or_else(|| std::env::var("RUST_LOG").ok())
        .unwrap_or_else(|| "info".to_owned());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}
