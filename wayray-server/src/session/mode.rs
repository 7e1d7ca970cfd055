//! Changing the session output's mode at run time (the viewer's window size and scale): the
//! output, the render target, every surface's scale and the window manager follow.

use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::utils::Transform;
use smithay::wayland::compositor::{send_surface_state, with_states};
use smithay::wayland::fractional_scale::with_fractional_scale;

use super::output::OutputConfig;
use super::state::State;

impl State {
    /// Changes the output's size and/or scale at run time.
    pub fn set_output_config(&mut self, config: OutputConfig) {
        if config == self.output_config {
            return;
        }
        let same_size = OutputConfig {
            refresh_mhz: self.output_config.refresh_mhz,
            ..config
        } == self.output_config;
        self.output_config = config;
        if same_size {
            // Only the refresh rate: clients see the new mode, frame pacing follows it.
            config.apply(&self.output);
            return;
        }
        config.apply(&self.output);
        self.space.map_output(&self.output, (0, 0));
        self.target
            .resize(&self.output, config.width, config.height);
        let surfaces: Vec<WlSurface> = self
            .space
            .elements()
            .filter_map(|w| w.wl_surface())
            .collect();
        for surface in &surfaces {
            self.send_scale(surface);
        }
        self.wm_output_resized();
        self.arrange_layers();
        self.schedule_render();
    }

    /// Tells a surface the output's (fractional) scale.
    pub fn send_scale(&self, surface: &WlSurface) {
        let scale = self.output_config.scale();
        with_states(surface, |states| {
            with_fractional_scale(states, |fractional| fractional.set_preferred_scale(scale));
            send_surface_state(surface, states, scale.ceil() as i32, Transform::Normal);
        });
    }
}
