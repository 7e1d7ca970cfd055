//! Layer surfaces (wlr-layer-shell) in the session: arranged on the output whenever one
//! commits ([`arrange`]), configured on their first commit, given the keyboard when they ask
//! for it (`exclusive` at once, and kept from windows and other layers while it is on the top
//! or overlay layer; `on_demand` on a click, and when it appears above the windows), and found
//! under the pointer above or below the windows according to their layer ([`render`]).

use smithay::backend::renderer::utils::with_renderer_surface_state;
use smithay::desktop::{LayerSurface, WindowSurfaceType, layer_map_for_output};
use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::utils::SERIAL_COUNTER;
use smithay::utils::{Logical, Point};
use smithay::wayland::shell::wlr_layer::{KeyboardInteractivity, Layer};

use crate::session::focus::KeyboardFocus;
use crate::session::state::State;

mod arrange;
mod place;
mod render;

pub use place::{layer_location, pin_layer_surface};
pub use render::layer_elements;

/// A surface of a layer under the pointer and that surface's origin (output coordinates).
pub type LayerHit = (WlSurface, Point<f64, Logical>);

/// The layers drawn above the windows, topmost first.
pub const ABOVE: [Layer; 2] = [Layer::Overlay, Layer::Top];
/// The layers drawn below the windows, topmost first.
pub const BELOW: [Layer; 2] = [Layer::Bottom, Layer::Background];

impl State {
    /// A surface committed: if it is a layer surface, the layers are arranged again and a
    /// first commit gets its configure. Returns whether it was one.
    pub(crate) fn layer_commit(&mut self, surface: &WlSurface) -> bool {
        let layer = layer_map_for_output(&self.output)
            .layer_for_surface(surface, WindowSurfaceType::TOPLEVEL)
            .cloned();
        let Some(layer) = layer else {
            return false;
        };
        let changed = self.arrange_layers();
        let configured = place::initial_configure_sent(&layer);
        let interactivity = layer.cached_state().keyboard_interactivity;
        let focused = self.has_keyboard_focus(layer.wl_surface());
        let shown = has_buffer(surface);
        let newly_shown = shown && !was_shown(&layer, shown);
        if !configured {
            layer.layer_surface().send_configure();
        }
        if focused && (!shown || interactivity == KeyboardInteractivity::None) {
            // Unmapped (a null buffer), or it gave the keyboard up.
            self.hand_back_keyboard();
        } else if shown && interactivity == KeyboardInteractivity::Exclusive && !focused {
            // A launcher that takes the keyboard has it as soon as it is mapped.
            self.focus_layer(&layer);
        } else if newly_shown
            && interactivity == KeyboardInteractivity::OnDemand
            && ABOVE.contains(&layer.layer())
        {
            // A launcher or menu above the windows that takes the keyboard when clicked gets
            // it when it appears too, as in sway: it is there to be typed into.
            self.focus_layer(&layer);
        }
        if changed {
            self.space.refresh();
        }
        true
    }

    /// Frame callbacks and presentation feedback of the layer surfaces, after capture.
    pub(crate) fn layers_frame_done(
        &self,
        now: std::time::Duration,
        feedback: &mut smithay::desktop::utils::OutputPresentationFeedback,
    ) {
        let output = self.output.clone();
        let map = layer_map_for_output(&output);
        for layer in map.layers() {
            layer.send_frame(&output, now, Some(std::time::Duration::ZERO), |_, _| {
                Some(output.clone())
            });
            layer.take_presentation_feedback(
                feedback,
                smithay::desktop::utils::surface_primary_scanout_output,
                |_, _| {
                    smithay::reexports::wayland_protocols::wp::presentation_time::server::wp_presentation_feedback::Kind::empty()
                },
            );
        }
    }

    /// The topmost layer surface under `pos` on one of `layers` (topmost first), with the
    /// surface hit and that surface's origin; a surface whose input region leaves `pos` out
    /// lets the ones below it have it.
    pub(crate) fn layer_surface_under(
        &self,
        pos: Point<f64, Logical>,
        layers: &[Layer],
    ) -> Option<(LayerSurface, LayerHit)> {
        render::stacked(&self.output, layers)
            .into_iter()
            .find_map(|(layer, origin)| {
                let (surface, offset) =
                    layer.surface_under(pos - origin.to_f64(), WindowSurfaceType::ALL)?;
                Some((layer, (surface, (offset + origin).to_f64())))
            })
    }

    /// Where the layer surface `surface` is on the output, if it is one.
    pub(crate) fn layer_origin(&self, surface: &WlSurface) -> Option<Point<i32, Logical>> {
        let map = layer_map_for_output(&self.output);
        let layer = map.layer_for_surface(surface, WindowSurfaceType::TOPLEVEL)?;
        layer_location(layer)
    }

