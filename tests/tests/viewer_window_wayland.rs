//! The windowed viewer (winit + wgpu on lavapipe) on a Wayland desk — the desk being a WayRay
//! session itself: the window shows the served session's frame exactly, and with the keyboard
//! grab the desk's own shortcuts go through the viewer to the served session.

use std::process::Stdio;
use std::time::{Duration, Instant};
use wayray_tests::wait::wait_until;

use wayray_protocol::InputMessage;
use wayray_protocol::messages::input::{ButtonState, Key};
use wayray_server::session::{Screenshot, SessionCommand};
use wayray_tests::fixture::Fixture;
use wayray_tests::programs::{KillOnDrop, require, workspace_binary};
use wayray_tests::remote::{Served, serve};

const KEY_LEFTALT: u32 = 56;
const KEY_F4: u32 = 62;

/// A served session with foot, a desk session, and the viewer window on the desk.
struct Desk {
    served: Fixture,
    _server: Served,
    desk: Fixture,
    viewer: KillOnDrop,
}

fn desk(label: &str, extra: &[&str]) -> Option<Desk> {
    let (Some(foot), Some(client)) = (require("foot"), workspace_binary("wayray-client")) else {
        return None;
    };
    let mut served = Fixture::new(&format!("{label}-served"), 640, 480);
    let server = serve(&served, "desk-token", &served.dir.path().join("state"), 2);
    served.spawn_foot(
        &foot,
        "[cursor]\nblink=no\n",
        &["sh", "-c", "echo on a wayland desk; exec sleep 60"],
    );
    served.wait_for(Duration::from_secs(20), |s| s.windows == 1);
    let desk = Fixture::new(&format!("{label}-desk"), 1024, 768);
    let token = desk.dir.path().join("token");
    std::fs::write(&token, "desk-token").unwrap();
    let mut command = desk.command(&client);
    command
        .arg("connect")
        .arg(server.addr.to_string())
        .arg("--token-file")
        .arg(&token)
        .args(["--accept-new", "--known-servers"])
        .arg(desk.dir.path().join("known"))
        .args(extra)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(desk.dir.path().join("viewer.log")).unwrap());
    let viewer = KillOnDrop(command.spawn().unwrap());
    Some(Desk {
        served,
        _server: server,
        desk,
        viewer,
    })
}

impl Desk {
    fn log(&self) -> String {
        std::fs::read_to_string(self.desk.dir.path().join("viewer.log")).unwrap_or_default()
    }

    /// Waits until the served session's frame appears, pixel for pixel, somewhere on the desk
    /// (inside the viewer's window, below its title bar).
    fn wait_for_the_served_frame(&self) {
        let shown = wayray_tests::wait::poll_every(
            Duration::from_secs(40),
            Duration::from_millis(300),
            || {
                let served = self.served.session.screenshot().unwrap();
                let desk = self.desk.session.screenshot().unwrap();
                if contains(&desk, &served) {
                    Ok(())
                } else {
                    Err(())
                }
            },
        );
        if shown.is_ok() {
            return;
        }
        panic!(
            "the desk never showed the served session's frame; viewer log: {}",
            self.log()
        );
    }

    fn press_on_the_desk(&self, codes: &[u32]) {
        let key = |code, state| {
            SessionCommand::Input(InputMessage::Key(Key {
                code,
                state,
                time_ms: 0,
            }))
        };
        for &code in codes {
            self.desk.session.send(key(code, ButtonState::Pressed));
        }
        for &code in codes.iter().rev() {
            self.desk.session.send(key(code, ButtonState::Released));
        }
    }
}

/// `w` BGRA pixels of row `y` from column `x`.
fn row(shot: &Screenshot, x: usize, y: usize, w: usize) -> &[u8] {
    let start = (y * shot.width as usize + x) * 4;
    &shot.bgra[start..start + w * 4]
}

