//! What the keyboard can be focused on: a Wayland surface, or an X11 window from Xwayland
//! together with the Wayland surface Xwayland draws it into.
//!
//! An X11 window needs both: the X server must be told which window has the input focus
//! (ICCCM: `SetInputFocus` and/or `WM_TAKE_FOCUS`), and the keys themselves reach Xwayland as
//! `wl_keyboard` events on its surface. Pointer and touch focus stay plain surfaces: Xwayland
//! turns surface-local positions into X events itself.

use std::borrow::Cow;

use smithay::desktop::PopupKind;
use smithay::input::keyboard::{KeyboardTarget, KeysymHandle, ModifiersState};
use smithay::input::{Seat, SeatHandler};
use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::utils::{IsAlive, Serial};
use smithay::wayland::seat::WaylandFocus;
use smithay::xwayland::X11Surface;

/// The keyboard's focus.
// smithay's X11 window handle is large (it carries the X atoms); focus changes are rare.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum KeyboardFocus {
    /// A Wayland client's surface (a toplevel, a popup).
    Surface(WlSurface),
    /// An X11 window and the surface Xwayland shows it in.
    X11 {
        /// The X11 window.
        window: X11Surface,
        /// Its Wayland surface.
        surface: WlSurface,
    },
}

impl KeyboardFocus {
    /// The Wayland surface that receives the `wl_keyboard` events.
    pub fn surface(&self) -> &WlSurface {
        match self {
            Self::Surface(surface) | Self::X11 { surface, .. } => surface,
        }
    }

    /// Whether smithay itself knows the X11 window's surface (Xwayland ≥ 23.1 tells it
    /// through xwayland-shell); then the X11 window's own keyboard target sends the
    /// `wl_keyboard` events and they must not be sent twice.
    fn smithay_knows(window: &X11Surface) -> bool {
        window.wl_surface().is_some()
    }
}

impl From<WlSurface> for KeyboardFocus {
    fn from(surface: WlSurface) -> Self {
        Self::Surface(surface)
    }
}

impl From<PopupKind> for KeyboardFocus {
    fn from(popup: PopupKind) -> Self {
        Self::Surface(popup.wl_surface().clone())
    }
}

impl From<KeyboardFocus> for WlSurface {
    fn from(focus: KeyboardFocus) -> Self {
        match focus {
            KeyboardFocus::Surface(surface) | KeyboardFocus::X11 { surface, .. } => surface,
        }
    }
}

impl IsAlive for KeyboardFocus {
    fn alive(&self) -> bool {
        match self {
            Self::Surface(surface) => surface.alive(),
            Self::X11 { window, surface } => window.alive() && surface.alive(),
        }
    }
}

impl WaylandFocus for KeyboardFocus {
    fn wl_surface(&self) -> Option<Cow<'_, WlSurface>> {
        Some(Cow::Borrowed(self.surface()))
    }
}

impl<D: SeatHandler + 'static> KeyboardTarget<D> for KeyboardFocus {
    fn enter(&self, seat: &Seat<D>, data: &mut D, keys: Vec<KeysymHandle<'_>>, serial: Serial) {
        match self {
            Self::Surface(surface) => KeyboardTarget::enter(surface, seat, data, keys, serial),
            Self::X11 { window, surface } => {
                if Self::smithay_knows(window) {
                    KeyboardTarget::enter(window, seat, data, keys, serial);
                } else {
                    // The X side (which X11 window has the focus), then the keys.
                    KeyboardTarget::enter(window, seat, data, Vec::new(), serial);
                    KeyboardTarget::enter(surface, seat, data, keys, serial);
                }
            }
        }
    }

    fn leave(&self, seat: &Seat<D>, data: &mut D, serial: Serial) {
        match self {
            Self::Surface(surface) => KeyboardTarget::leave(surface, seat, data, serial),
            Self::X11 { window, surface } => {
                KeyboardTarget::leave(window, seat, data, serial);
                if !Self::smithay_knows(window) {
                    KeyboardTarget::leave(surface, seat, data, serial);
                }
            }
        }
    }

    fn key(
        &self,
        seat: &Seat<D>,
        data: &mut D,
        key: KeysymHandle<'_>,
        state: smithay::backend::input::KeyState,
        serial: Serial,
        time: u32,
    ) {
        KeyboardTarget::key(self.surface(), seat, data, key, state, serial, time);
    }

    fn modifiers(&self, seat: &Seat<D>, data: &mut D, modifiers: ModifiersState, serial: Serial) {
        KeyboardTarget::modifiers(self.surface(), seat, data, modifiers, serial);
    }
}
