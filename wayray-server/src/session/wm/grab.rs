//! Pointer policy: click to focus and raise, Alt+Left drag to move, Alt+Right drag to resize
//! (bottom-right corner follows the pointer), and the moves and resizes a client asks for from
//! its own title bar and borders (`xdg_toplevel.move` / `.resize`) while its button is held.
//!
//! Owns the active pointer grab. Must never let a client see half of a gesture: once the WM
//! consumes a press, every event up to and including the matching release is consumed too,
//! even if the grab stops moving anything (window maximised or fullscreen). A grab a client
//! asked for started with a press the client saw, so the client gets its release. Only
//! removing the window ends a grab early.

use super::geometry::{Point, Rect, Size};
use super::gesture::{Grab, GrabKind};
use super::input::{Button, Modifiers, ResizeEdges};
use super::manager::WindowManager;
use super::window::{WmWindow, min_size_of};

/// `start` with `edges` moved by `delta`, never smaller than `min`; the opposite edges stay.
fn resized(start: Rect, edges: ResizeEdges, delta: Point, min: Size) -> Rect {
    let (mut left, mut right) = (start.loc.x, start.right());
    let (mut top, mut bottom) = (start.loc.y, start.bottom());
    if edges.left {
        left = left.saturating_add(delta.x).min(right - min.w);
    } else if edges.right {
        right = right.saturating_add(delta.x).max(left + min.w);
    }
    if edges.top {
        top = top.saturating_add(delta.y).min(bottom - min.h);
    } else if edges.bottom {
        bottom = bottom.saturating_add(delta.y).max(top + min.h);
    }
    Rect::new(left, top, right - left, bottom - top)
}

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
            GrabKind::Resize { start, edges } => {
                let min = min_size_of(&self.stack[idx].window).at_least(Size::new(1, 1));
                let rect = resized(start, edges, delta, min);
                if rect != geometry {
                    self.stack[idx].placeholder = false;
                    self.place(idx, rect);
                    if rect.size != geometry.size {
                        self.push_configure(idx);
                    }
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
        if self.pressed.as_ref().is_some_and(|(_, b, _)| *b == button) && !pressed {
            self.pressed = None;
        }
        if let Some(grab) = &self.grab {
            if !pressed && grab.button == button {
                let from_client = grab.from_client;
                let resized = matches!(grab.kind, GrabKind::Resize { .. });
                let window = grab.window.clone();
                self.grab = None;
                // The resize is over: the client learns it (the `resizing` state goes).
                if resized && let Some(idx) = self.index_of(&window) {
                    self.push_configure(idx);
                }
                return !from_client;
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
            self.pressed = Some((self.stack[idx].window.clone(), button, pos));
            return false;
        }
        let m = &self.stack[idx];
        let kind = match button {
            _ if !m.is_floating() => GrabKind::Hold,
            Button::Left => GrabKind::Move {
                start_loc: m.geometry.loc,
            },
            _ => GrabKind::Resize {
                start: m.geometry,
                edges: ResizeEdges::BOTTOM_RIGHT,
            },
        };
        self.grab = Some(Grab {
            window: m.window.clone(),
            button,
            start_pointer: pos,
            kind,
            from_client: false,
        });
        true
    }

    /// `window` asks to be moved by the pointer (from its own title bar). Honoured while the
    /// button of a press it received is still held and the window floats; the window follows
    /// the pointer's travel since that press until the button's release. Returns whether it
    /// began.
    pub fn begin_client_move(&mut self, window: &W) -> bool {
        self.begin_client_grab(window, |geometry| GrabKind::Move {
            start_loc: geometry.loc,
        })
    }

    /// `window` asks to be resized by the pointer at `edges` (from its own border), under the
    /// same rules as [`begin_client_move`](Self::begin_client_move).
    pub fn begin_client_resize(&mut self, window: &W, edges: ResizeEdges) -> bool {
        if edges == ResizeEdges::default() {
            return false;
        }
        self.begin_client_grab(window, |start| GrabKind::Resize { start, edges })
    }

    fn begin_client_grab(&mut self, window: &W, kind: impl FnOnce(Rect) -> GrabKind) -> bool {
        let Some((pressed_on, button, at)) = self.pressed.clone() else {
            return false;
        };
        if self.grab.is_some() || &pressed_on != window {
            return false;
        }
        let Some(idx) = self.index_of(window) else {
            return false;
        };
        if !self.stack[idx].is_floating() {
            return false;
        }
        self.grab = Some(Grab {
            window: window.clone(),
            button,
            // From where the press was: the window stays under the pointer where it was
            // taken, whatever the client needed to move before it asked (a drag threshold).
            start_pointer: at,
            kind: kind(self.stack[idx].geometry),
            from_client: true,
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
