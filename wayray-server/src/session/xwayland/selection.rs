//! The X11 clipboard and primary selection, bridged both ways to the Wayland ones: text
//! copied in xterm pastes in foot, and the other way round. A selection an X11 client set is
//! offered to Wayland clients as the compositor's own (`SelectionUserData`), and reading it
//! is forwarded to Xwayland; a Wayland client's selection is announced to the X server, and
//! an X11 client reads it through the Wayland data device.
//!
//! X11 clients may read the selection only while one of them has the keyboard focus, as a
//! Wayland client may only while it has.

use std::os::fd::OwnedFd;

use smithay::wayland::selection::SelectionTarget;
use smithay::wayland::selection::data_device::{
    clear_data_device_selection, request_data_device_client_selection, set_data_device_selection,
};
use smithay::wayland::selection::primary_selection::{
    clear_primary_selection, request_primary_client_selection, set_primary_selection,
};
use smithay::xwayland::xwm::XwmId;

use crate::session::clipboard::SelectionOwner;
use crate::session::focus::KeyboardFocus;
use crate::session::state::State;

impl State {
    pub(super) fn x11_may_read_selection(&mut self, _xwm: XwmId, _: SelectionTarget) -> bool {
        let focus = self.seat.get_keyboard().and_then(|k| k.current_focus());
        matches!(focus, Some(KeyboardFocus::X11 { .. }))
    }

    /// An X11 client reads the Wayland selection.
    pub(super) fn x11_reads_selection(
        &mut self,
        selection: SelectionTarget,
        mime_type: String,
        fd: OwnedFd,
    ) {
        if self.selection_owner(selection) == Some(SelectionOwner::Desk) {
            return self.paste_from_desk(selection, mime_type, fd);
        }
        let missing = match selection {
            SelectionTarget::Clipboard => {
                request_data_device_client_selection(&self.seat, mime_type, fd).is_err()
            }
            SelectionTarget::Primary => {
                request_primary_client_selection(&self.seat, mime_type, fd).is_err()
            }
        };
        if missing {
            tracing::debug!(
                ?selection,
                "an X11 client asked for a selection there is not"
            );
        }
    }

    /// An X11 client owns a selection now: Wayland clients are offered it.
    pub(super) fn x11_selection_set(
        &mut self,
        selection: SelectionTarget,
        mime_types: Vec<String>,
    ) {
        let dh = self.display_handle.clone();
        self.announce_selection(selection, Some(mime_types.clone()));
        let owner = SelectionOwner::X11;
        match selection {
            SelectionTarget::Clipboard => {
                set_data_device_selection(&dh, &self.seat, mime_types, owner)
            }
            SelectionTarget::Primary => set_primary_selection(&dh, &self.seat, mime_types, owner),
        }
    }

    /// The X11 selection owner let go: the offer made for it is withdrawn (a Wayland
    /// client's or the desk's selection is left alone).
    pub(super) fn x11_selection_cleared(&mut self, selection: SelectionTarget) {
        if self.selection_owner(selection) != Some(SelectionOwner::X11) {
            return;
        }
        let dh = self.display_handle.clone();
        match selection {
            SelectionTarget::Clipboard => clear_data_device_selection(&dh, &self.seat),
            SelectionTarget::Primary => clear_primary_selection(&dh, &self.seat),
        }
        self.announce_selection(selection, None);
    }

    /// A Wayland client set (or cleared) a selection: the X server learns of it.
    pub(crate) fn x11_wayland_selection(
        &mut self,
        selection: SelectionTarget,
        mime_types: Option<Vec<String>>,
    ) {
        let Some(wm) = self.x11.as_mut().and_then(|x11| x11.wm.as_mut()) else {
            return;
        };
        if let Err(err) = wm.new_selection(selection, mime_types) {
            tracing::debug!(%err, ?selection, "cannot tell the X server of a selection");
        }
    }

    /// A Wayland client reads a selection an X11 client owns.
    pub(crate) fn x11_send_selection(
        &mut self,
        selection: SelectionTarget,
        mime_type: String,
        fd: OwnedFd,
    ) {
        let handle = self.loop_handle.clone();
        let Some(wm) = self.x11.as_mut().and_then(|x11| x11.wm.as_mut()) else {
            return;
        };
        if let Err(err) = wm.send_selection(selection, mime_type, fd, handle) {
            tracing::debug!(%err, ?selection, "cannot read an X11 selection");
        }
    }
}
