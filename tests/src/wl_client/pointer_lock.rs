//! A game's view of the pointer for tests: its wl_pointer's positions, relative motion
//! (zwp_relative_pointer_v1), and a locked or confined pointer (zwp_pointer_constraints_v1),
//! all written to the event log.

use wayland_client::protocol::{wl_pointer, wl_seat};
use wayland_client::{Connection, Dispatch, QueueHandle};
use wayland_protocols::wp::pointer_constraints::zv1::client::{
    zwp_confined_pointer_v1, zwp_locked_pointer_v1, zwp_pointer_constraints_v1,
};
use wayland_protocols::wp::relative_pointer::zv1::client::{
    zwp_relative_pointer_manager_v1, zwp_relative_pointer_v1,
};

use super::{Events, ShmSurface, WlClient};

/// The kind of constraint a test asks for.
#[derive(Debug, Clone, Copy)]
pub enum Constraint {
    /// The pointer stays where it is.
    Lock,
    /// The pointer stays on the surface.
    Confine,
}

/// The pointer a game holds: log lines `pointer at X,Y`, `relative DX,DY`, `locked`,
/// `unlocked`, `confined`, `unconfined`.
pub struct HeldPointer {
    /// The seat's pointer.
    pub pointer: wl_pointer::WlPointer,
    constraints: zwp_pointer_constraints_v1::ZwpPointerConstraintsV1,
    _relative: zwp_relative_pointer_v1::ZwpRelativePointerV1,
    seat: wl_seat::WlSeat,
}

impl WlClient {
    /// Watches the seat's pointer and its relative motion, logging both.
    pub fn hold_pointer(&mut self) -> HeldPointer {
        let seat: wl_seat::WlSeat = self.globals.bind(&self.qh, 1..=7, ()).expect("wl_seat");
        let pointer = seat.get_pointer(&self.qh, ());
        let manager: zwp_relative_pointer_manager_v1::ZwpRelativePointerManagerV1 = self
            .globals
            .bind(&self.qh, 1..=1, ())
            .expect("zwp_relative_pointer_manager_v1");
        let relative = manager.get_relative_pointer(&pointer, &self.qh, ());
        let constraints = self
            .globals
            .bind(&self.qh, 1..=1, ())
            .expect("zwp_pointer_constraints_v1");
        self.events.log_pointer = true;
        self.roundtrip();
        HeldPointer {
            seat,
            pointer,
            constraints,
            _relative: relative,
        }
    }

    /// Opens a popup of `parent` (as [`WlClient::popup`]) that grabs (a menu), with the
    /// serial of the last button event `held` saw.
    pub fn grabbing_popup(
        &mut self,
        parent: &ShmSurface,
        anchor: (i32, i32),
        size: (i32, i32),
        held: &HeldPointer,
    ) -> ShmSurface {
        let serial = self.events.button_serial.expect("a button event first");
        self.popup_of(
            Some(&parent.xdg),
            (anchor.0, anchor.1, 1, 1),
            size,
            |popup| popup.grab(&held.seat, serial),
        )
    }

    /// Asks for `kind` on `surface` for as long as the surface lives (persistent).
    pub fn constrain(&mut self, held: &HeldPointer, surface: &ShmSurface, kind: Constraint) {
        let lifetime = zwp_pointer_constraints_v1::Lifetime::Persistent;
        match kind {
            Constraint::Lock => {
                held.constraints.lock_pointer(
                    &surface.surface,
                    &held.pointer,
                    None,
                    lifetime,
                    &self.qh,
                    (),
                );
            }
            Constraint::Confine => {
                held.constraints.confine_pointer(
                    &surface.surface,
                    &held.pointer,
                    None,
                    lifetime,
                    &self.qh,
                    (),
                );
            }
        }
        self.roundtrip();
    }
}

/// A pointer event worth a log line, when the test watches the pointer.
pub(super) fn log_pointer(state: &mut Events, event: &wl_pointer::Event) {
    if !state.log_pointer {
        return;
    }
    match event {
        wl_pointer::Event::Enter {
            surface_x,
            surface_y,
            ..
        } => state
            .log
            .push(format!("pointer at {surface_x},{surface_y}")),
        wl_pointer::Event::Motion {
            surface_x,
            surface_y,
            ..
        } => state
            .log
            .push(format!("pointer at {surface_x},{surface_y}")),
        _ => {}
    }
}

impl Dispatch<zwp_relative_pointer_v1::ZwpRelativePointerV1, ()> for Events {
    fn event(
        state: &mut Self,
        _: &zwp_relative_pointer_v1::ZwpRelativePointerV1,
        event: zwp_relative_pointer_v1::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        if let zwp_relative_pointer_v1::Event::RelativeMotion { dx, dy, .. } = event {
            state.log.push(format!("relative {dx},{dy}"));
        }
    }
}

impl Dispatch<zwp_locked_pointer_v1::ZwpLockedPointerV1, ()> for Events {
    fn event(
        state: &mut Self,
        _: &zwp_locked_pointer_v1::ZwpLockedPointerV1,
        event: zwp_locked_pointer_v1::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        match event {
            zwp_locked_pointer_v1::Event::Locked => state.log.push("locked".into()),
            zwp_locked_pointer_v1::Event::Unlocked => state.log.push("unlocked".into()),
            _ => {}
        }
    }
}

impl Dispatch<zwp_confined_pointer_v1::ZwpConfinedPointerV1, ()> for Events {
    fn event(
        state: &mut Self,
        _: &zwp_confined_pointer_v1::ZwpConfinedPointerV1,
        event: zwp_confined_pointer_v1::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        match event {
            zwp_confined_pointer_v1::Event::Confined => state.log.push("confined".into()),
            zwp_confined_pointer_v1::Event::Unconfined => state.log.push("unconfined".into()),
            _ => {}
        }
    }
}

macro_rules! no_events {
    ($($interface:ty),*) => {$(
        impl Dispatch<$interface, ()> for Events {
            fn event(
                _: &mut Self,
                _: &$interface,
                _: <$interface as wayland_client::Proxy>::Event,
                _: &(),
                _: &Connection,
                _: &QueueHandle<Self>,
            ) {
            }
        }
    )*};
}

no_events!(
    zwp_relative_pointer_manager_v1::ZwpRelativePointerManagerV1,
    zwp_pointer_constraints_v1::ZwpPointerConstraintsV1
);
