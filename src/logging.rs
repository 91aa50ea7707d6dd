//! Structured logs with `tracing`: one line per event, fields as key=value, level from
//! `SMARTCHAT_LOG` (or `RUST_LOG`), default `info`. Logs go to stderr so stdout stays usable
//! for command output (CSV export). Authentication failures are written as
//! `auth failure from <ip> aor=<aor> reason=<why>` (tuning/fail2ban/smartchat.conf matches them).

use std::io::IsTerminal;
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
        // Colour only on a terminal: a log file or journal stays plain for fail2ban and grep.
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .try_init();
}
