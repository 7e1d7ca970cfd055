//! A headless session on a thread with its own private runtime dir, plus the real client
//! programs started in it (killed when the fixture drops).

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use wayray_server::session::output::OutputConfig;
use wayray_server::session::{Screenshot, SessionConfig, SessionHandle};

use crate::runtime_dir::RuntimeDir;

/// A `width` × `height` session at scale 1 in the private runtime dir `dir`.
pub fn config(dir: &RuntimeDir, width: u32, height: u32) -> SessionConfig {
    SessionConfig {
        output: OutputConfig {
            width,
            height,
            ..OutputConfig::default()
        },
        runtime_dir: Some(dir.path().to_owned()),
        ..SessionConfig::default()
    }
}

/// A running session and its clients.
pub struct Fixture {
    children: Vec<Child>,
    /// The session (dropped after the children).
    pub session: SessionHandle,
    /// Private `XDG_RUNTIME_DIR` of this fixture.
    pub dir: RuntimeDir,
}

impl Fixture {
    /// Starts a `width` × `height` session at scale 1.
    pub fn new(label: &str, width: u32, height: u32) -> Self {
        Self::start(label, width, height, false)
    }

    /// The same with Xwayland running in the session (X11 clients use [`Self::x11_command`]).
    pub fn with_x11(label: &str, width: u32, height: u32) -> Self {
        Self::start(label, width, height, true)
    }

    fn start(label: &str, width: u32, height: u32, x11: bool) -> Self {
        let dir = RuntimeDir::new(label).expect("private runtime dir");
        let session = SessionHandle::spawn(SessionConfig {
            x11,
            ..config(&dir, width, height)
        })
        .expect("session starts");
        Self {
            children: Vec::new(),
            session,
            dir,
        }
    }

    /// A command set up to connect to this session.
    pub fn command(&self, program: &Path) -> Command {
        let mut command = Command::new(program);
        command
            .env("XDG_RUNTIME_DIR", self.dir.path())
            .env("WAYLAND_DISPLAY", self.session.socket_name())
            .env_remove("DISPLAY")
            .stdin(Stdio::null());
        command
    }

    /// A Qt application's command: Qt's Wayland platform, its settings kept in this
    /// fixture's directory.
    pub fn qt_command(&self, program: &Path) -> Command {
        let mut command = self.command(program);
        command
            .env("QT_QPA_PLATFORM", "wayland")
            .env("HOME", self.dir.path())
            .env("XDG_CONFIG_HOME", self.dir.path().join("config"));
        command
    }

    /// A command set up to connect to this session's X server (see [`Self::with_x11`]).
    pub fn x11_command(&self, program: &Path) -> Command {
        let mut command = self.command(program);
        let display = self
            .session
            .x11_display()
            .expect("the session runs Xwayland");
        command
            .env("DISPLAY", display)
            .env_remove("WAYLAND_DISPLAY");
        command
    }

    /// Starts a client that runs until the fixture drops.
    pub fn spawn(&mut self, mut command: Command) -> &mut Child {
        command.stdout(Stdio::null()).stderr(Stdio::null());
        let child = command.spawn().expect("client starts");
        self.children.push(child);
        self.children.last_mut().expect("just pushed")
    }

    /// Starts foot with `ini` as its whole configuration, followed by `args` (foot options,
    /// then the command to run in it).
    pub fn spawn_foot(&mut self, foot: &Path, ini: &str, args: &[&str]) {
        let path = self.dir.path().join("foot.ini");
        std::fs::write(&path, ini).expect("foot.ini");
        let mut command = self.command(foot);
        command.arg("--config").arg(&path).args(args);
        self.spawn(command);
    }

    /// Stops every client started with [`Fixture::spawn`].
    pub fn spawn_kill_all(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
        self.children.clear();
    }

    /// Pixels where `fb` differs from the session's output now (`usize::MAX` for another
    /// size): 0 means the viewer shows exactly the session's pixels.
    pub fn pixels_differing(&self, fb: &wayray_client::Framebuffer) -> usize {
        let shot = self.session.screenshot().expect("screenshot");
        if (fb.width(), fb.height()) != (shot.width, shot.height) {
            return usize::MAX;
        }
        fb.pixels()
            .chunks_exact(4)
            .zip(shot.bgra.chunks_exact(4))
            .filter(|(a, b)| a != b)
            .count()
    }

    /// Waits until a screenshot satisfies `pred`; returns the last screenshot either way.
    pub fn wait_for(
        &self,
        timeout: Duration,
        pred: impl Fn(&Screenshot) -> bool,
    ) -> (bool, Screenshot) {
        let found = crate::wait::poll_until(timeout, || {
            let shot = self.session.screenshot().expect("session is running");
            if pred(&shot) { Ok(shot) } else { Err(shot) }
        });
        match found {
            Ok(shot) => (true, shot),
            Err(shot) => (false, shot),
        }
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Runs a command to completion, killing it after `timeout`. Its output is read while it
/// runs (a full pipe would otherwise stop a talkative command for good).
pub fn run_with_timeout(mut command: Command, timeout: Duration) -> Output {
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn().expect("command starts");
    let stdout = read_all(child.stdout.take());
    let stderr = read_all(child.stderr.take());
    let finished = crate::wait::poll_until(timeout, || match child.try_wait() {
        Ok(Some(status)) => Ok(status),
        _ => Err(()),
    });
    let status = match finished {
        Ok(status) => status,
        Err(()) => {
            let _ = child.kill();
            let _ = child.wait();
            let stderr = stderr.join().unwrap_or_default();
            panic!(
                "{command:?} did not finish within {timeout:?}; stderr: {}",
                String::from_utf8_lossy(&stderr)
            );
        }
    };
    Output {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    }
}

/// Reads `pipe` to its end on a thread of its own.
fn read_all(pipe: Option<impl std::io::Read + Send + 'static>) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        bytes
    })
}
