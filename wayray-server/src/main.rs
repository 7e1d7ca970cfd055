//! `wayray-server`: the session compositor (and, later, the daemon).

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand};
use miette::{IntoDiagnostic, Result, WrapErr, miette};
use std::sync::Arc;
use wayray_server::output::{OutputConfig, parse_size};

use wayray_protocol::messages::control::OutputMode;
use wayray_protocol::secret::Token;
use wayray_server::encode::pipeline::Pipeline;
use wayray_server::session::{SessionCommand, SessionConfig, SessionHandle};
use wayray_server::transport::{Identity, TransportConfig};

/// Command line.
#[derive(Debug, Parser)]
#[command(name = "wayray-server", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run one headless session compositor: no display, no GPU; applications connect to its
    /// Wayland socket. This is the process the daemon starts for each session.
    Session(SessionArgs),
    /// Run the session compositor in a window on your desktop, for development: the window's
    /// input goes to the session, and CMD is started inside it.
    Nested(NestedArgs),
}

#[derive(Debug, clap::Args)]
struct NestedArgs {
    /// Window (and output) size in physical pixels.
    #[arg(long, default_value = "1280x720", value_parser = parse_size)]
    size: (u32, u32),
    /// Wayland socket name in $XDG_RUNTIME_DIR (default: the first free wayland-N).
    #[arg(long)]
    socket: Option<String>,
    /// xkb keyboard layout of the session.
    #[arg(long, default_value = "us")]
    keyboard_layout: String,
    /// The application to start in the session, after `--`.
    #[arg(last = true)]
    command: Vec<String>,
}

#[derive(Debug, clap::Args)]
struct SessionArgs {
    /// Output size in physical pixels.
    #[arg(long, default_value = "1280x720", value_parser = parse_size)]
    size: (u32, u32),
    /// Output scale (1, 1.5, 2...).
    #[arg(long, default_value_t = 1.0)]
    scale: f64,
    /// Wayland socket name in $XDG_RUNTIME_DIR (default: the first free wayland-N).
    #[arg(long)]
    socket: Option<String>,
    /// xkb keyboard layout of the session.
    #[arg(long, default_value = "us")]
    keyboard_layout: String,
    /// Stop after this many milliseconds (for scripts and tests).
    #[arg(long)]
    exit_after_ms: Option<u64>,
    /// With --exit-after-ms: write the output as a PNG file before stopping.
    #[arg(long, requires = "exit_after_ms")]
    screenshot: Option<PathBuf>,
    /// Serve a viewer over QUIC on this UDP address (until the daemon exists, a session can
    /// serve its viewer itself). Needs --token-file.
    #[arg(long, requires = "token_file")]
    listen: Option<std::net::SocketAddr>,
    /// File holding the token a viewer must present (keep it mode 0600).
    #[arg(long)]
    token_file: Option<PathBuf>,
    /// Where the server's identity (certificate and key) is kept.
    #[arg(long, default_value_os_t = default_state_dir())]
    state_dir: PathBuf,
    /// Most unacknowledged frames on the wire per viewer.
    #[arg(long, default_value_t = 2)]
    frames_in_flight: usize,
    /// The application to start in the session, after `--`.
    #[arg(last = true)]
    command: Vec<String>,
}

fn default_state_dir() -> PathBuf {
    std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))
        .unwrap_or_else(|| PathBuf::from("."))
        .join("wayray")
}

fn main() -> Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
        Command::Session(args) => run_session(args),
        Command::Nested(args) => run_nested(args),
    }
}

fn require_runtime_dir() -> Result<()> {
    if std::env::var_os("XDG_RUNTIME_DIR").is_none() {
        return Err(miette!(
            help = "set XDG_RUNTIME_DIR to a private directory (mode 0700) owned by you, e.g. \
                    export XDG_RUNTIME_DIR=$(mktemp -d)",
            "XDG_RUNTIME_DIR is not set, so there is nowhere to create the Wayland socket"
        ));
    }
    Ok(())
}

