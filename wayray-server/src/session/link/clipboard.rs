//! The clipboard of one attached viewer, on the session's side of the link.
//!
//! - The session's selections changing after the attach are offered to the viewer (offer id:
//!   the announcement's serial). When the viewer asks for one, the compositor's owner writes
//!   it into a pipe; a task reads the pipe and sends the chunks.
//! - The desk's offers become the compositor's selection. When a client pastes one, the
//!   request goes to the viewer; the chunks are collected (the daemon bounds the size) and
//!   written to the client's pipe once complete, so a cancelled entry pastes nothing rather
//!   than a part.
//!
//! On attach the desk's selection wins: the session's older one is not offered.

use std::collections::HashMap;
use std::os::fd::OwnedFd;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{mpsc, watch};
use tokio::task::AbortHandle;
use tokio::time::Instant;
use wayray_protocol::ClipboardMessage;
use wayray_protocol::messages::clipboard::{DataChunk, MAX_CHUNK, Offer, Request, Selection};
use wayray_protocol::messages::link::LinkReply;
use wayray_protocol::secret::SecretBytes;
use wayray_protocol::session::clipboard::{MAX_TRANSFERS, Requester};

use super::{LinkError, Shared, send_command};
use crate::session::SessionCommand;
use crate::session::clipboard::{Selections, Wanted, index};

/// A client that writes nothing for this long has failed to give its selection.
const READ_STALL: Duration = Duration::from_secs(5);
/// A paste the viewer has not answered in this time gets nothing.
const PASTE_DEADLINE: Duration = Duration::from_secs(10);
/// A pasting client that does not read its data in this time gets no more.
const WRITE_DEADLINE: Duration = Duration::from_secs(30);

const SELECTIONS: [Selection; 2] = [Selection::Clipboard, Selection::Primary];

/// Something the clipboard has to act on besides the viewer's messages.
pub(super) enum Event {
    /// The session's selections changed.
    Announced,
    /// A client pastes the desk's selection.
    Paste(Wanted),
    /// Time to give up on pastes the viewer did not answer.
    Tick,
    /// Nothing more will come (the compositor stopped).
    Closed,
}

/// A paste waiting for the desk's data.
struct Paste {
    fd: OwnedFd,
    data: Vec<u8>,
    since: Instant,
}

pub(super) struct ClipboardLink {
    enabled: bool,
    replies: mpsc::Sender<LinkReply>,
    announced: watch::Receiver<Selections>,
    /// The serial of the session's selections last offered (or current at the attach).
    offered: [u64; 2],
    /// The desk's current offer per selection.
    desk: [Option<u64>; 2],
    reads: HashMap<u64, AbortHandle>,
    pastes: HashMap<u64, Paste>,
    next_paste: u64,
}

impl ClipboardLink {
    pub(super) fn new(shared: &Shared, replies: mpsc::Sender<LinkReply>, enabled: bool) -> Self {
        let mut announced = shared.announced.clone();
        let offered = announced.borrow_and_update().clone().map(|a| a.serial);
        Self {
            enabled,
            replies,
            announced,
            offered,
            desk: [None, None],
            reads: HashMap::new(),
            pastes: HashMap::new(),
            next_paste: 0,
        }
    }

