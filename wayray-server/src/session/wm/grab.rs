//! Pointer policy: click to focus and raise, Alt+Left drag to move,
//! Alt+Right drag to resize (bottom-right corner follows the pointer).
//!
//! Owns the active pointer grab. Must never let a client see half of a
//! gesture: once the WM consumes a press, every event up to and including
//! the matching release is consumed too, even if the grab stops moving
//! anything (window maximised or fullscreen). Only removing the window ends
//! a grab early.

use super::geometry::{Point, Rect, Size};
use super::gesture::{Grab, GrabKind};
use super::input::{Button, Modifiers};
use super::manager::WindowManager;
use super::window::{WmWindow, min_size_of};

impl<W: WmWindow> WindowManager<W> {
    /// Pointer moved to `pos` (output coordinates). Returns `true` when a
    /// grab consumed it, i.e. it must not be forwarded to a client.
    pub fn pointer_motion(&mut self, pos: Point) -> bool {
        let Some(grab) = self.grab.clone() else {
            return false;
        };
        let Some(idx) = self.index_of(&grab.window) else {
            // Unreachable while remove_window clears grabs; stay safe anyway.
            self.grab = None;
            return false;
        };
        let delta = pos - grab.start_pointer;
        let geometry = self.stack[idx].geometry;
        match grab.kind {
            GrabKind::Move { start_loc } => {
                self.place(idx, Rect::from_parts(start_loc + delta, geometry.size));
            }
            GrabKind::Resize { start_size } => {
                let min = min_size_of(&self.stack[idx].window);
                let size = Size::new(
                    start_size.w.saturating_add(delta.x),
                    start_size.h.saturating_add(delta.y),
                )
                .at_least(min);
                if size != geometry.size {
                    self.stack[idx].placeholder = false;
                    self.place(idx, Rect::from_parts(geometry.loc, size));
                    self.push_configure(idx);
                }
            }
            GrabKind::Hold => {}
        }
        true
    }

    /// A pointer button changed state at `pos`. Any press on a window
    /// raises it (and focuses it once acked); Alt+Left / Alt+Right start a
    /// move / resize grab. Returns `true` when the WM consumed the event,
    /// i.e. it must not be forwarded to a client.
    pub fn pointer_button(
        &mut self,
        pos: Point,
        button: Button,
        pressed: bool,
        mods: Modifiers,
    ) -> bool {
        if let Some(grab) = &self.grab {
            if !pressed && grab.button == button {
                self.grab = None;
            }
            return true;
        }
        if !pressed {
            return false;
        }
        let Some(idx) = self.stack.iter().rposition(|m| m.geometry.contains(pos)) else {
            return false;
        };
        let idx = self.raise(idx);
        self.refocus();
        if !mods.alt || !matches!(button, Button::Left | Button::Right) {
            return false;
        }
        let m = &self.stack[idx];
        let kind = match button {
            _ if !m.is_floating() => GrabKind::Hold,
            Button::Left => GrabKind::Move {
                start_loc: m.geometry.loc,
            },
            _ => GrabKind::Resize {
                start_size: m.geometry.size,
            },
        };
        self.grab = Some(Grab {
            window: m.window.clone(),
            button,
            start_pointer: pos,
            kind,
        });
        true
    }

    /// Stops a move/resize on `idx` (it is no longer floating) while still
    /// swallowing the gesture's remaining events.
    pub(super) fn freeze_grab_on(&mut self, idx: usize) {
        let window = &self.stack[idx].window;
        if let Some(grab) = self.grab.as_mut().filter(|g| &g.window == window) {
            grab.kind = GrabKind::Hold;
        }
    }
}
