//! `wayray-client`: the WayRay viewer.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use miette::{IntoDiagnostic, Result, miette};
use wayray_client::config::{self, ClientConfig};
use wayray_client::driver::Driver;
use wayray_client::headless::Headless;
use wayray_client::{ConnectError, ConnectOptions, PinPolicy, Viewer, keys, known_servers};
use wayray_protocol::secret::{Secret, Token};
use wayray_protocol::session::Credentials;

/// Command line.
#[derive(Debug, Parser)]
#[command(name = "wayray-client", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Connect to a WayRay server and show its session.
    Connect(ConnectArgs),
}

#[derive(Debug, clap::Args)]
struct ConnectArgs {
    /// The server, HOST:PORT.
    server: String,
    /// File holding the session token (or the desk card saved after a login). Without it
    /// (and without --password-file) the window shows a login screen.
    #[arg(long, conflicts_with = "user")]
    token_file: Option<PathBuf>,
    /// Log in as this Unix user (servers with login enabled) instead of presenting a token;
    /// without --password-file the login screen asks for the password.
    #[arg(long)]
    user: Option<String>,
    /// With --user: file holding the password (its first line).
    #[arg(long, requires = "user")]
    password_file: Option<PathBuf>,
    /// After a login: save the session's desk token in FILE (mode 0600); presenting it with
    /// --token-file moves the session to any desk without the password.
    #[arg(long, requires = "user", value_name = "FILE")]
    save_token: Option<PathBuf>,
    /// Accept and pin a server seen for the first time without asking.
    #[arg(long, conflicts_with = "fingerprint")]
    accept_new: bool,
    /// Accept exactly this server identity (as printed by the server), and pin it.
    #[arg(long, value_name = "sha256:HEX")]
    fingerprint: Option<String>,
    /// Known-servers file (default: ~/.config/wayray/known_servers).
    #[arg(long)]
    known_servers: Option<PathBuf>,
    /// Decode into memory with no window (automation, machines without a display).
    #[arg(long)]
    headless: bool,
    /// With --headless: write the framebuffer as PNG when exiting.
    #[arg(long)]
    screenshot: Option<PathBuf>,
    /// Exit after this many frames.
    #[arg(long)]
    exit_after_frames: Option<u64>,
    /// Exit after this many milliseconds.
    #[arg(long)]
    exit_after_ms: Option<u64>,
    /// Write a JSON report (first_frame_ms, frames, bytes, rtt_ms, reconnects and, when keys
    /// were typed, latency_ms_p50 / latency_ms_p99) when exiting.
    #[arg(long)]
    report: Option<PathBuf>,
    /// With --headless: after the first frame, type TEXT (as keys of a US keyboard), one key
    /// at a time, timing each key to the frame that shows it.
    #[arg(long, value_name = "TEXT")]
    r#type: Option<String>,
    /// Keyboard layout of this desk for the session (xkb layout name; default: the
    /// configuration file, then the desk's own layout (Wayland or X11), then
    /// XKB_DEFAULT_LAYOUT, then us).
    #[arg(long)]
    keyboard_layout: Option<String>,
    /// Show the stats overlay from the start (Ctrl+Alt+S toggles it).
    #[arg(long)]
    stats: bool,
    /// Grab the keyboard from the start, so that shortcuts such as Alt+Tab go to the session
    /// (Ctrl+Alt+G toggles it; X11 desks, and Wayland desks whose compositor allows it).
    #[arg(long)]
    grab_keyboard: bool,
    /// Seconds without hearing from the server before the connection counts as lost
    /// (default: the configuration file, then 5).
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    timeout: Option<u64>,
    /// Seconds to keep resuming a dropped connection; 0 does not resume (default: the
    /// configuration file, then 120).
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(0..=86400))]
    reconnect_for: Option<u64>,
    /// Viewer configuration file (default: ~/.config/wayray/client.toml).
    #[arg(long)]
    config: Option<PathBuf>,
}

