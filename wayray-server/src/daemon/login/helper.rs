//! The daemon's side of the session helper's socket: one request, one answer.

use std::path::Path;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

use crate::sessiond_wire::{HelperReply, HelperRequest, MAX_REQUEST};

/// How long the helper may take (PAM can be slow: failure delays, network user databases).
const TIMEOUT: Duration = Duration::from_secs(30);

/// Asks the helper listening on `socket`.
pub async fn ask(socket: &Path, request: &HelperRequest) -> Result<HelperReply, String> {
    let exchange = async {
        let stream = tokio::net::UnixStream::connect(socket).await.map_err(|e| {
            format!(
                "cannot reach the session helper at {}: {e}",
                socket.display()
            )
        })?;
        let (read, mut write) = stream.into_split();
        let mut line = serde_json::to_vec(request).map_err(|e| e.to_string())?;
        line.push(b'\n');
        write.write_all(&line).await.map_err(|e| e.to_string())?;
        let mut answer = String::new();
        BufReader::new(read.take(MAX_REQUEST as u64))
            .read_line(&mut answer)
            .await
            .map_err(|e| e.to_string())?;
        serde_json::from_str::<HelperReply>(&answer)
            .map_err(|e| format!("the session helper answered badly: {e}"))
    };
    tokio::time::timeout(TIMEOUT, exchange)
        .await
        .map_err(|_| "the session helper did not answer in time".to_owned())?
}

/// Kills session `id` through the helper listening on `socket` (the session's processes
/// belong to its user, whom the daemon cannot signal).
pub async fn kill(socket: &Path, id: u64) {
    let request = HelperRequest::Kill { session: id };
    if let Err(err) = ask(socket, &request).await {
        tracing::warn!(%err, session = id, "the session helper could not kill the session");
    }
}
