//! Protocols that need no decision of WayRay's:
//! - idle-inhibit: accepted; a WayRay session never blanks or locks its output, so an
//!   inhibitor (a video player's) changes nothing.
//! - xdg-foreign: a window exported by one client can parent another client's dialog (a
//!   portal's file chooser over the application asking); smithay keeps the handles.
//! - content-type: clients may say a surface shows a video or a game; smithay records it and
//!   `crate::session::content_type` reads it for the encoder.

use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::wayland::idle_inhibit::IdleInhibitHandler;
use smithay::wayland::xdg_foreign::{XdgForeignHandler, XdgForeignState};
use smithay::{delegate_content_type, delegate_idle_inhibit, delegate_xdg_foreign};

use crate::session::state::State;

impl IdleInhibitHandler for State {
    fn inhibit(&mut self, _surface: WlSurface) {}

    fn uninhibit(&mut self, _surface: WlSurface) {}
}

impl XdgForeignHandler for State {
    fn xdg_foreign_state(&mut self) -> &mut XdgForeignState {
        &mut self.core.xdg_foreign
    }
}

delegate_idle_inhibit!(State);
delegate_xdg_foreign!(State);
delegate_content_type!(State);
