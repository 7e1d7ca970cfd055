//! Keyboard shortcuts: Alt+Tab cycling, Alt+F4 close, Super+Up/Down.
//!
//! Owns what each `Shortcut` means. Must never move focus directly: it only
//! restacks and lets `refocus` derive focus, so the "focus is the topmost
//! acked window" rule cannot be bypassed.

use super::action::Action;
use super::input::Shortcut;
use super::manager::WindowManager;
use super::window::WmWindow;

impl<W: WmWindow> WindowManager<W> {
    /// Handles a shortcut the compositor recognised. Does nothing when the
    /// shortcut needs a focused window and there is none.
    pub fn handle_key(&mut self, shortcut: Shortcut) {
        match shortcut {
            Shortcut::AltTab => self.cycle_forward(),
            Shortcut::AltShiftTab => self.cycle_backward(),
            Shortcut::AltF4 => {
                if let Some(window) = self.focus.clone() {
                    self.actions.push(Action::Close(window));
                }
            }
            Shortcut::SuperUp => self.toggle_maximize_focused(),
            Shortcut::SuperDown => self.unmaximize_focused(),
        }
    }

    /// Raises the lowest acked window other than the focused one; repeated
    /// presses visit every acked window in turn.
    fn cycle_forward(&mut self) {
        let Some(focus) = self.focus.clone() else {
            return;
        };
        let next = self.stack.iter().position(|m| m.acked && m.window != focus);
        if let Some(idx) = next {
            self.raise(idx);
            self.refocus();
        }
    }

    /// Sends the focused window to the bottom, exactly undoing
    /// `cycle_forward`.
    fn cycle_backward(&mut self) {
        let Some(idx) = self.focus.clone().and_then(|w| self.index_of(&w)) else {
            return;
        };
        if self.stack.iter().filter(|m| m.acked).count() < 2 {
            return;
        }
        let m = self.stack.remove(idx);
        self.stack.insert(0, m);
        for other in &self.stack[1..] {
            self.actions.push(Action::Raise(other.window.clone()));
        }
        self.refocus();
    }
}
