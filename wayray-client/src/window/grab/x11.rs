//! The keyboard grab on an X11 desk: an active keyboard grab on winit's own X connection, so
//! the grabbed keys still arrive as ordinary window events.

use winit::raw_window_handle::{
    HasDisplayHandle, HasWindowHandle, RawDisplayHandle, RawWindowHandle,
};
use winit::window::Window;

use super::GrabError;

/// The X display and window of a winit window on X11.
fn handles(window: &Window) -> Option<(*mut x11_dl::xlib::Display, std::ffi::c_ulong)> {
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

/// Whether `window` is on an X11 desk.
pub(super) fn supports(window: &Window) -> bool {
    handles(window).is_some()
}

/// Grabs and releases the keyboard for one X11 window.
pub(super) struct X11Grab {
    xlib: x11_dl::xlib::Xlib,
    active: bool,
}

impl X11Grab {
    pub(super) fn new() -> Result<Self, GrabError> {
        let xlib = x11_dl::xlib::Xlib::open().map_err(|e| GrabError::Library(e.to_string()))?;
        Ok(Self {
            xlib,
            active: false,
        })
    }

    pub(super) fn active(&self) -> bool {
        self.active
    }

    pub(super) fn grab(&mut self, window: &Window) -> Result<(), GrabError> {
        let (display, id) = handles(window).ok_or(GrabError::Unsupported)?;
        let xlib = &self.xlib;
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
            other => Err(GrabError::Refused(format!("X status {other}"))),
        }
    }

    /// The X server dropped the grab (the window was hidden).
    pub(super) fn forget(&mut self) {
        self.active = false;
    }

    pub(super) fn release(&mut self, window: &Window) {
        if !self.active {
            return;
        }
        self.active = false;
        let Some((display, _)) = handles(window) else {
            return;
        };
        // SAFETY: as in `grab`.
        unsafe {
            (self.xlib.XUngrabKeyboard)(display, x11_dl::xlib::CurrentTime);
            (self.xlib.XFlush)(display);
        }
    }
}
