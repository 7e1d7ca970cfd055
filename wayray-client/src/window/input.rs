//! The window's input as WayRay input messages: keys as evdev codes (winit's scancode is the
//! evdev code on Linux), pointer in physical pixels, buttons as evdev BTN codes, wheel scrolling
//! as smooth distance plus v120 steps, touch points in physical pixels followed by a frame.
//! A few key combinations belong to the viewer itself ([`shortcut`]) and never reach the
//! session.

use wayray_protocol::InputMessage;
use wayray_protocol::messages::input::{
    ButtonState, Key, PointerButton, PointerMotion, Scroll, ScrollSource, TouchPoint, TouchUp,
};
use winit::event::{ElementState, MouseButton, MouseScrollDelta, TouchPhase, WindowEvent};
use winit::keyboard::{KeyCode, ModifiersState, PhysicalKey};
use winit::platform::scancode::PhysicalKeyExtScancode;

/// Logical pixels scrolled per wheel step, as compositors usually report.
const PIXELS_PER_STEP: f64 = 10.0;

fn state(s: ElementState) -> ButtonState {
    match s {
        ElementState::Pressed => ButtonState::Pressed,
        ElementState::Released => ButtonState::Released,
    }
}

/// What the viewer's own keys do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shortcut {
    /// F11: full screen on and off.
    Fullscreen,
    /// Ctrl+Alt+S: the stats overlay on and off.
    Stats,
    /// Ctrl+Alt+G: the keyboard grab on and off.
    Grab,
    /// Ctrl+Alt+M: the session's sound muted and back.
    Mute,
    /// Ctrl+Alt+Plus (or =): the session's sound louder.
    VolumeUp,
    /// Ctrl+Alt+Minus: the session's sound softer.
    VolumeDown,
}

/// The viewer shortcut a key press `event` is, if any.
pub fn shortcut(event: &WindowEvent, modifiers: ModifiersState) -> Option<Shortcut> {
    let WindowEvent::KeyboardInput { event, .. } = event else {
        return None;
    };
    let PhysicalKey::Code(code) = event.physical_key else {
        return None;
    };
    let ctrl_alt = modifiers.control_key() && modifiers.alt_key();
    match code {
        KeyCode::F11 => Some(Shortcut::Fullscreen),
        KeyCode::KeyS if ctrl_alt => Some(Shortcut::Stats),
        KeyCode::KeyG if ctrl_alt => Some(Shortcut::Grab),
        KeyCode::KeyM if ctrl_alt => Some(Shortcut::Mute),
        KeyCode::Equal | KeyCode::NumpadAdd if ctrl_alt => Some(Shortcut::VolumeUp),
        KeyCode::Minus | KeyCode::NumpadSubtract if ctrl_alt => Some(Shortcut::VolumeDown),
        _ => None,
    }
}

/// Translates one window event into the input messages it means (none for events that are
/// not input).
pub fn translate(event: &WindowEvent, time_ms: u32) -> Vec<InputMessage> {
    if let WindowEvent::Touch(touch) = event {
        return touch_messages(
            touch.phase,
            touch.id,
            (touch.location.x, touch.location.y),
            time_ms,
        );
    }
    translate_one(event, time_ms).into_iter().collect()
}

/// A touch point's change, followed by the frame that ends the group.
pub fn touch_messages(
    phase: TouchPhase,
    id: u64,
    (x, y): (f64, f64),
    time_ms: u32,
) -> Vec<InputMessage> {
    // Touch ids are small in practice; keep them distinct within the u32 the wire carries.
    let id = (id % u64::from(u32::MAX)) as u32;
    let point = TouchPoint { id, x, y, time_ms };
    let first = match phase {
        TouchPhase::Started => InputMessage::TouchDown(point),
        TouchPhase::Moved => InputMessage::TouchMotion(point),
        TouchPhase::Ended => InputMessage::TouchUp(TouchUp { id, time_ms }),
        TouchPhase::Cancelled => return vec![InputMessage::TouchCancel],
    };
    vec![first, InputMessage::TouchFrame]
}

fn translate_one(event: &WindowEvent, time_ms: u32) -> Option<InputMessage> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn touch_points_are_followed_by_a_frame() {
        let down = touch_messages(TouchPhase::Started, 3, (10.5, 20.0), 7);
        assert_eq!(
            down,
            [
                InputMessage::TouchDown(TouchPoint {
                    id: 3,
                    x: 10.5,
                    y: 20.0,
                    time_ms: 7
                }),
                InputMessage::TouchFrame
            ]
        );
        let up = touch_messages(TouchPhase::Ended, 3, (0.0, 0.0), 9);
        assert_eq!(up[0], InputMessage::TouchUp(TouchUp { id: 3, time_ms: 9 }));
        assert_eq!(
            touch_messages(TouchPhase::Cancelled, 3, (0.0, 0.0), 9),
            [InputMessage::TouchCancel]
        );
    }
}
