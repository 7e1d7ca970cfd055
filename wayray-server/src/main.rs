//! `wayray-server`: the session compositor (and, later, the daemon).

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand};
use miette::{IntoDiagnostic, Result, WrapErr, miette};
use wayray_server::output::{OutputConfig, parse_size};
use wayray_server::session::{Session, SessionConfig, SessionHandle};

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
    /// The application to start in the session, after `--`.
    #[arg(last = true)]
    command: Vec<String>,
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
        socket_name: args.socket,
        runtime_dir: None,
        command: args.command,
        keyboard_layout: args.keyboard_layout,
    };
    match args.exit_after_ms {
        None => {
            let mut session = Session::new(&config)
                .into_diagnostic()
                .wrap_err("cannot start the session")?;
            let _commands = session.command_channel();
            session.spawn(&config.command).into_diagnostic()?;
            tracing::info!(socket = session.socket_name(), "session running");
            session.run();
            Ok(())
        }
        Some(ms) => {
            let session = SessionHandle::spawn(config)
                .into_diagnostic()
                .wrap_err("cannot start the session")?;
            tracing::info!(socket = session.socket_name(), "session running");
            std::thread::sleep(Duration::from_millis(ms));
            if let Some(path) = args.screenshot {
                let shot = session
                    .screenshot()
                    .ok_or_else(|| miette!("the session stopped before the screenshot"))?;
                shot.write_png(&path)
                    .into_diagnostic()
                    .wrap_err("cannot write the screenshot")?;
                tracing::info!(path = %path.display(), frames = shot.frames, windows = shot.windows, "screenshot written");
            }
            Ok(())
        }
    }
}