    /// The next event. Cancel-safe.
    pub(super) async fn next(&mut self, shared: &Shared) -> Event {
        if !self.enabled {
            return std::future::pending().await;
        }
        let tick = async {
            if self.pastes.is_empty() {
                std::future::pending::<()>().await;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        };
        tokio::select! {
            changed = self.announced.changed() => match changed {
                Ok(()) => Event::Announced,
                Err(_) => Event::Closed,
            },
            wanted = async { shared.wanted.lock().await.recv().await } => match wanted {
                Some(wanted) => Event::Paste(wanted),
                None => Event::Closed,
            },
            () = tick => Event::Tick,
        }
    }

    pub(super) async fn handle(&mut self, event: Event) -> Result<(), LinkError> {
        match event {
            Event::Announced => {
                let now = self.announced.borrow_and_update().clone();
                for selection in SELECTIONS {
                    let announced = &now[index(selection)];
                    // Only the selection that changed; cleared selections are not passed on:
                    // an application quitting does not empty the desk's clipboard.
                    let offered = &mut self.offered[index(selection)];
                    if announced.serial == *offered {
                        continue;
                    }
                    *offered = announced.serial;
                    if announced.mime_types.is_empty() {
                        continue;
                    }
                    let offer = Offer {
                        selection,
                        offer_id: announced.serial,
                        mime_types: announced.mime_types.clone(),
                    };
                    self.send(ClipboardMessage::Offer(offer)).await?;
                }
            }
            Event::Paste(wanted) => self.paste(wanted).await?,
            Event::Tick => {
                let stale: Vec<u64> = self
                    .pastes
                    .iter()
                    .filter(|(_, p)| p.since.elapsed() > PASTE_DEADLINE)
                    .map(|(id, _)| *id)
                    .collect();
                for transfer_id in stale {
                    tracing::info!("the desk did not send its clipboard in time");
                    self.pastes.remove(&transfer_id);
                    self.send(ClipboardMessage::Cancel { transfer_id }).await?;
                }
            }
            Event::Closed => self.enabled = false,
        }
        Ok(())
    }

    /// A message from the viewer (through the daemon's clipboard policy).
    pub(super) async fn viewer_sent(
        &mut self,
        shared: &Shared,
        msg: ClipboardMessage,
    ) -> Result<(), LinkError> {
        match msg {
            ClipboardMessage::Offer(offer) => {
                let slot = &mut self.desk[index(offer.selection)];
                let mime_types = (!offer.mime_types.is_empty()).then_some(offer.mime_types);
                *slot = mime_types.as_ref().map(|_| offer.offer_id);
                let command = SessionCommand::DeskOffer(offer.selection, mime_types);
                send_command(&shared.session, command)
                    .await
                    .map_err(|()| LinkError::Closed)?;
            }
            ClipboardMessage::Request(request) => self.read(shared, request).await?,
            ClipboardMessage::Data(chunk) => self.received(chunk),
            ClipboardMessage::Cancel { transfer_id } => match Requester::of(transfer_id) {
                Requester::Viewer => {
                    if let Some(read) = self.reads.remove(&transfer_id) {
                        read.abort();
                    }
                }
                Requester::Session => {
                    if self.pastes.remove(&transfer_id).is_some() {
                        tracing::info!("the desk's clipboard entry was not pasted (cancelled)");
                    }
                }
            },
        }
        Ok(())
    }

    async fn send(&self, msg: ClipboardMessage) -> Result<(), LinkError> {
        self.replies
            .send(LinkReply::Clipboard(msg))
            .await
            .map_err(|_| LinkError::Closed)
    }

    /// The viewer reads the session's selection.
    async fn read(&mut self, shared: &Shared, request: Request) -> Result<(), LinkError> {
        let transfer_id = request.transfer_id;
        self.reads.retain(|_, read| !read.is_finished());
        let current = {
            let now = self.announced.borrow();
            SELECTIONS.into_iter().find(|s| {
                let announced = &now[index(*s)];
                announced.serial == request.offer_id
                    && announced.mime_types.contains(&request.mime_type)
            })
        };
        let (Some(selection), true) = (current, self.reads.len() < MAX_TRANSFERS) else {
            return self.send(ClipboardMessage::Cancel { transfer_id }).await;
        };
        let (reader, writer) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)
            .map_err(|e| LinkError::Io(e.into()))?;
        let command = SessionCommand::ReadSelection {
            selection,
            mime_type: request.mime_type,
            fd: writer,
        };
        send_command(&shared.session, command)
            .await
            .map_err(|()| LinkError::Closed)?;
        let replies = self.replies.clone();
        let task = tokio::spawn(async move {
            let chunks = tokio::net::unix::pipe::Receiver::from_owned_fd(reader);
            let msg = match chunks {
                Ok(pipe) => match forward(pipe, transfer_id, &replies).await {
                    Ok(()) => return,
                    Err(why) => why,
                },
                Err(err) => err.to_string(),
            };
            tracing::info!(%msg, "the session's clipboard entry could not be read");
            let cancel = ClipboardMessage::Cancel { transfer_id };
            let _ = replies.send(LinkReply::Clipboard(cancel)).await;
        });
        self.reads.insert(transfer_id, task.abort_handle());
        Ok(())
    }

