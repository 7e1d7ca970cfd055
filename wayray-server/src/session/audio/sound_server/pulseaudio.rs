//! Debian's `pulseaudio` as the session's sound server: one process, its start-up script
//! (the socket, the sink, the microphone's pipe, the defaults) in the private directory, no
//! module loading after start.

use std::process::Command;

use super::{MICROPHONE_SOURCE, SINK, SoundError, SoundServer, config_path, modules, program};

/// Starts it in `server`'s directory and waits until it listens.
pub fn start(server: &mut SoundServer) -> Result<(), SoundError> {
    let program = program("pulseaudio", "pulseaudio")?;
    let dir = server.dir().to_owned();
    let script = dir.join("session.pa");
    std::fs::write(&script, startup_script(config_path(&dir)?))
        .map_err(|e| SoundError::Start(format!("{}: {e}", script.display())))?;
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
        .env("PULSE_RUNTIME_PATH", &dir)
        .env("PULSE_STATE_PATH", dir.join("state"))
        .env("XDG_CONFIG_HOME", dir.join("config"));
    server.spawn("pulseaudio", command)?;
    server.wait_listening(&server.socket())
}

/// The server's start-up commands.
fn startup_script(dir: &str) -> String {
    let [sink, microphone] = modules(dir);
    format!(
        "load-module module-native-protocol-unix socket={dir}/native auth-anonymous=1\n\
         load-module {sink}\n\
         load-module {microphone}\n\
         set-default-sink {SINK}\n\
         set-default-source {MICROPHONE_SOURCE}\n"
    )
}
