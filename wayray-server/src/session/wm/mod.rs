//! WayRay's built-in floating window manager policy.
//!
//! Owns every window-management decision: placement (centred, cascaded),
//! stacking, keyboard focus (only after the first configure is acked),
//! Alt+drag move, Alt+right-drag resize, moves and resizes a client asks
//! for from its own title bar and borders, Alt+Tab, Alt+F4, Super+Up
//! maximise, fullscreen, output resizes and popup constraint.
//!
//! Must never depend on smithay or Wayland: it is plain Rust, generic over
//! `WmWindow`, and talks to the compositor only through method calls in and
//! `Action`s out, so it is tested without a display. Nothing here may refer
//! outside `crate::session::wm`.
//!
//! Typical use: the compositor maps input and protocol events to calls
//! (`add_window`, `configure_acked`, `pointer_button`, `handle_key`, ...),
//! honours the returned "consumed" flags, then applies `take_actions()` in
//! order.

mod action;
mod geometry;
mod gesture;
mod grab;
mod input;
mod invariants;
mod manager;
mod modes;
mod placement;
mod shortcuts;
mod window;

#[cfg(test)]
mod tests;

pub use action::Action;
pub use geometry::{Point, Rect, Size};
pub use input::{Button, Modifiers, ResizeEdges, Shortcut};
pub use manager::WindowManager;
pub use window::WmWindow;
