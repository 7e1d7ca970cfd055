//! relative-pointer and pointer-constraints. The viewer sends absolute positions, so a lock
//! is honoured by activating the constraint and keeping the reported position; relative motion
//! events are derived from successive absolute positions (`input.rs`).

use smithay::input::pointer::PointerHandle;
use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::utils::{Logical, Point};
use smithay::wayland::pointer_constraints::{PointerConstraintsHandler, with_pointer_constraint};
use smithay::{delegate_pointer_constraints, delegate_relative_pointer};

use crate::session::state::State;

impl PointerConstraintsHandler for State {
    fn new_constraint(&mut self, surface: &WlSurface, pointer: &PointerHandle<Self>) {
        // Activate at once when the pointer is already over the surface that asked.
        if pointer.current_focus().as_ref() == Some(surface) {
            with_pointer_constraint(surface, pointer, |constraint| {
                if let Some(constraint) = constraint {
                    constraint.activate();
                }
            });
        }
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
