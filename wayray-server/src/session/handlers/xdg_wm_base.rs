//! xdg_wm_base: `get_xdg_surface` refuses what xdg-shell says it must, before smithay makes the
//! xdg_surface: a surface that already has a role other than xdg-shell's own (a subsurface, a
//! cursor, a layer surface; error `role`), and a surface that never had a role but has a buffer
//! attached or shown (error `invalid_surface_state`). smithay 0.7 made the xdg_surface anyway
//! and refused only later or not at all. A surface that was a toplevel or popup before may get
//! a new xdg_surface, whatever it still shows: applications hide and show windows that way.

use smithay::backend::renderer::utils::with_renderer_surface_state;
use smithay::reexports::wayland_protocols::xdg::shell::server::xdg_wm_base::{self, XdgWmBase};
use smithay::reexports::wayland_server::backend::ClientId;
use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::reexports::wayland_server::{Client, DataInit, Dispatch, DisplayHandle, Resource};
use smithay::wayland::compositor::{BufferAssignment, SurfaceAttributes, get_role, with_states};
use smithay::wayland::shell::xdg::{
    XDG_POPUP_ROLE, XDG_TOPLEVEL_ROLE, XdgShellState, XdgWmBaseUserData,
};

use crate::session::state::State;

/// Why `surface` may not become an xdg_surface, if it may not.
fn refusal(surface: &WlSurface) -> Option<(xdg_wm_base::Error, &'static str)> {
    match get_role(surface) {
        Some(XDG_TOPLEVEL_ROLE | XDG_POPUP_ROLE) => None,
        Some(_) => Some((
            xdg_wm_base::Error::Role,
            "the surface already has another role",
        )),
        None => {
            let buffer = with_states(surface, |states| {
                let mut attributes = states.cached_state.get::<SurfaceAttributes>();
                let attached = matches!(
                    attributes.pending().buffer,
                    Some(BufferAssignment::NewBuffer(_))
                );
                attached || attributes.current().buffer.is_some()
            });
            // A committed buffer has gone on to the renderer's state.
            let shown = with_renderer_surface_state(surface, |s| s.buffer().is_some());
            let buffer = buffer || shown.unwrap_or(false);
            buffer.then_some((
                xdg_wm_base::Error::InvalidSurfaceState,
                "the surface has a buffer attached or committed",
            ))
        }
    }
}

impl Dispatch<XdgWmBase, XdgWmBaseUserData> for State {
    fn request(
        state: &mut State,
        client: &Client,
        resource: &XdgWmBase,
        request: xdg_wm_base::Request,
        data: &XdgWmBaseUserData,
        dh: &DisplayHandle,
        data_init: &mut DataInit<'_, State>,
    ) {
        if let xdg_wm_base::Request::GetXdgSurface { surface, .. } = &request {
            if let Some((error, message)) = refusal(surface) {
                resource.post_error(error, message);
                return;
            }
        }
        <XdgShellState as Dispatch<XdgWmBase, XdgWmBaseUserData, State>>::request(
            state, client, resource, request, data, dh, data_init,
        );
    }

    fn destroyed(
        state: &mut State,
        client: ClientId,
        resource: &XdgWmBase,
        data: &XdgWmBaseUserData,
    ) {
        <XdgShellState as Dispatch<XdgWmBase, XdgWmBaseUserData, State>>::destroyed(
            state, client, resource, data,
        );
    }
}
