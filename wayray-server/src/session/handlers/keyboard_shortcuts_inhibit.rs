//! keyboard-shortcuts-inhibit: a client whose window has keyboard focus may ask that the
//! compositor's own shortcuts (Alt+Tab, Alt+F4, Super+Up…) go to it instead — a remote desktop
//! viewer, a virtual machine. Granted at once: the session belongs to the person at the desk,
//! and the shortcuts come back as soon as focus moves to another window (click it) or the
//! client lets go.

use smithay::delegate_keyboard_shortcuts_inhibit;
use smithay::wayland::keyboard_shortcuts_inhibit::{
    KeyboardShortcutsInhibitHandler, KeyboardShortcutsInhibitState, KeyboardShortcutsInhibitor,
    KeyboardShortcutsInhibitorSeat,
};

use crate::session::state::State;

impl KeyboardShortcutsInhibitHandler for State {
    fn keyboard_shortcuts_inhibit_state(&mut self) -> &mut KeyboardShortcutsInhibitState {
        &mut self.core.keyboard_shortcuts_inhibit
    }

    fn new_inhibitor(&mut self, inhibitor: KeyboardShortcutsInhibitor) {
        inhibitor.activate();
    }
}

delegate_keyboard_shortcuts_inhibit!(State);

impl State {
    /// Whether the window with keyboard focus holds an active inhibitor: then keys go to it
    /// even when they are compositor shortcuts.
    pub fn shortcuts_inhibited(&self) -> bool {
        let focus = self.seat.get_keyboard().and_then(|k| k.current_focus());
        focus.is_some_and(|focus| {
            self.seat
                .keyboard_shortcuts_inhibitor_for_surface(focus.surface())
                .is_some_and(|inhibitor| inhibitor.is_active())
        })
    }
}
