//! Typing through a viewer: keys as evdev codes, each pressed and released.

use wayray_client::{Viewer, ViewerError};
use wayray_protocol::InputMessage;
use wayray_protocol::messages::input::{ButtonState, Key};

/// evdev codes of "echo hello" and Enter.
pub const ECHO_HELLO: [u32; 11] = [18, 46, 35, 24, 57, 35, 18, 38, 38, 24, 28];

/// Presses and releases each key of `codes`, in order, on the viewer's input stream.
pub async fn type_codes(viewer: &mut Viewer, codes: &[u32]) -> Result<(), ViewerError> {
    for &code in codes {
        for state in [ButtonState::Pressed, ButtonState::Released] {
            viewer
                .send_input(&InputMessage::Key(Key {
                    code,
                    state,
                    time_ms: 0,
                }))
                .await?;
        }
    }
    Ok(())
}