fn main() -> Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .into_diagnostic()?;
    match Cli::parse().command {
        Command::Connect(args) => {
            let started = Instant::now();
            let config = load_config(&args)?;
            let (mut options, login_screen) = connect_options(&args, &config)?;
            let reconnect_for = args
                .reconnect_for
                .map_or_else(|| config.reconnect_for(), Duration::from_secs);
            if login_screen {
                if args.headless {
                    return Err(miette!(
                        help = "pass --token-file FILE, or --user NAME --password-file FILE",
                        "no token and no password given"
                    ));
                }
                let resume = (!reconnect_for.is_zero()).then_some((options.clone(), reconnect_for));
                return login_window(options, &args, resume, &runtime);
            }
            let viewer = runtime.block_on(open(&mut options))?;
            // Reconnects present the desk token, never the password again.
            if let Some(desk) = &viewer.desk_token {
                options.credentials = Credentials::Token(desk.clone());
                if let Some(path) = &args.save_token {
                    wayray_client::desk_card::save(path, desk.expose()).map_err(|e| {
                        miette!(
                            help = "choose a file in a directory you can write (--save-token)",
                            "cannot save the desk token to {}: {e}",
                            path.display()
                        )
                    })?;
                }
            }
            let resume = (!reconnect_for.is_zero()).then_some((options, reconnect_for));
            if args.headless {
                runtime.block_on(headless(viewer, &args, resume, started))
            } else {
                window(viewer, &args, resume, &runtime)
            }
        }
    }
}

/// Shows the session in a window until it is closed or the connection ends for good.
#[cfg(feature = "window")]
fn window(
    viewer: Viewer,
    args: &ConnectArgs,
    resume: Option<(ConnectOptions, Duration)>,
    runtime: &tokio::runtime::Runtime,
) -> Result<()> {
    let start = wayray_client::window::Start::Attached(Box::new(viewer));
    show(start, args, resume, runtime)
}

/// The login screen, then the session, in a window.
#[cfg(feature = "window")]
fn login_window(
    options: ConnectOptions,
    args: &ConnectArgs,
    resume: Option<(ConnectOptions, Duration)>,
    runtime: &tokio::runtime::Runtime,
) -> Result<()> {
    let login = wayray_client::window::login::LoginOptions {
        connect: options,
        user: args.user.clone(),
        desk_card: wayray_client::desk_card::default_path(&args.server),
    };
    show(
        wayray_client::window::Start::Login(Box::new(login)),
        args,
        resume,
        runtime,
    )
}

#[cfg(feature = "window")]
fn show(
    start: wayray_client::window::Start,
    args: &ConnectArgs,
    resume: Option<(ConnectOptions, Duration)>,
    runtime: &tokio::runtime::Runtime,
) -> Result<()> {
    let title = match &start {
        wayray_client::window::Start::Attached(viewer) => {
            format!("WayRay — {} — session {}", args.server, viewer.session_id)
        }
        wayray_client::window::Start::Login(_) => format!("WayRay — {}", args.server),
    };
    let window = wayray_client::window::WindowOptions {
        title,
        resume,
        stats: args.stats,
        grab_keyboard: args.grab_keyboard,
    };
    wayray_client::window::run(start, runtime, window).map_err(|err| match err {
        wayray_client::window::WindowError::Disconnected { message, help } => {
            miette!(help = help, "{message}")
        }
        err @ wayray_client::window::WindowError::DeskLost(_) => miette!(
            help = "the session keeps running on the server: connect again once the desk's display is back",
            "{err}"
        ),
        other => miette!(
            help = "without a display, run with --headless (and --screenshot FILE.png)",
            "{other}"
        ),
    })
}

/// This viewer was built without its window.
#[cfg(not(feature = "window"))]
fn login_window(
    _options: ConnectOptions,
    _args: &ConnectArgs,
    _resume: Option<(ConnectOptions, Duration)>,
    _runtime: &tokio::runtime::Runtime,
) -> Result<()> {
    Err(miette!(
        help = "pass --token-file FILE, or --user NAME --password-file FILE",
        "this viewer was built without a window, so it has no login screen"
    ))
}

