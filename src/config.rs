//! Server configuration: one TOML file, every key optional, command-line flags on top.
//!
//! Why a file *and* flags: operators keep a reviewed file per node, tests and benchmarks
//! override one or two values per run. The precedence is fixed: built-in default < file < flag.
//! `smartchat.example.toml` at the repository root documents every key with its default.

use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Everything `smartchat serve` needs to start.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub server: ServerConfig,
    pub sip: SipConfig,
    pub http: HttpConfig,
    pub presence: PresenceConfig,
    pub subscribers: SubscribersConfig,
    pub smsc: SmscConfig,
    pub sms: SmsConfig,
    pub wal: WalConfig,
    pub metrics: MetricsConfig,
}

/// The SMS centre this node binds to as an ESME (SMPP 3.4, one transceiver session per shard).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmscConfig {
    /// `HOST:PORT` of a real SMSC; empty = start the built-in SMSC simulator.
    pub address: Option<SocketAddr>,
    pub system_id: String,
    pub password: String,
    pub system_type: String,
    /// Outstanding submit_sm per session.
    pub window: usize,
    pub enquire_link_interval_ms: u64,
    pub response_timeout_ms: u64,
    /// Where the built-in simulator listens when `address` is empty.
    pub simulator_listen: SocketAddr,
    /// Delivery receipts from the simulator come this long after the submit.
    pub simulator_receipt_delay_ms: u64,
    /// Simulator answers every Nth submit with ESME_RTHROTTLED (0 = never).
    pub simulator_throttle_every: u32,
}

/// Store-and-forward to SMS and back (claims C3, C8, C9).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmsConfig {
    /// The service access number; SMS leave from it plus a per-conversation extension.
    pub access_number: String,
    /// Digits of the conversation extension (2–4).
    pub extension_digits: u8,
    /// SMS text; `{from_user}`, `{from}`, `{to}` and `{text}` are replaced.
    pub template: String,
    /// Validity period of an SMS, seconds (expired after it).
    pub validity_secs: u64,
    /// A reply from the phone without `@user` or an extension goes to the last correspondent
    /// within this window, seconds.
    pub last_correspondent_window_secs: u64,
    /// IMs held for an offline user without the service expire after this, seconds.
    pub hold_secs: u64,
    /// Per-recipient MSISDN and per-sender SMS rate limits (SMS pumping is fraud).
    pub recipient_per_minute: u32,
    pub recipient_burst: u32,
    pub sender_per_minute: u32,
    pub sender_burst: u32,
    pub max_parts: u8,
    /// After online delivery to a user with the service fails (timeout, 408, 480, 5xx), wait this
    /// long (ms) and try the contacts once more before falling back to SMS. 0 = at once.
    pub fallback_delay_ms: u64,
    /// Sent back to a phone whose SMS cannot be placed in a conversation.
    pub help_text: String,
}

/// The per-shard write-ahead log (group commit; acknowledge only after durable).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WalConfig {
    /// Segment file size, MiB.
    pub segment_mib: u64,
    /// Most segments per shard; when full, new SMS work is refused with 503 + Retry-After.
    pub max_segments: usize,
    /// Group-commit latency cap, microseconds.
    pub max_batch_delay_us: u64,
}

impl Default for SmscConfig {
    fn default() -> Self {
        Self {
            address: None,
            system_id: "smartchat".to_owned(),
            password: "secret".to_owned(),
            system_type: String::new(),
            window: 32,
            enquire_link_interval_ms: 30_000,
            response_timeout_ms: 10_000,
            simulator_listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            simulator_receipt_delay_ms: 200,
            simulator_throttle_every: 0,
        }
    }
}

impl Default for SmsConfig {
    fn default() -> Self {
        Self {
            access_number: "10659".to_owned(),
            extension_digits: 2,
            template: "{from_user}: {text}".to_owned(),
            validity_secs: 86_400,
            last_correspondent_window_secs: 86_400,
            hold_secs: 72 * 3600,
            recipient_per_minute: 6,
            recipient_burst: 10,
            sender_per_minute: 20,
            sender_burst: 30,
            max_parts: 6,
            fallback_delay_ms: 0,
            help_text: "Start your message with @name to choose a recipient.".to_owned(),
        }
    }
}

