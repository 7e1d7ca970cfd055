//! Nested mode under Xvfb (Mesa llvmpipe): an X screenshot of the nested window contains the
//! client's pixels where the window manager put them.

use std::process::{Command, Stdio};
use std::time::Duration;

use wayray_tests::pixels::background;
use wayray_tests::programs::{KillOnDrop, require, workspace_binary};
use wayray_tests::runtime_dir::RuntimeDir;
use wayray_tests::xvfb::Xvfb;

#[test]
fn nested_window_shows_the_client() {
    let (Some(shm), Some(server), Some(xvfb)) = (
        require("weston-simple-shm"),
        workspace_binary("wayray-server"),
        Xvfb::start(),
    ) else {
        return;
    };
    let dir = RuntimeDir::new("nested").unwrap();
    let _server = KillOnDrop(
        Command::new(server)
            .args(["nested", "--size", "640x480", "--"])
            .arg(shm)
            .env("DISPLAY", &xvfb.display)
            .env("XDG_RUNTIME_DIR", dir.path())
            .env_remove("WAYLAND_DISPLAY")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let [b, g, r, _] = background();
    let is_bg = |p: [u8; 3]| p == [r, g, b];
    let shown =
        wayray_tests::wait::poll_every(Duration::from_secs(30), Duration::from_millis(300), || {
            let Some(pixels) = xvfb.screenshot(dir.path(), 640, 480) else {
                return Err(String::from("no screenshot"));
            };
            let at = |x: u32, y: u32| pixels[(y * 640 + x) as usize];
            // The nested window sits at the X screen's origin; simple-shm's 250x250 window is
            // centred in its 640x480 output: (195, 115) to (445, 365).
            let outside_ok = is_bg(at(5, 5)) && is_bg(at(190, 240)) && is_bg(at(450, 240));
            let inside_ok = !is_bg(at(320, 240)) && !is_bg(at(200, 120)) && !is_bg(at(440, 360));
            if outside_ok && inside_ok {
                return Ok(());
            }
            Err(format!(
                "(5,5)={:?} (190,240)={:?} (320,240)={:?}",
                at(5, 5),
                at(190, 240),
                at(320, 240)
            ))
        });
    let Err(last) = shown else {
        return;
    };
    panic!("the nested window never showed the client: {last}");
}
