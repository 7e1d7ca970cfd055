//! Windows whose application says they show video or a game (wp_content_type_v1): the encoder
//! streams them as video from their first change instead of waiting for motion to show.

use smithay::reexports::wayland_protocols::wp::content_type::v1::server::wp_content_type_v1;
use smithay::wayland::compositor::with_states;
use smithay::wayland::content_type::ContentTypeSurfaceCachedState;
use wayray_protocol::Rect;

use super::state::State;

impl State {
    /// The output rectangles (physical pixels) of windows whose surface's content type is
    /// video or game.
    pub(super) fn video_windows(&self) -> Vec<Rect> {
        let scale = self.output_config.scale();
        let physical = |v: i32| (f64::from(v.max(0)) * scale).round() as u32;
        self.space
            .elements()
            .filter(|window| {
                window.wl_surface().is_some_and(|surface| {
                    with_states(&surface, |states| {
                        let mut guard = states.cached_state.get::<ContentTypeSurfaceCachedState>();
                        matches!(
                            guard.current().content_type(),
                            wp_content_type_v1::Type::Video | wp_content_type_v1::Type::Game
                        )
                    })
                })
            })
            .filter_map(|window| {
                let loc = self.space.element_location(window)?;
                let size = window.geometry().size;
                Some(Rect::new(
                    physical(loc.x),
                    physical(loc.y),
                    physical(size.w),
                    physical(size.h),
                ))
            })
            .collect()
    }
}
