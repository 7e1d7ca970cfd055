//! The session's single output: its size, scale and refresh, set at start and changeable at
//! run time (the viewer's window size and scale become the output's).

use smithay::output::{Mode, Output, PhysicalProperties, Scale, Subpixel};
use smithay::utils::{Logical, Size, Transform};

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

/// The refresh rate of a session whose viewer reports none: 60 Hz.
pub const DEFAULT_REFRESH_MHZ: u32 = 60_000;

impl Default for OutputConfig {
    fn default() -> Self {
        Self {
            width: 1280,
            height: 720,
            scale_120: 120,
            refresh_mhz: DEFAULT_REFRESH_MHZ,
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

    pub(super) fn apply(&self, output: &Output) {
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

pub use wayray_protocol::geometry::parse_size;

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
