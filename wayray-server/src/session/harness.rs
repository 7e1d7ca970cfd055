//! Hooks for a harness that embeds the compositor and drives it as a test subject (the
//! Wayland conformance suite, `wlcs/`): clients known by a number of the harness, and windows
//! and layer surfaces put at a given place.

use std::os::unix::net::UnixStream;

use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;

use crate::session::state::{State, new_client_data};

impl State {
    /// Accepts a client and remembers it under `tag`.
    pub(super) fn insert_tagged_client(&mut self, stream: UnixStream, tag: i32) {
        match self.display_handle.insert_client(stream, new_client_data()) {
            Ok(client) => {
                self.tagged_clients.insert(tag, client);
            }
            Err(err) => tracing::warn!(%err, "cannot insert a client"),
        }
    }

    /// Puts the window showing surface `surface_id` of client `tag` so that its window
    /// geometry starts at `at` (the surface's origin is further up and left by the
    /// geometry's offset, e.g. a client-side shadow), as the conformance suite expects; a
    /// layer surface is kept at `at` whatever its anchors say.
    pub(super) fn place_surface(&mut self, tag: i32, surface_id: u32, at: (i32, i32)) {
        let Some(client) = self.tagged_clients.get(&tag) else {
            tracing::debug!(tag, "no client with this tag");
            return;
        };
        let dh = self.display_handle.clone();
        let Ok(surface) = client.object_from_protocol_id::<WlSurface>(&dh, surface_id) else {
            tracing::debug!(tag, surface_id, "no such surface");
            return;
        };
        let layer = smithay::desktop::layer_map_for_output(&self.output)
            .layer_for_surface(&surface, smithay::desktop::WindowSurfaceType::TOPLEVEL)
            .cloned();
        if let Some(layer) = layer {
            tracing::debug!(tag, surface_id, ?at, "placing a layer surface");
            crate::session::layers::pin_layer_surface(&layer, at.into());
            self.arrange_layers();
            self.schedule_render();
            return;
        }
        let Some(window) = self.window_for_surface(&surface) else {
            tracing::debug!(tag, surface_id, "the surface is no window or layer surface");
            return;
        };
        tracing::debug!(tag, surface_id, ?at, "placing a window");
        let corner = crate::session::wm::Point::new(at.0, at.1);
        self.wm.place_window(&window, corner);
        self.apply_wm_actions();
    }
}
