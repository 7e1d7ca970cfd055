//! text-input-v3, input-method-v2 and virtual-keyboard-v1: an input method running in the
//! session (fcitx5) composes text for the focused application and sends the keys it does not
//! compose on through a virtual keyboard. smithay routes the text, the input method's
//! keyboard grab and the virtual keyboard's keys; this file shows its candidate popups next to
//! the text field. The input method and virtual keyboard globals are not for sandboxed clients
//! (one sees every key, the other types into any window).

use smithay::desktop::{PopupKind, PopupManager, space::SpaceElement};
use smithay::reexports::wayland_protocols_misc::zwp_input_method_v2::server::{
    zwp_input_method_keyboard_grab_v2::ZwpInputMethodKeyboardGrabV2,
    zwp_input_method_manager_v2::ZwpInputMethodManagerV2,
    zwp_input_method_v2::{self, ZwpInputMethodV2},
    zwp_input_popup_surface_v2::ZwpInputPopupSurfaceV2,
};
use smithay::reexports::wayland_server::backend::ClientId;
use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::reexports::wayland_server::{Client, DataInit, Dispatch, DisplayHandle};
use smithay::utils::{Logical, Rectangle};
use smithay::wayland::input_method::{InputMethodHandler, PopupSurface};
use smithay::wayland::input_method::{InputMethodManagerState, InputMethodUserData};
use smithay::wayland::text_input::TextInputSeat;
use smithay::{delegate_text_input_manager, delegate_virtual_keyboard_manager};

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
        // What the candidate list covered is drawn again.
        self.schedule_render();
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

// The input method manager's objects go to smithay, all but the input method itself: its
// `commit` is applied here (see `Dispatch<ZwpInputMethodV2, …>` below).
smithay::reexports::wayland_server::delegate_global_dispatch!(State: [
    ZwpInputMethodManagerV2: smithay::wayland::input_method::InputMethodManagerGlobalData
] => InputMethodManagerState);
smithay::reexports::wayland_server::delegate_dispatch!(State: [
    ZwpInputMethodManagerV2: ()
] => InputMethodManagerState);
smithay::reexports::wayland_server::delegate_dispatch!(State: [
    ZwpInputMethodKeyboardGrabV2: smithay::wayland::input_method::InputMethodKeyboardUserData<State>
] => InputMethodManagerState);
smithay::reexports::wayland_server::delegate_dispatch!(State: [
    ZwpInputPopupSurfaceV2: smithay::wayland::input_method::InputMethodPopupSurfaceUserData
] => InputMethodManagerState);

/// The input method's requests go to smithay, except `commit`: its text is always applied.
/// The input method's serial counts the `done` events it had seen, and an application that
/// commits its own state meanwhile (foot moves its cursor rectangle as the preedit grows)
/// sends it another one; a commit with an old serial must still be applied (the protocol:
/// "proceed as normal"), as wlroots does. smithay instead discarded it, and text composed
/// while the application redrew was lost.
impl Dispatch<ZwpInputMethodV2, InputMethodUserData<State>> for State {
    fn request(
        state: &mut State,
        client: &Client,
        resource: &ZwpInputMethodV2,
        request: zwp_input_method_v2::Request,
        data: &InputMethodUserData<State>,
        dh: &DisplayHandle,
        data_init: &mut DataInit<'_, State>,
    ) {
        if let zwp_input_method_v2::Request::Commit { .. } = request {
            state.seat.text_input().done(false);
            return;
        }
        <InputMethodManagerState as Dispatch<
            ZwpInputMethodV2,
            InputMethodUserData<State>,
            State,
        >>::request(state, client, resource, request, data, dh, data_init);
    }

    fn destroyed(
        state: &mut State,
        client: ClientId,
        resource: &ZwpInputMethodV2,
        data: &InputMethodUserData<State>,
    ) {
        <InputMethodManagerState as Dispatch<
            ZwpInputMethodV2,
            InputMethodUserData<State>,
            State,
        >>::destroyed(state, client, resource, data);
    }
}
delegate_text_input_manager!(State);
delegate_virtual_keyboard_manager!(State);
