//! relative-pointer and pointer-constraints. The viewer sends absolute positions; relative
//! motion is derived from successive ones (`input.rs`), and constraints decide where the
//! pointer may go (`crate::session::pointer_lock`).

use smithay::input::pointer::PointerHandle;
use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::utils::{Logical, Point};
use smithay::wayland::pointer_constraints::PointerConstraintsHandler;
use smithay::{delegate_pointer_constraints, delegate_relative_pointer};

use crate::session::state::State;

impl PointerConstraintsHandler for State {
    fn new_constraint(&mut self, _surface: &WlSurface, _pointer: &PointerHandle<Self>) {
        // Active at once when its surface has the pointer and the keyboard.
        self.update_pointer_constraints();
    }

    fn cursor_position_hint(
        &mut self,
        _surface: &WlSurface,
        _pointer: &PointerHandle<Self>,
        _location: Point<f64, Logical>,
    ) {
    }
}

delegate_relative_pointer!(State);
delegate_pointer_constraints!(State);
