//! The `WindowManager` state, its queries, and the window life cycle
//! (add, first-configure ack, commit, remove) plus the shared helpers every
//! other concern uses to change stacking, focus and geometry.
//!
//! Owns the stack, keyboard focus and the action outbox. Must never panic on
//! client-driven input: requests for unknown windows are ignored. Focus and
//! geometry changes must go through `refocus` and `place` so every change
//! reaches the compositor as an `Action`.

use super::action::Action;
use super::geometry::{Point, Rect, Size};
use super::gesture::{Grab, GrabKind};
use super::input::Button;
use super::placement;
use super::window::{Managed, WmWindow, min_size_of};

/// Floating window manager policy for one output.
///
/// Keyboard focus is always the topmost window that has acked its first
/// configure, so "click to focus", "raise" and "focus falls back" are all
/// the same rule. Operations queue `Action`s; drain them with
/// `take_actions` after each call.
#[derive(Debug, Clone)]
pub struct WindowManager<W> {
    pub(super) output: Size,
    /// What panels and docks leave of the output (`None`: all of it).
    pub(super) reserved: Option<Rect>,
    /// Bottom to top.
    pub(super) stack: Vec<Managed<W>>,
    pub(super) focus: Option<W>,
    pub(super) grab: Option<Grab<W>>,
    /// A button press the window under the pointer received (where) and whose release has
    /// not come.
    pub(super) pressed: Option<(W, Button, Point)>,
    pub(super) actions: Vec<Action<W>>,
}

impl<W: WmWindow> WindowManager<W> {
    /// A manager for an output of `output` logical pixels (clamped to 1x1).
    pub fn new(output: Size) -> Self {
        Self {
            output: output.at_least(Size::new(1, 1)),
            reserved: None,
            stack: Vec::new(),
            focus: None,
            grab: None,
            pressed: None,
            actions: Vec::new(),
        }
    }

    /// Drains the queued actions, oldest first.
    pub fn take_actions(&mut self) -> Vec<Action<W>> {
        std::mem::take(&mut self.actions)
    }

    /// Current output size.
    pub fn output_size(&self) -> Size {
        self.output
    }

    /// The output as a rectangle at the origin.
    pub fn output_rect(&self) -> Rect {
        Rect::from_parts(Point::default(), self.output)
    }

    /// Where maximised windows go and new windows are placed: the output less what panels
    /// reserve (the whole output when that would leave nothing).
    pub fn work_area(&self) -> Rect {
        let output = self.output_rect();
        self.reserved
            .and_then(|area| area.intersection(&output))
            .unwrap_or(output)
    }

    /// The geometry a maximised or fullscreen window `idx` covers.
    pub(super) fn pinned_rect(&self, idx: usize) -> Rect {
        if self.stack[idx].fullscreen {
            self.output_rect()
        } else {
            self.work_area()
        }
    }

    /// Managed windows with their geometry, bottom to top.
    pub fn windows(&self) -> impl Iterator<Item = (&W, Rect)> {
        self.stack.iter().map(|m| (&m.window, m.geometry))
    }

    /// The window with keyboard focus, if any.
    pub fn keyboard_focus(&self) -> Option<&W> {
        self.focus.as_ref()
    }

    /// Geometry of `window`, or `None` if it is not managed.
    pub fn geometry(&self, window: &W) -> Option<Rect> {
        self.get(window).map(|m| m.geometry)
    }

    /// Whether `window` is managed and maximised.
    pub fn is_maximized(&self, window: &W) -> bool {
        self.get(window).is_some_and(|m| m.maximized)
    }

    /// Whether `window` is managed and fullscreen.
    pub fn is_fullscreen(&self, window: &W) -> bool {
        self.get(window).is_some_and(|m| m.fullscreen)
    }

    /// Whether a pointer grab (Alt+drag) currently owns the pointer.
    pub fn is_grabbing(&self) -> bool {
        self.grab.is_some()
    }

    /// Topmost window under `pos`, with `pos` in that window's coordinates.
    pub fn window_at(&self, pos: Point) -> Option<(&W, Point)> {
        self.stack
            .iter()
            .rev()
            .find(|m| m.geometry.contains(pos))
            .map(|m| (&m.window, pos - m.geometry.loc))
    }

    /// Constrains a popup rectangle (output coordinates) to the output:
    /// slide first, shrink only what cannot be slid.
    pub fn constrain_popup(&self, popup: Rect) -> Rect {
        popup.clamp_inside(&self.output_rect())
    }

    /// Starts managing `window`: centred on the output, cascaded by 32px
    /// when another window already sits there, stacked on top. A 0 in
    /// `preferred` lets the client choose that dimension. Queues the initial
    /// `Configure` and the `Move` that maps it. Focus follows on its first
    /// ack. Adding an already managed window does nothing.
    pub fn add_window(&mut self, window: W, preferred: Size) {
        if self.index_of(&window).is_some() {
            return;
        }
        let output = self.work_area();
        let size = placement::initial_size(preferred, min_size_of(&window), output.size);
        let start = placement::centred(output.centre(), size);
        let loc = placement::cascade(output, size, start, self.stack.len(), |p| {
            self.stack.iter().any(|m| m.geometry.loc == p)
        });
        let geometry = placement::keep_visible(Rect::from_parts(loc, size), output);
        let initial = Size::new(
            if preferred.w > 0 { size.w } else { 0 },
            if preferred.h > 0 { size.h } else { 0 },
        );
        self.stack.push(Managed {
            window: window.clone(),
            geometry,
            acked: false,
            placeholder: !preferred.is_positive(),
            initial,
            maximized: false,
            fullscreen: false,
            restore: None,
        });
        self.push_configure(self.stack.len() - 1);
        self.actions.push(Action::Move {
            window,
            loc: geometry.loc,
        });
    }

