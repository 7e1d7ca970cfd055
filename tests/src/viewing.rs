//! Helpers for tests that attach viewers to a daemon: attach and wait for the first frame,
//! type into the session, compare screens, read why a connection ended.

use std::time::{Duration, Instant};

use wayray_client::{ConnectError, Viewer, ViewerError};
use wayray_protocol::messages::control::DisconnectReason;

use crate::daemon::Daemon;
use crate::keys::{ECHO_HELLO, type_codes};

pub fn white(viewer: &Viewer) -> usize {
    viewer
        .framebuffer
        .pixels()
        .chunks_exact(4)
        .filter(|p| p[0] > 200 && p[1] > 200 && p[2] > 200)
        .count()
}

pub async fn settle(viewer: &mut Viewer) {
    let deadline = Instant::now() + Duration::from_secs(30);
    viewer
        .settle(Duration::from_millis(700), deadline)
        .await
        .expect("viewer settles");
}

/// Connects and waits until foot is on screen and quiet.
pub async fn attach(daemon: &Daemon, token: &str) -> Viewer {
    let mut viewer = match Viewer::connect(&daemon.viewer_options(token)).await {
        Ok(viewer) => viewer,
        Err(err) => panic!("viewer attaches: {err:?}\n{}", daemon.logs()),
    };
    // foot paints its window some time after the session starts.
    let deadline = Instant::now() + Duration::from_secs(30);
    while white(&viewer) == 0 {
        assert!(Instant::now() < deadline, "foot never appeared");
        tokio::time::timeout(Duration::from_millis(500), viewer.next_update())
            .await
            .ok();
    }
    settle(&mut viewer).await;
    viewer
}

/// Types `echo hello` and waits until the text is on the viewer's screen.
pub async fn type_hello(viewer: &mut Viewer) {
    let before = white(viewer);
    type_codes(viewer, &ECHO_HELLO).await.expect("input sent");
    let deadline = Instant::now() + Duration::from_secs(30);
    while white(viewer) < before + 100 {
        assert!(Instant::now() < deadline, "the typed text never appeared");
        tokio::time::timeout(Duration::from_millis(500), viewer.next_update())
            .await
            .ok();
    }
    settle(viewer).await;
}

/// The viewer's connection ends; returns why.
pub async fn closed_reason(viewer: &mut Viewer) -> Option<DisconnectReason> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match tokio::time::timeout(Duration::from_millis(500), viewer.next_update()).await {
            Ok(Err(ViewerError::Disconnected { reason, .. })) => return reason,
            Ok(Err(other)) => panic!("unexpected error: {other}"),
            _ => assert!(Instant::now() < deadline, "the viewer was not disconnected"),
        }
    }
}

/// Waits for the viewer's first frame (a full frame of the session).
pub async fn first_frame(viewer: &mut Viewer) {
    while viewer.frames == 0 {
        viewer.next_update().await.expect("first frame");
    }
}

/// Whether two viewers show the same pixels (not printed: they are large).
pub fn same_screen(a: &Viewer, b: &Viewer) -> bool {
    a.framebuffer.width() == b.framebuffer.width()
        && a.framebuffer.pixels() == b.framebuffer.pixels()
}

pub fn refusal(err: ConnectError) -> DisconnectReason {
    match err {
        ConnectError::Refused { reason, .. } => reason,
        other => panic!("expected a refusal, got {other}"),
    }
}

/// Types `text` (US layout), one character at a time, waiting up to `echo` for the frame
/// that shows each before the next.
pub async fn type_text(viewer: &mut Viewer, text: &str, echo: Duration) {
    for stroke in wayray_client::keys::us_strokes(text).expect("typable text") {
        for event in wayray_client::keys::stroke_events(stroke) {
            viewer.send_input(&event).await.expect("input sent");
        }
        let _ = tokio::time::timeout(echo, viewer.next_update()).await;
    }
}

/// Waits (20 s at most) until the viewer is quiet and its pixels equal the session's.
pub async fn exact(fixture: &crate::fixture::Fixture, viewer: &mut Viewer) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        viewer
            .settle(Duration::from_millis(500), deadline)
            .await
            .expect("viewer settles");
        let differ = fixture.pixels_differing(&viewer.framebuffer);
        if differ == 0 {
            return;
        }
        assert!(Instant::now() < deadline, "{differ} pixels differ");
    }
}
