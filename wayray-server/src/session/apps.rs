//! The applications a session started: how they are launched (with the session's
//! `WAYLAND_DISPLAY`) and that they are reaped and stopped with it.

use std::path::PathBuf;
use std::process::{Child, Command};

/// Launches applications into one session and owns them.
#[derive(Debug)]
pub struct Apps {
    socket_name: String,
    runtime_dir: PathBuf,
    children: Vec<Child>,
}

impl Apps {
    /// Applications of the session whose Wayland socket is `runtime_dir/socket_name`.
    pub fn new(socket_name: String, runtime_dir: PathBuf) -> Self {
        Self {
            socket_name,
            runtime_dir,
            children: Vec::new(),
        }
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
        let child = Command::new(program)
            .args(args)
            .env("WAYLAND_DISPLAY", &self.socket_name)
            .env("XDG_RUNTIME_DIR", &self.runtime_dir)
            .env_remove("DISPLAY")
            .spawn()?;
        let pid = child.id();
        tracing::info!(pid, program = %program, "started application");
        self.children.push(child);
        Ok(pid)
    }

    /// Forgets applications that have exited (and collects their exit status).
    fn reap(&mut self) {
        self.children.retain_mut(|child| match child.try_wait() {
            Ok(Some(status)) => {
                tracing::info!(pid = child.id(), %status, "application exited");
                false
            }
            Ok(None) => true,
            Err(_) => false,
        });
    }

    /// Terminates every application still running.
    pub fn stop_all(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
        self.children.clear();
    }
}
