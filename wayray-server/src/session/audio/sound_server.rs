//! The session's own PulseAudio server (Debian's `pulseaudio`): a null sink named
//! [`SINK`] that the session's applications play into, a pipe source that is their
//! microphone ([`MICROPHONE_SOURCE`]), one native-protocol socket in a
//! directory only the session's user can enter, no other way in (no TCP, no D-Bus, no
//! module loading after start), and its configuration and cookie in that directory rather
//! than the user's home. It runs as the session's user (it is the session process's
//! child) and ends with the session.

use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The null sink the session's applications play into; its monitor is captured.
pub const SINK: &str = "wayray";
/// The source the desk's microphone comes out of (the session's default source): a pipe the
/// session process writes into.
pub const MICROPHONE_SOURCE: &str = "wayray_microphone";
/// The pipe's name in the server's directory.
pub const MICROPHONE_PIPE: &str = "microphone";
/// How long the server may take to listen (well within the daemon's wait for the session:
/// a slow sound server costs the session its sound, not its start).
const START_TIMEOUT: Duration = Duration::from_secs(2);

/// Starting the sound server failed.
#[derive(Debug, thiserror::Error)]
pub enum SoundError {
    /// `pulseaudio` is not installed.
    #[error("pulseaudio is not installed (Debian: apt install pulseaudio)")]
    NotInstalled,
    /// It did not start or did not listen.
    #[error("the session's sound server did not start: {0}")]
    Start(String),
}

/// A running sound server.
#[derive(Debug)]
pub struct SoundServer {
    child: Option<Child>,
    dir: PathBuf,
}

impl SoundServer {
    /// Starts `pulseaudio` with its socket at `dir/native` (`dir` is created mode 0700).
    pub fn start(dir: &Path) -> Result<Self, SoundError> {
        let program = crate::programs::on_path("pulseaudio").ok_or(SoundError::NotInstalled)?;
        let fail = |e: std::io::Error| SoundError::Start(format!("{}: {e}", dir.display()));
        let _ = std::fs::remove_dir_all(dir);
        std::fs::DirBuilder::new()
            .mode(0o700)
            .recursive(true)
            .create(dir)
            .map_err(fail)?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(fail)?;
        let socket = dir.join("native");
        let script = dir.join("session.pa");
        std::fs::write(&script, startup_script(dir)?).map_err(fail)?;
        let mut command = Command::new(program);
        command
            .args([
                "--daemonize=no",
                "--system=no",
                "--use-pid-file=no",
                "--exit-idle-time=-1",
                "--disallow-exit=yes",
                "--disable-shm=yes",
                "--log-target=stderr",
                "--log-level=error",
                "-n",
            ])
            .arg("-F")
            .arg(&script)
            .arg("--disallow-module-loading=yes")
            // Its state, configuration and cookie stay in the private directory.
            .env("PULSE_RUNTIME_PATH", dir)
            .env("PULSE_STATE_PATH", dir.join("state"))
            .env("XDG_CONFIG_HOME", dir.join("config"))
            .env_remove("PULSE_SERVER")
            .env_remove("DBUS_SESSION_BUS_ADDRESS")
            .stdin(Stdio::null());
        // SAFETY: prctl is async-signal-safe; the child gets SIGTERM when the session's
        // thread that started it ends, so a killed session leaves no sound server behind.
        unsafe {
            command.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = command.spawn().map_err(fail)?;
        let mut server = Self {
            child: Some(child),
            dir: dir.to_owned(),
        };
        server.wait_listening(&socket)?;
        tracing::info!(socket = %socket.display(), "sound server running");
        Ok(server)
    }

    fn wait_listening(&mut self, socket: &Path) -> Result<(), SoundError> {
        let started = Instant::now();
        loop {
            if std::os::unix::net::UnixStream::connect(socket).is_ok() {
                return Ok(());
            }
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                self.child = None;
                return Err(SoundError::Start(format!("pulseaudio exited ({status})")));
            }
            if started.elapsed() > START_TIMEOUT {
                self.stop();
                return Err(SoundError::Start(format!(
                    "pulseaudio did not listen on {} within {} s",
                    socket.display(),
                    START_TIMEOUT.as_secs()
                )));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// `PULSE_SERVER` for clients.
    pub fn pulse_server(&self) -> String {
        format!("unix:{}", self.dir.join("native").display())
    }

    /// The pipe the microphone's samples go into.
    pub fn microphone_pipe(&self) -> PathBuf {
        self.dir.join(MICROPHONE_PIPE)
    }

    /// Ends it and removes its directory.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // Already ended (and perhaps reaped by the session's reaper): its process id may
            // belong to another process now, so it gets no signal.
            if !matches!(child.try_wait(), Ok(None)) {
                let _ = std::fs::remove_dir_all(&self.dir);
                return;
            }
            // SIGTERM lets it close its clients; a server that ignores it is killed.
            let pid = nix::unistd::Pid::from_raw(child.id() as i32);
            let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
            let deadline = Instant::now() + Duration::from_secs(2);
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

/// The server's start-up commands: the socket, the sink, the microphone's pipe, defaults.
fn startup_script(dir: &Path) -> Result<String, SoundError> {
    let dir = dir
        .to_str()
        .filter(|s| !s.contains(char::is_whitespace))
        .ok_or_else(|| {
            SoundError::Start(format!(
                "the runtime dir's path {} has blanks or is not UTF-8",
                dir.display()
            ))
        })?;
    Ok(format!(
        "load-module module-native-protocol-unix socket={dir}/native auth-anonymous=1\n\
         load-module module-null-sink sink_name={SINK} rate=48000 channels=2 \
         sink_properties=device.description=WayRay\n\
         load-module module-pipe-source source_name={MICROPHONE_SOURCE} \
         file={dir}/{MICROPHONE_PIPE} format=s16le rate=48000 channels=2 \
         source_properties=device.description=Desk-microphone\n\
         set-default-sink {SINK}\n\
         set-default-source {MICROPHONE_SOURCE}\n"
    ))
}
