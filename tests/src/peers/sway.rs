//! wayvnc 0.5 on a headless sway (wlroots' pixman renderer, one 1920×1080 output) with foot
//! running a workload: the VNC stack the benchmark compares with. [`Sway`] alone is also
//! waypipe's display side for the drag, where the window must float and be moved.

use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::Duration;

use super::{DRAG_START, Processes, Workload, as_user, entry_named, foot_ini};
use crate::accounts::TestUser;
use crate::programs::require;
use crate::wait::wait_until;

/// A headless sway run as a user; it stops with the [`Processes`] it was started into.
pub struct Sway {
    /// sway's process id.
    pub pid: u32,
    /// Its Wayland socket.
    pub display: PathBuf,
    ipc: PathBuf,
    swaymsg: PathBuf,
    user: TestUser,
    dir: PathBuf,
}

impl Sway {
    /// Starts sway as `user` in `dir`, foot's windows placed as `workload` needs (full screen,
    /// or floating at [`DRAG_START`] for the drag), `exec` lines after that; `None` (skip)
    /// without sway outside CI.
    pub fn start(
        user: &TestUser,
        dir: &Path,
        workload: Workload,
        exec: &str,
        processes: &mut Processes,
    ) -> Option<Self> {
        let (sway, swaymsg) = (require("sway")?, require("swaymsg")?);
        let placement = if workload == Workload::Drag {
            format!(
                "default_floating_border none\nfor_window [app_id=\"foot\"] floating enable, \
                 resize set 800 600, move position {} {}\n",
                DRAG_START.0, DRAG_START.1
            )
        } else {
            "for_window [app_id=\"foot\"] fullscreen enable\n".to_owned()
        };
        let config = dir.join("sway.conf");
        std::fs::write(
            &config,
            format!(
                "output HEADLESS-1 resolution 1920x1080 position 0,0 bg #000000 solid_color\n\
                 default_border none\nfocus_follows_mouse no\nseat * hide_cursor 1\n\
                 {placement}{exec}"
            ),
        )
        .expect("sway.conf");
        let mut command = as_user(user, dir, &sway);
        command
            .env("WLR_BACKENDS", "headless")
            .env("WLR_RENDERER", "pixman")
            .env("WLR_LIBINPUT_NO_DEVICES", "1")
            .env("WLR_HEADLESS_OUTPUTS", "1")
            .arg("-c")
            .arg(&config);
        let pid = processes.spawn(command);
        let (ipc, display) = wait_until("sway's sockets", Duration::from_secs(20), || {
            let ipc = entry_named(dir, "sway-ipc.", ".sock")?;
            let display = entry_named(dir, "wayland-", "")?;
            Some((ipc, display))
        });
        Some(Self {
            pid,
            display,
            ipc,
            swaymsg,
            user: user.clone(),
            dir: dir.to_owned(),
        })
    }

    /// `swaymsg ARGS` against this sway.
    pub fn msg(&self, args: &[&str]) -> Option<Output> {
        as_user(&self.user, &self.dir, &self.swaymsg)
            .env("SWAYSOCK", &self.ipc)
            .args(args)
            .stdout(Stdio::piped())
            .output()
            .ok()
    }

    /// Waits until foot's window is in sway's tree.
    pub fn wait_for_foot(&self) {
        wait_until("foot on sway", Duration::from_secs(20), || {
            let tree = self.msg(&["-t", "get_tree"])?;
            String::from_utf8_lossy(&tree.stdout)
                .contains("\"app_id\": \"foot\"")
                .then_some(())
        });
    }

    /// Moves foot's (floating) window's top-left corner to `(x, y)`.
    pub fn move_foot(&self, (x, y): (i32, i32)) {
        let _ = self.msg(&[&format!("[app_id=\"foot\"] move position {x} {y}")]);
    }
}

/// A running sway with foot and wayvnc; everything stops on drop.
pub struct SwayVnc {
    /// Where wayvnc listens.
    pub addr: SocketAddr,
    /// sway's and wayvnc's process ids (the server side).
    pub server_pids: Vec<u32>,
    /// The compositor, to move the window during the drag.
    pub sway: Sway,
    _processes: Processes,
}

impl SwayVnc {
    /// Starts the stack as `user` in `dir` with foot running `workload`; `None` (skip) when
    /// sway, wayvnc or foot is missing outside CI.
    pub fn start(user: &TestUser, dir: &Path, workload: Workload) -> Option<Self> {
        let (wayvnc, foot) = (require("wayvnc")?, require("foot")?);
        let ini = dir.join("foot.ini");
        std::fs::write(&ini, foot_ini(workload)).expect("foot.ini");
        let script = dir.join("work.sh");
        std::fs::write(&script, workload.script(dir)).expect("script");
        let exec = format!(
            "exec {foot} -c {ini} sh {script}\n",
            foot = foot.display(),
            ini = ini.display(),
            script = script.display(),
        );
        let mut processes = Processes::default();
        let sway = Sway::start(user, dir, workload, &exec, &mut processes)?;
        sway.wait_for_foot();
        let port = crate::ports::listen_port();
        let mut command = as_user(user, dir, &wayvnc);
        command
            .env(
                "WAYLAND_DISPLAY",
                sway.display.file_name().expect("socket name"),
            )
            .args(["-o", "HEADLESS-1", "127.0.0.1", &port.to_string()]);
        let vnc_pid = processes.spawn(command);
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        wait_until("wayvnc listening", Duration::from_secs(20), || {
            TcpStream::connect(addr).ok().map(drop)
        });
        // That probe connection must be gone before the measured one.
        std::thread::sleep(Duration::from_millis(300));
        Some(Self {
            addr,
            server_pids: vec![sway.pid, vnc_pid],
            sway,
            _processes: processes,
        })
    }
}
