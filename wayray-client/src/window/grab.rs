//! The keyboard grab: while it is on, every key goes to the window (and so to the session),
//! including the shortcuts the desk's own window manager would otherwise take (Alt+Tab,
//! Super…). On an X11 desk this is an active keyboard grab on winit's own X connection, so the
//! grabbed keys still arrive as ordinary window events. Other desks are not supported yet.

use std::ffi::c_int;

use winit::raw_window_handle::{
    HasDisplayHandle, HasWindowHandle, RawDisplayHandle, RawWindowHandle,
};
use winit::window::Window;

/// Why the keyboard could not be grabbed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GrabError {
    /// The desk is not X11.
    #[error("the keyboard grab needs an X11 desk")]
    Unsupported,
    /// libX11 could not be loaded.
    #[error("cannot load libX11: {0}")]
    Library(String),
    /// The window is not on screen yet; try again once it is.
    #[error("the window is not visible yet")]
    NotViewable,
    /// Another program holds the keyboard.
    #[error("another program holds the keyboard (X status {0})")]
    Refused(c_int),
}

/// The X display and window of a winit window on X11.
fn x11_handles(window: &Window) -> Option<(*mut x11_dl::xlib::Display, std::ffi::c_ulong)> {
    let display = match window.display_handle().ok()?.as_raw() {
        RawDisplayHandle::Xlib(handle) => handle.display?.as_ptr().cast(),
        _ => return None,
    };
    let id = match window.window_handle().ok()?.as_raw() {
        RawWindowHandle::Xlib(handle) => handle.window,
        _ => return None,
    };
    Some((display, id))
}

/// Grabs and releases the keyboard for one window.
#[derive(Default)]
pub struct KeyboardGrab {
    xlib: Option<x11_dl::xlib::Xlib>,
    active: bool,
}

impl KeyboardGrab {
    /// Whether the keyboard is grabbed now.
    pub fn active(&self) -> bool {
        self.active
    }

    fn xlib(&mut self) -> Result<&x11_dl::xlib::Xlib, GrabError> {
        if self.xlib.is_none() {
            self.xlib =
                Some(x11_dl::xlib::Xlib::open().map_err(|e| GrabError::Library(e.to_string()))?);
        }
        self.xlib
            .as_ref()
            .ok_or_else(|| GrabError::Library("not loaded".into()))
    }

    /// Grabs the keyboard for `window`.
    pub fn grab(&mut self, window: &Window) -> Result<(), GrabError> {
        let (display, id) = x11_handles(window).ok_or(GrabError::Unsupported)?;
        let xlib = self.xlib()?;
        // SAFETY: `display` is winit's live Xlib display for `window`, used on winit's own
        // thread (this runs in the event loop's callbacks), and `id` is that window.
        let status = unsafe {
            let status = (xlib.XGrabKeyboard)(
                display,
                id,
                1, // owner_events: keys keep going to the window as usual
                x11_dl::xlib::GrabModeAsync,
                x11_dl::xlib::GrabModeAsync,
                x11_dl::xlib::CurrentTime,
            );
            (xlib.XFlush)(display);
            status
        };
        match status {
            x11_dl::xlib::GrabSuccess => {
                self.active = true;
                Ok(())
            }
            x11_dl::xlib::GrabNotViewable => Err(GrabError::NotViewable),
            other => Err(GrabError::Refused(other)),
        }
    }

    /// The X server dropped the grab (the window was hidden): it is no longer held.
    pub fn forget(&mut self) {
        self.active = false;
    }

    /// Gives the keyboard back to the desk.
    pub fn release(&mut self, window: &Window) {
        if !self.active {
            return;
        }
        self.active = false;
        let Some((display, _)) = x11_handles(window) else {
            return;
        };
        if let Ok(xlib) = self.xlib() {
            // SAFETY: as in `grab`.
            unsafe {
                (xlib.XUngrabKeyboard)(display, x11_dl::xlib::CurrentTime);
                (xlib.XFlush)(display);
            }
        }
    }
}
