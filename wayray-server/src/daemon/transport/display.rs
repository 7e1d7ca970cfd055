//! The viewer's display streams: each display message on a unidirectional stream of its own,
//! bytes unchanged. A frame that only plays video (`LinkReply::PacedDisplay`) goes in chunks at
//! a pace a little above the video's rate cap (`wayray_protocol::session::pace`, ADR 0045),
//! on a stream of lower priority, so that a message written meanwhile (a typed character's
//! echo, which may overtake the video) leaves before the video's remaining bytes instead of
//! queueing behind all of them in a slow link.

use std::collections::VecDeque;
use std::time::Instant;

use quinn::{Connection, SendStream};
use tokio::sync::{mpsc, watch};
use wayray_protocol::session::pace::Pacer;

/// A display message for the viewer.
#[derive(Debug)]
pub(super) struct Outgoing {
    /// The framed message.
    pub bytes: Vec<u8>,
    /// Whether it may be paced.
    pub paced: bool,
}

/// Paced messages waiting, at most; beyond this (a session whose in-flight window would not
/// allow it) they go at once.
const MAX_PACED: usize = 32;
/// The priority of a paced stream: below every other stream's (0).
const PACED_PRIORITY: i32 = -1;

/// Writes display messages until the queue closes or the connection fails; `cap` is the
/// video's rate cap, kbit/s.
pub(super) async fn write_display(
    conn: Connection,
    mut queue: mpsc::Receiver<Outgoing>,
    mut cap: watch::Receiver<u32>,
) {
    let mut pacer = Pacer::new(*cap.borrow_and_update());
    let mut waiting: VecDeque<Vec<u8>> = VecDeque::new();
    let mut current: Option<Paced> = None;
    // The relay keeps the cap's sender for as long as this runs; without it the pace stays.
    let mut cap_open = true;
    loop {
        let now = Instant::now();
        let next = match &current {
            Some(paced) => Some(paced.left()),
            None => waiting.front().map(Vec::len),
        }
        .map(|want| pacer.ready_at(now, want));
        tokio::select! {
            biased;
            msg = queue.recv() => match msg {
                Some(Outgoing { bytes, paced }) if paced && waiting.len() < MAX_PACED => {
                    pacer.queued(Instant::now(), bytes.len());
                    waiting.push_back(bytes);
                }
                Some(Outgoing { bytes, .. }) => {
                    if write_whole(&conn, &bytes).await.is_err() {
                        return;
                    }
                }
                None => break,
            },
            changed = cap.changed(), if cap_open => match changed {
                Ok(()) => pacer.set_cap(Instant::now(), *cap.borrow_and_update()),
                Err(_) => cap_open = false,
            },
            () = tokio::time::sleep_until(next.unwrap_or(now).into()), if next.is_some() => {
                let paced = match current.take() {
                    Some(paced) => paced,
                    None => match waiting.pop_front() {
                        Some(bytes) => match Paced::open(&conn, bytes).await {
                            Some(paced) => paced,
                            None => return,
                        },
                        None => continue,
                    },
                };
                match paced.advance(&mut pacer).await {
                    Ok(Some(paced)) => current = Some(paced),
                    Ok(None) => {}
                    Err(()) => return,
                }
            }
        }
    }
    // The session is gone: what is left goes at once.
    if let Some(paced) = current
        && paced.finish_now().await.is_err()
    {
        return;
    }
    for bytes in waiting {
        if write_whole(&conn, &bytes).await.is_err() {
            return;
        }
    }
}

/// One message on a stream of its own, all at once.
async fn write_whole(conn: &Connection, bytes: &[u8]) -> Result<(), ()> {
    let mut stream = conn.open_uni().await.map_err(drop)?;
    stream.write_all(bytes).await.map_err(drop)?;
    let _ = stream.finish();
    Ok(())
}

/// A paced message on its way: its stream and how much of it was written.
struct Paced {
    stream: SendStream,
    bytes: Vec<u8>,
    written: usize,
}

impl Paced {
    async fn open(conn: &Connection, bytes: Vec<u8>) -> Option<Self> {
        let stream = conn.open_uni().await.ok()?;
        // Only fails on a stream already closed; then the writes fail too.
        let _ = stream.set_priority(PACED_PRIORITY);
        Some(Self {
            stream,
            bytes,
            written: 0,
        })
    }

    fn left(&self) -> usize {
        self.bytes.len() - self.written
    }

    /// Writes what the pacer allows now; `None` once the whole message is written.
    async fn advance(mut self, pacer: &mut Pacer) -> Result<Option<Self>, ()> {
        let n = pacer.take(Instant::now(), self.left());
        let end = self.written + n;
        self.stream
            .write_all(&self.bytes[self.written..end])
            .await
            .map_err(drop)?;
        self.written = end;
        if self.left() > 0 {
            return Ok(Some(self));
        }
        let _ = self.stream.finish();
        Ok(None)
    }

    async fn finish_now(mut self) -> Result<(), ()> {
        self.stream
            .write_all(&self.bytes[self.written..])
            .await
            .map_err(drop)?;
        let _ = self.stream.finish();
        Ok(())
    }
}
