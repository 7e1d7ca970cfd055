//! The session's single output: its size, scale and refresh, set at start and changeable at
//! run time (the viewer's window size and scale become the output's).

use smithay::output::{Mode, Output, PhysicalProperties, Scale, Subpixel};
use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::utils::{Logical, Size, Transform};
use smithay::wayland::compositor::{send_surface_state, with_states};
use smithay::wayland::fractional_scale::with_fractional_scale;

use crate::session::state::State;

/// Size, scale and refresh rate of the output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutputConfig {
    /// Width in physical pixels.
    pub width: u32,
    /// Height in physical pixels.
    pub height: u32,
    /// Scale in 1/120ths (120 = 1.0).
    pub scale_120: u32,
    /// Refresh rate in millihertz.
    pub refresh_mhz: u32,
}

impl Default for OutputConfig {
    fn default() -> Self {
        Self {
            width: 1280,
            height: 720,
            scale_120: 120,
            refresh_mhz: 60_000,
        }
    }
}

impl OutputConfig {
    /// The scale as a float.
    pub fn scale(&self) -> f64 {
        f64::from(self.scale_120) / 120.0
    }

    /// The output size in logical coordinates (what windows are placed in).
    pub fn logical_size(&self) -> Size<i32, Logical> {
        let scale = self.scale();
        Size::from((
            (f64::from(self.width) / scale).round() as i32,
            (f64::from(self.height) / scale).round() as i32,
        ))
    }

    fn mode(&self) -> Mode {
        Mode {
            size: (self.width as i32, self.height as i32).into(),
            refresh: self.refresh_mhz as i32,
        }
    }

    /// Creates the smithay output for this configuration.
    pub fn create_output(&self) -> Output {
        let output = Output::new(
            "WAYRAY-1".into(),
            PhysicalProperties {
                size: (0, 0).into(),
                subpixel: Subpixel::Unknown,
                make: "WayRay".into(),
                model: "Remote display".into(),
            },
        );
        self.apply(&output);
        output
    }

    fn apply(&self, output: &Output) {
        let mode = self.mode();
        output.change_current_state(
            Some(mode),
            Some(Transform::Normal),
            Some(Scale::Fractional(self.scale())),
            Some((0, 0).into()),
        );
        output.set_preferred(mode);
    }
}

/// Parses `WIDTHxHEIGHT`, as in `--size 1920x1080`.
pub fn parse_size(text: &str) -> Result<(u32, u32), String> {
    let (w, h) = text
        .split_once(['x', 'X'])
        .ok_or_else(|| format!("{text:?} is not WIDTHxHEIGHT, e.g. 1920x1080"))?;
    let parse = |v: &str| {
        v.trim()
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=wayray_protocol::geometry::MAX_EDGE).contains(n))
            .ok_or_else(|| {
                format!(
                    "{v:?} is not a size between 1 and {}",
                    wayray_protocol::geometry::MAX_EDGE
                )
            })
    };
    Ok((parse(w)?, parse(h)?))
}

impl State {
    /// Changes the output's size and/or scale at run time.
    pub fn set_output_config(&mut self, config: OutputConfig) {
        if config == self.output_config {
            return;
        }
        self.output_config = config;
        config.apply(&self.output);
        self.space.map_output(&self.output, (0, 0));
        self.target
            .resize(&self.output, config.width, config.height);
        let surfaces: Vec<WlSurface> = self
            .space
            .elements()
            .filter_map(|w| w.toplevel().map(|t| t.wl_surface().clone()))
            .collect();
        for surface in &surfaces {
            self.send_scale(surface);
        }
        self.wm_output_resized();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("1920x1080"), Ok((1920, 1080)));
        assert!(parse_size("1920").is_err());
        assert!(parse_size("0x10").is_err());
        assert!(parse_size("99999x10").is_err());
    }

    #[test]
    fn logical_size_divides_by_scale() {
        let config = OutputConfig {
            width: 2880,
            height: 1800,
            scale_120: 180,
            refresh_mhz: 60_000,
        };
        assert_eq!(config.logical_size(), Size::from((1920, 1200)));
    }
}
