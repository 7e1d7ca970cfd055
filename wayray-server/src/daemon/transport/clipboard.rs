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
use wayray_protocol::messages::clipboard::{Offer, Selection};
use wayray_protocol::quic::{MessageReader, ReadError, write_message};

/// Messages read ahead from the viewer, and queued for it.
pub(super) const QUEUE: usize = 16;

/// Lower than the display streams (0).
const PRIORITY: i32 = -1;

/// Accepts the viewer's clipboard stream, then reads it into `incoming` and writes `outgoing`
/// to it until either ends. Of the messages queued before the viewer opened the stream only
/// the latest offer of each selection is kept, and sent first: the session's selection may
/// change while the stream is being opened, and the viewer cannot have asked for anything yet.
pub(super) async fn serve(
    conn: Connection,
    incoming: mpsc::Sender<Result<ClipboardMessage, ReadError>>,
    mut outgoing: mpsc::Receiver<ClipboardMessage>,
) {
    let mut offers = Offers::default();
    let accepted = tokio::select! {
        accepted = conn.accept_bi() => accepted,
        () = keep_offers_until_closed(&mut outgoing, &mut offers) => return,
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
    let held = offers.clipboard.into_iter().chain(offers.primary);
    let mut open = true;
    for offer in held {
        open = write_message(&mut send, &ClipboardMessage::Offer(offer))
            .await
            .is_ok();
        if !open {
            break;
        }
    }
    while open && let Some(msg) = outgoing.recv().await {
        open = write_message(&mut send, &msg).await.is_ok();
    }
    let _ = send.finish();
    reader.abort();
}

/// The latest offer of each selection, held while no stream is open.
#[derive(Default)]
struct Offers {
    clipboard: Option<Offer>,
    primary: Option<Offer>,
}

/// Empties the queue while no stream is open, keeping the latest offers; returns when the
/// relay has gone.
async fn keep_offers_until_closed(
    outgoing: &mut mpsc::Receiver<ClipboardMessage>,
    offers: &mut Offers,
) {
    while let Some(msg) = outgoing.recv().await {
        if let ClipboardMessage::Offer(offer) = msg {
            match offer.selection {
                Selection::Clipboard => offers.clipboard = Some(offer),
                Selection::Primary => offers.primary = Some(offer),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wayray_protocol::messages::clipboard::Request;

    fn offer(selection: Selection, offer_id: u64) -> ClipboardMessage {
        ClipboardMessage::Offer(Offer {
            selection,
            offer_id,
            mime_types: vec!["text/plain;charset=utf-8".into()],
        })
    }

    #[tokio::test]
    async fn the_latest_offer_of_each_selection_waits_for_the_stream() {
        let (tx, mut rx) = mpsc::channel(QUEUE);
        for msg in [
            offer(Selection::Clipboard, 1),
            offer(Selection::Primary, 2),
            ClipboardMessage::Request(Request {
                offer_id: 9,
                transfer_id: 1,
                mime_type: "text/plain".into(),
            }),
            offer(Selection::Clipboard, 3),
        ] {
            tx.send(msg).await.unwrap();
        }
        drop(tx);
        let mut offers = Offers::default();
        keep_offers_until_closed(&mut rx, &mut offers).await;
        assert_eq!(offers.clipboard.map(|o| o.offer_id), Some(3));
        assert_eq!(offers.primary.map(|o| o.offer_id), Some(2));
    }
}
