//! Input channel: keyboard, pointer and touch, viewer → server.
//!
//! Keys are Linux evdev codes (as in `linux/input-event-codes.h`), not keysyms: the session's
//! xkb keymap, chosen from the viewer's [`KeymapLayout`], turns them into symbols, and the
//! compositor does key repeat. Coordinates are in physical output pixels, as f64 so that HiDPI
//! pointers keep sub-pixel precision. Times are the viewer's milliseconds, for the clients'
//! event timestamps only.

use serde::{Deserialize, Serialize};

use super::{MAX_NAME, check_finite, check_len};
use crate::{Channel, ValidationError, WireMessage};

/// A message on the input stream.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub enum InputMessage {
    /// Use this keyboard layout for the session (sent at connect and when it changes).
    Keymap(KeymapLayout),
    /// A key changed state.
    Key(Key),
    /// The pointer moved to an absolute position.
    PointerMotion(PointerMotion),
    /// A pointer button changed state.
    PointerButton(PointerButton),
    /// Scrolling, smooth and/or discrete.
    Scroll(Scroll),
    /// A touch point went down.
    TouchDown(TouchPoint),
    /// A touch point moved.
    TouchMotion(TouchPoint),
    /// A touch point lifted.
    TouchUp(TouchUp),
    /// Ends a group of touch events that belong together.
    TouchFrame,
    /// The touch sequence was taken over by the viewer's system; forget all touch points.
    TouchCancel,
    /// Release every pressed key and button (the viewer lost focus or is closing).
    ReleaseAll {
        /// Viewer time in milliseconds.
        time_ms: u32,
    },
}

/// An xkb rule-names description of a keyboard layout. Empty fields mean xkb's defaults.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct KeymapLayout {
    /// xkb rules, e.g. `evdev`.
    pub rules: String,
    /// xkb model, e.g. `pc105`.
    pub model: String,
    /// xkb layout(s), e.g. `us` or `de,us`.
    pub layout: String,
    /// xkb variant(s), e.g. `nodeadkeys`.
    pub variant: String,
    /// xkb options, e.g. `ctrl:nocaps`.
    pub options: String,
}

/// Pressed or released.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub enum ButtonState {
    /// Released.
    Released,
    /// Pressed.
    Pressed,
}

/// A key event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct Key {
    /// Linux evdev key code (`KEY_A` = 30).
    pub code: u32,
    /// New state.
    pub state: ButtonState,
    /// Viewer time in milliseconds.
    pub time_ms: u32,
}

/// Absolute pointer position.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct PointerMotion {
    /// Column in physical output pixels.
    pub x: f64,
    /// Row in physical output pixels.
    pub y: f64,
    /// Viewer time in milliseconds.
    pub time_ms: u32,
}

/// A pointer button event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct PointerButton {
    /// Linux evdev button code (`BTN_LEFT` = 0x110).
    pub button: u32,
    /// New state.
    pub state: ButtonState,
    /// Viewer time in milliseconds.
    pub time_ms: u32,
}

/// What produced a scroll.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub enum ScrollSource {
    /// A mouse wheel (discrete steps).
    Wheel,
    /// A touchpad (smooth, with a stop event).
    Finger,
    /// Continuous scrolling from a trackpoint or similar.
    Continuous,
    /// A wheel tilted sideways.
    WheelTilt,
}

/// One scroll event; either axis may be zero.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct Scroll {
    /// Source device kind.
    pub source: ScrollSource,
    /// Smooth horizontal distance in logical pixels (positive: right).
    pub horizontal: f64,
    /// Smooth vertical distance in logical pixels (positive: down).
    pub vertical: f64,
    /// Discrete horizontal steps in 1/120ths of a wheel detent (high-resolution wheels).
    pub horizontal_v120: i32,
    /// Discrete vertical steps in 1/120ths of a wheel detent.
    pub vertical_v120: i32,
    /// The scroll sequence on each axis stopped (finger lifted): `(horizontal, vertical)`.
    pub stop: (bool, bool),
    /// Viewer time in milliseconds.
    pub time_ms: u32,
}

/// A touch point position.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct TouchPoint {
    /// Touch point id, unique while the point is down.
    pub id: u32,
    /// Column in physical output pixels.
    pub x: f64,
    /// Row in physical output pixels.
    pub y: f64,
    /// Viewer time in milliseconds.
    pub time_ms: u32,
}

/// A touch point lifted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct TouchUp {
    /// Touch point id.
    pub id: u32,
    /// Viewer time in milliseconds.
    pub time_ms: u32,
}

impl WireMessage for InputMessage {
    const CHANNEL: Channel = Channel::Input;
    const VARIANTS: &'static [&'static str] = &[
        "Keymap",
        "Key",
        "PointerMotion",
        "PointerButton",
        "Scroll",
        "TouchDown",
        "TouchMotion",
        "TouchUp",
        "TouchFrame",
        "TouchCancel",
        "ReleaseAll",
    ];

    fn name(&self) -> &'static str {
        match self {
            Self::Keymap(_) => "Keymap",
            Self::Key(_) => "Key",
            Self::PointerMotion(_) => "PointerMotion",
            Self::PointerButton(_) => "PointerButton",
            Self::Scroll(_) => "Scroll",
            Self::TouchDown(_) => "TouchDown",
            Self::TouchMotion(_) => "TouchMotion",
            Self::TouchUp(_) => "TouchUp",
            Self::TouchFrame => "TouchFrame",
            Self::TouchCancel => "TouchCancel",
            Self::ReleaseAll { .. } => "ReleaseAll",
        }
    }

    fn validate(&self) -> Result<(), ValidationError> {
        match self {
            Self::Keymap(k) => {
                for (field, value) in [
                    ("keymap rules", &k.rules),
                    ("keymap model", &k.model),
                    ("keymap layout", &k.layout),
                    ("keymap variant", &k.variant),
                    ("keymap options", &k.options),
                ] {
                    check_len(field, value, MAX_NAME)?;
                }
                Ok(())
            }
            Self::PointerMotion(m) => {
                check_finite("pointer x", m.x)?;
                check_finite("pointer y", m.y)
            }
            Self::Scroll(s) => {
                check_finite("scroll horizontal", s.horizontal)?;
                check_finite("scroll vertical", s.vertical)
            }
            Self::TouchDown(t) | Self::TouchMotion(t) => {
                check_finite("touch x", t.x)?;
                check_finite("touch y", t.y)
            }
            Self::Key(_)
            | Self::PointerButton(_)
            | Self::TouchUp(_)
            | Self::TouchFrame
            | Self::TouchCancel
            | Self::ReleaseAll { .. } => Ok(()),
        }
    }
}