/// This viewer was built without its window.
#[cfg(not(feature = "window"))]
fn window(
    _viewer: Viewer,
    _args: &ConnectArgs,
    _resume: Option<(ConnectOptions, Duration)>,
    _runtime: &tokio::runtime::Runtime,
) -> Result<()> {
    Err(miette!(
        help = "run with --headless, or use a viewer built with the `window` feature",
        "this viewer was built without a window"
    ))
}

fn resolve(server: &str) -> Result<std::net::SocketAddr> {
    use std::net::ToSocketAddrs;
    server
        .to_socket_addrs()
        .map_err(|e| {
            miette!(
                help = "give the server as HOST:PORT, e.g. 192.0.2.10:7600",
                "cannot resolve {server}: {e}"
            )
        })?
        .next()
        .ok_or_else(|| miette!(help = "check the host name", "{server} has no address"))
}

fn report_error(err: ConnectError) -> miette::Report {
    miette!(help = wayray_client::advice::after_connect(&err), "{err}")
}

/// Asks on the terminal whether to trust a new server.
fn ask(server: &str, fingerprint: &str) -> bool {
    if !std::io::stdin().is_terminal() {
        return false;
    }
    eprint!(
        "The identity of {server} is not known yet.\nIts fingerprint is {fingerprint}.\n\
         Compare it with the one the server printed. Trust it and connect? [y/N] "
    );
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    let _ = std::io::stdin().lock().read_line(&mut line);
    matches!(line.trim(), "y" | "Y" | "yes")
}

fn load_config(args: &ConnectArgs) -> Result<ClientConfig> {
    let (path, required) = match &args.config {
        Some(path) => (Some(path.clone()), true),
        None => (config::default_path(), false),
    };
    match path {
        Some(path) => ClientConfig::load(&path, required).map_err(|err| {
            miette!(
                help = "fix the file (the keys are listed in the viewer's chapter of the book) or pass another --config",
                "{err}"
            )
        }),
        None => Ok(ClientConfig::default()),
    }
}

/// The first line of `path`, for a token or a password.
fn read_secret(path: &std::path::Path, help: &'static str) -> Result<String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| miette!(help = help, "cannot read {}: {e}", path.display()))?;
    Ok(text
        .lines()
        .next()
        .unwrap_or_default()
        .trim_end()
        .to_owned())
}

/// A token, or a user name and password; `None` when the login screen must ask.
fn credentials(args: &ConnectArgs) -> Result<Option<Credentials>> {
    match (&args.token_file, &args.user, &args.password_file) {
        (_, Some(user), Some(password)) => Ok(Some(Credentials::Login {
            user: user.clone(),
            password: Secret::new(read_secret(
                password,
                "pass a file holding your password with --password-file",
            )?),
        })),
        (Some(token), _, _) => Ok(Some(Credentials::Token(Token::new(
            read_secret(
                token,
                "pass the file your administrator gave you with --token-file",
            )?
            .trim()
            .to_owned(),
        )))),
        _ => Ok(None),
    }
}

/// Everything needed to connect (and to connect again), from the flags and the configuration,
/// and whether the login screen must ask for the credentials.
fn connect_options(args: &ConnectArgs, config: &ClientConfig) -> Result<(ConnectOptions, bool)> {
    let given = credentials(args)?;
    let login_screen = given.is_none();
    // The login screen puts in what is typed.
    let credentials = given.unwrap_or(Credentials::Login {
        user: String::new(),
        password: Secret::new(String::new()),
    });
    let known = args
        .known_servers
        .clone()
        .or_else(known_servers::default_path)
        .ok_or_else(|| {
            miette!(
                help = "pass --known-servers FILE",
                "no home directory for the known-servers file"
            )
        })?;
    let options = ConnectOptions {
        server: resolve(&args.server)?,
        label: args.server.clone(),
        known_servers: known,
        pin: match (&args.fingerprint, args.accept_new) {
            (Some(f), _) => PinPolicy::Fingerprint(f.clone()),
            (None, true) => PinPolicy::AcceptNew,
            (None, false) => PinPolicy::Known,
        },
        credentials,
        preferred_mode: None,
        keymap: config.keymap(
            args.keyboard_layout.as_deref(),
            wayray_client::desk::keymap,
            |var| std::env::var(var).ok(),
        ),
        timeout: args
            .timeout
            .map_or_else(|| config.timeout(), Duration::from_secs),
        capabilities: wayray_protocol::Capabilities::implemented(),
    };
    Ok((options, login_screen))
}

