//! Touch points from the viewer into the seat. Each point goes to the surface under it when it
//! goes down and stays with that surface until it goes up; the session remembers which surface
//! each point is on, so a point whose surface is destroyed goes up for its client at once.

use smithay::input::touch::{DownEvent, MotionEvent, UpEvent};
use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::utils::SERIAL_COUNTER;
use wayray_protocol::messages::input::{TouchPoint, TouchUp};

use crate::session::state::State;

/// Points down at once, at most (touch screens report ten); further ones are ignored, so a
/// viewer sending ever new ids never grows the session's memory.
const MAX_POINTS: usize = 32;

impl State {
    pub(crate) fn touch_down(&mut self, t: &TouchPoint) {
        if self.touch_points.len() >= MAX_POINTS && !self.touch_points.contains_key(&t.id) {
            tracing::debug!(id = t.id, "too many touch points down: ignored");
            return;
        }
        let location = self.to_logical(t.x, t.y);
        let focus = self.surface_under(location);
        match &focus {
            Some((surface, _)) => self.touch_points.insert(t.id, surface.clone()),
            None => self.touch_points.remove(&t.id),
        };
        if let Some(touch) = self.seat.get_touch() {
            touch.down(
                self,
                focus,
                &DownEvent {
                    slot: Some(t.id).into(),
                    location,
                    serial: SERIAL_COUNTER.next_serial(),
                    time: t.time_ms,
                },
            );
        }
    }

    pub(crate) fn touch_motion(&mut self, t: &TouchPoint) {
        let location = self.to_logical(t.x, t.y);
        let focus = self.surface_under(location);
        if let Some(touch) = self.seat.get_touch() {
            touch.motion(
                self,
                focus,
                &MotionEvent {
                    slot: Some(t.id).into(),
                    location,
                    time: t.time_ms,
                },
            );
        }
    }

    pub(crate) fn touch_up(&mut self, t: &TouchUp) {
        self.touch_points.remove(&t.id);
        self.send_touch_up(t.id, t.time_ms);
    }

    pub(crate) fn touch_frame(&mut self) {
        if let Some(touch) = self.seat.get_touch() {
            touch.frame(self);
        }
    }

    pub(crate) fn touch_cancel(&mut self) {
        self.touch_points.clear();
        if let Some(touch) = self.seat.get_touch() {
            touch.cancel(self);
        }
    }

    /// A surface went away: the points down on it go up.
    pub(crate) fn touch_surface_destroyed(&mut self, surface: &WlSurface) {
        let gone: Vec<u32> = self
            .touch_points
            .iter()
            .filter(|(_, on)| *on == surface)
            .map(|(id, _)| *id)
            .collect();
        if gone.is_empty() {
            return;
        }
        let time = self.now().as_millis() as u32;
        for id in gone {
            self.touch_points.remove(&id);
            self.send_touch_up(id, time);
        }
        self.touch_frame();
    }

    fn send_touch_up(&mut self, id: u32, time: u32) {
        if let Some(touch) = self.seat.get_touch() {
            touch.up(
                self,
                &UpEvent {
                    slot: Some(id).into(),
                    serial: SERIAL_COUNTER.next_serial(),
                    time,
                },
            );
        }
    }
}
