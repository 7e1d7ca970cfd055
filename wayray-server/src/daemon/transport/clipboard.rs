//! The viewer's clipboard stream: the second bidirectional stream it opens once attached.
//! Messages read from it go to the relay, which passes them through the connection's
//! [`ClipboardGate`](wayray_protocol::session::ClipboardGate); messages for the viewer are
//! written to it by a task of their own, behind a small queue.
//!
//! The stream has a lower priority than the display streams: a large entry on a slow link
//! waits for frames, not the other way round.

use quinn::Connection;
use tokio::sync::mpsc;
use wayray_protocol::ClipboardMessage;
use wayray_protocol::quic::{MessageReader, ReadError, write_message};

/// Messages read ahead from the viewer, and queued for it.
pub(super) const QUEUE: usize = 16;

/// Lower than the display streams (0).
const PRIORITY: i32 = -1;

/// Accepts the viewer's clipboard stream, then reads it into `incoming` and writes `outgoing`
/// to it until either ends. Messages queued before the viewer opened the stream are dropped:
/// it cannot have asked for anything yet.
pub(super) async fn serve(
    conn: Connection,
    incoming: mpsc::Sender<Result<ClipboardMessage, ReadError>>,
    mut outgoing: mpsc::Receiver<ClipboardMessage>,
) {
    let accepted = tokio::select! {
        accepted = conn.accept_bi() => accepted,
        () = drop_until_closed(&mut outgoing) => return,
    };
    let Ok((mut send, recv)) = accepted else {
        return;
    };
    tracing::debug!("clipboard stream open");
    let _ = send.set_priority(PRIORITY);
    let reader = tokio::spawn(async move {
        let mut reader = MessageReader::<ClipboardMessage>::new(recv);
        loop {
            let next = reader.next().await;
            let end = !matches!(next, Ok(Some(_)));
            let item = match next {
                Ok(Some(msg)) => Ok(msg),
                Ok(None) => return,
                Err(err) => Err(err),
            };
            if incoming.send(item).await.is_err() || end {
                return;
            }
        }
    });
    while let Some(msg) = outgoing.recv().await {
        if write_message(&mut send, &msg).await.is_err() {
            break;
        }
    }
    let _ = send.finish();
    reader.abort();
}

/// Empties the queue while no stream is open; returns when the relay has gone.
async fn drop_until_closed(outgoing: &mut mpsc::Receiver<ClipboardMessage>) {
    while outgoing.recv().await.is_some() {}
}
