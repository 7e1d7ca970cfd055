//! wayvnc 0.5 on a headless sway (wlroots' pixman renderer, one 1920×1080 output) with foot
//! full screen running a workload: the VNC stack the benchmark compares with.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::time::Duration;

use super::{FOOT_INI, Processes, Workload, as_user, entry_named};
use crate::accounts::TestUser;
use crate::programs::require;
use crate::wait::wait_until;

/// A running sway with foot and wayvnc; everything stops on drop.
pub struct SwayVnc {
    /// Where wayvnc listens.
    pub addr: SocketAddr,
    /// sway's and wayvnc's process ids (the server side).
    pub server_pids: Vec<u32>,
    _processes: Processes,
}

impl SwayVnc {
    /// Starts the stack as `user` in `dir` with foot running `workload`; `None` (skip) when
    /// sway, wayvnc or foot is missing outside CI.
    pub fn start(user: &TestUser, dir: &Path, workload: Workload) -> Option<Self> {
        let (sway, wayvnc, foot) = (require("sway")?, require("wayvnc")?, require("foot")?);
        let ini = dir.join("foot.ini");
        std::fs::write(&ini, FOOT_INI).expect("foot.ini");
        let script = dir.join("work.sh");
        std::fs::write(&script, workload.script(dir)).expect("script");
        let config = dir.join("sway.conf");
        std::fs::write(
            &config,
            format!(
                "output HEADLESS-1 resolution 1920x1080 position 0,0 bg #000000 solid_color\n\
                 default_border none\nfocus_follows_mouse no\nseat * hide_cursor 1\n\
                 for_window [app_id=\"foot\"] fullscreen enable\n\
                 exec {foot} -c {ini} sh {script}\n",
                foot = foot.display(),
                ini = ini.display(),
                script = script.display(),
            ),
        )
        .expect("sway.conf");
        let mut processes = Processes::default();
        let mut command = as_user(user, dir, &sway);
        command
            .env("WLR_BACKENDS", "headless")
            .env("WLR_RENDERER", "pixman")
            .env("WLR_LIBINPUT_NO_DEVICES", "1")
            .env("WLR_HEADLESS_OUTPUTS", "1")
            .arg("-c")
            .arg(&config);
        let sway_pid = processes.spawn(command);
        let (ipc, display) = wait_until("sway's sockets", Duration::from_secs(20), || {
            let ipc = entry_named(dir, "sway-ipc.", ".sock")?;
            let display = entry_named(dir, "wayland-", "")?;
            Some((ipc, display))
        });
        let swaymsg = require("swaymsg")?;
        wait_until("foot on sway", Duration::from_secs(20), || {
            let tree = as_user(user, dir, &swaymsg)
                .env("SWAYSOCK", &ipc)
                .args(["-t", "get_tree"])
                .stdout(std::process::Stdio::piped())
                .output()
                .ok()?;
            String::from_utf8_lossy(&tree.stdout)
                .contains("\"app_id\": \"foot\"")
                .then_some(())
        });
        let port = free_port();
        let mut command = as_user(user, dir, &wayvnc);
        command
            .env("WAYLAND_DISPLAY", display.file_name().expect("socket name"))
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
            server_pids: vec![sway_pid, vnc_pid],
            _processes: processes,
        })
    }
}

/// A TCP port nothing listens on now.
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address").port()
}
