//! A desk's sound server for the tests: a private `pulseaudio` whose default source is the
//! monitor of its null sink `desk`, so that what a test plays into `desk` is what the desk's
//! microphone hears. Stopped (and its directory removed) on drop.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running desk sound server.
pub struct DeskSound {
    child: Child,
    dir: PathBuf,
}

impl DeskSound {
    /// Starts one with its socket in `dir` (created); `None` (skip) without `pulseaudio`
    /// outside CI.
    pub fn start(dir: &Path) -> Option<Self> {
        let program = crate::programs::require("pulseaudio")?;
        std::fs::create_dir_all(dir).expect("desk sound dir");
        let socket = dir.join("native");
        let script = dir.join("desk.pa");
        std::fs::write(
            &script,
            format!(
                "load-module module-native-protocol-unix socket={} auth-anonymous=1\n\
                 load-module module-null-sink sink_name=desk rate=48000 channels=2\n\
                 set-default-sink desk\nset-default-source desk.monitor\n",
                socket.display()
            ),
        )
        .expect("desk.pa");
        let child = Command::new(program)
            .args([
                "--daemonize=no",
                "--system=no",
                "--use-pid-file=no",
                "--exit-idle-time=-1",
            ])
            .args([
                "--disable-shm=yes",
                "--log-target=stderr",
                "--log-level=error",
                "-n",
                "-F",
            ])
            .arg(&script)
            .env("PULSE_RUNTIME_PATH", dir)
            .env("PULSE_STATE_PATH", dir.join("state"))
            .env("XDG_CONFIG_HOME", dir.join("config"))
            .stdin(Stdio::null())
            .spawn()
            .expect("pulseaudio starts");
        let listening = crate::wait::poll_until(Duration::from_secs(10), || {
            std::os::unix::net::UnixStream::connect(&socket).map(drop)
        });
        assert!(listening.is_ok(), "the desk's pulseaudio did not listen");
        Some(Self {
            child,
            dir: dir.to_owned(),
        })
    }

    /// `PULSE_SERVER` for the desk's programs.
    pub fn pulse_server(&self) -> String {
        format!("unix:{}", self.dir.join("native").display())
    }
}

impl Drop for DeskSound {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
