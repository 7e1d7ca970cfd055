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

/// Drags the window under (`x`, `y`) down by `dy` in ten steps with Alt held (the window
/// manager's move).
pub async fn alt_drag(viewer: &mut Viewer, x: f64, y: f64, dy: f64) {
    const LEFT_ALT: u32 = 56;
    send(viewer, motion(x, y)).await;
    send(viewer, key(LEFT_ALT, ButtonState::Pressed)).await;
    send(viewer, left_button(ButtonState::Pressed)).await;
    for step in 1..=10 {
        send(viewer, motion(x, y + dy * f64::from(step) / 10.0)).await;
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    send(viewer, left_button(ButtonState::Released)).await;
    send(viewer, key(LEFT_ALT, ButtonState::Released)).await;
}

/// Applies the frames that come for `time`.
pub async fn watch(viewer: &mut Viewer, time: std::time::Duration) {
    let until = std::time::Instant::now() + time;
    while std::time::Instant::now() < until {
        let step = std::time::Duration::from_millis(200);
        let _ = tokio::time::timeout(step, viewer.next_update()).await;
    }
}
