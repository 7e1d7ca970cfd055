//! A panel for tests: a wlr-layer-shell surface anchored along the top of the output that
//! reserves its height (an exclusive zone), as taskbars do, and its menus (popups); other
//! layer surfaces like it.

use wayland_client::protocol::wl_surface;
use wayland_client::{Connection, Dispatch, QueueHandle};
use wayland_protocols_wlr::layer_shell::v1::client::{zwlr_layer_shell_v1, zwlr_layer_surface_v1};

use super::{Events, ShmBuffer, ShmSurface, WlClient};

/// A panel surface.
pub struct Panel {
    /// Its wl_surface.
    pub surface: wl_surface::WlSurface,
    /// Its layer surface.
    pub layer: zwlr_layer_surface_v1::ZwlrLayerSurfaceV1,
    buffer: Option<ShmBuffer>,
}

impl WlClient {
    /// Creates a panel `height` pixels high along the top edge, reserving that height, and
    /// commits it (asking for its configure).
    pub fn panel(&mut self, height: u32) -> Panel {
        let anchor = zwlr_layer_surface_v1::Anchor::Top
            | zwlr_layer_surface_v1::Anchor::Left
            | zwlr_layer_surface_v1::Anchor::Right;
        self.layer_surface(
            zwlr_layer_shell_v1::Layer::Top,
            anchor,
            (0, height),
            height as i32,
        )
    }

    /// Creates a surface on `layer` anchored to `anchor`, asking for `size` and an exclusive
    /// zone of `zone`, and commits it (asking for its configure).
    pub fn layer_surface(
        &mut self,
        layer: zwlr_layer_shell_v1::Layer,
        anchor: zwlr_layer_surface_v1::Anchor,
        size: (u32, u32),
        zone: i32,
    ) -> Panel {
        let shell: zwlr_layer_shell_v1::ZwlrLayerShellV1 = self
            .globals
            .bind(&self.qh, 1..=4, ())
            .expect("zwlr_layer_shell_v1");
        let surface = self.compositor.create_surface(&self.qh, ());
        let layer = shell.get_layer_surface(&surface, None, layer, "test".into(), &self.qh, ());
        layer.set_anchor(anchor);
        layer.set_size(size.0, size.1);
        layer.set_exclusive_zone(zone);
        surface.commit();
        Panel {
            surface,
            layer,
            buffer: None,
        }
    }

    /// Opens a menu (an xdg_popup whose parent is the panel) anchored at `anchor` in the
    /// panel's coordinates, `size` large, growing down-right, and commits it.
    pub fn panel_menu(
        &mut self,
        panel: &Panel,
        anchor: (i32, i32),
        size: (i32, i32),
    ) -> ShmSurface {
        self.popup_of(None, (anchor.0, anchor.1, 1, 1), size, |popup| {
            panel.layer.get_popup(popup)
        })
    }

    /// Waits for the panel's configure, acks it and fills the size it was given with `argb`
    /// (one layer surface at a time: the configure seen last is taken; clear
    /// `events.layer_configure` before the next surface's).
    pub fn draw_panel(&mut self, panel: &mut Panel, argb: u32) {
        for _ in 0..100 {
            if self.events.layer_configure.is_some() {
                break;
            }
            self.roundtrip();
        }
        let Some((serial, width, height)) = self.events.layer_configure else {
            return;
        };
        panel.layer.ack_configure(serial);
        let size = (width as i32, height as i32);
        self.fill(&panel.surface, &mut panel.buffer, size, argb);
        panel.surface.commit();
        self.roundtrip();
    }
}

impl Dispatch<zwlr_layer_surface_v1::ZwlrLayerSurfaceV1, ()> for Events {
    fn event(
        state: &mut Self,
        _: &zwlr_layer_surface_v1::ZwlrLayerSurfaceV1,
        event: zwlr_layer_surface_v1::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        if let zwlr_layer_surface_v1::Event::Configure {
            serial,
            width,
            height,
        } = event
        {
            state.layer_configure = Some((serial, width, height));
            state.log.push(format!("layer: {width}x{height}"));
        }
    }
}

impl Dispatch<zwlr_layer_shell_v1::ZwlrLayerShellV1, ()> for Events {
    fn event(
        _: &mut Self,
        _: &zwlr_layer_shell_v1::ZwlrLayerShellV1,
        _: zwlr_layer_shell_v1::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
    }
}