/// Connects (asking about a new server on a terminal) and attaches. A server accepted on the
/// terminal is pinned, so connecting again later needs no question.
async fn open(options: &mut ConnectOptions) -> Result<Viewer> {
    match Viewer::connect(options).await {
        Ok(viewer) => Ok(viewer),
        Err(ConnectError::NewServer {
            server,
            fingerprint,
        }) if ask(&server, &fingerprint) => {
            options.pin = PinPolicy::Fingerprint(fingerprint);
            let viewer = Viewer::connect(options).await.map_err(report_error)?;
            options.pin = PinPolicy::Known;
            Ok(viewer)
        }
        Err(err) => Err(report_error(err)),
    }
}

/// Decodes into memory with no window until an exit condition, then writes what was asked.
/// A dropped connection is resumed (when `resume` allows), and counts are kept across it.
async fn headless(
    viewer: Viewer,
    args: &ConnectArgs,
    resume: Option<(ConnectOptions, Duration)>,
    started: Instant,
) -> Result<()> {
    let deadline = args
        .exit_after_ms
        .map(|ms| started + Duration::from_millis(ms));
    let to_type = match &args.r#type {
        Some(text) => keys::us_strokes(text).map_err(|c| {
            miette!(
                help = "--type takes printable ASCII, spaces and newlines",
                "{c:?} cannot be typed on a US keyboard"
            )
        })?,
        None => Vec::new(),
    };
    let mut frontend = Headless::new(started, args.exit_after_frames, to_type);
    let mut driver = Driver::new(viewer, resume, deadline);
    // The headless viewer sends nothing but what it types.
    let (_requests, mut no_requests) = tokio::sync::mpsc::channel(1);
    driver
        .run(&mut no_requests, &mut frontend)
        .await
        .map_err(|err| miette!(help = err.help(), "{err}"))?;
    let viewer = &driver.viewer;
    if let Some(path) = &args.screenshot {
        let fb = &viewer.framebuffer;
        if fb.width() == 0 {
            return Err(miette!(
                help = "wait longer (--exit-after-ms)",
                "no frame arrived, nothing to write"
            ));
        }
        write_png(path, fb.width(), fb.height(), fb.pixels())?;
    }
    if let Some(path) = &args.report {
        let ms = |d: Duration| (d.as_secs_f64() * 1e5).round() / 100.0;
        let mut report = serde_json::json!({
            "first_frame_ms": frontend.first_frame_ms.map(|v| (v * 10.0).round() / 10.0),
            "frames": frontend.earlier_frames + viewer.frames,
            "bytes": frontend.earlier_bytes + viewer.bytes,
            "rtt_ms": viewer.rtt().map(ms),
            "reconnects": driver.reconnects,
        });
        if viewer.stats.latency_samples() > 0 {
            report["keystrokes_measured"] = viewer.stats.latency_samples().into();
            report["latency_ms_p50"] = viewer.stats.latency_percentile(50.0).map(ms).into();
            report["latency_ms_p99"] = viewer.stats.latency_percentile(99.0).map(ms).into();
        }
        std::fs::write(path, format!("{report}\n")).into_diagnostic()?;
    }
    driver.disconnect().await;
    Ok(())
}

fn write_png(path: &std::path::Path, width: u32, height: u32, bgra: &[u8]) -> Result<()> {
    let rgba: Vec<u8> = bgra
        .chunks_exact(4)
        .flat_map(|p| [p[2], p[1], p[0], 255])
        .collect();
    let file = std::fs::File::create(path).map_err(|e| {
        miette!(
            help = "choose a writable path",
            "cannot write {}: {e}",
            path.display()
        )
    })?;
    let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), width, height);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    encoder
        .write_header()
        .and_then(|mut w| w.write_image_data(&rgba))
        .into_diagnostic()
}
