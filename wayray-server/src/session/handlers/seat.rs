//! wl_seat (keyboard, pointer, touch), cursor-shape, and popup grabs.
//!
//! The cursor the session wants is recorded in `State::cursor` and sent to the viewer
//! (client-side cursor, see `crate::session::cursor`); it is never drawn into the captured frame.

use smithay::desktop::{PopupKeyboardGrab, PopupKind, PopupPointerGrab, PopupUngrabStrategy};
use smithay::input::pointer::{CursorImageStatus, Focus};
use smithay::input::{Seat, SeatHandler, SeatState};
use smithay::reexports::wayland_server::Resource;
use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::utils::{SERIAL_COUNTER, Serial};
use smithay::wayland::selection::data_device::set_data_device_focus;
use smithay::wayland::selection::primary_selection::set_primary_focus;
use smithay::wayland::tablet_manager::TabletSeatHandler;
use smithay::{delegate_cursor_shape, delegate_seat};

use crate::session::focus::KeyboardFocus;
use crate::session::state::State;

impl SeatHandler for State {
    type KeyboardFocus = KeyboardFocus;
    type PointerFocus = WlSurface;
    type TouchFocus = WlSurface;

    fn seat_state(&mut self) -> &mut SeatState<Self> {
        &mut self.core.seat_state
    }

    fn focus_changed(&mut self, seat: &Seat<Self>, focused: Option<&KeyboardFocus>) {
        // Clipboard clients (wl-paste) read the selection only once their surface has focus.
        let client = focused.and_then(|f| self.display_handle.get_client(f.surface().id()).ok());
        set_data_device_focus(&self.display_handle, seat, client.clone());
        set_primary_focus(&self.display_handle, seat, client);
    }

    fn cursor_image(&mut self, _seat: &Seat<Self>, image: CursorImageStatus) {
        self.cursor = image;
        self.send_cursor();
    }
}

impl TabletSeatHandler for State {}

delegate_seat!(State);
delegate_cursor_shape!(State);

impl State {
    /// Starts an xdg_popup grab: keyboard and pointer go to the popup chain until dismissed.
    pub(crate) fn popup_grab(&mut self, popup: PopupKind, seat: &Seat<State>, serial: Serial) {
        let Ok(root) = smithay::desktop::find_popup_root_surface(&popup) else {
            return;
        };
        let Ok(mut grab) = self
            .popups_mut()
            .grab_popup(root.clone().into(), popup, seat, serial)
        else {
            return;
        };
        // A launcher or lock screen holding the keyboard keeps it from a window's menu.
        let keyboard_free = !self.keyboard_held_by_layer() || self.has_keyboard_focus(&root);
        if let Some(keyboard) = seat.get_keyboard().filter(|_| keyboard_free) {
            if keyboard.is_grabbed()
                && !(keyboard.has_grab(serial)
                    || keyboard.has_grab(grab.previous_serial().unwrap_or(serial)))
            {
                grab.ungrab(PopupUngrabStrategy::All);
                return;
            }
            keyboard.set_focus(self, grab.current_grab(), serial);
            keyboard.set_grab(self, PopupKeyboardGrab::new(&grab), serial);
        }
        if let Some(pointer) = seat.get_pointer() {
            if pointer.is_grabbed()
                && !(pointer.has_grab(serial)
                    || pointer.has_grab(grab.previous_serial().unwrap_or_else(|| grab.serial())))
            {
                grab.ungrab(PopupUngrabStrategy::All);
                return;
            }
            pointer.set_grab(self, PopupPointerGrab::new(&grab), serial, Focus::Keep);
        }
        self.menu_grab = Some(grab);
    }
}

impl State {
    /// Another window is about to get the keyboard (a new window, one the user clicked): an
    /// open menu's chain that holds it is dismissed first (`popup_done`, deepest first) and
    /// its grab ends, as xdg-shell has it — a grabbing menu would otherwise keep the keyboard
    /// from the new window. Other grabs (an input method's, a drag) are left alone.
    pub(crate) fn dismiss_grabbed_popups(&mut self, new_focus: Option<&WlSurface>) {
        let Some(grab) = self.menu_grab.as_mut() else {
            return;
        };
        if grab.has_ended() {
            self.menu_grab = None;
            return;
        }
        let root = grab.current_grab().and_then(|focus| {
            let popup = self.popups.find_popup(focus.surface())?;
            smithay::desktop::find_popup_root_surface(&popup).ok()
        });
        if root.is_some() && root.as_ref() == new_focus {
            return;
        }
        grab.ungrab(PopupUngrabStrategy::All);
        self.menu_grab = None;
    }

    /// A popup that had the keyboard was destroyed: the keyboard goes to its parent now, where
    /// the popup grab lets it (the grab ended with the popup, or the parent menu holds it),
    /// not at the next key as smithay's grab would. Qt drops keys that arrive together with
    /// its window's `enter`, so the first keys typed after choosing a menu item were lost.
    pub(crate) fn popup_gone(&mut self, popup: &smithay::wayland::shell::xdg::PopupSurface) {
        let Some(keyboard) = self.seat.get_keyboard() else {
            return;
        };
        let had_keyboard = keyboard
            .current_focus()
            .is_some_and(|focus| focus.surface() == popup.wl_surface());
        let Some(parent) = popup.get_parent_surface() else {
            return;
        };
        if !had_keyboard || !keyboard.is_grabbed() || !parent.is_alive() {
            return;
        }
        // The grab learns here which of its popups are gone.
        self.popups.cleanup();
        let focus = KeyboardFocus::Surface(parent);
        keyboard.set_focus(self, Some(focus), SERIAL_COUNTER.next_serial());
    }

    /// Tells the viewer about the session's cursor if it changed since it was last told.
    pub(crate) fn send_cursor(&mut self) {
        let Some(sink) = &self.cursor_sink else {
            return;
        };
        let cursor = crate::session::cursor::of(&self.cursor);
        if self.cursor_sent.as_ref() != Some(&cursor) {
            sink(cursor.clone());
            self.cursor_sent = Some(cursor);
        }
    }

    /// A commit on `surface`: a cursor surface may have drawn a new image.
    pub(crate) fn cursor_committed(&mut self, surface: &WlSurface) {
        if matches!(&self.cursor, CursorImageStatus::Surface(s) if s == surface) {
            self.send_cursor();
        }
    }
}
