//! wl_data_device and primary selection: clipboard between the session's clients. (Sharing
//! with the viewer's clipboard arrives with the clipboard channel.)

use smithay::input::Seat;
use smithay::wayland::selection::SelectionHandler;
use smithay::wayland::selection::data_device::{
    ClientDndGrabHandler, DataDeviceHandler, DataDeviceState, ServerDndGrabHandler,
};
use smithay::wayland::selection::primary_selection::{
    PrimarySelectionHandler, PrimarySelectionState,
};
use smithay::{delegate_data_device, delegate_primary_selection};

use crate::session::state::State;

impl SelectionHandler for State {
    type SelectionUserData = ();
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
