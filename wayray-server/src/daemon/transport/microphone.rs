//! A viewer's datagrams: its desk's microphone, where it negotiated one. Each datagram is
//! decoded and checked here (the daemon parses every network byte) before it goes to the
//! session as it came; a datagram that does not decode, or any datagram from a viewer that
//! did not negotiate the microphone, ends the connection with the reason.

use quinn::Connection;
use tokio::sync::mpsc;
use wayray_protocol::framing::decode_datagram;
use wayray_protocol::messages::audio::AudioMessage;

/// Microphone packets read ahead of the relay, at most.
pub(super) const QUEUE: usize = 16;

/// Reads datagrams until the connection ends; `Err` is the reason to close it.
pub(super) async fn read(
    conn: Connection,
    negotiated: bool,
    out: mpsc::Sender<Result<Vec<u8>, String>>,
) {
    while let Ok(datagram) = conn.read_datagram().await {
        let verdict = if !negotiated {
            Err("a datagram from a viewer without the microphone capability".to_string())
        } else {
            decode_datagram::<AudioMessage>(&datagram)
                .map(|_| datagram.to_vec())
                .map_err(|e| format!("a malformed microphone datagram: {e}"))
        };
        let end = verdict.is_err();
        if end {
            let _ = out.send(verdict).await;
            return;
        }
        // A relay that is behind loses sound, not time.
        if let Err(mpsc::error::TrySendError::Closed(_)) = out.try_send(verdict) {
            return;
        }
    }
}
