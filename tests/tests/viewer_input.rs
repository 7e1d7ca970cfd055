//! Through the viewer core over real QUIC: a cursor image drawn by a real application reaches
//! the viewer with its hotspot, and touch points reach a real touch application.

use std::time::{Duration, Instant};

use wayray_client::Viewer;
use wayray_protocol::InputMessage;
use wayray_protocol::messages::display::DisplayMessage;
use wayray_protocol::messages::input::{PointerMotion, TouchPoint, TouchUp};
use wayray_tests::fixture::Fixture;
use wayray_tests::programs::require;
use wayray_tests::remote::{connect_settled, serve};

async fn settled_viewer(fixture: &Fixture, served: &wayray_tests::remote::Served) -> Viewer {
    connect_settled(served, fixture, "tok", Duration::from_secs(10)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cursor_image_drawn_by_an_application_reaches_the_viewer() {
    // weston-terminal draws its cursors itself (wl_cursor images on a cursor surface).
    let Some(program) = require("weston-terminal") else {
        return;
    };
    let mut fixture = Fixture::new("cursor-image", 1280, 720);
    let served = serve(&fixture, "tok", &fixture.dir.path().join("state"), 2);
    fixture.spawn(fixture.command(&program));
    fixture.wait_for(Duration::from_secs(20), |s| s.windows == 1);
    let mut viewer = settled_viewer(&fixture, &served).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut x = 600.0;
    loop {
        // Point into the (centred) window; move a little each time so the client sees motion.
        x += 1.0;
        viewer
            .send_input(&InputMessage::PointerMotion(PointerMotion {
                x,
                y: 360.0,
                time_ms: 1,
            }))
            .await
            .unwrap();
        let _ = tokio::time::timeout(Duration::from_millis(300), viewer.next_update()).await;
        if let Some(DisplayMessage::CursorImage(image)) = &viewer.cursor {
            image.validate().expect("a valid cursor image");
            assert!(
                image.pixels.chunks_exact(4).any(|p| p[3] > 0),
                "the cursor image is fully transparent"
            );
            assert!(
                image.width >= 8 && image.height >= 8,
                "{}x{}",
                image.width,
                image.height
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no cursor image; the viewer's cursor is {:?}",
            viewer.cursor.as_ref().map(|c| match c {
                DisplayMessage::CursorShape(shape) => format!("{shape:?}"),
                _ => "other".into(),
            })
        );
    }
    viewer.disconnect().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn touch_from_the_viewer_reaches_a_touch_application() {
    let Some(program) = require("weston-simple-touch") else {
        return;
    };
    let mut fixture = Fixture::new("touch", 1280, 720);
    let served = serve(&fixture, "tok", &fixture.dir.path().join("state"), 2);
    fixture.spawn(fixture.command(&program));
    fixture.wait_for(Duration::from_secs(20), |s| s.windows == 1);
    let mut viewer = settled_viewer(&fixture, &served).await;
    let before = fixture.session.screenshot().unwrap();
    // weston-simple-touch paints a mark where a point goes down and as it moves.
    let (x, y) = (640.0, 360.0);
    let point = |x, y| TouchPoint {
        id: 1,
        x,
        y,
        time_ms: 1,
    };
    for message in [
        InputMessage::TouchDown(point(x, y)),
        InputMessage::TouchFrame,
        InputMessage::TouchMotion(point(x + 20.0, y + 10.0)),
        InputMessage::TouchFrame,
        InputMessage::TouchUp(TouchUp { id: 1, time_ms: 2 }),
        InputMessage::TouchFrame,
    ] {
        viewer.send_input(&message).await.unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        viewer
            .settle(Duration::from_millis(300), deadline)
            .await
            .unwrap();
        let after = fixture.session.screenshot().unwrap();
        // Changed pixels near the touched point, in the server's output and in the viewer's.
        let near = |i: usize| {
            let (px, py) = (
                (i as u32 % after.width) as f64,
                (i as u32 / after.width) as f64,
            );
            (px - x).abs() < 40.0 && (py - y).abs() < 40.0
        };
        let changed = after
            .bgra
            .chunks_exact(4)
            .zip(before.bgra.chunks_exact(4))
            .enumerate()
            .filter(|(i, (a, b))| a != b && near(*i))
            .count();
        let same = viewer.framebuffer.pixels() == after.bgra.as_slice();
        if changed > 0 && same {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "touch left no mark near the point ({changed} pixels changed, viewer equal: {same})"
        );
    }
    viewer.disconnect().await;
}
