//! PipeWire as the session's sound server, for sites that run PipeWire: `pipewire` (the
//! graph, driven by a dummy clock: the session has no sound card), `wireplumber` (links the
//! applications' streams to the sink; no device monitors, so it never opens the host's sound
//! cards or cameras) and `pipewire-pulse` (the PulseAudio-protocol socket, the sink and the
//! microphone's pipe). No D-Bus: all three run with it turned off. Their configuration and
//! state live in the private directory; the sockets too (`pipewire-0` and `native`).

use std::path::Path;
use std::process::Command;

use super::{SoundError, SoundServer, config_path, modules, program};

/// Starts the three in `server`'s directory, in order, and waits until the PulseAudio
/// socket listens.
pub fn start(server: &mut SoundServer) -> Result<(), SoundError> {
    let pipewire = program("pipewire", "pipewire-bin")?;
    let wireplumber = program("wireplumber", "wireplumber")?;
    let pulse = program("pipewire-pulse", "pipewire-pulse")?;
    let dir = server.dir().to_owned();
    let text = config_path(&dir)?;
    let write = |path: &Path, content: &str| {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| SoundError::Start(format!("{}: {e}", parent.display())))?;
        }
        std::fs::write(path, content)
            .map_err(|e| SoundError::Start(format!("{}: {e}", path.display())))
    };
    let core = dir.join("pipewire.conf");
    write(&core, CORE)?;
    let policy = dir.join("config").join("wireplumber");
    write(&policy.join("wireplumber.conf"), WIREPLUMBER)?;
    write(
        &policy.join("main.lua.d").join("90-enable-all.lua"),
        WIREPLUMBER_MAIN,
    )?;
    let pulse_conf = dir.join("pipewire-pulse.conf");
    write(&pulse_conf, &pulse_config(text))?;

    let command = |program: &Path, config: Option<&Path>| {
        let mut command = Command::new(program);
        if let Some(config) = config {
            command.arg("-c").arg(config);
        }
        command
            .env("XDG_RUNTIME_DIR", &dir)
            .env("PIPEWIRE_RUNTIME_DIR", &dir)
            .env("XDG_CONFIG_HOME", dir.join("config"))
            .env("XDG_STATE_HOME", dir.join("state"))
            // Errors only: the session's log is not the place for their chatter.
            .env("PIPEWIRE_DEBUG", "1")
            .env("WIREPLUMBER_DEBUG", "1");
        command
    };
    server.spawn("pipewire", command(&pipewire, Some(&core)))?;
    server.wait_listening(&dir.join("pipewire-0"))?;
    server.spawn("wireplumber", command(&wireplumber, None))?;
    server.spawn("pipewire-pulse", command(&pulse, Some(&pulse_conf)))?;
    server.wait_listening(&server.socket())
}

/// `pipewire`'s configuration: the native protocol, access control, a dummy driver.
const CORE: &str = r#"context.properties = {
    support.dbus = false
    core.daemon = true
    core.name = pipewire-0
}
context.spa-libs = {
    audio.convert.* = audioconvert/libspa-audioconvert
    support.* = support/libspa-support
}
context.modules = [
    { name = libpipewire-module-protocol-native }
    { name = libpipewire-module-metadata }
    { name = libpipewire-module-spa-node-factory }
    { name = libpipewire-module-client-node }
    { name = libpipewire-module-client-device }
    { name = libpipewire-module-adapter }
    { name = libpipewire-module-link-factory }
    { name = libpipewire-module-access args = { } }
    { name = libpipewire-module-session-manager }
]
context.objects = [
    { factory = spa-node-factory
        args = { factory.name = support.node.driver node.name = Dummy-Driver
                 node.group = pipewire.dummy priority.driver = 20000 } }
    { factory = spa-node-factory
        args = { factory.name = support.node.driver node.name = Freewheel-Driver
                 priority.driver = 19000 node.group = pipewire.freewheel node.freewheel = true } }
]
"#;

/// `wireplumber`'s configuration: its policy (linking, defaults), no Bluetooth, no D-Bus.
const WIREPLUMBER: &str = r#"context.properties = {
    support.dbus = false
    log.level = 1
    wireplumber.script-engine = lua-scripting
}
context.spa-libs = {
    audio.convert.* = audioconvert/libspa-audioconvert
    support.* = support/libspa-support
}
context.modules = [
    { name = libpipewire-module-protocol-native }
    { name = libpipewire-module-client-node }
    { name = libpipewire-module-client-device }
    { name = libpipewire-module-adapter }
    { name = libpipewire-module-metadata }
    { name = libpipewire-module-session-manager }
]
wireplumber.components = [
    { name = libwireplumber-module-lua-scripting, type = module }
    { name = main.lua, type = config/lua }
    { name = policy.lua, type = config/lua }
]
"#;

/// Replaces wireplumber's `main.lua.d/90-enable-all.lua`: no ALSA, V4L2 or libcamera
/// monitors, no access portal (it needs D-Bus).
const WIREPLUMBER_MAIN: &str = r#"load_module("metadata")
device_defaults.enable()
stream_defaults.enable()
load_script("suspend-node.lua")
"#;

/// `pipewire-pulse`'s configuration: its socket in `dir`, the sink and the microphone.
fn pulse_config(dir: &str) -> String {
    let [sink, microphone] = modules(dir);
    format!(
        r#"context.properties = {{ support.dbus = false }}
context.spa-libs = {{
    audio.convert.* = audioconvert/libspa-audioconvert
    support.* = support/libspa-support
}}
context.modules = [
    {{ name = libpipewire-module-protocol-native }}
    {{ name = libpipewire-module-client-node }}
    {{ name = libpipewire-module-adapter }}
    {{ name = libpipewire-module-metadata }}
    {{ name = libpipewire-module-protocol-pulse args = {{ }} }}
]
pulse.properties = {{ server.address = [ "unix:{dir}/native" ] }}
pulse.cmd = [
    {{ cmd = "load-module" args = "{sink}" }}
    {{ cmd = "load-module" args = "{microphone}" }}
]
"#
    )
}
