//! The keyboard grab: while it is on, every key goes to the window (and so to the session),
//! including the shortcuts the desk's own window manager would otherwise take (Alt+Tab,
//! Super…). On an X11 desk it is an active keyboard grab (`x11.rs`); on a Wayland desk the
//! window asks the desk's compositor to inhibit its shortcuts (`wayland.rs`,
//! keyboard-shortcuts-inhibit), which the compositor may grant, defer or refuse.

mod wayland;
mod x11;

use std::sync::Arc;

use winit::window::Window;

/// Why the keyboard could not be grabbed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GrabError {
    /// Neither an X11 desk nor a Wayland desk whose compositor offers shortcut inhibition.
    #[error("this desk offers no keyboard grab (X11, or Wayland with keyboard-shortcuts-inhibit)")]
    Unsupported,
    /// A system library could not be loaded.
    #[error("cannot load libX11: {0}")]
    Library(String),
    /// The window is not on screen yet; try again once it is.
    #[error("the window is not visible yet")]
    NotViewable,
    /// The desk refused.
    #[error("the desk refused the grab: {0}")]
    Refused(String),
}

enum Backend {
    X11(Box<x11::X11Grab>),
    Wayland(Box<wayland::WaylandInhibit>),
}

/// Grabs and releases the keyboard for one window, on whatever kind of desk it is.
#[derive(Default)]
pub struct KeyboardGrab {
    backend: Option<Backend>,
}

impl KeyboardGrab {
    /// Whether the keyboard is grabbed now (on Wayland: the desk's compositor said so).
    pub fn active(&mut self) -> bool {
        match &mut self.backend {
            Some(Backend::X11(grab)) => grab.active(),
            Some(Backend::Wayland(inhibit)) => inhibit.active(),
            None => false,
        }
    }

    /// Whether [`KeyboardGrab::grab`] has something to do: an X11 grab not held, or no
    /// standing Wayland request (the compositor applies one whenever it decides to).
    pub fn needs_attempt(&mut self) -> bool {
        match &mut self.backend {
            Some(Backend::X11(grab)) => !grab.active(),
            Some(Backend::Wayland(inhibit)) => !inhibit.requested(),
            None => true,
        }
    }

    /// Grabs the keyboard for `window`. On Wayland this asks once; the answer may come later.
    pub fn grab(&mut self, window: &Arc<Window>) -> Result<(), GrabError> {
        if self.backend.is_none() {
            self.backend = Some(if x11::supports(window) {
                Backend::X11(Box::new(x11::X11Grab::new()?))
            } else {
                Backend::Wayland(Box::new(wayland::WaylandInhibit::new(window)?))
            });
        }
        match &mut self.backend {
            Some(Backend::X11(grab)) => grab.grab(window),
            Some(Backend::Wayland(inhibit)) => inhibit.grab(),
            None => Err(GrabError::Unsupported),
        }
    }

    /// The desk dropped the grab by itself (an X11 window was hidden); on Wayland the
    /// compositor keeps the request and applies it whenever the window has focus.
    pub fn forget(&mut self) {
        if let Some(Backend::X11(grab)) = &mut self.backend {
            grab.forget();
        }
    }

    /// Gives the keyboard back to the desk.
    pub fn release(&mut self, window: &Window) {
        match &mut self.backend {
            Some(Backend::X11(grab)) => grab.release(window),
            Some(Backend::Wayland(inhibit)) => inhibit.release(),
            None => {}
        }
    }
}
