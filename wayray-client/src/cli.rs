//! The command line of `wayray-client`.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Command line.
#[derive(Debug, Parser)]
#[command(name = "wayray-client", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Connect to a WayRay server and show its session.
    Connect(Box<ConnectArgs>),
    /// Print shell completions.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Write man pages (wayray-client.1 and one per command) into a directory.
    Man {
        /// Where to write them.
        dir: PathBuf,
    },
}

#[derive(Debug, clap::Args)]
pub struct ConnectArgs {
    /// The server, HOST:PORT.
    pub server: String,
    /// File holding the session token (or the desk card saved after a login). Without it
    /// (and without --password-file) the window shows a login screen.
    #[arg(long, conflicts_with = "user")]
    pub token_file: Option<PathBuf>,
    /// Log in as this Unix user (servers with login enabled) instead of presenting a token;
    /// without --password-file the login screen asks for the password.
    #[arg(long)]
    pub user: Option<String>,
    /// With --user: file holding the password (its first line).
    #[arg(long, requires = "user")]
    pub password_file: Option<PathBuf>,
    /// After a login: save the session's desk token in FILE (mode 0600); presenting it with
    /// --token-file moves the session to any desk without the password.
    #[arg(long, requires = "user", value_name = "FILE")]
    pub save_token: Option<PathBuf>,
    /// Accept and pin a server seen for the first time without asking.
    #[arg(long, conflicts_with = "fingerprint")]
    pub accept_new: bool,
    /// Accept exactly this server identity (as printed by the server), and pin it.
    #[arg(long, value_name = "sha256:HEX")]
    pub fingerprint: Option<String>,
    /// Known-servers file (default: ~/.config/wayray/known_servers).
    #[arg(long)]
    pub known_servers: Option<PathBuf>,
    /// Decode into memory with no window (automation, machines without a display).
    #[arg(long)]
    pub headless: bool,
    /// With --headless: write the framebuffer as PNG when exiting.
    #[arg(long)]
    pub screenshot: Option<PathBuf>,
    /// Exit after this many frames.
    #[arg(long)]
    pub exit_after_frames: Option<u64>,
    /// Exit after this many milliseconds.
    #[arg(long)]
    pub exit_after_ms: Option<u64>,
    /// Report this display refresh rate to the session, which paces its applications to it
    /// (a window reports its monitor's own rate once it is shown; default: 60 Hz).
    #[arg(long, value_name = "HZ", value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub refresh_hz: Option<u32>,
    /// Write a JSON report (first_frame_ms, frames, bytes, rtt_ms, reconnects and, when keys
    /// were typed, latency_ms_p50 / latency_ms_p99) when exiting.
    #[arg(long)]
    pub report: Option<PathBuf>,
    /// With --headless: after the first frame, type TEXT (as keys of a US keyboard), one key
    /// at a time, timing each key to the frame that shows it.
    #[arg(long, value_name = "TEXT")]
    pub r#type: Option<String>,
    /// Keyboard layout of this desk for the session (xkb layout name; default: the
    /// configuration file, then the desk's own layout (Wayland or X11), then
    /// XKB_DEFAULT_LAYOUT, then us).
    #[arg(long)]
    pub keyboard_layout: Option<String>,
    /// Show the stats overlay from the start (Ctrl+Alt+S toggles it).
    #[arg(long)]
    pub stats: bool,
    /// Grab the keyboard from the start, so that shortcuts such as Alt+Tab go to the session
    /// (Ctrl+Alt+G toggles it; X11 desks, and Wayland desks whose compositor allows it).
    #[arg(long)]
    pub grab_keyboard: bool,
    /// Seconds without hearing from the server before the connection counts as lost
    /// (default: the configuration file, then 5).
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: Option<u64>,
    /// Seconds to keep resuming a dropped connection; 0 does not resume (default: the
    /// configuration file, then 120).
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(0..=86400))]
    pub reconnect_for: Option<u64>,
    /// Share this desk's clipboard and primary selection with the session, both ways where
    /// the server allows (default: the configuration file, then on; off with --headless).
    #[arg(long, value_name = "on|off", value_parser = parse_on_off)]
    pub clipboard: Option<bool>,
    /// The largest clipboard entry shared either way, in MiB (default: the configuration file,
    /// then 16).
    #[arg(long, value_name = "MIB", value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub clipboard_max_mib: Option<u64>,
    /// Play the session's sound on this desk's sound server (default: on in a window, off
    /// with --headless).
    #[arg(long, value_name = "on|off", value_parser = parse_on_off)]
    pub audio: Option<bool>,
    /// Send this desk's microphone (its sound server's default source) to the session's
    /// applications (default: the configuration file, then off).
    #[arg(long)]
    pub microphone: bool,
    /// Write the session's sound to this WAV file (48 kHz stereo) instead of playing it.
    #[arg(long, value_name = "FILE.wav")]
    pub audio_out: Option<PathBuf>,
    /// Take the session's video in full colour resolution (H.264 4:4:4, sharper coloured
    /// edges) where the server sends it; off takes 4:2:0, about half the decoding work
    /// (default: the configuration file, then on).
    #[arg(long, value_name = "on|off", value_parser = parse_on_off)]
    pub full_chroma: Option<bool>,
    /// Viewer configuration file (default: ~/.config/wayray/client.toml).
    #[arg(long)]
    pub config: Option<PathBuf>,
}

fn parse_on_off(value: &str) -> Result<bool, String> {
    match value {
        "on" | "yes" | "true" => Ok(true),
        "off" | "no" | "false" => Ok(false),
        other => Err(format!("expected on or off, not {other}")),
    }
}
