//! The compositor's side of the desk's clipboard (`crate::session::clipboard`): the desk's
//! offers become the compositor's own selection, pastes of it go to the link, the session's
//! selections are announced and read for the viewer.

use std::os::fd::OwnedFd;

use smithay::wayland::selection::SelectionTarget;
use smithay::wayland::selection::data_device::{
    clear_data_device_selection, current_data_device_selection_userdata,
    request_data_device_client_selection, set_data_device_selection,
};
use smithay::wayland::selection::primary_selection::{
    clear_primary_selection, current_primary_selection_userdata, request_primary_client_selection,
    set_primary_selection,
};
use wayray_protocol::messages::clipboard::Selection;

use crate::session::clipboard::{Announced, SelectionOwner, Wanted, index, of_target, target};
use crate::session::state::State;

impl State {
    /// The owner of the compositor's selection of this kind, if the compositor holds it.
    pub(crate) fn selection_owner(&self, selection: SelectionTarget) -> Option<SelectionOwner> {
        match selection {
            SelectionTarget::Clipboard => {
                current_data_device_selection_userdata(&self.seat).map(|owner| *owner)
            }
            SelectionTarget::Primary => {
                current_primary_selection_userdata(&self.seat).map(|owner| *owner)
            }
        }
    }

    /// The session's selection changed (a client set or cleared it): the viewer learns of it.
    pub(crate) fn announce_selection(
        &mut self,
        selection: SelectionTarget,
        mime_types: Option<Vec<String>>,
    ) {
        tracing::debug!(?selection, ?mime_types, "the session's selection changed");
        let Some(sink) = &self.clipboard else {
            return;
        };
        sink.announced.send_modify(|all| {
            let serial = all.iter().map(|a| a.serial).max().unwrap_or(0) + 1;
            all[index(of_target(selection))] = Announced {
                serial,
                mime_types: mime_types.unwrap_or_default(),
            };
        });
    }

    /// The desk offers a selection (`None`: it has none any more, or its viewer left).
    pub(crate) fn desk_offer(&mut self, selection: Selection, mime_types: Option<Vec<String>>) {
        let dh = self.display_handle.clone();
        let ty = target(selection);
        match mime_types {
            Some(mime_types) => {
                match ty {
                    SelectionTarget::Clipboard => set_data_device_selection(
                        &dh,
                        &self.seat,
                        mime_types.clone(),
                        SelectionOwner::Desk,
                    ),
                    SelectionTarget::Primary => set_primary_selection(
                        &dh,
                        &self.seat,
                        mime_types.clone(),
                        SelectionOwner::Desk,
                    ),
                }
                // The session's selection is the desk's now: nothing of its own to announce.
                self.announce_selection(ty, None);
                self.x11_wayland_selection(ty, Some(mime_types));
            }
            None if self.selection_owner(ty) == Some(SelectionOwner::Desk) => {
                match ty {
                    SelectionTarget::Clipboard => clear_data_device_selection(&dh, &self.seat),
                    SelectionTarget::Primary => clear_primary_selection(&dh, &self.seat),
                }
                self.x11_wayland_selection(ty, None);
            }
            None => {}
        }
    }

    /// A client pastes the desk's selection: the link fetches it from the viewer.
    pub(crate) fn paste_from_desk(&mut self, ty: SelectionTarget, mime_type: String, fd: OwnedFd) {
        let Some(sink) = &self.clipboard else {
            return;
        };
        let wanted = Wanted {
            selection: of_target(ty),
            mime_type,
            fd,
        };
        if sink.wanted.try_send(wanted).is_err() {
            tracing::debug!("too many pastes from the desk waiting: this one gets nothing");
        }
    }

    /// The viewer reads the session's selection: its owner writes it into `fd` (the link
    /// reads the other end). A selection the desk holds, or none, closes `fd` at once.
    pub fn read_selection_for_desk(
        &mut self,
        selection: Selection,
        mime_type: String,
        fd: OwnedFd,
    ) {
        let ty = target(selection);
        match self.selection_owner(ty) {
            Some(SelectionOwner::X11) => self.x11_send_selection(ty, mime_type, fd),
            Some(SelectionOwner::Desk) => {}
            None => {
                let result = match ty {
                    SelectionTarget::Clipboard => {
                        request_data_device_client_selection(&self.seat, mime_type, fd)
                            .map_err(|e| e.to_string())
                    }
                    SelectionTarget::Primary => {
                        request_primary_client_selection(&self.seat, mime_type, fd)
                            .map_err(|e| e.to_string())
                    }
                };
                if let Err(err) = result {
                    tracing::debug!(%err, ?selection, "the viewer asked for a selection there is not");
                }
            }
        }
    }
}
