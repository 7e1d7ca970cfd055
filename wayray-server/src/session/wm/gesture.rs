//! The data of a pointer gesture in progress (an Alt+button grab); what it does lives in
//! `grab.rs`, the window manager holds at most one.

use super::geometry::{Point, Size};
use super::input::Button;

/// What an active grab does with pointer motion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum GrabKind {
    /// The window's corner follows the pointer delta.
    Move { start_loc: Point },
    /// The window's size follows the pointer delta.
    Resize { start_size: Size },
    /// Swallows events until release but changes nothing; used when the
    /// window cannot be moved (maximised or fullscreen).
    Hold,
}

/// An Alt+button gesture in progress.
#[derive(Debug, Clone)]
pub(super) struct Grab<W> {
    pub(super) window: W,
    pub(super) button: Button,
    pub(super) start_pointer: Point,
    pub(super) kind: GrabKind,
}
