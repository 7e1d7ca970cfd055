//! The pointer's focus follows what is under it when that changes without the pointer
//! moving: a window mapped, moved or resized under a still pointer, a subsurface moved by its
//! parent's commit. After each commit and each render the surface under the pointer is looked
//! up again; when it (or its origin) changed, the clients get enter/leave and motion as if the
//! pointer had moved there.

use smithay::input::pointer::MotionEvent;
use smithay::utils::SERIAL_COUNTER;

use crate::session::state::State;

impl State {
    /// Re-targets the pointer after the scene changed; nothing is sent when the same surface
    /// is under it at the same place, or while a grab holds the pointer.
    pub(crate) fn refresh_pointer_focus(&mut self) {
        let Some(pointer) = self.seat.get_pointer() else {
            return;
        };
        if pointer.is_grabbed() || self.wm.is_grabbing() {
            return;
        }
        let location = pointer.current_location();
        let under = self.surface_under(location);
        let current = pointer.current_focus();
        let same_surface = current.as_ref() == under.as_ref().map(|(surface, _)| surface);
        if same_surface && self.pointer_origin == under.as_ref().map(|(_, origin)| *origin) {
            return;
        }
        self.pointer_origin = under.as_ref().map(|(_, origin)| *origin);
        let time = self.now().as_millis() as u32;
        pointer.motion(
            self,
            under,
            &MotionEvent {
                location,
                serial: SERIAL_COUNTER.next_serial(),
                time,
            },
        );
        pointer.frame(self);
    }
}