fn run_nested(args: NestedArgs) -> Result<()> {
    require_runtime_dir()?;
    let config = SessionConfig {
        output: OutputConfig {
            width: args.size.0,
            height: args.size.1,
            ..OutputConfig::default()
        },
        socket_name: args.socket,
        runtime_dir: None,
        command: args.command,
        keyboard_layout: args.keyboard_layout,
    };
    wayray_server::backend::nested::run(config).map_err(|err| {
        miette!(
            help = "nested mode needs a desktop: run it inside an X11 or Wayland session (or \
                    Xvfb with DISPLAY set)",
            "{err}"
        )
    })
}

fn run_session(args: SessionArgs) -> Result<()> {
    require_runtime_dir()?;
    if !(0.5..=8.0).contains(&args.scale) {
        return Err(miette!(
            help = "use a scale between 0.5 and 8",
            "scale {} is out of range",
            args.scale
        ));
    }
    let config = SessionConfig {
        output: OutputConfig {
            width: args.size.0,
            height: args.size.1,
            scale_120: (args.scale * 120.0).round() as u32,
            ..OutputConfig::default()
        },
        socket_name: args.socket.clone(),
        runtime_dir: None,
        command: args.command.clone(),
        keyboard_layout: args.keyboard_layout.clone(),
    };
    let session = SessionHandle::spawn(config)
        .into_diagnostic()
        .wrap_err("cannot start the session")?;
    tracing::info!(socket = session.socket_name(), "session running");
    let _served = match args.listen {
        Some(listen) => Some(serve(&session, listen, &args)?),
        None => None,
    };
    match args.exit_after_ms {
        None => {
            // Runs until the process is stopped (Ctrl+C ends it; its applications go with it).
            loop {
                std::thread::park();
            }
        }
        Some(ms) => {
            std::thread::sleep(Duration::from_millis(ms));
            if let Some(path) = &args.screenshot {
                let shot = session
                    .screenshot()
                    .ok_or_else(|| miette!("the session stopped before the screenshot"))?;
                shot.write_png(path)
                    .into_diagnostic()
                    .wrap_err("cannot write the screenshot")?;
                tracing::info!(path = %path.display(), frames = shot.frames, windows = shot.windows, "screenshot written");
            }
            Ok(())
        }
    }
}

/// Serves the session's frames and input over QUIC.
fn serve(
    session: &SessionHandle,
    listen: std::net::SocketAddr,
    args: &SessionArgs,
) -> Result<(wayray_server::transport::Transport, Arc<Pipeline>)> {
    let token_file = args
        .token_file
        .as_ref()
        .ok_or_else(|| miette!("--listen needs --token-file"))?;
    let token = std::fs::read_to_string(token_file)
        .into_diagnostic()
        .wrap_err_with(|| format!("cannot read the token file {}", token_file.display()))?;
    let token = token.trim().to_owned();
    if token.is_empty() {
        return Err(miette!(
            help = "write a long random secret into the file",
            "the token file is empty"
        ));
    }
    let identity = Identity::load_or_create(&args.state_dir)
        .map_err(|e| miette!(help = "choose a writable --state-dir", "{e}"))?;
    println!("server fingerprint: {}", identity.fingerprint);
    let (pipeline, sink, frames) = Pipeline::start(1, true);
    let pipeline = Arc::new(pipeline);
    session.send(SessionCommand::SetSink(Box::new(sink)));
    let config = TransportConfig {
        listen,
        identity,
        token: Token::new(token),
        session_id: "local".into(),
        frames_in_flight: args.frames_in_flight,
        mode: OutputMode {
            width: args.size.0,
            height: args.size.1,
            scale_120: (args.scale * 120.0).round() as u32,
        },
    };
    let transport =
        wayray_server::transport::start(config, frames, pipeline.clone(), session.command_sender())
            .map_err(|e| {
                miette!(
                    help = "pick another --listen port, or stop what uses this one",
                    "{e}"
                )
            })?;
    session.send(SessionCommand::SetCursorSink(transport.cursor_sink()));
    println!("listening on {}", transport.local_addr);
    Ok((transport, pipeline))
}