    /// A client pastes the desk's selection: ask the viewer.
    async fn paste(&mut self, wanted: Wanted) -> Result<(), LinkError> {
        let Some(offer_id) = self.desk[index(wanted.selection)] else {
            return Ok(());
        };
        if self.pastes.len() >= MAX_TRANSFERS {
            tracing::debug!("too many pastes from the desk at once: this one gets nothing");
            return Ok(());
        }
        let transfer_id = Requester::Session.id(self.next_paste);
        self.next_paste += 1;
        let paste = Paste {
            fd: wanted.fd,
            data: Vec::new(),
            since: Instant::now(),
        };
        self.pastes.insert(transfer_id, paste);
        let request = Request {
            offer_id,
            transfer_id,
            mime_type: wanted.mime_type,
        };
        self.send(ClipboardMessage::Request(request)).await
    }

    /// A chunk of the desk's data for a paste; the last one sends it to the client.
    fn received(&mut self, chunk: DataChunk) {
        let Some(paste) = self.pastes.get_mut(&chunk.transfer_id) else {
            return;
        };
        paste.data.extend_from_slice(chunk.data.expose());
        if !chunk.last {
            return;
        }
        let Some(paste) = self.pastes.remove(&chunk.transfer_id) else {
            return;
        };
        tokio::spawn(async move {
            let Ok(mut pipe) = tokio::net::unix::pipe::Sender::from_owned_fd(paste.fd) else {
                return;
            };
            let written = tokio::time::timeout(WRITE_DEADLINE, pipe.write_all(&paste.data)).await;
            if !matches!(written, Ok(Ok(()))) {
                tracing::debug!("a pasting client did not take all of the desk's clipboard");
            }
        });
    }

    /// The viewer has gone: the desk's selections with it.
    pub(super) async fn detach(&mut self, shared: &Shared) {
        for read in self.reads.values() {
            read.abort();
        }
        for selection in SELECTIONS {
            if self.desk[index(selection)].take().is_some() {
                let _ =
                    send_command(&shared.session, SessionCommand::DeskOffer(selection, None)).await;
            }
        }
    }
}

/// Reads a selection from the pipe and sends it in chunks, the last one flagged.
async fn forward(
    mut pipe: tokio::net::unix::pipe::Receiver,
    transfer_id: u64,
    replies: &mpsc::Sender<LinkReply>,
) -> Result<(), String> {
    let mut buf = vec![0u8; MAX_CHUNK];
    loop {
        let mut filled = 0;
        let mut last = false;
        // Fill a whole chunk (clients write in small pieces) or reach the end.
        while filled < buf.len() {
            let read = tokio::time::timeout(READ_STALL, pipe.read(&mut buf[filled..])).await;
            match read {
                Ok(Ok(0)) => {
                    last = true;
                    break;
                }
                Ok(Ok(n)) => filled += n,
                Ok(Err(err)) => return Err(err.to_string()),
                Err(_) => return Err("the application stopped writing it".into()),
            }
        }
        let chunk = DataChunk {
            transfer_id,
            data: SecretBytes(buf[..filled].to_vec()),
            last,
        };
        let msg = LinkReply::Clipboard(ClipboardMessage::Data(chunk));
        if replies.send(msg).await.is_err() {
            return Err("the link closed".into());
        }
        if last {
            return Ok(());
        }
    }
}
