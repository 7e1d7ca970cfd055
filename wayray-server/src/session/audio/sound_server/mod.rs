//! The session's own sound server, of the kind the daemon's configuration names
//! ([`SoundServerKind`]): Debian's `pulseaudio` ([`pulseaudio`]) or PipeWire with
//! `wireplumber` and `pipewire-pulse` ([`pipewire`]). Either way the session's applications
//! see a PulseAudio server with a null sink named [`SINK`] that they play into and a pipe
//! source that is their microphone ([`MICROPHONE_SOURCE`]); one native-protocol socket in a
//! directory only the session's user can enter, no other way in (no TCP, no D-Bus; with
//! `pulseaudio` no module loading after start, which `pipewire-pulse` 0.3.65 cannot forbid),
//! and configuration and state in that directory rather than the user's home. Its processes run as the session's user (children of the session
//! process) and end with the session.

pub mod pipewire;
pub mod pulseaudio;

use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub use crate::sound_kind::SoundServerKind;

/// The null sink the session's applications play into; its monitor is captured.
pub const SINK: &str = "wayray";
/// The source the desk's microphone comes out of (the session's default source): a pipe the
/// session process writes into.
pub const MICROPHONE_SOURCE: &str = "wayray_microphone";
/// The pipe's name in the server's directory.
pub const MICROPHONE_PIPE: &str = "microphone";
/// How long each wait for a socket may take (`pulseaudio` has one, PipeWire two: at most
/// 4 s, well within the daemon's wait for the session; a slow sound server costs the
/// session its sound, not its start).
const START_TIMEOUT: Duration = Duration::from_secs(2);

/// Starting the sound server failed.
#[derive(Debug, thiserror::Error)]
pub enum SoundError {
    /// A program it needs is not installed.
    #[error("{program} is not installed (Debian: apt install {package})")]
    NotInstalled {
        /// The program.
        program: &'static str,
        /// The Debian package that has it.
        package: &'static str,
    },
    /// It did not start or did not listen.
    #[error("the session's sound server did not start: {0}")]
    Start(String),
}

/// A running sound server: its processes, started in order.
#[derive(Debug)]
pub struct SoundServer {
    children: Vec<(&'static str, Child)>,
    dir: PathBuf,
}

impl SoundServer {
    /// Starts a server of `kind` with its socket at `dir/native` (`dir` is created mode 0700).
    pub fn start(dir: &Path, kind: SoundServerKind) -> Result<Self, SoundError> {
        let fail = |e: std::io::Error| SoundError::Start(format!("{}: {e}", dir.display()));
        let _ = std::fs::remove_dir_all(dir);
        std::fs::DirBuilder::new()
            .mode(0o700)
            .recursive(true)
            .create(dir)
            .map_err(fail)?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(fail)?;
        let mut server = Self {
            children: Vec::new(),
            dir: dir.to_owned(),
        };
        match kind {
            SoundServerKind::Pulseaudio => pulseaudio::start(&mut server)?,
            SoundServerKind::Pipewire => pipewire::start(&mut server)?,
        }
        tracing::info!(kind = kind.name(), socket = %server.socket().display(), "sound server running");
        Ok(server)
    }

    /// The server's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The native-protocol socket the session's applications connect to.
    pub fn socket(&self) -> PathBuf {
        self.dir.join("native")
    }

    /// Starts one of its processes: no input, no way to the user's own sound server or
    /// D-Bus, ended by the kernel when the session's thread that started it ends (a killed
    /// session leaves no sound server behind).
    fn spawn(&mut self, name: &'static str, mut command: Command) -> Result<(), SoundError> {
        command
            .env_remove("PULSE_SERVER")
            .env_remove("PIPEWIRE_REMOTE")
            .env_remove("DBUS_SESSION_BUS_ADDRESS")
            .stdin(Stdio::null());
        // SAFETY: prctl is async-signal-safe.
        unsafe {
            command.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = command
            .spawn()
            .map_err(|e| SoundError::Start(format!("{name}: {e}")))?;
        self.children.push((name, child));
        Ok(())
    }

    /// Waits until `socket` takes connections; fails (and stops what was started) when a
    /// process exits first or it takes longer than [`START_TIMEOUT`].
    fn wait_listening(&mut self, socket: &Path) -> Result<(), SoundError> {
        let started = Instant::now();
        loop {
            if std::os::unix::net::UnixStream::connect(socket).is_ok() {
                return Ok(());
            }
            for index in 0..self.children.len() {
                let (name, child) = &mut self.children[index];
                if let Ok(Some(status)) = child.try_wait() {
                    let error = SoundError::Start(format!("{name} exited ({status})"));
                    self.children.remove(index);
                    self.stop();
                    return Err(error);
                }
            }
            if started.elapsed() > START_TIMEOUT {
                self.stop();
                return Err(SoundError::Start(format!(
                    "nothing listened on {} within {} s",
                    socket.display(),
                    START_TIMEOUT.as_secs()
                )));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// `PULSE_SERVER` for clients.
    pub fn pulse_server(&self) -> String {
        format!("unix:{}", self.socket().display())
    }

    /// The pipe the microphone's samples go into.
    pub fn microphone_pipe(&self) -> PathBuf {
        self.dir.join(MICROPHONE_PIPE)
    }

    /// Ends its processes and removes its directory.
    pub fn stop(&mut self) {
        // Already ended ones (perhaps reaped by the session's reaper) get no signal: their
        // process ids may belong to other processes now.
        let mut running: Vec<Child> = self
            .children
            .drain(..)
            .map(|(_, child)| child)
            .filter_map(|mut child| matches!(child.try_wait(), Ok(None)).then_some(child))
            .collect();
        // SIGTERM lets them close their clients; a process that has not ended 2 s later is
        // killed.
        for child in running.iter().rev() {
            let pid = nix::unistd::Pid::from_raw(child.id() as i32);
            let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(2);
        for child in running.iter_mut().rev() {
            while matches!(child.try_wait(), Ok(None)) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Drop for SoundServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The program `name` from `PATH`.
fn program(name: &'static str, package: &'static str) -> Result<PathBuf, SoundError> {
    crate::programs::on_path(name).ok_or(SoundError::NotInstalled {
        program: name,
        package,
    })
}

/// `dir` as text for a configuration file: UTF-8 without blanks.
fn config_path(dir: &Path) -> Result<&str, SoundError> {
    dir.to_str()
        .filter(|s| !s.contains(char::is_whitespace) && !s.contains('"'))
        .ok_or_else(|| {
            SoundError::Start(format!(
                "the runtime dir's path {} has blanks or is not UTF-8",
                dir.display()
            ))
        })
}

/// The PulseAudio module lines (arguments of `load-module`) that make the session's sink,
/// its microphone's pipe source; the same for both kinds.
fn modules(dir: &str) -> [String; 2] {
    [
        format!(
            "module-null-sink sink_name={SINK} rate=48000 channels=2 \
             sink_properties=device.description=WayRay"
        ),
        format!(
            "module-pipe-source source_name={MICROPHONE_SOURCE} file={dir}/{MICROPHONE_PIPE} \
             format=s16le rate=48000 channels=2 source_properties=device.description=Desk-microphone"
        ),
    ]
}
