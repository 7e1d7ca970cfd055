//! Applies the layout of [`super::arrange`]: a changed size is configured (once the surface had
//! its first configure, which its first commit asks for), each surface's place is kept with it
//! (drawing and finding surfaces under the pointer read it there), and the area no exclusive
//! zone covers becomes the window manager's work area.
//!
//! Smithay's own `LayerMap::arrange` stretches a given size between opposite anchors and takes
//! exclusive zones in mapping order, and the places it finds are private to it, so WayRay
//! keeps smithay's map only as the list of surfaces. The map still runs its arrangement when a
//! surface is mapped or unmapped, and the layout here follows at once (a surface whose size it
//! changed then gets a second configure with the right size, which it acknowledges last).

use std::sync::Mutex;

use smithay::desktop::{LayerSurface, PopupManager, layer_map_for_output};
use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::utils::{Logical, Point, Rectangle};
use smithay::wayland::compositor::{TraversalAction, with_states, with_surface_tree_downward};
use smithay::wayland::shell::wlr_layer::LayerSurfaceData;

use super::arrange::{Request, arrange};
use crate::session::state::State;

/// A place given to a layer surface by a harness embedding the compositor.
#[derive(Default)]
struct Pinned(Mutex<Option<Point<i32, Logical>>>);

/// Keeps `layer` at `at` whatever its anchors say (the conformance suite's `move_surface_to`;
/// nothing else calls it).
pub fn pin_layer_surface(layer: &LayerSurface, at: Point<i32, Logical>) {
    let data = layer.user_data();
    data.insert_if_missing_threadsafe(Pinned::default);
    if let Some(pinned) = data.get::<Pinned>()
        && let Ok(mut pinned) = pinned.0.lock()
    {
        *pinned = Some(at);
    }
}

fn pinned(layer: &LayerSurface) -> Option<Point<i32, Logical>> {
    let pinned = layer.user_data().get::<Pinned>()?;
    *pinned.0.lock().ok()?
}

/// Where a layer surface was placed last.
#[derive(Default)]
struct Placed(Mutex<Option<Point<i32, Logical>>>);

/// Where `layer`'s surface is on the output; `None` before its first arrangement.
pub fn layer_location(layer: &LayerSurface) -> Option<Point<i32, Logical>> {
    let placed = layer.user_data().get::<Placed>()?;
    *placed.0.lock().ok()?
}

/// Keeps `location` with `layer`; returns whether it moved.
fn set_location(layer: &LayerSurface, location: Point<i32, Logical>) -> bool {
    let data = layer.user_data();
    data.insert_if_missing_threadsafe(Placed::default);
    let Some(placed) = data.get::<Placed>() else {
        return false;
    };
    let Ok(mut placed) = placed.0.lock() else {
        return false;
    };
    placed.replace(location) != Some(location)
}

impl State {
    /// Lays out the layer surfaces and hands the free area to the window manager. Returns
    /// whether a surface moved or changed size.
    pub(crate) fn arrange_layers(&mut self) -> bool {
        let output = self.output_rect();
        let layers: Vec<LayerSurface> = layer_map_for_output(&self.output)
            .layers()
            .cloned()
            .collect();
        let requests: Vec<Request> = layers
            .iter()
            .map(|layer| {
                let state = layer.cached_state();
                Request {
                    layer: state.layer,
                    anchor: state.anchor,
                    size: state.size,
                    margin: state.margin,
                    exclusive: state.exclusive_zone,
                    pinned: pinned(layer),
                }
            })
            .collect();
        let (placements, free) = arrange(output, &requests);
        let mut changed = false;
        for (layer, placement) in layers.iter().zip(placements) {
            self.enter_output(layer);
            let resized = layer.layer_surface().with_pending_state(|state| {
                state.size.replace(placement.size) != Some(placement.size)
            });
            if resized && initial_configure_sent(layer) {
                layer.layer_surface().send_pending_configure();
            }
            let moved = set_location(layer, placement.location);
            changed |= resized || moved;
        }
        let area = crate::session::wm::Rect::new(free.loc.x, free.loc.y, free.size.w, free.size.h);
        self.wm.set_work_area(area);
        self.apply_wm_actions();
        changed
    }

    /// The output's area in logical coordinates.
    fn output_rect(&self) -> Rectangle<i32, Logical> {
        let size = self
            .output
            .current_mode()
            .map(|mode| {
                let scale = self.output.current_scale().fractional_scale();
                let size = mode.size.to_f64().to_logical(scale).to_i32_round();
                self.output.current_transform().transform_size(size)
            })
            .unwrap_or_default();
        Rectangle::from_size(size)
    }

    /// The layer surface, its subsurfaces and popups are on the output (`wl_surface.enter`).
    fn enter_output(&self, layer: &LayerSurface) {
        let enter = |surface: &WlSurface| {
            with_surface_tree_downward(
                surface,
                (),
                |_, _, _| TraversalAction::DoChildren(()),
                |surface, _, _| self.output.enter(surface),
                |_, _, _| true,
            );
        };
        enter(layer.wl_surface());
        for (popup, _) in PopupManager::popups_for_surface(layer.wl_surface()) {
            enter(popup.wl_surface());
        }
    }
}

/// Whether the surface had its first configure (its first commit asks for it).
pub(super) fn initial_configure_sent(layer: &LayerSurface) -> bool {
    with_states(layer.wl_surface(), |states| {
        states
            .data_map
            .get::<LayerSurfaceData>()
            .and_then(|data| data.lock().ok().map(|d| d.initial_configure_sent))
            .unwrap_or(false)
    })
}
