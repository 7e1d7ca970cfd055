//! wl_compositor, wl_subcompositor, wl_shm, viewporter, single-pixel-buffer, fractional-scale:
//! surface commits (wl_subsurface's own requests: `subsurface.rs`). A commit never renders directly; it schedules one render for the loop's
//! next idle point, so many commits in one dispatch cost one frame.

use smithay::backend::renderer::utils::on_commit_buffer_handler;
use smithay::reexports::wayland_server::Client;
use smithay::reexports::wayland_server::protocol::{wl_buffer::WlBuffer, wl_surface::WlSurface};
use smithay::wayland::buffer::BufferHandler;
use smithay::wayland::compositor::{
    CompositorClientState, CompositorHandler, CompositorState, get_parent, is_sync_subsurface,
};
use smithay::wayland::fractional_scale::FractionalScaleHandler;
use smithay::wayland::shm::{ShmHandler, ShmState};
use smithay::{
    delegate_fractional_scale, delegate_shm, delegate_single_pixel_buffer, delegate_viewporter,
};

use crate::session::state::{ClientState, State};

impl CompositorHandler for State {
    fn compositor_state(&mut self) -> &mut CompositorState {
        &mut self.core.compositor
    }

    fn client_compositor_state<'a>(&self, client: &'a Client) -> &'a CompositorClientState {
        if let Some(data) = client.get_data::<smithay::xwayland::XWaylandClientData>() {
            return &data.compositor_state;
        }
        match client.get_data::<ClientState>() {
            Some(data) => &data.compositor_state,
            None => {
                // Every other client is inserted with ClientState; reaching this is a bug in
                // insertion.
                static FALLBACK: std::sync::OnceLock<CompositorClientState> =
                    std::sync::OnceLock::new();
                FALLBACK.get_or_init(CompositorClientState::default)
            }
        }
    }

    fn commit(&mut self, surface: &WlSurface) {
        on_commit_buffer_handler::<Self>(surface);
        if !is_sync_subsurface(surface) {
            let mut root = surface.clone();
            while let Some(parent) = get_parent(&root) {
                root = parent;
            }
            if let Some(window) = self.window_for_surface(&root) {
                window.on_commit();
            }
        }
        self.xdg_commit(surface);
        self.popups.commit(surface);
        self.layer_commit(surface);
        self.cursor_committed(surface);
        // Xwayland drew into a surface: it may be the one a newly mapped X11 window waits for.
        if self
            .x11
            .as_ref()
            .is_some_and(|x11| x11.associations.unresolved())
        {
            self.x11_resolve();
        }
        // A subsurface moved or restacked, a window grown under a still pointer: the client
        // learns where the pointer is now before its next round trip returns.
        self.refresh_pointer_focus();
        self.update_pointer_constraints();
        self.schedule_render();
    }

    fn destroyed(&mut self, surface: &WlSurface) {
        self.touch_surface_destroyed(surface);
        if self.constrained.as_ref() == Some(surface) {
            self.constrained = None;
        }
        self.update_pointer_constraints();
    }
}

impl BufferHandler for State {
    fn buffer_destroyed(&mut self, _buffer: &WlBuffer) {}
}

impl ShmHandler for State {
    fn shm_state(&self) -> &ShmState {
        &self.core.shm
    }
}

impl FractionalScaleHandler for State {
    fn new_fractional_scale(&mut self, surface: WlSurface) {
        self.send_scale(&surface);
    }
}

// smithay's `delegate_compositor!` less wl_subsurface and wl_surface, which `subsurface.rs` and
// `stacking.rs` dispatch.
smithay::reexports::wayland_server::delegate_global_dispatch!(State: [
    smithay::reexports::wayland_server::protocol::wl_compositor::WlCompositor: ()
] => CompositorState);
smithay::reexports::wayland_server::delegate_global_dispatch!(State: [
    smithay::reexports::wayland_server::protocol::wl_subcompositor::WlSubcompositor: ()
] => CompositorState);
smithay::reexports::wayland_server::delegate_dispatch!(State: [
    smithay::reexports::wayland_server::protocol::wl_compositor::WlCompositor: ()
] => CompositorState);
smithay::reexports::wayland_server::delegate_dispatch!(State: [
    smithay::reexports::wayland_server::protocol::wl_subcompositor::WlSubcompositor: ()
] => CompositorState);
smithay::reexports::wayland_server::delegate_dispatch!(State: [
    smithay::reexports::wayland_server::protocol::wl_callback::WlCallback: ()
] => CompositorState);
smithay::reexports::wayland_server::delegate_dispatch!(State: [
    smithay::reexports::wayland_server::protocol::wl_region::WlRegion:
        smithay::wayland::compositor::RegionUserData
] => CompositorState);
delegate_shm!(State);
delegate_viewporter!(State);
delegate_single_pixel_buffer!(State);
delegate_fractional_scale!(State);
