//! The requests the policy hands back to the compositor.
//!
//! Owns `Action`. Must never contain anything the compositor has to
//! interpret further: every variant maps to one direct call (send a
//! configure, position an element, raise it, send close, set keyboard focus).

use super::geometry::{Point, Size};

/// One instruction for the compositor, produced by a `WindowManager`
/// operation and drained with `WindowManager::take_actions`. Apply them in
/// order; doing so keeps the compositor's scene identical to
/// `WindowManager::windows()`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action<W> {
    /// Send an xdg_toplevel configure with this full state. A size of 0 in
    /// a dimension means "the client chooses", as in the protocol.
    Configure {
        /// Window to configure.
        window: W,
        /// Suggested size (0 = client's choice).
        size: Size,
        /// Maximised state flag.
        maximized: bool,
        /// Fullscreen state flag.
        fullscreen: bool,
        /// Activated (has keyboard focus) state flag.
        activated: bool,
        /// An interactive resize of this window is in progress (xdg `resizing` state: the
        /// client should follow the size exactly and may skip effects such as shadows).
        resizing: bool,
    },
    /// Place the window's top-left corner at `loc` (output coordinates).
    /// The first `Move` for a new window is where to map it, on top.
    Move {
        /// Window to position.
        window: W,
        /// New top-left corner.
        loc: Point,
    },
    /// Put the window at the top of the stacking order. Lowering is
    /// expressed as raising every other window in order, so a compositor
    /// with only "raise" (like smithay's `Space`) can follow.
    Raise(W),
    /// Ask the client to close the window (xdg_toplevel.close). The window
    /// stays managed until the compositor calls `remove_window`.
    Close(W),
    /// Give keyboard focus to this window, or to nothing.
    FocusChanged(Option<W>),
}
