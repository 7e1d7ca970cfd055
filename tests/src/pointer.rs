//! Pointer and single key events as a viewer sends them (positions in the session's output
//! pixels), for tests that click and drag.

use wayray_client::Viewer;
use wayray_protocol::InputMessage;
use wayray_protocol::messages::input::{ButtonState, Key, PointerButton, PointerMotion};

/// `BTN_LEFT` of evdev.
pub const BTN_LEFT: u32 = 0x110;

/// Sends one input message (panics if the viewer is gone).
pub async fn send(viewer: &mut Viewer, message: InputMessage) {
    viewer.send_input(&message).await.expect("input sent");
}

/// The pointer at (`x`, `y`).
pub fn motion(x: f64, y: f64) -> InputMessage {
    InputMessage::PointerMotion(PointerMotion { x, y, time_ms: 1 })
}

/// The left button pressed or released.
pub fn left_button(state: ButtonState) -> InputMessage {
    InputMessage::PointerButton(PointerButton {
        button: BTN_LEFT,
        state,
        time_ms: 1,
    })
}

/// Key `code` (evdev) pressed or released.
pub fn key(code: u32, state: ButtonState) -> InputMessage {
    InputMessage::Key(Key {
        code,
        state,
        time_ms: 1,
    })
}
