//! Copy and paste between a desk and its session, through a real daemon and the headless
//! viewer (`--clipboard on`): an X11 desk (Xvfb, xclip) and a Wayland desk (a WayRay session
//! with wlr-data-control, wl-copy/wl-paste). Text both ways, the primary selection, PNG
//! images both ways; the server's direction policy and size limit.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use wayray_tests::daemon::Daemon;
use wayray_tests::fixture::Fixture;
use wayray_tests::programs::{KillOnDrop, require};
use wayray_tests::wait::poll_until;
use wayray_tests::xvfb::Xvfb;

const WAIT: Duration = Duration::from_secs(15);

/// The programs of both sides.
struct Tools {
    wl_copy: PathBuf,
    wl_paste: PathBuf,
    xclip: PathBuf,
}

fn tools() -> Option<Tools> {
    Some(Tools {
        wl_copy: require("wl-copy")?,
        wl_paste: require("wl-paste")?,
        xclip: require("xclip")?,
    })
}

/// A daemon, a session and a headless viewer sharing the clipboard of the desk `desk_env`.
struct Desk {
    daemon: Daemon,
    _viewer: KillOnDrop,
    viewer_log: PathBuf,
    session_display: String,
}

impl Desk {
    fn start(label: &str, tables: &str, desk_env: &[(&str, &str)]) -> Option<Self> {
        let daemon = Daemon::start_with_tables(label, tables)?;
        let (_, token) = daemon.issue_token();
        let mut viewer = daemon.viewer_program(&token)?;
        let viewer_log = daemon.dir.path().join("viewer.log");
        viewer
            .args(["--clipboard", "on", "--exit-after-ms", "120000"])
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .env("RUST_LOG", "wayray_client=debug")
            .envs(desk_env.iter().copied())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&viewer_log).expect("viewer log"));
        let viewer = KillOnDrop(viewer.spawn().expect("viewer starts"));
        daemon.wait_sessions("the viewer's session", |s| {
            s.len() == 1 && s[0]["state"] == "attached"
        });
        let session_display = daemon.sessions()[0]["wayland_display"]
            .as_str()
            .expect("the session's Wayland display")
            .to_owned();
        Some(Self {
            daemon,
            _viewer: viewer,
            viewer_log,
            session_display,
        })
    }

    /// A program run inside the session.
    fn in_session(&self, program: &Path) -> Command {
        let mut command = Command::new(program);
        command
            .env("XDG_RUNTIME_DIR", self.daemon.dir.path())
            .env("WAYLAND_DISPLAY", &self.session_display)
            .env_remove("DISPLAY");
        command
    }

    /// `wl-paste ARGS` in the session, as often as called.
    fn session_paste<'a>(
        &'a self,
        tools: &'a Tools,
        args: &'a [&'a str],
    ) -> impl FnMut() -> Command + 'a {
        move || {
            let mut command = self.in_session(&tools.wl_paste);
            command.args(args);
            command
        }
    }

    /// `wl-copy --foreground ARGS` in the session with `data`; it serves until dropped.
    fn session_copy(&self, tools: &Tools, args: &[&str], data: &[u8]) -> KillOnDrop {
        let mut command = self.in_session(&tools.wl_copy);
        command.arg("--foreground").args(args);
        copy(command, data)
    }

    /// Fails, with the logs, unless `paste` prints `want` in time.
    fn expect_pasted(&self, paste: impl FnMut() -> Command, want: &[u8], side: &str) {
        let got = pasted(paste, want);
        assert!(
            got.is_ok(),
            "{side} got {got:?}; viewer:\n{}",
            self.viewer_log()
        );
    }

    fn viewer_log(&self) -> String {
        let viewer = std::fs::read_to_string(&self.viewer_log).unwrap_or_default();
        format!("{viewer}\ndaemon and session:\n{}", self.daemon.logs())
    }
}

/// Starts `command` with `data` on its standard input; it keeps serving the selection.
fn copy(mut command: Command, data: &[u8]) -> KillOnDrop {
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = command.spawn().expect("copy program starts");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(data).expect("data written");
    drop(stdin);
    KillOnDrop(child)
}

