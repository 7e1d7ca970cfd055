//! X11 applications through the session's Xwayland, driven from a viewer over real QUIC:
//! xterm shows, takes typed keys and the pointer, its override-redirect menu opens where the
//! pointer is, X11 and Wayland clients share the clipboard, and the X server is the session
//! user's alone.

use std::process::Stdio;
use std::time::{Duration, Instant};

use wayray_client::Viewer;
use wayray_protocol::messages::input::ButtonState;
use wayray_server::session::Screenshot;
use wayray_tests::fixture::{Fixture, run_with_timeout};
use wayray_tests::keys::type_codes;
use wayray_tests::pixels::{bbox, bbox_at, rgb, same_rgb};
use wayray_tests::pointer::{key, left_button, motion, send};
use wayray_tests::programs::require;
use wayray_tests::remote::{Served, connect_settled, serve};

const KEY_LEFTCTRL: u32 = 29;
/// xterm's background in these tests: its window is where this colour is.
const XTERM_BG: u32 = 0x20_40_60;
const WAIT: Duration = Duration::from_secs(30);

fn xterm_box(shot: &Screenshot) -> Option<(u32, u32, u32, u32)> {
    bbox(shot, |p| same_rgb(p, rgb(XTERM_BG)))
}

/// A session with Xwayland, an xterm running `script` in it, and a viewer attached.
async fn xterm_session(label: &str, script: &str) -> Option<(Fixture, Served, Viewer)> {
    require("Xwayland")?;
    let xterm = require("xterm")?;
    let mut fixture = Fixture::with_x11(label, 800, 600);
    let mut command = fixture.x11_command(&xterm);
    command.args([
        "-geometry",
        "40x8+0+0",
        "-bg",
        &format!("#{XTERM_BG:06x}"),
        "-fg",
        "white",
        "-e",
        "sh",
        "-c",
        script,
    ]);
    fixture.spawn(command);
    let (shown, _) = fixture.wait_for(WAIT, |s| xterm_box(s).is_some_and(|b| b.2 > 100));
    assert!(shown, "xterm never showed a window");
    let served = serve(&fixture, "tok", &fixture.dir.path().join("state"), 2);
    let viewer = connect_settled(&served, &fixture, "tok", WAIT).await;
    Some((fixture, served, viewer))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn xterm_takes_keys_and_the_pointer_from_a_viewer_and_shows_there() {
    let Some(xdotool) = require("xdotool") else {
        return;
    };
    let out = std::env::temp_dir().join(format!("wayray-x11-typed-{}", std::process::id()));
    let _ = std::fs::remove_file(&out);
    let script = format!("read line; echo \"$line\" > {}; sleep 600", out.display());
    let Some((fixture, _served, mut viewer)) = xterm_session("x11-keys", &script).await else {
        return;
    };
    // "x11ok" and Enter, typed at the desk.
    type_codes(&mut viewer, &[45, 2, 2, 24, 37, 28])
        .await
        .expect("keys sent");
    let typed = wayray_tests::wait::file_holding(&out, "x11ok", WAIT);
    let _ = std::fs::remove_file(&out);
    assert_eq!(typed.trim(), "x11ok", "xterm did not get the typed line");

    // The pointer over the window reaches the X server at the same place: X root coordinates
    // are the output's.
    let shot = fixture.session.screenshot().expect("screenshot");
    let (x, y, w, h) = xterm_box(&shot).expect("xterm on screen");
    let (px, py) = (x + w / 2, y + h / 2);
    send(&mut viewer, motion(f64::from(px), f64::from(py))).await;
    let deadline = Instant::now() + WAIT;
    let location = loop {
        let mut query = fixture.x11_command(&xdotool);
        query.args(["getmouselocation", "--shell"]);
        let output = String::from_utf8_lossy(&run_with_timeout(query, WAIT).stdout).into_owned();
        let value = |name: &str| {
            output
                .lines()
                .find_map(|l| l.strip_prefix(name)?.parse::<u32>().ok())
        };
        let location = (value("X="), value("Y="));
        if location == (Some(px), Some(py)) || Instant::now() > deadline {
            break location;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(location, (Some(px), Some(py)), "X11 pointer position");

    // The desk shows exactly what the session shows.
    let deadline = Instant::now() + WAIT;
    loop {
        viewer
            .settle(Duration::from_millis(400), deadline)
            .await
            .expect("the viewer settles");
        let shot = fixture.session.screenshot().expect("screenshot");
        if viewer.framebuffer.pixels() == shot.bgra.as_slice() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the viewer differs from the session"
        );
    }
    viewer.disconnect().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_override_redirect_menu_opens_where_the_pointer_is() {
    let Some((fixture, _served, mut viewer)) = xterm_session("x11-menu", "sleep 600").await else {
        return;
    };
    let before = fixture.session.screenshot().expect("screenshot");
    assert_eq!(before.windows, 1);
    let (x, y, w, h) = xterm_box(&before).expect("xterm on screen");
    let (px, py) = (x + w / 2, y + h / 2);
    // Ctrl + left button: xterm's main menu, an override-redirect window, under the pointer.
    send(&mut viewer, motion(f64::from(px), f64::from(py))).await;
    send(&mut viewer, key(KEY_LEFTCTRL, ButtonState::Pressed)).await;
    send(&mut viewer, left_button(ButtonState::Pressed)).await;
    // The pixels that changed: the menu, around the pointer.
    let changed = |s: &Screenshot| bbox_at(s, |x, y, p| p != before.pixel(x, y));
    // Two windows, and the menu drawn (its surface is known once Xwayland has drawn it).
    let (opened, open) = fixture.wait_for(WAIT, |s| s.windows == 2 && changed(s).is_some());
    assert!(opened, "no menu window appeared");
    let (left, top, width, height) = changed(&open).expect("the menu changed pixels");
    let (right, bottom) = (left + width - 1, top + height - 1);
    assert!(
        left <= px && px <= right && top <= py + 30 && py <= bottom + 30,
        "the menu ({left},{top})-({right},{bottom}) is not at the pointer ({px},{py})"
    );
    send(&mut viewer, left_button(ButtonState::Released)).await;
    send(&mut viewer, key(KEY_LEFTCTRL, ButtonState::Released)).await;
    let (closed, _) = fixture.wait_for(WAIT, |s| s.windows == 1);
    assert!(closed, "the menu did not close");
    viewer.disconnect().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_x_server_is_the_users_alone() {
    if require("Xwayland").is_none() {
        return;
    }
    let fixture = Fixture::with_x11("x11-private", 320, 240);
    let display = fixture.session.x11_display().expect("Xwayland runs");
    let number = display.trim_start_matches(':');
    let socket = format!("/tmp/.X11-unix/X{number}");
    let meta = std::fs::metadata(&socket).expect("the X11 socket exists");
    use std::os::unix::fs::MetadataExt;
    assert_eq!(meta.mode() & 0o777, 0o700, "{socket} is not private");
    // SAFETY: geteuid(2) cannot fail.
    assert_eq!(meta.uid(), unsafe { libc::geteuid() });
    // No abstract socket anyone could reach regardless of file permissions.
    let unix = std::fs::read_to_string("/proc/net/unix").unwrap();
    assert!(
        !unix.contains(&format!("@{socket}")),
        "an abstract X11 socket is open"
    );
}

/// Runs `program args` (with `input` on stdin) until its output is `want`, for a while.
fn until_output(mut make: impl FnMut() -> std::process::Command, want: &str) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        let output = run_with_timeout(make(), Duration::from_secs(10));
        let text = String::from_utf8_lossy(&output.stdout).into_owned();
        if text == want || Instant::now() > deadline {
            return text;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x11_and_wayland_clients_share_the_clipboard_and_primary_selection() {
    let (Some(xclip), Some(wl_copy), Some(wl_paste)) =
        (require("xclip"), require("wl-copy"), require("wl-paste"))
    else {
        return;
    };
    let Some((mut fixture, _served, viewer)) = xterm_session("x11-clip", "sleep 600").await else {
        return;
    };
    viewer.disconnect().await;

    // Wayland → X11 (an X11 window has the focus when X11 clients read).
    let mut copy = fixture.command(&wl_copy);
    copy.args(["--foreground", "from wayland"]);
    fixture.spawn(copy);
    let pasted = until_output(
        || {
            let mut paste = fixture.x11_command(&xclip);
            paste.args(["-o", "-selection", "clipboard"]);
            paste
        },
        "from wayland",
    );
    assert_eq!(
        pasted, "from wayland",
        "X11 client reading the Wayland clipboard"
    );

    // X11 → Wayland, clipboard and primary selection.
    for (selection, text, wayland_args) in [
        ("clipboard", "from x11", &[][..]),
        ("primary", "primary from x11", &["--primary"][..]),
    ] {
        let mut copy = fixture.x11_command(&xclip);
        copy.args(["-i", "-selection", selection])
            .stdin(std::process::Stdio::piped());
        let copier = fixture.spawn(copy);
        std::io::Write::write_all(&mut copier.stdin.take().expect("stdin"), text.as_bytes())
            .expect("xclip reads the text");
        let pasted = until_output(
            || {
                let mut paste = fixture.command(&wl_paste);
                paste.arg("--no-newline").args(wayland_args);
                paste
            },
            text,
        );
        assert_eq!(pasted, text, "Wayland client reading the X11 {selection}");
    }
}

/// Process ids of the Xwayland serving `display`.
fn xwayland_pids(display: &str) -> Vec<u32> {
    let mut pids = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        let args: Vec<&[u8]> = cmdline.split(|&b| b == 0).collect();
        if args.first().is_some_and(|a| a.ends_with(b"Xwayland"))
            && args.get(1) == Some(&display.as_bytes())
        {
            pids.push(pid);
        }
    }
    pids
}

#[test]
fn a_killed_xwayland_is_started_again_on_the_same_display() {
    let (Some(_), Some(xterm)) = (require("Xwayland"), require("xterm")) else {
        return;
    };
    let fixture = Fixture::with_x11("x11-restart", 640, 480);
    let display = fixture
        .session
        .x11_display()
        .expect("Xwayland runs")
        .to_owned();
    let first = xwayland_pids(&display);
    assert_eq!(first.len(), 1, "one Xwayland on {display}");
    // SAFETY: kill(2) of the Xwayland this test's session started.
    unsafe { libc::kill(first[0] as i32, libc::SIGKILL) };
    let deadline = Instant::now() + WAIT;
    let again = loop {
        let now = xwayland_pids(&display);
        if (now.len() == 1 && now != first) || Instant::now() > deadline {
            break now;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(
        again.len() == 1 && again != first,
        "no new Xwayland on {display}"
    );
    // X11 apps started now (with the same DISPLAY) work. The new server may still be setting
    // up when its process shows: an xterm that could not connect yet exits, and goes again.
    let deadline = Instant::now() + WAIT;
    let mut shown = false;
    let mut xterms = Vec::new();
    while !shown && Instant::now() < deadline {
        let mut command = fixture.x11_command(&xterm);
        command.args(["-bg", &format!("#{XTERM_BG:06x}"), "-e", "sleep", "600"]);
        command.stdout(Stdio::null()).stderr(Stdio::null());
        xterms.push(command.spawn().expect("xterm starts"));
        let child = xterms.last_mut().expect("just started");
        let started = Instant::now();
        while !shown && Instant::now() < deadline {
            if child.try_wait().ok().flatten().is_some() {
                assert!(
                    started.elapsed() < Duration::from_secs(10),
                    "xterm ran and exited"
                );
                std::thread::sleep(Duration::from_millis(100));
                break;
            }
            shown = xterm_box(&fixture.session.screenshot().expect("screenshot")).is_some();
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    for mut xterm in xterms {
        let _ = xterm.kill();
        let _ = xterm.wait();
    }
    assert!(shown, "an xterm started after the restart never showed");
}
