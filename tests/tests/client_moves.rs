//! Moves and resizes that an application asks for from its own title bar and borders
//! (client-side decorations), driven by a viewer's pointer over real QUIC: a GTK 4 window
//! (Wayland, and X11 through Xwayland) dragged by its header bar follows the pointer, and the
//! viewer shows exactly the session's screen afterwards.

use std::time::{Duration, Instant};

use wayray_protocol::messages::input::ButtonState;
use wayray_tests::fixture::Fixture;
use wayray_tests::pixels::window_box;
use wayray_tests::pointer::{left_button, motion, send};
use wayray_tests::programs::require;
use wayray_tests::remote::{connect_settled, serve};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gtk_window_dragged_by_its_header_bar_from_the_viewer_moves() {
    drag_gtk_header_bar(false).await;
}

/// The same through X11 (`_NET_WM_MOVERESIZE` from GTK's X11 backend, via Xwayland).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_x11_gtk_window_dragged_by_its_header_bar_from_the_viewer_moves() {
    if require("Xwayland").is_none() {
        return;
    }
    drag_gtk_header_bar(true).await;
}

async fn drag_gtk_header_bar(x11: bool) {
    let Some(program) = require("gtk4-demo") else {
        return;
    };
    let mut fixture = if x11 {
        Fixture::with_x11("csd-move-x11", 1280, 720)
    } else {
        Fixture::new("csd-move", 1280, 720)
    };
    let served = serve(&fixture, "tok", &fixture.dir.path().join("state"), 2);
    let mut command = if x11 {
        fixture.x11_command(&program)
    } else {
        fixture.command(&program)
    };
    command.env("GDK_BACKEND", if x11 { "x11" } else { "wayland" });
    fixture.spawn(command);
    let (shown, _) = fixture.wait_for(Duration::from_secs(30), |s| {
        let (left, _, right, _) = window_box(s);
        s.windows == 1 && left < right
    });
    assert!(shown, "gtk4-demo never showed a window");
    let mut viewer = connect_settled(&served, &fixture, "tok", Duration::from_secs(30)).await;
    let before = window_box(&fixture.session.screenshot().expect("screenshot"));
    assert!(before.0 < before.2, "no window on screen");
    // Into the header bar, a little below the window's top edge, away from its buttons.
    let (x, y) = (
        f64::from(before.0 + before.2) / 2.0,
        f64::from(before.1) + 12.0,
    );
    let (dx, dy) = (120.0, 60.0);
    send(&mut viewer, motion(x, y)).await;
    send(&mut viewer, left_button(ButtonState::Pressed)).await;
    for step in 1..=12 {
        let t = f64::from(step) / 12.0;
        tokio::time::sleep(Duration::from_millis(30)).await;
        send(&mut viewer, motion(x + dx * t, y + dy * t)).await;
    }
    send(&mut viewer, left_button(ButtonState::Released)).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    let moved = (before.0 + 120, before.1 + 60, before.2 + 120, before.3 + 60);
    loop {
        viewer
            .settle(Duration::from_millis(400), deadline)
            .await
            .expect("the viewer settles");
        let shot = fixture.session.screenshot().expect("screenshot");
        let after = window_box(&shot);
        if after == moved && viewer.framebuffer.pixels() == shot.bgra.as_slice() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the window at {before:?} is at {after:?} after a drag by ({dx}, {dy}), \
             or the viewer does not show it"
        );
    }
    viewer.disconnect().await;
}
