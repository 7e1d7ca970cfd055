//! text-input-v3 and input-method-v2: an input method running in the session (fcitx5, a
//! virtual keyboard) composes text for the focused application. smithay routes the text and
//! the input method's keyboard grab; this file shows its candidate popups next to the text
//! field. The input method global is not for sandboxed clients (it would see every key).

use smithay::desktop::{PopupKind, PopupManager, space::SpaceElement};
use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::utils::{Logical, Rectangle};
use smithay::wayland::input_method::{InputMethodHandler, PopupSurface};
use smithay::{delegate_input_method_manager, delegate_text_input_manager};

use crate::session::state::State;

impl InputMethodHandler for State {
    fn new_popup(&mut self, surface: PopupSurface) {
        if let Err(err) = self.popups.track_popup(PopupKind::from(surface)) {
            tracing::debug!(%err, "cannot track an input method popup");
        }
    }

    fn dismiss_popup(&mut self, surface: PopupSurface) {
        if let Some(parent) = surface.get_parent().map(|parent| parent.surface.clone()) {
            let _ = PopupManager::dismiss_popup(&parent, &PopupKind::from(surface));
        }
    }

    fn popup_repositioned(&mut self, _surface: PopupSurface) {}

    /// The window of the text field, in output coordinates.
    fn parent_geometry(&self, parent: &WlSurface) -> Rectangle<i32, Logical> {
        self.space
            .elements()
            .find(|window| window.wl_surface().as_ref() == Some(parent))
            .and_then(|window| {
                let loc = self.space.element_location(window)?;
                Some(Rectangle::new(loc, SpaceElement::geometry(window).size))
            })
            .unwrap_or_default()
    }
}

delegate_input_method_manager!(State);
delegate_text_input_manager!(State);
