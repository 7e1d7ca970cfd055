//! xdg_positioner anchor rectangles of zero width or height. xdg-shell allows them (only a
//! negative size is an error: a popup anchored at a point, such as a menu at the pointer),
//! but smithay 0.7 refuses anything under 1 × 1 with a protocol error, which ends the client.
//! Here a zero side is handed to smithay as 1 and remembered per positioner; when a popup is
//! made or repositioned with that positioner, the side is zero again before the popup is
//! placed (`State::new_popup`, `State::reposition_request`). Every other request of
//! xdg_positioner, xdg_surface and xdg_popup goes to smithay as it came.

use std::collections::HashMap;

use smithay::reexports::wayland_protocols::xdg::shell::server::{
    xdg_popup::{self, XdgPopup},
    xdg_positioner::{self, XdgPositioner},
    xdg_surface::{self, XdgSurface},
};
use smithay::reexports::wayland_server::backend::{ClientId, ObjectId};
use smithay::reexports::wayland_server::{Client, DataInit, Dispatch, DisplayHandle, Resource};
use smithay::wayland::shell::xdg::{
    PositionerState, XdgPositionerUserData, XdgShellState, XdgShellSurfaceUserData,
    XdgSurfaceUserData,
};

use crate::session::state::State;

/// Which sides of a positioner's anchor rectangle the client gave as zero.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ZeroSides {
    pub width: bool,
    pub height: bool,
}

impl ZeroSides {
    /// The positioner as the client gave it.
    pub fn restore(self, positioner: &mut PositionerState) {
        if self.width {
            positioner.anchor_rect.size.w = 0;
        }
        if self.height {
            positioner.anchor_rect.size.h = 0;
        }
    }
}

/// The positioners with a zero side, and the sides of the one a popup is being made with.
#[derive(Debug, Default)]
pub struct ZeroAnchors {
    sides: HashMap<ObjectId, ZeroSides>,
    using: Option<ZeroSides>,
}

impl ZeroAnchors {
    /// The sides of the positioner the popup being made or repositioned was given (once).
    pub fn take_using(&mut self) -> ZeroSides {
        self.using.take().unwrap_or_default()
    }

    fn about_to_use(&mut self, positioner: &XdgPositioner) {
        self.using = self.sides.get(&positioner.id()).copied();
    }
}

impl Dispatch<XdgPositioner, XdgPositionerUserData> for State {
    fn request(
        state: &mut State,
        client: &Client,
        resource: &XdgPositioner,
        request: xdg_positioner::Request,
        data: &XdgPositionerUserData,
        dh: &DisplayHandle,
        data_init: &mut DataInit<'_, State>,
    ) {
        let request = match request {
            xdg_positioner::Request::SetAnchorRect {
                x,
                y,
                width,
                height,
            } if width >= 0 && height >= 0 => {
                let zero = ZeroSides {
                    width: width == 0,
                    height: height == 0,
                };
                if zero == ZeroSides::default() {
                    state.zero_anchors.sides.remove(&resource.id());
                } else {
                    state.zero_anchors.sides.insert(resource.id(), zero);
                }
                xdg_positioner::Request::SetAnchorRect {
                    x,
                    y,
                    width: width.max(1),
                    height: height.max(1),
                }
            }
            other => other,
        };
        <XdgShellState as Dispatch<XdgPositioner, XdgPositionerUserData, State>>::request(
            state, client, resource, request, data, dh, data_init,
        );
    }

    fn destroyed(
        state: &mut State,
        client: ClientId,
        resource: &XdgPositioner,
        data: &XdgPositionerUserData,
    ) {
        state.zero_anchors.sides.remove(&resource.id());
        <XdgShellState as Dispatch<XdgPositioner, XdgPositionerUserData, State>>::destroyed(
            state, client, resource, data,
        );
    }
}

impl Dispatch<XdgSurface, XdgSurfaceUserData> for State {
    fn request(
        state: &mut State,
        client: &Client,
        resource: &XdgSurface,
        request: xdg_surface::Request,
        data: &XdgSurfaceUserData,
        dh: &DisplayHandle,
        data_init: &mut DataInit<'_, State>,
    ) {
        if let xdg_surface::Request::GetPopup { positioner, .. } = &request {
            state.zero_anchors.about_to_use(positioner);
        }
        <XdgShellState as Dispatch<XdgSurface, XdgSurfaceUserData, State>>::request(
            state, client, resource, request, data, dh, data_init,
        );
        // A popup refused (a role already taken) leaves nothing for the next one.
        state.zero_anchors.using = None;
    }

    fn destroyed(
        state: &mut State,
        client: ClientId,
        resource: &XdgSurface,
        data: &XdgSurfaceUserData,
    ) {
        <XdgShellState as Dispatch<XdgSurface, XdgSurfaceUserData, State>>::destroyed(
            state, client, resource, data,
        );
    }
}

impl Dispatch<XdgPopup, XdgShellSurfaceUserData> for State {
    fn request(
        state: &mut State,
        client: &Client,
        resource: &XdgPopup,
        request: xdg_popup::Request,
        data: &XdgShellSurfaceUserData,
        dh: &DisplayHandle,
        data_init: &mut DataInit<'_, State>,
    ) {
        if let xdg_popup::Request::Reposition { positioner, .. } = &request {
            state.zero_anchors.about_to_use(positioner);
        }
        <XdgShellState as Dispatch<XdgPopup, XdgShellSurfaceUserData, State>>::request(
            state, client, resource, request, data, dh, data_init,
        );
        state.zero_anchors.using = None;
    }

    fn destroyed(
        state: &mut State,
        client: ClientId,
        resource: &XdgPopup,
        data: &XdgShellSurfaceUserData,
    ) {
        <XdgShellState as Dispatch<XdgPopup, XdgShellSurfaceUserData, State>>::destroyed(
            state, client, resource, data,
        );
    }
}