impl Default for WalConfig {
    fn default() -> Self {
        Self {
            segment_mib: 64,
            max_segments: 64,
            max_batch_delay_us: 500,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Number of shards (one glommio executor each). 0 = one per online CPU.
    pub shards: usize,
    /// Pin each shard to its own CPU (off when there are more shards than CPUs).
    pub pin: bool,
    /// Where each shard keeps its subscriber snapshot and log (`DIR/shard-N/`).
    pub data_dir: PathBuf,
    /// Capacity of each shard-to-shard ring, in messages. A full ring is back-pressure.
    pub ring_capacity: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SipConfig {
    /// UDP and TCP listen address (same port for both, as RFC 3261 §18 expects).
    pub listen: SocketAddr,
    /// The domain this node serves; also the digest realm.
    pub domain: String,
    /// Digest authentication (RFC 3261 §22, RFC 8760) for REGISTER and for requests from local users.
    pub auth: bool,
    /// Offer the SHA-256 challenge before the MD5 one (RFC 8760). Off by default because many
    /// deployed UAs answer only the first challenge and know only MD5.
    pub digest_prefer_sha256: bool,
    /// Nonce lifetime in seconds; an older nonce gets 401 with `stale=true`.
    pub nonce_lifetime_secs: u64,
    /// Largest SIP message accepted on any transport, in bytes.
    pub max_message_size: usize,
    /// Largest MESSAGE body accepted over UDP (RFC 3428 §8: 1300 bytes); beyond it, 513.
    pub udp_message_body_limit: usize,
    /// Largest MESSAGE body accepted over TCP.
    pub tcp_message_body_limit: usize,
    /// REGISTER/SUBSCRIBE/PUBLISH expiry bounds in seconds (423 below min).
    pub min_expires: u32,
    pub max_expires: u32,
    pub default_expires: u32,
    /// Most TCP connections per shard.
    pub max_tcp_connections: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpConfig {
    /// Admin and metrics listener (`/metrics`, `/health`, `/subscribers`, `/status`, …), served
    /// on its own thread.
    pub listen: SocketAddr,
    /// File holding the admin bearer token. Empty: `DATA_DIR/admin.token`, created (mode 0600,
    /// random) when missing.
    pub admin_token_file: Option<PathBuf>,
    /// Largest request body accepted, bytes (beyond it: 413).
    pub max_body_bytes: usize,
    /// Most admin HTTP connections open at once (beyond it: 503 and close).
    pub max_connections: usize,
    /// Bound on one request: headers, body and the shards' answer, milliseconds.
    pub request_timeout_ms: u64,
}

/// A second listener that serves `/metrics` and `/health` alone (for a Prometheus server that
/// must not reach the admin API).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsConfig {
    /// Empty: no separate listener (the admin listener still serves `/metrics`).
    pub listen: Option<SocketAddr>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PresenceConfig {
    /// At most one NOTIFY per watcher dialog per this many milliseconds; the final state is
    /// always sent when the window closes (RFC 3856 §6.10). 0 disables the limit.
    pub min_notify_interval_ms: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SubscribersConfig {
    /// A CSV (`aor,msisdn,service,password,buddies`) imported at start-up, on top of what is stored.
    pub import: Option<PathBuf>,
    /// Load the built-in demo subscriber set when the store is empty, nothing is imported and no
    /// real SMSC is configured (`smsc.address`).
    pub demo: bool,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            shards: 0,
            pin: true,
            data_dir: PathBuf::from("smartchat-data"),
            ring_capacity: 4096,
        }
    }
}

impl Default for SipConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 5060)),
            domain: "example.com".to_owned(),
            auth: true,
            digest_prefer_sha256: false,
            nonce_lifetime_secs: 300,
            max_message_size: 65_535,
            udp_message_body_limit: 1300,
            tcp_message_body_limit: 64 * 1024,
            min_expires: 60,
            max_expires: 7200,
            default_expires: 3600,
            max_tcp_connections: 10_000,
        }
    }
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            admin_token_file: None,
            max_body_bytes: 64 * 1024 * 1024,
            max_connections: 64,
            request_timeout_ms: 60_000,
        }
    }
}

impl Default for PresenceConfig {
    fn default() -> Self {
        Self {
            min_notify_interval_ms: 1000,
        }
    }
}

impl Default for SubscribersConfig {
    fn default() -> Self {
        Self {
            import: None,
            demo: true,
        }
    }
}

/// Why a configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid config file {path}: {source}")]
    Parse {
        path: PathBuf,
        source: Box<toml::de::Error>,
    },
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

