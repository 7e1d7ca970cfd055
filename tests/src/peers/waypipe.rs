//! waypipe 0.8 between foot (its server side, running a workload) and a weston 10 on Xvfb
//! (its display side: weston's headless backend offers no seat, which foot needs), with a
//! relay on the unix socket between the two halves counting the bytes each way. For the drag
//! the display side is a headless sway instead (kiosk-shell cannot float a window, and sway
//! moves one on command).

use std::io::{Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::sway::Sway;
use super::{Processes, Workload, as_user, foot_ini};
use crate::accounts::TestUser;
use crate::programs::require;
use crate::wait::wait_until;

/// A running waypipe pair and its display; everything stops on drop.
pub struct Waypipe {
    /// Bytes from the application's side towards the display.
    pub down: Arc<AtomicU64>,
    /// Bytes from the display's side.
    pub up: Arc<AtomicU64>,
    /// The waypipe server's process id (the application's side).
    pub server_pids: Vec<u32>,
    /// The waypipe client's and the display's compositor's (the display's side).
    pub desk_pids: Vec<u32>,
    /// The display's compositor where it is sway (the drag), to move the window.
    pub sway: Option<Sway>,
    _processes: Processes,
}

/// Copies `from` into `to`, counting, until either closes.
fn pump(mut from: UnixStream, mut to: UnixStream, count: Arc<AtomicU64>) {
    let mut buf = vec![0u8; 65536];
    while let Ok(n) = from.read(&mut buf) {
        if n == 0 || to.write_all(&buf[..n]).is_err() {
            break;
        }
        count.fetch_add(n as u64, Ordering::Relaxed);
    }
    let _ = to.shutdown(std::net::Shutdown::Write);
}

impl Waypipe {
    /// Starts the display side, the relay and foot behind waypipe, as `user` in `dir`, with
    /// `compression` (`zstd`, `lz4`); `None` (skip) when a program is missing outside CI.
    pub fn start(
        user: &TestUser,
        dir: &Path,
        workload: Workload,
        compression: &str,
    ) -> Option<Self> {
        let (waypipe, foot) = (require("waypipe")?, require("foot")?);
        let ini = dir.join("foot.ini");
        std::fs::write(&ini, foot_ini(workload)).expect("foot.ini");
        let script = dir.join("work.sh");
        std::fs::write(&script, workload.script(dir)).expect("script");
        let mut processes = Processes::default();
        let (display_socket, display_pid, sway) = if workload == Workload::Drag {
            let sway = Sway::start(user, dir, workload, "", &mut processes)?;
            let socket = sway.display.file_name().expect("socket name").to_owned();
            (socket, sway.pid, Some(sway))
        } else {
            let socket = std::ffi::OsString::from("wayland-desk");
            (socket, start_weston(user, dir, &mut processes)?, None)
        };
        let (client_socket, relay_socket) = (dir.join("wp.sock"), dir.join("relay.sock"));
        let mut command = as_user(user, dir, &waypipe);
        command
            .env("WAYLAND_DISPLAY", &display_socket)
            .arg("--socket")
            .arg(&client_socket)
            .args(["--compress", compression, "--no-gpu", "client"]);
        let client_pid = processes.spawn(command);
        wait_until("waypipe client's socket", Duration::from_secs(20), || {
            client_socket.exists().then_some(())
        });
        let (down, up) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
        let listener = UnixListener::bind(&relay_socket).expect("relay socket");
        std::os::unix::fs::chown(&relay_socket, Some(user.uid), Some(user.gid)).expect("chown");
        let (d, u) = (down.clone(), up.clone());
        std::thread::spawn(move || {
            // waypipe's server connects once per Wayland client of its own (foot, then mpv);
            // the listener goes when the bench's process does.
            for app_side in listener.incoming() {
                let Ok(app_side) = app_side else { return };
                let Ok(desk_side) = UnixStream::connect(&client_socket) else {
                    return;
                };
                let (a, b) = (app_side.try_clone(), desk_side.try_clone());
                if let (Ok(a), Ok(b)) = (a, b) {
                    let (d, u) = (d.clone(), u.clone());
                    std::thread::spawn(move || pump(b, a, u));
                    std::thread::spawn(move || pump(app_side, desk_side, d));
                }
            }
        });
        let mut command = as_user(user, dir, &waypipe);
        command
            .arg("--socket")
            .arg(&relay_socket)
            .args(["--compress", compression, "--no-gpu", "server", "--"])
            .arg(&foot)
            .arg("-c")
            .arg(&ini)
            .arg("sh")
            .arg(&script);
        let server_pid = processes.spawn(command);
        // foot's first frame through (sway shows a window once it has one; a blank 800×600
        // picture compresses to less than the full-screen one weston gets).
        match &sway {
            Some(sway) => sway.wait_for_foot(),
            None => wait_until("foot's first frame", Duration::from_secs(20), || {
                (down.load(Ordering::Relaxed) > 5000).then_some(())
            }),
        }
        std::thread::sleep(Duration::from_millis(500));
        Some(Self {
            down,
            up,
            server_pids: vec![server_pid],
            desk_pids: vec![client_pid, display_pid],
            sway,
            _processes: processes,
        })
    }

    /// (down, up) bytes so far.
    pub fn bytes(&self) -> (u64, u64) {
        (
            self.down.load(Ordering::Relaxed),
            self.up.load(Ordering::Relaxed),
        )
    }
}

/// weston 10 on Xvfb (kiosk-shell, pixman), its socket `wayland-desk` in `dir`; weston's pid.
fn start_weston(user: &TestUser, dir: &Path, processes: &mut Processes) -> Option<u32> {
    let (xvfb, weston) = (require("Xvfb")?, require("weston")?);
    // The X sockets' directory is root's, as WayRay's sessions require: Xvfb started as the
    // test user would otherwise create it as that user, and it would outlive the user.
    let sockets = Path::new(wayray_server::x11_socket_dir::DIR);
    if let Err(err) = wayray_server::x11_socket_dir::prepare(sockets) {
        eprintln!("{}: {err}", sockets.display());
    }
    let display_file = dir.join("display");
    let mut command = as_user(user, dir, Path::new("/bin/sh"));
    command.arg("-c").arg(format!(
        "exec {} -displayfd 3 -screen 0 1920x1080x24 -nolisten tcp 3>{}",
        xvfb.display(),
        display_file.display()
    ));
    processes.spawn(command);
    let display = wait_until("Xvfb's display", Duration::from_secs(20), || {
        let text = std::fs::read_to_string(&display_file).ok()?;
        let number = text.trim();
        (!number.is_empty()).then(|| format!(":{number}"))
    });
    let mut command = as_user(user, dir, &weston);
    command.env("DISPLAY", &display).args([
        "--backend=x11-backend.so",
        "--use-pixman",
        "--width=1920",
        "--height=1080",
        "--shell=kiosk-shell.so",
        "--socket=wayland-desk",
        "--no-config",
        "--idle-time=0",
    ]);
    let weston_pid = processes.spawn(command);
    wait_until("weston's socket", Duration::from_secs(20), || {
        dir.join("wayland-desk").exists().then_some(())
    });
    Some(weston_pid)
}