    /// A click on a layer surface: one that takes the keyboard on demand gets it.
    pub(crate) fn layer_clicked(&mut self, layer: &LayerSurface) {
        if layer.can_receive_keyboard_focus() {
            self.focus_layer(layer);
        }
    }

    fn focus_layer(&mut self, layer: &LayerSurface) {
        // A launcher or lock screen holding the keyboard keeps it, except from an exclusive
        // surface on a higher layer (a lock screen over a launcher).
        if let Some(held) = self.keyboard_holder()
            && !self.has_keyboard_focus(layer.wl_surface())
            && exclusive_rank(layer).is_none_or(|rank| rank <= held)
        {
            return;
        }
        if let Some(keyboard) = self.seat.get_keyboard() {
            let focus = KeyboardFocus::Surface(layer.wl_surface().clone());
            keyboard.set_focus(self, Some(focus), SERIAL_COUNTER.next_serial());
        }
    }

    /// Whether a layer surface above the windows holds the keyboard exclusively (a lock
    /// screen, a launcher): nothing else gets it until that surface goes or lets it go.
    pub(crate) fn keyboard_held_by_layer(&self) -> bool {
        self.keyboard_holder().is_some()
    }

    /// The rank ([`exclusive_rank`]) of the layer surface holding the keyboard exclusively.
    fn keyboard_holder(&self) -> Option<u8> {
        let focus = self.seat.get_keyboard().and_then(|k| k.current_focus());
        let Some(KeyboardFocus::Surface(focused)) = focus else {
            return None;
        };
        let map = layer_map_for_output(&self.output);
        map.layer_for_surface(&focused, WindowSurfaceType::TOPLEVEL)
            .and_then(exclusive_rank)
    }

    /// The topmost shown layer surface that takes the keyboard exclusively, if any.
    fn topmost_exclusive(&self) -> Option<LayerSurface> {
        let map = layer_map_for_output(&self.output);
        ABOVE.iter().find_map(|kind| {
            map.layers_on(*kind)
                .rev()
                .find(|layer| exclusive_rank(layer).is_some())
                .cloned()
        })
    }

    /// The keyboard leaves a layer surface: to the topmost other exclusive one, else to the
    /// window manager's focused window.
    fn hand_back_keyboard(&mut self) {
        match self.topmost_exclusive() {
            Some(layer) => {
                if let Some(keyboard) = self.seat.get_keyboard() {
                    let focus = KeyboardFocus::Surface(layer.wl_surface().clone());
                    keyboard.set_focus(self, Some(focus), SERIAL_COUNTER.next_serial());
                }
            }
            None => self.refocus_window(),
        }
    }

    pub(crate) fn has_keyboard_focus(&self, surface: &WlSurface) -> bool {
        let focus = self.seat.get_keyboard().and_then(|k| k.current_focus());
        matches!(focus, Some(KeyboardFocus::Surface(s)) if &s == surface)
    }

    /// A layer surface went away: if it had the keyboard, another exclusive layer surface or
    /// the focused window gets it back.
    pub(crate) fn layer_gone(&mut self, layer: &LayerSurface) {
        if self.has_keyboard_focus(layer.wl_surface()) {
            self.hand_back_keyboard();
        }
        self.arrange_layers();
        self.schedule_render();
    }
}

/// Whether the layer surface showed a buffer before; remembers whether it shows one now.
fn was_shown(layer: &LayerSurface, shown: bool) -> bool {
    #[derive(Default)]
    struct Shown(std::sync::atomic::AtomicBool);
    let data = layer.user_data();
    data.insert_if_missing_threadsafe(Shown::default);
    data.get::<Shown>()
        .is_some_and(|s| s.0.swap(shown, std::sync::atomic::Ordering::Relaxed))
}

/// Whether `surface` shows a buffer (a layer surface is unmapped by a null one).
fn has_buffer(surface: &WlSurface) -> bool {
    with_renderer_surface_state(surface, |state| state.buffer().is_some()).unwrap_or(false)
}

/// How high a shown layer surface that takes the keyboard exclusively sits: 2 on the overlay
/// layer, 1 on the top layer; `None` for any other layer surface.
fn exclusive_rank(layer: &LayerSurface) -> Option<u8> {
    let rank = match layer.layer() {
        Layer::Overlay => 2,
        Layer::Top => 1,
        Layer::Bottom | Layer::Background => return None,
    };
    (layer.cached_state().keyboard_interactivity == KeyboardInteractivity::Exclusive
        && has_buffer(layer.wl_surface()))
    .then_some(rank)
}