impl Config {
    /// Reads a TOML file; missing keys take their defaults, unknown keys are an error.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::from_toml(&text).map_err(|e| match e {
            ConfigError::Parse { source, .. } => ConfigError::Parse {
                path: path.to_owned(),
                source,
            },
            other => other,
        })
    }

    /// Parses TOML text (for tests and the example config).
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|source| ConfigError::Parse {
            path: PathBuf::new(),
            source: Box::new(source),
        })?;
        config.validate()?;
        Ok(config)
    }

    /// Checks cross-field rules that serde cannot express.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let sip = &self.sip;
        if sip.min_expires > sip.max_expires {
            return Err(ConfigError::Invalid(
                "sip.min_expires must not exceed sip.max_expires".into(),
            ));
        }
        if !(sip.min_expires..=sip.max_expires).contains(&sip.default_expires) {
            return Err(ConfigError::Invalid(
                "sip.default_expires must lie within [min_expires, max_expires]".into(),
            ));
        }
        if self.server.ring_capacity == 0 {
            return Err(ConfigError::Invalid(
                "server.ring_capacity must be > 0".into(),
            ));
        }
        if sip.max_message_size < 512 {
            return Err(ConfigError::Invalid(
                "sip.max_message_size must be at least 512".into(),
            ));
        }
        if self.http.max_connections == 0 || self.http.request_timeout_ms == 0 {
            return Err(ConfigError::Invalid(
                "http.max_connections and http.request_timeout_ms must be > 0".into(),
            ));
        }
        if sip.domain.is_empty() {
            return Err(ConfigError::Invalid("sip.domain must not be empty".into()));
        }
        Ok(())
    }

    /// Makes every path from flags and the config file absolute against the working directory.
    ///
    /// Why: glommio opens directories through io_uring with `AT_FDCWD`-relative semantics that
    /// this kernel refuses for some relative paths (`Bad file descriptor` on the WAL directory),
    /// and shard threads must not depend on the process's working directory later. Resolving once,
    /// at start-up, makes `serve` with the default `smartchat-data` behave like an absolute `--data`.
    pub fn resolve_paths(&mut self) -> Result<(), ConfigError> {
        fn absolute(path: &Path) -> Result<PathBuf, ConfigError> {
            std::path::absolute(path).map_err(|e| {
                ConfigError::Invalid(format!("cannot resolve path {}: {e}", path.display()))
            })
        }
        self.server.data_dir = absolute(&self.server.data_dir)?;
        if let Some(import) = &self.subscribers.import {
            self.subscribers.import = Some(absolute(import)?);
        }
        if let Some(token) = &self.http.admin_token_file {
            self.http.admin_token_file = Some(absolute(token)?);
        }
        Ok(())
    }

    /// The shard count to start: the configured one, or one per online CPU.
    pub fn effective_shards(&self) -> usize {
        if self.server.shards > 0 {
            self.server.shards
        } else {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_config_parses_and_matches_defaults() {
        let text = include_str!("../smartchat.example.toml");
        let parsed = Config::from_toml(text).expect("example config parses");
        let default = Config::default();
        assert_eq!(parsed.sip.listen, default.sip.listen);
        assert_eq!(parsed.sip.auth, default.sip.auth);
        assert_eq!(parsed.http.listen, default.http.listen);
        assert_eq!(parsed.http.max_body_bytes, default.http.max_body_bytes);
        assert_eq!(parsed.http.max_connections, default.http.max_connections);
        assert_eq!(
            parsed.http.request_timeout_ms,
            default.http.request_timeout_ms
        );
        assert_eq!(parsed.http.admin_token_file, None);
        assert_eq!(parsed.metrics.listen, None);
        assert_eq!(parsed.server.ring_capacity, default.server.ring_capacity);
        assert_eq!(
            parsed.presence.min_notify_interval_ms,
            default.presence.min_notify_interval_ms
        );
    }

    #[test]
    fn relative_paths_resolve_against_the_working_directory() {
        let mut config = Config::default();
        config.subscribers.import = Some(PathBuf::from("users.csv"));
        config.resolve_paths().expect("resolves");
        let cwd = std::env::current_dir().expect("cwd");
        assert_eq!(config.server.data_dir, cwd.join("smartchat-data"));
        assert_eq!(config.subscribers.import, Some(cwd.join("users.csv")));
    }

    #[test]
    fn unknown_key_is_rejected() {
        let err = Config::from_toml("[sip]\nlisten_typo = \"x\"\n").unwrap_err();
        assert!(matches!(err, ConfigError::Parse { .. }), "{err}");
    }

    #[test]
    fn inconsistent_expiry_bounds_are_rejected() {
        let err = Config::from_toml("[sip]\nmin_expires = 100\nmax_expires = 50\n").unwrap_err();
        assert!(matches!(err, ConfigError::Invalid(_)), "{err}");
    }
}
