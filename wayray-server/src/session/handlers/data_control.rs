//! wlr-data-control: clipboard managers and `wl-paste --watch` see and set the clipboard and
//! primary selection without a focused window. Hidden from sandboxed clients (a security
//! context): reading every copy is a privilege.

use smithay::delegate_data_control;
use smithay::wayland::selection::wlr_data_control::{DataControlHandler, DataControlState};

use crate::session::state::State;

impl DataControlHandler for State {
    fn data_control_state(&self) -> &DataControlState {
        &self.core.data_control
    }
}

delegate_data_control!(State);
