//! The window's input as WayRay input messages: keys as evdev codes (winit's scancode is the
//! evdev code on Linux), pointer in physical pixels, buttons as evdev BTN codes, wheel scrolling
//! as smooth distance plus v120 steps.

use wayray_protocol::InputMessage;
use wayray_protocol::messages::input::{
    ButtonState, Key, PointerButton, PointerMotion, Scroll, ScrollSource,
};
use winit::event::{ElementState, MouseButton, MouseScrollDelta, WindowEvent};
use winit::platform::scancode::PhysicalKeyExtScancode;

/// Logical pixels scrolled per wheel step, as compositors usually report.
const PIXELS_PER_STEP: f64 = 10.0;

fn state(s: ElementState) -> ButtonState {
    match s {
        ElementState::Pressed => ButtonState::Pressed,
        ElementState::Released => ButtonState::Released,
    }
}

/// Translates one window event; `None` for events that are not input.
pub fn translate(event: &WindowEvent, time_ms: u32) -> Option<InputMessage> {
    Some(match event {
        WindowEvent::KeyboardInput { event, .. } => {
            // Repeats come from the compositor, which knows the session's repeat rate.
            if event.repeat {
                return None;
            }
            InputMessage::Key(Key {
                code: event.physical_key.to_scancode()?,
                state: state(event.state),
                time_ms,
            })
        }
        WindowEvent::CursorMoved { position, .. } => InputMessage::PointerMotion(PointerMotion {
            x: position.x,
            y: position.y,
            time_ms,
        }),
        WindowEvent::MouseInput {
            state: s, button, ..
        } => InputMessage::PointerButton(PointerButton {
            button: match button {
                MouseButton::Left => 0x110,
                MouseButton::Right => 0x111,
                MouseButton::Middle => 0x112,
                MouseButton::Back => 0x116,
                MouseButton::Forward => 0x115,
                MouseButton::Other(n) => 0x110 + u32::from(*n),
            },
            state: state(*s),
            time_ms,
        }),
        WindowEvent::MouseWheel { delta, .. } => {
            // winit: positive y scrolls up; Wayland: positive values scroll down.
            let (source, horizontal, vertical, h120, v120) = match delta {
                MouseScrollDelta::LineDelta(x, y) => (
                    ScrollSource::Wheel,
                    -f64::from(*x) * PIXELS_PER_STEP,
                    -f64::from(*y) * PIXELS_PER_STEP,
                    (-x * 120.0) as i32,
                    (-y * 120.0) as i32,
                ),
                MouseScrollDelta::PixelDelta(p) => (ScrollSource::Finger, -p.x, -p.y, 0, 0),
            };
            InputMessage::Scroll(Scroll {
                source,
                horizontal,
                vertical,
                horizontal_v120: h120,
                vertical_v120: v120,
                stop: (false, false),
                time_ms,
            })
        }
        WindowEvent::Focused(false) => InputMessage::ReleaseAll { time_ms },
        _ => return None,
    })
}
