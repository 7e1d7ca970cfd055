//! The applications a session started: how they are launched (with the session's
//! `WAYLAND_DISPLAY`, `DISPLAY` when it runs Xwayland, `PULSE_SERVER` when it has a sound
//! server) and that they are reaped and stopped with it, descendants included
//! (see [`super::processes`]).

use std::path::PathBuf;
use std::process::Command;

use super::processes;

/// Launches applications into one session and owns them.
#[derive(Debug)]
pub struct Apps {
    socket_name: String,
    runtime_dir: PathBuf,
    /// Process ids of the applications started and not yet reaped.
    children: Vec<u32>,
    /// The session's X display number, when it runs Xwayland.
    x11_display: Option<u32>,
    /// The session's sound server (`PULSE_SERVER`), when it has one.
    pulse_server: Option<String>,
}

impl Apps {
    /// Applications of the session whose Wayland socket is `runtime_dir/socket_name`.
    pub fn new(socket_name: String, runtime_dir: PathBuf) -> Self {
        Self {
            socket_name,
            runtime_dir,
            children: Vec::new(),
            x11_display: None,
            pulse_server: None,
        }
    }

    /// Applications started from now on play their sound into this server.
    pub fn set_pulse_server(&mut self, server: Option<String>) {
        self.pulse_server = server;
    }

    /// Applications started from now on get `DISPLAY=:number` (or none).
    pub fn set_x11_display(&mut self, number: Option<u32>) {
        self.x11_display = number;
    }

    /// The `DISPLAY` applications get, if any.
    pub fn x11_display(&self) -> Option<String> {
        self.x11_display.map(|n| format!(":{n}"))
    }

    /// Starts `command` (program and arguments) inside the session; returns its process id.
    pub fn start(&mut self, command: &[String]) -> std::io::Result<u32> {
        self.reap();
        let Some((program, args)) = command.split_first() else {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "no program given",
            ));
        };
        let mut command = Command::new(program);
        command
            .args(args)
            .env("WAYLAND_DISPLAY", &self.socket_name)
            .env("XDG_RUNTIME_DIR", &self.runtime_dir);
        match self.x11_display() {
            Some(display) => command.env("DISPLAY", display),
            None => command.env_remove("DISPLAY"),
        };
        if let Some(server) = &self.pulse_server {
            command.env("PULSE_SERVER", server);
        }
        let child = command.spawn()?;
        // Only the id is kept: reaping is by id (a subreaper reaps every child at once).
        let pid = child.id();
        tracing::info!(pid, program = %program, "started application");
        self.children.push(pid);
        Ok(pid)
    }

    /// Collects applications (and detached descendants) that have exited, so none stays a
    /// zombie; the session's loop calls it regularly.
    pub fn reap(&mut self) {
        for pid in processes::reap(&self.children) {
            if let Some(at) = self.children.iter().position(|&p| p == pid) {
                self.children.swap_remove(at);
                tracing::info!(pid, "application exited");
            } else {
                tracing::debug!(pid, "reaped a detached process");
            }
        }
    }

    /// Ends every application still running, and everything they started.
    pub fn stop_all(&mut self) {
        processes::end_tree(&mut self.children);
        self.children.clear();
    }
}