/// Whether `inner` appears exactly at some position of `outer`.
fn contains(outer: &Screenshot, inner: &Screenshot) -> bool {
    let (ow, iw, ih) = (
        outer.width as usize,
        inner.width as usize,
        inner.height as usize,
    );
    if iw == 0 || iw > ow || ih > outer.height as usize {
        return false;
    }
    (0..=outer.height as usize - ih).any(|y| {
        (0..=ow - iw).any(|x| (0..ih).all(|dy| row(outer, x, y + dy, iw) == row(inner, 0, dy, iw)))
    })
}

#[test]
fn the_window_on_a_wayland_desk_shows_the_servers_frame_exactly() {
    let Some(desk) = desk("wl-window", &[]) else {
        return;
    };
    desk.wait_for_the_served_frame();
}

#[test]
fn without_the_grab_the_desks_shortcuts_stay_with_the_desk() {
    let Some(mut desk) = desk("wl-nograb", &[]) else {
        return;
    };
    desk.wait_for_the_served_frame();
    // Alt+F4 is the desk's "close the focused window": the viewer's window is closed.
    desk.press_on_the_desk(&[KEY_LEFTALT, KEY_F4]);
    let deadline = Instant::now() + Duration::from_secs(20);
    while desk.viewer.0.try_wait().unwrap().is_none() {
        assert!(
            Instant::now() < deadline,
            "the desk did not close the viewer's window"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(desk.served.session.screenshot().unwrap().windows, 1);
}

#[test]
fn with_the_grab_the_desks_shortcuts_go_to_the_session() {
    let Some(mut desk) = desk("wl-grab", &["--grab-keyboard"]) else {
        return;
    };
    desk.wait_for_the_served_frame();
    // The same Alt+F4 now reaches the served session, whose window manager closes foot.
    desk.press_on_the_desk(&[KEY_LEFTALT, KEY_F4]);
    let (closed, _) = desk
        .served
        .wait_for(Duration::from_secs(20), |s| s.windows == 0);
    assert!(
        closed,
        "foot in the served session was not closed; viewer log: {}",
        desk.log()
    );
    assert!(
        desk.viewer.0.try_wait().unwrap().is_none(),
        "the viewer's window was closed by the desk"
    );
    assert_eq!(desk.desk.session.screenshot().unwrap().windows, 1);
}

#[test]
fn a_viewer_whose_desk_goes_away_says_so_and_fails() {
    let Some(mut desk) = desk("wl-gone", &[]) else {
        return;
    };
    desk.wait_for_the_served_frame();
    desk.desk.session.send(SessionCommand::Stop);
    let status = wait_until(
        "the viewer to end with its desk",
        Duration::from_secs(20),
        || desk.viewer.0.try_wait().unwrap(),
    );
    assert!(!status.success());
    let log = desk.log();
    assert!(log.contains("lost the desk's display"), "{log}");
    assert!(log.contains("connect again"), "{log}");
    // The served session is untouched.
    assert_eq!(desk.served.session.screenshot().unwrap().windows, 1);
}

#[test]
fn the_desks_keyboard_layout_is_read_from_its_compositor() {
    use wayray_protocol::messages::input::KeymapLayout;
    let desk = Fixture::new("wl-layout", 320, 240);
    let socket = desk.dir.path().join(desk.session.socket_name());
    let read = || wayray_client::desk::wayland_keymap(&socket).map(|l| (l.layout, l.variant));
    assert_eq!(read(), Some(("us".into(), String::new())));
    // What a German desk's compositor would hand its clients.
    desk.session
        .send(SessionCommand::Input(InputMessage::Keymap(KeymapLayout {
            layout: "de,us".into(),
            variant: "nodeadkeys,".into(),
            ..KeymapLayout::default()
        })));
    let wanted = Some(("de,us".into(), "nodeadkeys,".into()));
    let read_as = wayray_tests::wait::poll_until(Duration::from_secs(10), || {
        let layout = read();
        if layout == wanted {
            Ok(())
        } else {
            Err(layout)
        }
    });
    assert_eq!(read_as, Ok(()), "the desk's layout was read wrong");
}
