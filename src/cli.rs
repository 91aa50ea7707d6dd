//! What the subcommands do, apart from argument parsing (kept in `main.rs`).
//!
//! Subscriber commands act either on a stopped node's data directory (`--data`) or on a running
//! node through its admin HTTP endpoint (`--server URL`), so operators never edit files a
//! running shard owns.

use crate::config::{Config, ConfigError};
use crate::store::{self, StoreError};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
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

/// `smartchat subscribers import FILE.csv [--server URL | --data DIR]`.
pub fn subscribers_import(
    file: &Path,
    server: Option<&str>,
    data: Option<&Path>,
) -> Result<(), CliError> {
    let subscribers = store::read_csv(file)?;
    if let Some(url) = server {
        let body = std::fs::read_to_string(file)?;
        let answer = http_request(url, "POST", "/subscribers", body.as_bytes())?;
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
    for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        if entry.file_name().to_string_lossy().starts_with("shard-") {
            std::fs::remove_dir_all(entry.path())?;
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
    server: Option<&str>,
    data: Option<&Path>,
) -> Result<(), CliError> {
    let csv = match server {
        Some(url) => http_request(url, "GET", "/subscribers", b"")?,
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
pub fn subscribers_add(line: &str, server: &str) -> Result<(), CliError> {
    smartchat_core::parse_subscribers_csv(line).map_err(|e| CliError::Usage(e.to_string()))?;
    let answer = http_request(server, "POST", "/subscribers", line.as_bytes())?;
    print!("{answer}");
    Ok(())
}

/// `smartchat subscribers remove AOR --server URL`.
pub fn subscribers_remove(aor: &str, server: &str) -> Result<(), CliError> {
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

/// A minimal blocking HTTP/1.1 client for the admin endpoint (`http://HOST:PORT` only).
fn http_request(url: &str, method: &str, path: &str, body: &[u8]) -> Result<String, CliError> {
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
        "{method} {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: text/csv\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
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
