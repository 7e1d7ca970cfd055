//! Copy and paste between the desk and the session, on the connection's clipboard stream.
//!
//! - The desk's entries ([`desk::DeskClipboard`]) are offered to the session: the current
//!   one when the connection starts (the desk's entry wins over the session's older one),
//!   then each change. The session asks for one when an application pastes; the bytes go in
//!   chunks.
//! - The session's new entries are fetched at once, in the best type the viewer takes (UTF-8
//!   text, else PNG), and put on the desk: the desk's clipboard cannot ask later.
//!
//! The server enforces its policy and size limit; this side also refuses entries larger than
//! its own limit, and says so.

pub mod content;
pub mod desk;

use std::sync::Arc;

use quinn::{Connection, SendStream};
use tokio::sync::{mpsc, watch};
use wayray_protocol::ClipboardMessage;
use wayray_protocol::messages::clipboard::{DataChunk, MAX_CHUNK, Offer, Request, Selection};
use wayray_protocol::quic::{MessageReader, write_message};
use wayray_protocol::secret::SecretBytes;
use wayray_protocol::session::clipboard::{Requester, preferred_mime_type};

use content::Content;
use desk::{DeskClipboard, DeskState};

/// Messages read ahead from the server.
const INCOMING: usize = 16;

/// An entry of the session being fetched.
struct Fetch {
    transfer_id: u64,
    mime_type: String,
    data: Vec<u8>,
}

/// The clipboard stream of one connection.
struct Channel {
    desk: Arc<DeskClipboard>,
    send: SendStream,
    /// What was offered to the session, per selection: offer id (the desk's serial), entry.
    offered: [Option<(u64, Arc<Content>)>; 2],
    /// The session's entry being fetched, per selection (a newer offer replaces it).
    fetching: [Option<Fetch>; 2],
    next_transfer: u64,
}

/// Opens the clipboard stream and serves it until the connection ends.
pub async fn run(conn: Connection, desk: Arc<DeskClipboard>) {
    let Ok((send, recv)) = conn.open_bi().await else {
        return;
    };
    let (incoming_tx, mut incoming) = mpsc::channel(INCOMING);
    let reader = tokio::spawn(async move {
        let mut reader = MessageReader::<ClipboardMessage>::new(recv);
        while let Ok(Some(msg)) = reader.next().await {
            if incoming_tx.send(msg).await.is_err() {
                return;
            }
        }
    });
    tracing::debug!("clipboard stream open");
    let mut state = desk.subscribe();
    let mut channel = Channel {
        desk,
        send,
        offered: [None, None],
        fetching: [None, None],
        next_transfer: 0,
    };
    let mut result = channel.offer_changes(&mut state).await;
    if channel.offered.iter().all(Option::is_none) && result.is_ok() {
        // A QUIC stream reaches the server with its first bytes: an empty offer (the desk
        // has nothing to share yet) opens it, so that the session's entries can come.
        let empty = Offer {
            selection: Selection::Clipboard,
            offer_id: 0,
            mime_types: Vec::new(),
        };
        result = channel.write(ClipboardMessage::Offer(empty)).await;
    }
    while result.is_ok() {
        result = tokio::select! {
            changed = state.changed() => match changed {
                Ok(()) => channel.offer_changes(&mut state).await,
                Err(_) => break,
            },
            msg = incoming.recv() => match msg {
                Some(msg) => channel.handle(msg).await,
                None => break,
            },
        };
    }
    reader.abort();
}

fn index(selection: Selection) -> usize {
    match selection {
        Selection::Clipboard => 0,
        Selection::Primary => 1,
    }
}

const SELECTIONS: [Selection; 2] = [Selection::Clipboard, Selection::Primary];

impl Channel {
    async fn write(&mut self, msg: ClipboardMessage) -> Result<(), ()> {
        write_message(&mut self.send, &msg).await.map_err(|_| ())
    }

    /// Offers the desk's entries that changed since they were last offered.
    async fn offer_changes(&mut self, state: &mut watch::Receiver<DeskState>) -> Result<(), ()> {
        let now = state.borrow_and_update().clone();
        for selection in SELECTIONS {
            let entry = &now[index(selection)];
            let Some(content) = entry.content.clone() else {
                continue;
            };
            let slot = &mut self.offered[index(selection)];
            if slot.as_ref().is_some_and(|(id, _)| *id == entry.serial) {
                continue;
            }
            *slot = Some((entry.serial, content.clone()));
            let offer = Offer {
                selection,
                offer_id: entry.serial,
                mime_types: content.mime_types(),
            };
            tracing::debug!(?offer, "offering the desk's clipboard");
            self.write(ClipboardMessage::Offer(offer)).await?;
        }
        Ok(())
    }

