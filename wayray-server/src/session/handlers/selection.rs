//! wl_data_device and primary selection: clipboard between the session's clients, X11 ones
//! included (`crate::session::xwayland` bridges them), and with the viewer's desk
//! (`crate::session::clipboard`).

use std::os::fd::OwnedFd;

use smithay::input::Seat;
use smithay::wayland::selection::data_device::{
    ClientDndGrabHandler, DataDeviceHandler, DataDeviceState, ServerDndGrabHandler,
};
use smithay::wayland::selection::primary_selection::{
    PrimarySelectionHandler, PrimarySelectionState,
};
use smithay::wayland::selection::{SelectionHandler, SelectionSource, SelectionTarget};
use smithay::{delegate_data_device, delegate_primary_selection};

use crate::session::clipboard::SelectionOwner;
use crate::session::state::State;

impl SelectionHandler for State {
    /// Who holds a selection the compositor offers on someone's behalf (an X11 client, the
    /// desk).
    type SelectionUserData = SelectionOwner;

    fn new_selection(
        &mut self,
        ty: SelectionTarget,
        source: Option<SelectionSource>,
        _seat: Seat<Self>,
    ) {
        let mime_types = source.map(|s| s.mime_types());
        self.announce_selection(ty, mime_types.clone());
        self.x11_wayland_selection(ty, mime_types);
    }

    fn send_selection(
        &mut self,
        ty: SelectionTarget,
        mime_type: String,
        fd: OwnedFd,
        _seat: Seat<Self>,
        owner: &SelectionOwner,
    ) {
        match owner {
            SelectionOwner::X11 => self.x11_send_selection(ty, mime_type, fd),
            SelectionOwner::Desk => self.paste_from_desk(ty, mime_type, fd),
        }
    }
}

impl DataDeviceHandler for State {
    fn data_device_state(&self) -> &DataDeviceState {
        &self.core.data_device
    }
}

impl ClientDndGrabHandler for State {}

impl ServerDndGrabHandler for State {
    fn send(&mut self, _mime_type: String, _fd: std::os::fd::OwnedFd, _seat: Seat<Self>) {}
}

impl PrimarySelectionHandler for State {
    fn primary_selection_state(&self) -> &PrimarySelectionState {
        &self.core.primary_selection
    }
}

delegate_data_device!(State);
delegate_primary_selection!(State);
