//! Maximised and fullscreen states, and following output size changes.
//!
//! Owns the transitions between floating and output-covering geometry and
//! the saved floating geometry. Must never leave a state request without a
//! configure reply (xdg-shell requires one even when nothing changes) and
//! never lose the floating geometry a window should return to.

use super::geometry::{Rect, Size};
use super::manager::WindowManager;
use super::placement;
use super::window::WmWindow;

impl<W: WmWindow> WindowManager<W> {
    /// The client asked to be (un)maximised. Unknown windows are ignored.
    pub fn request_maximize(&mut self, window: &W, maximized: bool) {
        if let Some(idx) = self.index_of(window) {
            let fullscreen = self.stack[idx].fullscreen;
            self.set_mode(idx, maximized, fullscreen);
        }
    }

    /// The client asked to be (un)fullscreen. Going fullscreen also raises
    /// the window, which (once acked) gives it focus. Unknown windows are
    /// ignored.
    pub fn request_fullscreen(&mut self, window: &W, fullscreen: bool) {
        if let Some(idx) = self.index_of(window) {
            let maximized = self.stack[idx].maximized;
            let idx = if fullscreen { self.raise(idx) } else { idx };
            self.set_mode(idx, maximized, fullscreen);
            self.refocus();
        }
    }

    /// The output changed size (clamped to 1x1): maximised and fullscreen
    /// windows follow it, floating ones are kept reachable.
    pub fn set_output_size(&mut self, size: Size) {
        self.output = size.at_least(Size::new(1, 1));
        self.refit();
    }

    /// Panels and docks reserve parts of the output: maximised windows cover only `area`
    /// (the output coordinates of what is left), new windows are placed inside it.
    pub fn set_work_area(&mut self, area: Rect) {
        if self.reserved == Some(area) {
            return;
        }
        self.reserved = Some(area);
        self.refit();
    }

    /// Maximised and fullscreen windows follow the output and work area; floating ones are
    /// kept reachable.
    fn refit(&mut self) {
        for idx in 0..self.stack.len() {
            if self.stack[idx].is_floating() {
                let geometry = self.stack[idx].geometry;
                self.place(idx, geometry);
            } else {
                let pinned = self.pinned_rect(idx);
                if self.stack[idx].geometry != pinned {
                    self.place(idx, pinned);
                    self.push_configure(idx);
                }
            }
        }
    }

    /// Toggles maximise of the focused window (Super+Up).
    pub(super) fn toggle_maximize_focused(&mut self) {
        if let Some(idx) = self.focus.clone().and_then(|w| self.index_of(&w)) {
            let m = &self.stack[idx];
            let (maximized, fullscreen) = (!m.maximized, m.fullscreen);
            self.set_mode(idx, maximized, fullscreen);
        }
    }

    /// Un-maximises the focused window if it is maximised (Super+Down).
    pub(super) fn unmaximize_focused(&mut self) {
        if let Some(idx) = self.focus.clone().and_then(|w| self.index_of(&w)) {
            let m = &self.stack[idx];
            if m.maximized {
                let fullscreen = m.fullscreen;
                self.set_mode(idx, false, fullscreen);
            }
        }
    }

    /// Applies the flags, saving or restoring floating geometry on the
    /// floating boundary, and always answers with a configure.
    fn set_mode(&mut self, idx: usize, maximized: bool, fullscreen: bool) {
        let output = self.output_rect();
        let m = &mut self.stack[idx];
        let was_floating = m.is_floating();
        m.maximized = maximized;
        m.fullscreen = fullscreen;
        if !m.is_floating() {
            if was_floating {
                m.restore = Some(m.geometry);
            }
            let pinned = self.pinned_rect(idx);
            self.place(idx, pinned);
            if was_floating {
                self.freeze_grab_on(idx);
            }
        } else if !was_floating && m.is_floating() {
            let restore = m.restore.take().unwrap_or(m.geometry);
            self.place(idx, placement::keep_visible(restore, output));
        }
        self.push_configure(idx);
    }
}
