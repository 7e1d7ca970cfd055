//! The windowed viewer (winit + wgpu on lavapipe) under Xvfb: an X screenshot of its window
//! equals the server's frame, and the session output follows the window's size.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use wayray_tests::fixture::Fixture;
use wayray_tests::programs::{KillOnDrop, require};
use wayray_tests::remote::serve;
use wayray_tests::xvfb::{Xvfb, workspace_binary};

#[test]
fn window_shows_the_servers_frame_exactly() {
    let (Some(foot), Some(client), Some(xvfb)) = (
        require("foot"),
        workspace_binary("wayray-client"),
        Xvfb::start(2),
    ) else {
        return;
    };
    let mut fixture = Fixture::new("viewer-window", 640, 480);
    let served = serve(
        &fixture,
        "window-token",
        &fixture.dir.path().join("state"),
        2,
    );
    fixture.spawn_foot(
        &foot,
        "[cursor]\nblink=no\n",
        &["sh", "-c", "echo window test; exec sleep 60"],
    );
    fixture.wait_for(Duration::from_secs(20), |s| s.windows == 1);
    let token = fixture.dir.path().join("token");
    std::fs::write(&token, "window-token").unwrap();
    let _viewer = KillOnDrop(
        Command::new(client)
            .arg("connect")
            .arg(served.addr.to_string())
            .arg("--token-file")
            .arg(&token)
            .args(["--accept-new", "--known-servers"])
            .arg(fixture.dir.path().join("known"))
            .env("DISPLAY", &xvfb.display)
            .env_remove("WAYLAND_DISPLAY")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(40);
    let mut differing = usize::MAX;
    while Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(500));
        // The viewer asks for its window's size, so compare at the server's current size.
        let server = fixture.session.screenshot().unwrap();
        let Some(window) = xvfb.screenshot(fixture.dir.path(), server.width, server.height) else {
            continue;
        };
        differing = window
            .iter()
            .zip(server.bgra.chunks_exact(4))
            .filter(|(x, s)| **x != [s[2], s[1], s[0]])
            .count();
        if differing == 0 {
            // The window opened at the size of the first frame and the session kept it.
            assert_eq!((server.width, server.height), (640, 480));
            return;
        }
    }
    panic!("the viewer window never matched the server frame ({differing} pixels differ)");
}
