//! The admin API's bearer token: where it lives, how it is made, how it is compared.
//!
//! Why a file and not a flag value: a token on the command line is visible to every local user
//! in `ps`; a mode-0600 file is readable by the node's account alone, and the CLI on the same
//! host reads the same file, so an operator never types or pastes the secret. When no file is
//! configured the node makes one in its data directory from the kernel's CSPRNG and reuses it on
//! the next start, so scripts keep working across restarts.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The token file's name inside the data directory.
pub const DEFAULT_FILE: &str = "admin.token";
/// Random bytes in a generated token (hex-encoded: 64 characters).
const TOKEN_BYTES: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("cannot read the admin token file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write the admin token file {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the admin token file {0} is empty")]
    Empty(PathBuf),
    #[error("no random bytes from the operating system for the admin token: {0}")]
    Random(getrandom::Error),
}

/// The token path for a data directory.
pub fn default_path(data_dir: &Path) -> PathBuf {
    data_dir.join(DEFAULT_FILE)
}

/// Reads the token from `path` (first line, surrounding whitespace removed).
pub fn read(path: &Path) -> Result<String, TokenError> {
    let text = std::fs::read_to_string(path).map_err(|source| TokenError::Read {
        path: path.to_owned(),
        source,
    })?;
    let token = text.lines().next().unwrap_or_default().trim().to_owned();
    if token.is_empty() {
        return Err(TokenError::Empty(path.to_owned()));
    }
    Ok(token)
}

/// Reads the token at `path`, or — when the file does not exist — writes a fresh random one
/// there with mode 0600. Returns the token and whether it was created.
pub fn load_or_create(path: &Path) -> Result<(String, bool), TokenError> {
    match read(path) {
        Ok(token) => {
            warn_if_readable_by_others(path);
            return Ok((token, false));
        }
        Err(TokenError::Read { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let write_err = |source| TokenError::Write {
        path: path.to_owned(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(write_err)?;
    }
    let token = generate()?;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(write_err)?;
    file.write_all(format!("{token}\n").as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(write_err)?;
    Ok((token, true))
}

/// A new token: 32 bytes from the OS CSPRNG, hex.
pub fn generate() -> Result<String, TokenError> {
    let mut bytes = [0u8; TOKEN_BYTES];
    getrandom::getrandom(&mut bytes).map_err(TokenError::Random)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Compares a presented token with the expected one in time independent of where they differ.
pub fn matches(presented: &str, expected: &str) -> bool {
    let (a, b) = (presented.as_bytes(), expected.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn warn_if_readable_by_others(path: &Path) {
    if let Ok(meta) = std::fs::metadata(path) {
        if meta.permissions().mode() & 0o077 != 0 {
            tracing::warn!(path = %path.display(), "the admin token file is readable by group or others; chmod 600 it");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_once_with_mode_0600_then_reused() {
        let dir = std::env::temp_dir().join(format!("smartchat-token-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = default_path(&dir);
        let (token, created) = load_or_create(&path).expect("created");
        assert!(created);
        assert_eq!(token.len(), 64);
        let mode = std::fs::metadata(&path)
            .expect("exists")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let (again, created) = load_or_create(&path).expect("read back");
        assert!(!created);
        assert_eq!(again, token);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn comparison() {
        assert!(matches("abc", "abc"));
        assert!(!matches("abd", "abc"));
        assert!(!matches("ab", "abc"));
        assert!(!matches("", "abc"));
    }
}