/// What `command` prints on its standard output (read while it runs: a paste may hand its
/// output to the copying program directly), or nothing when it fails or takes longer than
/// `timeout`.
fn printed(mut command: Command, timeout: Duration) -> Vec<u8> {
    let child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("program starts");
    let pid = child.id().to_string();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(timeout) {
        Ok(Ok(out)) if out.status.success() => out.stdout,
        Ok(_) => Vec::new(),
        Err(_) => {
            let _ = Command::new("kill").args(["-9", &pid]).status();
            let _ = rx.recv();
            Vec::new()
        }
    }
}

/// Runs `paste` until it prints `want`; what it printed last otherwise.
fn pasted(mut paste: impl FnMut() -> Command, want: &[u8]) -> Result<(), Vec<u8>> {
    poll_until(WAIT, || {
        let out = printed(paste(), Duration::from_secs(5));
        if out == want { Ok(()) } else { Err(out) }
    })
}

/// `paste` keeps printing anything but `unwanted` for `how_long`.
fn never_pasted(mut paste: impl FnMut() -> Command, unwanted: &[u8], how_long: Duration) {
    let end = std::time::Instant::now() + how_long;
    while std::time::Instant::now() < end {
        let out = printed(paste(), Duration::from_secs(5));
        assert_ne!(out, unwanted, "the entry went where the policy forbids");
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn png_file(dir: &Path, width: u32, height: u32) -> (PathBuf, Vec<u8>) {
    let rgba: Vec<u8> = (0..width * height)
        .flat_map(|i| [(i % 251) as u8, (i / 7 % 256) as u8, 200, 255])
        .collect();
    let path = dir.join("picture.png");
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(png::ColorType::Rgba);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().expect("png header");
        writer.write_image_data(&rgba).expect("png data");
    }
    std::fs::write(&path, &out).expect("png file");
    (path, rgba)
}

fn rgba_of_png(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().ok()?;
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).ok()?;
    (info.color_type == png::ColorType::Rgba).then(|| buf[..info.buffer_size()].to_vec())
}

#[test]
fn an_x11_desk_shares_text_primary_and_images_both_ways() {
    let (Some(tools), Some(xvfb)) = (tools(), Xvfb::start()) else {
        return;
    };
    let display = xvfb.display.clone();
    let Some(desk) = Desk::start("clip-x11", "", &[("DISPLAY", &display)]) else {
        return;
    };
    let xclip = |args: &[&str]| {
        let mut command = Command::new(&tools.xclip);
        command.env("DISPLAY", &display).args(args);
        command
    };

    // Session → desk: text copied in the session pastes at the desk.
    let text = "copied in the session ✓".as_bytes();
    let _copier = desk.session_copy(&tools, &[], text);
    desk.expect_pasted(|| xclip(&["-o", "-selection", "clipboard"]), text, "desk");
    // The primary selection too; offering it does not offer the clipboard again.
    let selected = b"selected in the session";
    let _selecter = desk.session_copy(&tools, &["--primary"], selected);
    desk.expect_pasted(|| xclip(&["-o", "-selection", "primary"]), selected, "desk");
    let offers: Vec<String> = desk
        .viewer_log()
        .lines()
        .filter_map(|l| {
            l.split_once("msg=Offer(")
                .map(|(_, offer)| offer.to_owned())
        })
        .filter_map(|offer| {
            offer
                .split_once(", mime_types")
                .map(|(id, _)| id.to_owned())
        })
        .collect();
    let unique: std::collections::HashSet<&String> = offers.iter().collect();
    assert_eq!(
        unique.len(),
        offers.len(),
        "an entry was offered twice: {offers:?}"
    );
    assert_eq!(offers.len(), 2, "{offers:?}");

    // Desk → session: the regular clipboard and the primary selection.
    let text = "copied at the desk ✓".as_bytes();
    let _desk_copier = copy(xclip(&["-i", "-selection", "clipboard"]), text);
    desk.expect_pasted(
        desk.session_paste(&tools, &["--no-newline"]),
        text,
        "session",
    );
    let primary = b"selected at the desk";
    let _desk_selecter = copy(xclip(&["-i", "-selection", "primary"]), primary);
    let paste_primary = desk.session_paste(&tools, &["--no-newline", "--primary"]);
    desk.expect_pasted(paste_primary, primary, "session");

    // Images, as PNG: desk → session, then session → desk. PNG encodings may differ; the
    // pixels may not.
    let (picture, rgba) = png_file(desk.daemon.dir.path(), 96, 64);
    let picture = picture.to_str().expect("path").to_owned();
    let _desk_image = KillOnDrop(
        xclip(&["-i", "-selection", "clipboard", "-t", "image/png", &picture])
            .stdout(Stdio::null())
            .spawn()
            .expect("xclip starts"),
    );
    let mut paste = desk.session_paste(&tools, &["--type", "image/png"]);
    let session_image = poll_until(WAIT, || {
        rgba_of_png(&printed(paste(), Duration::from_secs(5)))
            .filter(|p| *p == rgba)
            .ok_or(())
    });
    assert!(session_image.is_ok(), "viewer:\n{}", desk.viewer_log());

    let (picture, rgba) = png_file(desk.daemon.dir.path(), 40, 30);
    let png = std::fs::read(picture).expect("png");
    let _copier = desk.session_copy(&tools, &["--type", "image/png"], &png);
    let desk_image = poll_until(WAIT, || {
        let out = printed(
            xclip(&["-o", "-selection", "clipboard", "-t", "image/png"]),
            Duration::from_secs(5),
        );
        rgba_of_png(&out).filter(|p| *p == rgba).ok_or(())
    });
    assert!(desk_image.is_ok(), "viewer:\n{}", desk.viewer_log());
}

