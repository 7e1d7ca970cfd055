//! Typing through a viewer: keys as evdev codes, each pressed and released (the key events are
//! the viewer's own, `wayray_client::keys`).

use wayray_client::keys::{Stroke, stroke_events};
use wayray_client::{Viewer, ViewerError};

/// evdev codes of "echo hello" and Enter.
pub const ECHO_HELLO: [u32; 11] = [18, 46, 35, 24, 57, 35, 18, 38, 38, 24, 28];

/// Presses and releases each key of `codes`, in order, on the viewer's input stream.
pub async fn type_codes(viewer: &mut Viewer, codes: &[u32]) -> Result<(), ViewerError> {
    for &code in codes {
        for event in stroke_events(Stroke { code, shift: false }) {
            viewer.send_input(&event).await?;
        }
    }
    Ok(())
}
