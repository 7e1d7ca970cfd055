//! The command line of `wayray-server`.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use wayray_server::session::output::parse_size;

/// Command line.
#[derive(Debug, Parser)]
#[command(name = "wayray-server", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the daemon: viewers connect here with a token, each session runs as its own
    /// process, and `wayray-ctl` administers it through the admin socket.
    Serve(ServeArgs),
    /// Run one headless session compositor: no display, no GPU; applications connect to its
    /// Wayland socket. This is the process the daemon starts for each session.
    Session(SessionArgs),
    /// Run the session compositor in a window on your desktop, for development: the window's
    /// input goes to the session, and CMD is started inside it.
    Nested(NestedArgs),
    /// Multi-user mode's privileged helper: checks passwords with PAM and starts sessions as
    /// their users. `serve` starts it itself; run it by hand only from its systemd unit.
    Sessiond(SessiondArgs),
    /// Print shell completions.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Write man pages (wayray-server.1 and one per command) into a directory.
    Man {
        /// Where to write them.
        dir: PathBuf,
    },
}

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// UDP address viewers connect to (overrides `listen` in the configuration).
    #[arg(long)]
    pub listen: Option<std::net::SocketAddr>,
    /// Configuration file (default: $XDG_CONFIG_HOME/wayray/server.toml, if it exists).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Identity, registry and session logs (overrides `state_dir`).
    #[arg(long)]
    pub state_dir: Option<PathBuf>,
    /// The admin socket wayray-ctl talks to (overrides `admin_socket`).
    #[arg(long)]
    pub admin_socket: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct SessiondArgs {
    /// The daemon's configuration file (its `[login]` and `[session]` tables).
    #[arg(long)]
    pub config: PathBuf,
    /// The daemon's state dir (overrides `state_dir`; session logs go in it).
    #[arg(long)]
    pub state_dir: Option<PathBuf>,
    /// End when the process that started this one ends (`serve` starts its helper so;
    /// sessions keep running).
    #[arg(long)]
    pub exit_with_parent: bool,
}

#[derive(Debug, clap::Args)]
pub struct NestedArgs {
    /// Window (and output) size in physical pixels.
    #[arg(long, default_value = "1280x720", value_parser = parse_size)]
    pub size: (u32, u32),
    /// Wayland socket name in $XDG_RUNTIME_DIR (default: the first free wayland-N).
    #[arg(long)]
    pub socket: Option<String>,
    /// xkb keyboard layout of the session.
    #[arg(long, default_value = "us")]
    pub keyboard_layout: String,
    /// Run Xwayland so X11 applications work (`DISPLAY` is set for the session's apps).
    #[arg(long)]
    pub x11: bool,
    /// The application to start in the session, after `--`.
    #[arg(last = true)]
    pub command: Vec<String>,
}

#[derive(Debug, clap::Args)]
pub struct SessionArgs {
    /// Output size in physical pixels.
    #[arg(long, default_value = "1280x720", value_parser = parse_size)]
    pub size: (u32, u32),
    /// Output scale (1, 1.5, 2...).
    #[arg(long, default_value_t = 1.0)]
    pub scale: f64,
    /// Wayland socket name in $XDG_RUNTIME_DIR (default: the first free wayland-N).
    #[arg(long)]
    pub socket: Option<String>,
    /// xkb keyboard layout of the session.
    #[arg(long, default_value = "us")]
    pub keyboard_layout: String,
    /// Run Xwayland so X11 applications work (`DISPLAY` is set for the session's apps).
    #[arg(long)]
    pub x11: bool,
    /// Run a sound server for the session's apps (`PULSE_SERVER`) and send their sound to
    /// viewers that play it.
    #[arg(long)]
    pub audio: bool,
    /// With --audio: which sound server the session runs.
    #[arg(long, value_enum, default_value = "pulseaudio")]
    pub sound_server: wayray_server::sound_kind::SoundServerKind,
    /// Stop after this many milliseconds (for scripts and tests).
    #[arg(long)]
    pub exit_after_ms: Option<u64>,
    /// With --exit-after-ms: write the output as a PNG file before stopping.
    #[arg(long, requires = "exit_after_ms")]
    pub screenshot: Option<PathBuf>,
    /// Serve the session on this Unix socket to the daemon (the daemon passes it).
    #[arg(long)]
    pub link: Option<PathBuf>,
    /// Serve a viewer over QUIC on this UDP address without a daemon (one session, one
    /// token). Needs --token-file.
    #[arg(long, requires = "token_file")]
    pub listen: Option<std::net::SocketAddr>,
    /// File holding the token a viewer must present (keep it mode 0600).
    #[arg(long)]
    pub token_file: Option<PathBuf>,
    /// Where the server's identity (certificate and key) is kept.
    #[arg(long, default_value_os_t = default_state_dir())]
    pub state_dir: PathBuf,
    /// Most unacknowledged frames on the wire per viewer.
    #[arg(long, default_value_t = 2)]
    pub frames_in_flight: usize,
    /// The application to start in the session, after `--`.
    #[arg(last = true)]
    pub command: Vec<String>,
}

pub fn default_state_dir() -> PathBuf {
    std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))
        .unwrap_or_else(|| PathBuf::from("."))
        .join("wayray")
}