#[test]
fn a_wayland_desk_shares_text_both_ways() {
    let Some(tools) = tools() else {
        return;
    };
    // The desk: a WayRay session of its own, which has wlr-data-control like wlroots desks.
    let desk_compositor = Fixture::new("clip-desk", 64, 64);
    let runtime = desk_compositor
        .dir
        .path()
        .to_str()
        .expect("path")
        .to_owned();
    let socket = desk_compositor.session.socket_name().to_owned();
    let env = [
        ("XDG_RUNTIME_DIR", runtime.as_str()),
        ("WAYLAND_DISPLAY", &socket),
    ];
    let Some(desk) = Desk::start("clip-wl", "", &env) else {
        return;
    };
    let at_desk = |program: &Path| {
        let mut command = desk_compositor.command(program);
        command.env_remove("DISPLAY");
        command
    };

    let text = b"from the session to a Wayland desk";
    let _copier = desk.session_copy(&tools, &[], text);
    let paste_at_desk = || {
        let mut command = at_desk(&tools.wl_paste);
        command.arg("--no-newline");
        command
    };
    desk.expect_pasted(paste_at_desk, text, "desk");

    let text = b"from a Wayland desk to the session";
    let mut desk_copy = at_desk(&tools.wl_copy);
    desk_copy.arg("--foreground");
    let _desk_copier = copy(desk_copy, text);
    desk.expect_pasted(
        desk.session_paste(&tools, &["--no-newline"]),
        text,
        "session",
    );
}

#[test]
fn the_server_policy_decides_direction_and_size() {
    let (Some(tools), Some(xvfb)) = (tools(), Xvfb::start()) else {
        return;
    };
    let display = xvfb.display.clone();
    let tables = "[clipboard]\ndirection = \"to-desk\"\nmax_size_mib = 1\n";
    let Some(desk) = Desk::start("clip-policy", tables, &[("DISPLAY", &display)]) else {
        return;
    };
    let xclip = |args: &[&str]| {
        let mut command = Command::new(&tools.xclip);
        command.env("DISPLAY", &display).args(args);
        command
    };
    let paste_at_desk = || xclip(&["-o", "-selection", "clipboard"]);

    // To the desk: allowed.
    let small = b"small enough";
    let copier = desk.session_copy(&tools, &[], small);
    desk.expect_pasted(paste_at_desk, small, "desk");
    drop(copier);

    // Larger than the server's 1 MiB: the desk keeps what it had, the viewer says why.
    let large = vec![b'x'; 1536 * 1024];
    let _large_copier = desk.session_copy(&tools, &[], &large);
    let noticed = poll_until(WAIT, || {
        let log = desk.viewer_log();
        log.contains("was not copied to this desk")
            .then_some(())
            .ok_or(log)
    });
    assert!(noticed.is_ok(), "no notice: {noticed:?}");
    let out = printed(paste_at_desk(), Duration::from_secs(5));
    assert_eq!(out, small, "a partial or oversized entry reached the desk");

    // To the session: forbidden.
    let from_desk = b"must stay at the desk";
    let _desk_copier = copy(xclip(&["-i", "-selection", "clipboard"]), from_desk);
    let paste = desk.session_paste(&tools, &["--no-newline"]);
    never_pasted(paste, from_desk, Duration::from_secs(3));
}
