//! What the subcommands do, apart from argument parsing (kept in `main.rs`).
//!
//! Subscriber commands act either on a stopped node's data directory (`--data`) or on a running
//! node through its admin HTTP endpoint (`--server URL`), so operators never edit files a
//! running shard owns.

use crate::config::{Config, ConfigError};
use crate::store::{self, StoreError};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Runtime(#[from] crate::runtime::RuntimeError),
    #[error("admin request to {url} failed: {reason}")]
    Admin { url: String, reason: String },
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Usage(String),
}

/// `smartchat serve`.
pub fn serve(config: Config) -> Result<(), CliError> {
    crate::runtime::run(config)?;
    Ok(())
}

fn data_dir(data: Option<&Path>) -> std::path::PathBuf {
    let dir = data
        .map(Path::to_owned)
        .unwrap_or_else(|| Config::default().server.data_dir);
    std::path::absolute(&dir).unwrap_or(dir)
}

/// A running node's admin API and the token file to authenticate with.
#[derive(Debug, Clone)]
pub struct AdminTarget {
    pub url: String,
    pub token_file: PathBuf,
}

impl AdminTarget {
    /// `--server URL`, `--token-file FILE` (default `DATA_DIR/admin.token`, `DATA_DIR` from
    /// `--data` or the default data directory).
    pub fn new(url: &str, token_file: Option<&Path>, data: Option<&Path>) -> Self {
        let token_file = token_file
            .map(Path::to_owned)
            .unwrap_or_else(|| crate::admin_token::default_path(&data_dir(data)));
        Self {
            url: url.to_owned(),
            token_file,
        }
    }

    fn token(&self) -> Result<String, CliError> {
        crate::admin_token::read(&self.token_file).map_err(|e| {
            CliError::Usage(format!(
                "{e} (the node writes DATA_DIR/admin.token; pass --token-file or --data)"
            ))
        })
    }
}

/// `smartchat subscribers import FILE.csv [--server URL | --data DIR]`.
pub fn subscribers_import(
    file: &Path,
    server: Option<&AdminTarget>,
    data: Option<&Path>,
) -> Result<(), CliError> {
    let subscribers = store::read_csv(file)?;
    if let Some(admin) = server {
        let body = std::fs::read_to_string(file)?;
        let answer = http_request(admin, "POST", "/subscribers", body.as_bytes())?;
        print!("{answer}");
        return Ok(());
    }
    let dir = data_dir(data);
    let mut all = store::load_all(&dir)?;
    let count = subscribers.len();
    for sub in subscribers {
        all.insert(sub.aor.clone(), sub);
    }
    // Stored as one shard; `serve` re-partitions for its shard count at start-up.
    let list: Vec<_> = all.into_values().collect();
    // Only the subscriber files go: each shard's `wal/` (queued messages, receipts,
    // conversations) is never touched by an offline import.
    for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        if entry.file_name().to_string_lossy().starts_with("shard-") {
            store::remove_subscriber_files(&entry.path())?;
        }
    }
    store::write_snapshot(&store::shard_dir(&dir, 0), &list)?;
    println!(
        "{count} subscribers imported into {} ({} in total)",
        dir.display(),
        list.len()
    );
    Ok(())
}

/// `smartchat subscribers export [FILE] [--server URL | --data DIR]`.
pub fn subscribers_export(
    file: Option<&Path>,
    server: Option<&AdminTarget>,
    data: Option<&Path>,
) -> Result<(), CliError> {
    let csv = match server {
        Some(admin) => http_request(admin, "GET", "/subscribers", b"")?,
        None => {
            let all = store::load_all(&data_dir(data))?;
            let list: Vec<_> = all.into_values().collect();
            let mut csv = String::new();
            smartchat_core::write_subscribers_csv(&list, &mut csv);
            csv
        }
    };
    match file {
        Some(path) => std::fs::write(path, csv)?,
        None => std::io::stdout().write_all(csv.as_bytes())?,
    }
    Ok(())
}

/// `smartchat subscribers add LINE --server URL`.
pub fn subscribers_add(line: &str, server: &AdminTarget) -> Result<(), CliError> {
    smartchat_core::parse_subscribers_csv(line).map_err(|e| CliError::Usage(e.to_string()))?;
    let answer = http_request(server, "POST", "/subscribers", line.as_bytes())?;
    print!("{answer}");
    Ok(())
}

/// `smartchat subscribers remove AOR --server URL`.
pub fn subscribers_remove(aor: &str, server: &AdminTarget) -> Result<(), CliError> {
    let escaped: String = aor
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect();
    let answer = http_request(server, "DELETE", &format!("/subscribers/{escaped}"), b"")?;
    print!("{answer}");
    Ok(())
}

/// `smartchat status`: the node's state from `GET /status`, as a table (or the JSON).
pub fn status(admin: &AdminTarget, raw: bool) -> Result<(), CliError> {
    let text = http_request(admin, "GET", "/status", b"")?;
    if raw {
        print!("{text}");
        return Ok(());
    }
    let v = parse_status(admin, &text)?;
    print!("{}", crate::status_view::table(&v));
    Ok(())
}

/// `smartchat stats`: every counter summed over the shards, with its rate over `interval_secs`.
pub fn stats(admin: &AdminTarget, interval_secs: f64) -> Result<(), CliError> {
    if !(interval_secs.is_finite() && interval_secs > 0.0 && interval_secs <= 3600.0) {
        return Err(CliError::Usage(
            "--interval must be in (0, 3600] seconds".into(),
        ));
    }
    let first = parse_status(admin, &http_request(admin, "GET", "/status", b"")?)?;
    std::thread::sleep(Duration::from_secs_f64(interval_secs));
    let second = parse_status(admin, &http_request(admin, "GET", "/status", b"")?)?;
    print!("{}", crate::status_view::rates(&first, &second));
    Ok(())
}

fn parse_status(admin: &AdminTarget, text: &str) -> Result<serde_json::Value, CliError> {
    serde_json::from_str(text).map_err(|e| CliError::Admin {
        url: admin.url.clone(),
        reason: format!("GET /status is not JSON: {e}"),
    })
}

/// A minimal blocking HTTP/1.1 client for the admin endpoint (`http://HOST:PORT` only), with
/// the bearer token from the target's token file.
fn http_request(
    admin: &AdminTarget,
    method: &str,
    path: &str,
    body: &[u8],
) -> Result<String, CliError> {
    let url = admin.url.as_str();
    let token = admin.token()?;
    let fail = |reason: String| CliError::Admin {
        url: url.to_owned(),
        reason,
    };
    let authority = url
        .strip_prefix("http://")
        .ok_or_else(|| fail("only http:// URLs are supported".into()))?
        .trim_end_matches('/');
    let mut stream = TcpStream::connect(authority).map_err(|e| fail(e.to_string()))?;
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {authority}\r\nAuthorization: Bearer {token}\r\nContent-Type: text/csv\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let text = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.lines().next().unwrap_or_default();
    if !status.contains(" 200 ") {
        return Err(fail(format!("{status}: {}", body.trim())));
    }
    Ok(body.to_owned())
}
