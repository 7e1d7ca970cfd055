//! How layer surfaces stack: the overlay layer over the top layer over the windows over the
//! bottom layer over the background, and within one layer the surface mapped last on top.
//! Drawing and finding the surface under the pointer both follow this order (smithay's own
//! `space_render_elements` stacks the layers above, and those below, by mapping order alone, so
//! an overlay mapped before a panel of the top layer would be drawn under it).

use smithay::backend::renderer::element::AsRenderElements;
use smithay::backend::renderer::element::surface::WaylandSurfaceRenderElement;
use smithay::backend::renderer::{ImportAll, Renderer};
use smithay::desktop::{LayerSurface, layer_map_for_output};
use smithay::output::Output;
use smithay::utils::Scale;
use smithay::wayland::shell::wlr_layer::Layer;

use super::place::layer_location;

/// The surfaces on `kinds` (given topmost first), topmost first, with their places.
pub fn stacked(
    output: &Output,
    kinds: &[Layer],
) -> Vec<(
    LayerSurface,
    smithay::utils::Point<i32, smithay::utils::Logical>,
)> {
    let map = layer_map_for_output(output);
    kinds
        .iter()
        .flat_map(|kind| map.layers_on(*kind).rev())
        .filter_map(|layer| Some((layer.clone(), layer_location(layer)?)))
        .collect()
}

/// What to draw for the surfaces on `kinds` (topmost first), frontmost first, as smithay's
/// damage tracker takes elements.
pub fn layer_elements<R>(
    renderer: &mut R,
    output: &Output,
    kinds: &[Layer],
) -> Vec<WaylandSurfaceRenderElement<R>>
where
    R: Renderer + ImportAll,
    R::TextureId: Clone + 'static,
{
    let scale = output.current_scale().fractional_scale();
    stacked(output, kinds)
        .into_iter()
        .flat_map(|(layer, location)| {
            AsRenderElements::<R>::render_elements::<WaylandSurfaceRenderElement<R>>(
                &layer,
                renderer,
                location.to_physical_precise_round(scale),
                Scale::from(scale),
                1.0,
            )
        })
        .collect()
}
