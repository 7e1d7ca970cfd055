//! The desk's own clipboard and primary selection, through `arboard` (X11 desks, and Wayland
//! desks whose compositor has wlr-data-control). One thread owns the clipboard: it looks for
//! changes a few times a second and sets what the session sent. It outlives connections, so a
//! viewer that reconnects keeps the desk's state.
//!
//! What this thread set itself is not reported back as a change (no echo to the session).

use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::time::Duration;

use arboard::{GetExtLinux, LinuxClipboardKind, SetExtLinux};
use tokio::sync::watch;
use wayray_protocol::messages::clipboard::Selection;

use super::content::{Content, Image};

/// How often the desk's selections are read for changes.
pub const POLL: Duration = Duration::from_millis(250);

/// Entries set on the desk and not yet taken by the thread.
const SET_QUEUE: usize = 4;

/// The desk's entry of one selection: a new `serial` for every change.
#[derive(Debug, Clone, Default)]
pub struct DeskEntry {
    /// Increases with every change seen on the desk.
    pub serial: u64,
    /// The entry; `None` when the selection is empty or holds nothing shareable.
    pub content: Option<Arc<Content>>,
}

/// Both selections of the desk: `[clipboard, primary]`.
pub type DeskState = [DeskEntry; 2];

/// A handle to the desk's clipboard thread.
#[derive(Debug)]
pub struct DeskClipboard {
    state: watch::Receiver<DeskState>,
    set: SyncSender<(Selection, Arc<Content>)>,
    max_bytes: usize,
}

impl DeskClipboard {
    /// Opens the desk's clipboard (the display in `WAYLAND_DISPLAY` or `DISPLAY`). Entries
    /// larger than `max_bytes` are neither offered to nor taken from the session.
    pub fn open(max_bytes: usize) -> Result<Arc<Self>, String> {
        let clipboard = open_desk()?;
        let (state_tx, state) = watch::channel(DeskState::default());
        let (set, set_rx) = sync_channel(SET_QUEUE);
        std::thread::Builder::new()
            .name("wayray-desk-clipboard".into())
            .spawn(move || watch_desk(clipboard, state_tx, set_rx, max_bytes))
            .map_err(|e| e.to_string())?;
        Ok(Arc::new(Self {
            state,
            set,
            max_bytes,
        }))
    }

    /// The desk's selections, to watch for changes.
    pub fn subscribe(&self) -> watch::Receiver<DeskState> {
        self.state.clone()
    }

    /// The largest entry passed either way.
    pub fn max_bytes(&self) -> usize {
        self.max_bytes
    }

    /// Puts an entry from the session on the desk (without waiting).
    pub fn set(&self, selection: Selection, content: Arc<Content>) {
        match self.set.try_send((selection, content)) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                tracing::warn!("the desk's clipboard is busy: an entry from the session was lost");
            }
            Err(TrySendError::Disconnected(_)) => {}
        }
    }
}

/// Tries to reach the desk's clipboard this many times, [`OPEN_RETRY`] apart: a desk's X
/// server can refuse a first connection for a moment (seen with Xvfb right after it started),
/// which must not leave the viewer without a clipboard for its whole run.
const OPEN_ATTEMPTS: u32 = 5;
const OPEN_RETRY: std::time::Duration = std::time::Duration::from_millis(200);

fn open_desk() -> Result<arboard::Clipboard, String> {
    let mut attempt = 1;
    loop {
        match arboard::Clipboard::new() {
            Ok(clipboard) => return Ok(clipboard),
            Err(err) if attempt < OPEN_ATTEMPTS => {
                tracing::debug!(%err, attempt, "the desk's clipboard is not reachable yet");
                attempt += 1;
                std::thread::sleep(OPEN_RETRY);
            }
            Err(err) => return Err(err.to_string()),
        }
    }
}

fn kind(selection: Selection) -> LinuxClipboardKind {
    match selection {
        Selection::Clipboard => LinuxClipboardKind::Clipboard,
        Selection::Primary => LinuxClipboardKind::Primary,
    }
}

const SELECTIONS: [Selection; 2] = [Selection::Clipboard, Selection::Primary];

/// The thread: sets what comes from the session, reads the desk every [`POLL`].
fn watch_desk(
    mut clipboard: arboard::Clipboard,
    state: watch::Sender<DeskState>,
    set: Receiver<(Selection, Arc<Content>)>,
    max_bytes: usize,
) {
    // The digest of what each selection held when last looked at (or set).
    let mut seen: [Option<u64>; 2] = [None, None];
    let mut serial = 0;
    let mut first = true;
    loop {
        match set.recv_timeout(POLL) {
            Ok((selection, content)) => {
                let index = selection as usize;
                if put(&mut clipboard, selection, &content) {
                    seen[index] = Some(content.digest());
                }
                continue;
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return,
        }
        for selection in SELECTIONS {
            let index = selection as usize;
            let content = read(&mut clipboard, selection);
            let digest = content.as_ref().map(Content::digest);
            if digest == seen[index] {
                continue;
            }
            seen[index] = digest;
            let content = match content {
                Some(big) if big.len() > max_bytes => {
                    tracing::warn!(
                        size_mib = big.len() >> 20,
                        max_mib = max_bytes >> 20,
                        ?selection,
                        "the desk's clipboard entry is larger than the viewer's limit \
                         (--clipboard-max-mib): not shared with the session"
                    );
                    None
                }
                other => other,
            };
            // An emptied selection is not passed on (and not worth a change on the first look).
            if content.is_none() && first {
                continue;
            }
            serial += 1;
            let entry = DeskEntry {
                serial,
                content: content.map(Arc::new),
            };
            state.send_modify(|all| all[index] = entry);
        }
        first = false;
    }
}

/// What a selection of the desk holds: text, else (for the clipboard) an image.
fn read(clipboard: &mut arboard::Clipboard, selection: Selection) -> Option<Content> {
    if let Ok(text) = clipboard.get().clipboard(kind(selection)).text() {
        return Some(Content::Text(text));
    }
    if selection != Selection::Clipboard {
        return None;
    }
    let image = clipboard.get().clipboard(kind(selection)).image().ok()?;
    let (width, height) = (
        u32::try_from(image.width).ok()?,
        u32::try_from(image.height).ok()?,
    );
    Some(Content::Image(Image::new(
        width,
        height,
        image.bytes.into_owned(),
    )))
}

fn put(clipboard: &mut arboard::Clipboard, selection: Selection, content: &Content) -> bool {
    let setter = clipboard.set().clipboard(kind(selection));
    let result = match content {
        Content::Text(text) => setter.text(text.as_str()),
        Content::Image(image) => setter.image(arboard::ImageData {
            width: image.width as usize,
            height: image.height as usize,
            bytes: std::borrow::Cow::Borrowed(&image.rgba),
        }),
    };
    if let Err(err) = &result {
        tracing::warn!(%err, ?selection, "cannot put the session's clipboard entry on the desk");
    }
    result.is_ok()
}
