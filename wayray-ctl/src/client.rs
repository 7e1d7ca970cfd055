//! Talking to the daemon's admin socket: one JSON line out, one JSON line back.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use wayray_protocol::admin::{ADMIN_SOCKET, AdminReply, AdminRequest};

/// The daemon could not be asked.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// No socket path could be worked out.
    #[error("XDG_RUNTIME_DIR is not set, so the admin socket cannot be found")]
    NoRuntimeDir,
    /// Connecting failed.
    #[error("cannot reach the daemon at {path}: {source}")]
    Connect {
        /// The socket.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The exchange failed.
    #[error("the daemon at {path} did not answer: {reason}")]
    Exchange {
        /// The socket.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

/// The admin socket to use.
pub fn socket_path(given: Option<&Path>) -> Result<PathBuf, ClientError> {
    if let Some(path) = given {
        return Ok(path.to_owned());
    }
    std::env::var_os("XDG_RUNTIME_DIR")
        .map(|dir| PathBuf::from(dir).join(ADMIN_SOCKET))
        .ok_or(ClientError::NoRuntimeDir)
}

/// Sends `request` and returns the daemon's reply.
pub fn ask(path: &Path, request: &AdminRequest) -> Result<AdminReply, ClientError> {
    let stream = UnixStream::connect(path).map_err(|source| ClientError::Connect {
        path: path.to_owned(),
        source,
    })?;
    let exchange = |reason: String| ClientError::Exchange {
        path: path.to_owned(),
        reason,
    };
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .map_err(|e| exchange(e.to_string()))?;
    let mut line = serde_json::to_vec(request).map_err(|e| exchange(e.to_string()))?;
    line.push(b'\n');
    (&stream)
        .write_all(&line)
        .map_err(|e| exchange(e.to_string()))?;
    let mut answer = String::new();
    BufReader::new(&stream)
        .read_line(&mut answer)
        .map_err(|e| exchange(e.to_string()))?;
    if answer.is_empty() {
        return Err(exchange("it closed the connection".into()));
    }
    serde_json::from_str(&answer).map_err(|e| exchange(format!("unreadable answer: {e}")))
}
