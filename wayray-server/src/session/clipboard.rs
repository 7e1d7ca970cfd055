//! The desk's clipboard inside the session, and the session's selections for the desk: the
//! types shared by the compositor (`handlers::desk_clipboard`) and the link.
//!
//! A selection the desk offers becomes the compositor's own (owner [`SelectionOwner::Desk`]):
//! Wayland clients, X11 clients and clipboard managers see its MIME types, and a paste asks
//! the link for the data, which asks the viewer ([`Wanted`]). The session's own selections
//! (a Wayland client's, an X11 client's) are announced to the link ([`Announced`]); the
//! viewer then reads them (`SessionCommand::ReadSelection`).
//!
//! Nothing here waits: announcements go into a `watch`, pastes into a bounded queue (full:
//! the paste gets nothing), and the data moves through pipes the link reads and writes.

use std::os::fd::OwnedFd;

use smithay::wayland::selection::SelectionTarget;
use tokio::sync::{mpsc, watch};
use wayray_protocol::messages::clipboard::Selection;

/// Who holds a selection the compositor offers on someone's behalf.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SelectionOwner {
    /// An X11 client (read through Xwayland).
    X11,
    /// The viewer's desk (read through the link).
    Desk,
}

/// The session's selection of one kind, as last announced: a new `serial` for every change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Announced {
    /// Increases with every change of either selection.
    pub serial: u64,
    /// The MIME types; empty when the selection is cleared or the desk's own.
    pub mime_types: Vec<String>,
}

/// Both selections of the session.
pub type Selections = [Announced; 2];

/// A client pastes the desk's selection: the data goes into `fd`.
#[derive(Debug)]
pub struct Wanted {
    /// Which selection.
    pub selection: Selection,
    /// The MIME type the client asked for.
    pub mime_type: String,
    /// The client's pipe.
    pub fd: OwnedFd,
}

/// Pastes of the desk's selection waiting for the link.
pub const WANTED_QUEUE: usize = 16;

/// The compositor's end of the clipboard link.
#[derive(Debug)]
pub struct ClipboardSink {
    /// The session's selections, for the viewer.
    pub announced: watch::Sender<Selections>,
    /// Pastes of the desk's selections.
    pub wanted: mpsc::Sender<Wanted>,
}

/// Index of a selection in [`Selections`].
pub fn index(selection: Selection) -> usize {
    match selection {
        Selection::Clipboard => 0,
        Selection::Primary => 1,
    }
}

/// The wire's name for smithay's selection kind.
pub fn of_target(target: SelectionTarget) -> Selection {
    match target {
        SelectionTarget::Clipboard => Selection::Clipboard,
        SelectionTarget::Primary => Selection::Primary,
    }
}

/// Smithay's selection kind for the wire's name.
pub fn target(selection: Selection) -> SelectionTarget {
    match selection {
        Selection::Clipboard => SelectionTarget::Clipboard,
        Selection::Primary => SelectionTarget::Primary,
    }
}
