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

/// Types ten 'a's, then ten backspaces, and again, one key per `period` until `until`, timing
/// each key to the next frame (2 s counts as lost); returns the latencies in ms. The line never
/// grows past ten characters, so every key changes pixels however long it runs.
pub async fn typist(
    mut viewer: Viewer,
    until: std::time::Instant,
    period: std::time::Duration,
) -> Vec<f64> {
    use std::time::{Duration, Instant};
    let mut samples = Vec::new();
    let mut i = 0u32;
    while Instant::now() < until {
        let code = if i % 20 < 10 { 30 } else { 14 };
        i += 1;
        let t = Instant::now();
        type_codes(&mut viewer, &[code]).await.expect("input");
        match tokio::time::timeout(Duration::from_secs(2), viewer.next_update()).await {
            Ok(Ok(_)) => samples.push(t.elapsed().as_secs_f64() * 1000.0),
            _ => samples.push(2000.0),
        }
        tokio::time::sleep(period.saturating_sub(t.elapsed())).await;
    }
    viewer.disconnect().await;
    samples
}
