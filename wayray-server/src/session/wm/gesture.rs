//! The data of a pointer gesture in progress (an Alt+button grab, or a move or resize a client
//! asked for while its button was held); what it does lives in `grab.rs`, the window manager
//! holds at most one.

use super::geometry::{Point, Rect};
use super::input::{Button, ResizeEdges};

/// What an active grab does with pointer motion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum GrabKind {
    /// The window's corner follows the pointer delta.
    Move { start_loc: Point },
    /// The window's `edges` follow the pointer delta.
    Resize { start: Rect, edges: ResizeEdges },
    /// Swallows events until release but changes nothing; used when the
    /// window cannot be moved (maximised or fullscreen).
    Hold,
}

/// A gesture in progress.
#[derive(Debug, Clone)]
pub(super) struct Grab<W> {
    pub(super) window: W,
    pub(super) button: Button,
    pub(super) start_pointer: Point,
    pub(super) kind: GrabKind,
    /// Asked for by the client, which saw the press: it gets the release too.
    pub(super) from_client: bool,
}
