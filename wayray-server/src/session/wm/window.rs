//! The window handle trait and the per-window state the policy keeps.
//!
//! Owns `WmWindow` and the private `Managed` record. Must never reach into
//! the handle beyond the trait: the handle is an opaque token from the
//! compositor (a smithay `Window` in production, an integer in tests).

use std::fmt::Debug;

use super::geometry::{Rect, Size};

/// What the policy needs from a compositor window handle: identity via
/// `PartialEq`, cheap `Clone`, and optionally the client's minimum size.
pub trait WmWindow: Clone + PartialEq + Debug {
    /// Smallest size the client accepts (xdg_toplevel.set_min_size).
    /// Values below 1x1 are treated as 1x1.
    fn min_size(&self) -> Size {
        Size::new(1, 1)
    }
}

/// Effective minimum size, never below 1x1 whatever the client claims.
pub(super) fn min_size_of<W: WmWindow>(window: &W) -> Size {
    window.min_size().at_least(Size::new(1, 1))
}

/// Everything the policy tracks about one managed window.
#[derive(Debug, Clone)]
pub(super) struct Managed<W> {
    pub(super) window: W,
    /// Current rectangle on the output; the output rect while maximised or
    /// fullscreen.
    pub(super) geometry: Rect,
    /// The client acked its first configure; until then it must not get
    /// keyboard focus (foot, for one, crashes on early focus).
    pub(super) acked: bool,
    /// `geometry.size` is our guess because the client was told to choose
    /// its own size and has not drawn yet.
    pub(super) placeholder: bool,
    /// Size sent in the initial configure; resent while `placeholder` so
    /// activation changes do not impose our guess on the client.
    pub(super) initial: Size,
    pub(super) maximized: bool,
    pub(super) fullscreen: bool,
    /// Floating geometry to go back to; `Some` exactly when not floating.
    pub(super) restore: Option<Rect>,
}

impl<W> Managed<W> {
    pub(super) fn is_floating(&self) -> bool {
        !self.maximized && !self.fullscreen
    }

    /// Size to put in the next configure for this window.
    pub(super) fn configure_size(&self) -> Size {
        if self.is_floating() && self.placeholder {
            self.initial
        } else {
            self.geometry.size
        }
    }
}