    async fn handle(&mut self, msg: ClipboardMessage) -> Result<(), ()> {
        if !matches!(msg, ClipboardMessage::Data(_)) {
            tracing::debug!(?msg, "clipboard message from the session");
        }
        match msg {
            ClipboardMessage::Offer(offer) => self.fetch(offer).await,
            ClipboardMessage::Request(request) => self.serve(request).await,
            ClipboardMessage::Data(chunk) => self.received(chunk).await,
            ClipboardMessage::Cancel { transfer_id }
                if Requester::of(transfer_id) == Requester::Session =>
            {
                tracing::warn!(
                    "the desk's clipboard entry did not reach the session: the server refused \
                     it (larger than its limit) or the application stopped waiting"
                );
                Ok(())
            }
            ClipboardMessage::Cancel { transfer_id } => {
                let slot = self
                    .fetching
                    .iter_mut()
                    .find(|f| f.as_ref().is_some_and(|f| f.transfer_id == transfer_id));
                if let Some(slot) = slot {
                    *slot = None;
                    tracing::warn!(
                        "the session's clipboard entry was not copied to this desk: the server \
                         refused it (larger than its limit, or the application failed to give it)"
                    );
                }
                Ok(())
            }
        }
    }

    /// The session has a new entry: fetch it in the best type this desk takes.
    async fn fetch(&mut self, offer: Offer) -> Result<(), ()> {
        let Some(mime_type) = preferred_mime_type(&offer).map(str::to_owned) else {
            tracing::debug!("the session's clipboard entry has no type this desk takes");
            return Ok(());
        };
        let transfer_id = Requester::Viewer.id(self.next_transfer);
        self.next_transfer += 1;
        let replaced = self.fetching[index(offer.selection)].replace(Fetch {
            transfer_id,
            mime_type: mime_type.clone(),
            data: Vec::new(),
        });
        if let Some(old) = replaced {
            let cancel = ClipboardMessage::Cancel {
                transfer_id: old.transfer_id,
            };
            self.write(cancel).await?;
        }
        let request = Request {
            offer_id: offer.offer_id,
            transfer_id,
            mime_type,
        };
        self.write(ClipboardMessage::Request(request)).await
    }

    /// A chunk of the session's entry; the last one puts it on the desk.
    async fn received(&mut self, chunk: DataChunk) -> Result<(), ()> {
        let Some(at) = self.fetching.iter().position(|f| {
            f.as_ref()
                .is_some_and(|f| f.transfer_id == chunk.transfer_id)
        }) else {
            return Ok(());
        };
        let max = self.desk.max_bytes();
        let Some(fetch) = self.fetching[at].as_mut() else {
            return Ok(());
        };
        if fetch.data.len() + chunk.data.expose().len() > max {
            let transfer_id = fetch.transfer_id;
            self.fetching[at] = None;
            tracing::warn!(
                max_mib = max >> 20,
                "the session's clipboard entry was not copied to this desk: it is larger than \
                 this viewer's limit (--clipboard-max-mib)"
            );
            return self.write(ClipboardMessage::Cancel { transfer_id }).await;
        }
        fetch.data.extend_from_slice(chunk.data.expose());
        if !chunk.last {
            return Ok(());
        }
        let Some(fetch) = self.fetching[at].take() else {
            return Ok(());
        };
        match Content::from_bytes(&fetch.mime_type, fetch.data) {
            Some(content) => self.desk.set(SELECTIONS[at], Arc::new(content)),
            None => tracing::warn!("the session's clipboard image could not be decoded"),
        }
        Ok(())
    }

    /// The session pastes the desk's entry: send it in chunks, the last one flagged.
    async fn serve(&mut self, request: Request) -> Result<(), ()> {
        let transfer_id = request.transfer_id;
        let bytes = self
            .offered
            .iter()
            .flatten()
            .find(|(id, _)| *id == request.offer_id)
            .and_then(|(_, content)| content.bytes(&request.mime_type));
        let Some(bytes) = bytes else {
            return self.write(ClipboardMessage::Cancel { transfer_id }).await;
        };
        let mut chunks = bytes.chunks(MAX_CHUNK).peekable();
        if chunks.peek().is_none() {
            let chunk = DataChunk {
                transfer_id,
                data: SecretBytes(Vec::new()),
                last: true,
            };
            return self.write(ClipboardMessage::Data(chunk)).await;
        }
        while let Some(piece) = chunks.next() {
            let chunk = DataChunk {
                transfer_id,
                data: SecretBytes(piece.to_vec()),
                last: chunks.peek().is_none(),
            };
            self.write(ClipboardMessage::Data(chunk)).await?;
        }
        Ok(())
    }
}
