//! wlr-layer-shell: panels, docks, backgrounds, launchers and notifications. Layer surfaces
//! belong to the output (smithay's `LayerMap`); `crate::session::layers` arranges them,
//! sends their configures, gives them keyboard focus and finds them under the pointer.
//! Sandboxed clients do not see the global (a layer can cover every window and take the
//! keyboard).

use smithay::delegate_layer_shell;
use smithay::desktop::{LayerSurface, layer_map_for_output};
use smithay::output::Output;
use smithay::reexports::wayland_server::protocol::wl_output::WlOutput;
use smithay::wayland::shell::wlr_layer::{
    Layer, LayerSurface as WlrLayerSurface, WlrLayerShellHandler, WlrLayerShellState,
};
use smithay::wayland::shell::xdg::PopupSurface;

use crate::session::state::State;

impl WlrLayerShellHandler for State {
    fn shell_state(&mut self) -> &mut WlrLayerShellState {
        &mut self.core.layer_shell
    }

    fn new_layer_surface(
        &mut self,
        surface: WlrLayerSurface,
        output: Option<WlOutput>,
        _layer: Layer,
        namespace: String,
    ) {
        // One output: a surface asking for another (or none) gets this one.
        let output = output
            .as_ref()
            .and_then(Output::from_resource)
            .unwrap_or_else(|| self.output.clone());
        let mut map = layer_map_for_output(&output);
        if let Err(err) = map.map_layer(&LayerSurface::new(surface, namespace)) {
            tracing::debug!(?err, "a layer surface could not be mapped");
        }
    }

    /// A menu of a panel: its parent is known only now (it was made without one), so it is
    /// placed now, before its first configure.
    fn new_popup(&mut self, _parent: WlrLayerSurface, popup: PopupSurface) {
        let positioner = popup.with_pending_state(|state| state.positioner);
        self.unconstrain_popup(&popup, &positioner);
    }

    fn layer_destroyed(&mut self, surface: WlrLayerSurface) {
        let gone = {
            let mut map = layer_map_for_output(&self.output);
            let layer = map
                .layers()
                .find(|l| l.layer_surface() == &surface)
                .cloned();
            if let Some(layer) = &layer {
                map.unmap_layer(layer);
            }
            layer
        };
        if let Some(layer) = gone {
            self.layer_gone(&layer);
        }
    }
}

delegate_layer_shell!(State);
