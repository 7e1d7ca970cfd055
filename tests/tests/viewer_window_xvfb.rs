//! The windowed viewer (winit + wgpu on lavapipe) under Xvfb: an X screenshot of its window
//! equals the server's frame, the stats overlay covers only its corner, and the keyboard grab
//! holds the X keyboard.

use std::process::{Command, Stdio};
use std::time::Duration;
use wayray_tests::wait::{poll_every, wait_until};

use wayray_tests::fixture::Fixture;
use wayray_tests::programs::{KillOnDrop, require, workspace_binary};
use wayray_tests::remote::serve;
use wayray_tests::xvfb::Xvfb;

/// A session with foot, served over QUIC, and the windowed viewer (with `extra` arguments)
/// showing it on an Xvfb screen.
struct Scene {
    fixture: Fixture,
    xvfb: Xvfb,
    _served: wayray_tests::remote::Served,
    _viewer: KillOnDrop,
}

fn scene(label: &str, extra: &[&str]) -> Option<Scene> {
    let (Some(foot), Some(client), Some(xvfb)) = (
        require("foot"),
        workspace_binary("wayray-client"),
        Xvfb::start(),
    ) else {
        return None;
    };
    let mut fixture = Fixture::new(label, 640, 480);
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
    let viewer = KillOnDrop(
        Command::new(client)
            .arg("connect")
            .arg(served.addr.to_string())
            .arg("--token-file")
            .arg(&token)
            .args(["--accept-new", "--known-servers"])
            .arg(fixture.dir.path().join("known"))
            .args(extra)
            .env("DISPLAY", &xvfb.display)
            .env_remove("WAYLAND_DISPLAY")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(fixture.dir.path().join("viewer.log")).unwrap())
            .spawn()
            .unwrap(),
    );
    Some(Scene {
        fixture,
        xvfb,
        _served: served,
        _viewer: viewer,
    })
}

impl Scene {
    /// Waits until the window's pixels, compared with the server's frame, satisfy `done`
    /// (called with the window's RGB pixels, the server's BGRA frame and its size).
    fn wait_until(&self, what: &str, done: impl Fn(&[[u8; 3]], &[u8], u32) -> bool) {
        let shown = poll_every(Duration::from_secs(40), Duration::from_millis(500), || {
            // The viewer asks for its window's size, so compare at the server's current size.
            let server = self.fixture.session.screenshot().unwrap();
            let window = self
                .xvfb
                .screenshot(self.fixture.dir.path(), server.width, server.height)
                .ok_or(())?;
            if done(&window, &server.bgra, server.width) {
                Ok(server)
            } else {
                Err(())
            }
        });
        if let Ok(server) = shown {
            // The window opened at the size of the first frame and the session kept it.
            assert_eq!((server.width, server.height), (640, 480));
            return;
        }
        let log = std::fs::read_to_string(self.fixture.dir.path().join("viewer.log"));
        panic!("the viewer window never showed {what}; viewer log: {log:?}");
    }
}

fn same(x: &[u8; 3], s: &[u8]) -> bool {
    *x == [s[2], s[1], s[0]]
}

/// The window shows exactly the server's frame.
fn exact(window: &[[u8; 3]], server: &[u8], _width: u32) -> bool {
    window
        .iter()
        .zip(server.chunks_exact(4))
        .all(|(x, s)| same(x, s))
}

#[test]
fn window_shows_the_servers_frame_exactly() {
    let Some(scene) = scene("viewer-window", &[]) else {
        return;
    };
    scene.wait_until("the server's frame", exact);
    assert!(
        !scene.xvfb.keyboard_is_grabbed(),
        "the keyboard is grabbed though nobody asked for it"
    );
}

#[test]
fn the_keyboard_grab_holds_the_keyboard_for_the_window() {
    let Some(scene) = scene("viewer-grab", &["--grab-keyboard"]) else {
        return;
    };
    scene.wait_until("the server's frame", exact);
    wait_until(
        "the viewer to grab the keyboard",
        Duration::from_secs(10),
        || scene.xvfb.keyboard_is_grabbed().then_some(()),
    );
}

#[test]
fn the_stats_overlay_covers_only_the_top_of_the_window() {
    let Some(scene) = scene("viewer-stats", &["--stats"]) else {
        return;
    };
    // The overlay is drawn over the corner; everything else is the session, exactly.
    let corner = |i: usize, width: u32| i as u32 / width < 80;
    scene.wait_until(
        "the overlay over the server's frame",
        |window, server, width| {
            let mut overlay = 0;
            for (i, (x, s)) in window.iter().zip(server.chunks_exact(4)).enumerate() {
                if corner(i, width) {
                    overlay += usize::from(!same(x, s));
                } else if !same(x, s) {
                    return false;
                }
            }
            overlay > 1000
        },
    );
}

#[test]
fn the_desks_keyboard_layout_is_read_from_its_x_server() {
    use x11rb::connection::Connection;
    use x11rb::protocol::xproto::{AtomEnum, ConnectionExt, PropMode};
    use x11rb::wrapper::ConnectionExt as _;
    let Some(xvfb) = Xvfb::start() else {
        return;
    };
    // What setxkbmap (or a desktop's keyboard settings) would publish for a German desk.
    let (conn, screen) = x11rb::connect(Some(&xvfb.display)).unwrap();
    let root = conn.setup().roots[screen].root;
    let atom = conn
        .intern_atom(false, b"_XKB_RULES_NAMES")
        .unwrap()
        .reply()
        .unwrap()
        .atom;
    conn.change_property8(
        PropMode::REPLACE,
        root,
        atom,
        AtomEnum::STRING,
        b"evdev\0pc105\0de\0nodeadkeys\0\0",
    )
    .unwrap();
    conn.sync().unwrap();
    let layout = wayray_client::desk::x11_keymap(&xvfb.display).expect("a layout");
    assert_eq!(
        (layout.layout.as_str(), layout.variant.as_str()),
        ("de", "nodeadkeys")
    );
}