    /// The client acked its first configure: it may now receive keyboard
    /// focus, and gets it if it is the topmost acked window.
    pub fn configure_acked(&mut self, window: &W) {
        let Some(idx) = self.index_of(window) else {
            return;
        };
        if !self.stack[idx].acked {
            self.stack[idx].acked = true;
            self.refocus();
        }
    }

    /// The client committed a buffer of `size`, so geometry follows reality.
    /// A client that chose its own size is re-centred on its first commit.
    /// Ignored for unknown windows, non-positive sizes, and while maximised
    /// or fullscreen (those stay pinned to the output).
    pub fn commit_size(&mut self, window: &W, size: Size) {
        let Some(idx) = self.index_of(window) else {
            return;
        };
        let output = self.output_rect();
        let m = &mut self.stack[idx];
        if !size.is_positive() || !m.is_floating() {
            return;
        }
        let loc = if m.placeholder {
            placement::origin_visible(placement::centred(m.geometry.centre(), size), size, output)
        } else {
            m.geometry.loc
        };
        m.placeholder = false;
        self.place(idx, Rect::from_parts(loc, size));
    }

    /// Puts a floating window's corner at `loc` (a test harness positions windows this way);
    /// it stays there when its first buffer arrives. Maximised and fullscreen windows and
    /// unknown ones stay.
    pub fn place_window(&mut self, window: &W, loc: Point) {
        let Some(idx) = self.index_of(window) else {
            return;
        };
        if self.stack[idx].is_floating() {
            self.stack[idx].placeholder = false;
            let size = self.stack[idx].geometry.size;
            self.place(idx, Rect::from_parts(loc, size));
        }
    }

    /// Stops managing `window`; focus falls back to the topmost remaining
    /// acked window and a grab on it ends.
    pub fn remove_window(&mut self, window: &W) {
        let Some(idx) = self.index_of(window) else {
            return;
        };
        self.stack.remove(idx);
        if self.grab.as_ref().is_some_and(|g| &g.window == window) {
            self.grab = None;
        }
        if self.pressed.as_ref().is_some_and(|(w, _, _)| w == window) {
            self.pressed = None;
        }
        self.refocus();
    }

    /// A client asked for its window to be brought forward (xdg-activation): it is raised,
    /// and focused once it has acked its first configure, exactly as if it had been clicked.
    pub fn activate(&mut self, window: &W) {
        let Some(idx) = self.index_of(window) else {
            return;
        };
        self.raise(idx);
        self.refocus();
    }

    pub(super) fn index_of(&self, window: &W) -> Option<usize> {
        self.stack.iter().position(|m| &m.window == window)
    }

    fn get(&self, window: &W) -> Option<&Managed<W>> {
        self.stack.iter().find(|m| &m.window == window)
    }

    /// Moves the window at `idx` to the top; returns its new index.
    pub(super) fn raise(&mut self, idx: usize) -> usize {
        let top = self.stack.len() - 1;
        if idx != top {
            let m = self.stack.remove(idx);
            self.actions.push(Action::Raise(m.window.clone()));
            self.stack.push(m);
        }
        top
    }

    /// Re-derives keyboard focus (topmost acked window) and, if it changed,
    /// tells the compositor and both clients' activated state.
    pub(super) fn refocus(&mut self) {
        let new = self
            .stack
            .iter()
            .rev()
            .find(|m| m.acked)
            .map(|m| m.window.clone());
        if new == self.focus {
            return;
        }
        let old = std::mem::replace(&mut self.focus, new.clone());
        for w in [old, new.clone()].into_iter().flatten() {
            if let Some(idx) = self.index_of(&w) {
                self.push_configure(idx);
            }
        }
        self.actions.push(Action::FocusChanged(new));
    }

    /// Queues a configure carrying the full current state of `idx`.
    pub(super) fn push_configure(&mut self, idx: usize) {
        let m = &self.stack[idx];
        self.actions.push(Action::Configure {
            window: m.window.clone(),
            size: m.configure_size(),
            maximized: m.maximized,
            fullscreen: m.fullscreen,
            activated: self.focus.as_ref() == Some(&m.window),
            resizing: self
                .grab
                .as_ref()
                .is_some_and(|g| g.window == m.window && matches!(g.kind, GrabKind::Resize { .. })),
        });
    }

    /// Sets the geometry of `idx` — kept reachable if floating — and queues
    /// a `Move` when the corner changed.
    pub(super) fn place(&mut self, idx: usize, rect: Rect) {
        let output = self.output_rect();
        let m = &mut self.stack[idx];
        let rect = if m.is_floating() {
            placement::keep_visible(rect, output)
        } else {
            rect
        };
        let moved = rect.loc != m.geometry.loc;
        m.geometry = rect;
        if moved {
            self.actions.push(Action::Move {
                window: m.window.clone(),
                loc: rect.loc,
            });
        }
    }
}
