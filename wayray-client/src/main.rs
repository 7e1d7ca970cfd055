//! `wayray-client`: the WayRay viewer.

use std::io::{BufRead, IsTerminal, Write};
use std::time::{Duration, Instant};

use clap::{CommandFactory, Parser};
use miette::{IntoDiagnostic, Result, miette};
use wayray_client::config::{self, ClientConfig};
use wayray_client::driver::Driver;
use wayray_client::headless::Headless;
use wayray_client::{ConnectError, ConnectOptions, PinPolicy, Viewer, keys, known_servers};
use wayray_protocol::secret::{Secret, Token};
use wayray_protocol::session::Credentials;

mod cli;
use cli::{Cli, Command, ConnectArgs};

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
        Command::Completions { shell } => {
            let mut command = Cli::command();
            clap_complete::generate(shell, &mut command, "wayray-client", &mut std::io::stdout());
            Ok(())
        }
        Command::Man { dir } => {
            let fail =
                |e: std::io::Error| miette!(help = "choose a directory you can write", "{e}");
            std::fs::create_dir_all(&dir).map_err(fail)?;
            clap_mangen::generate_to(Cli::command(), &dir).map_err(fail)?;
            println!("man pages written to {}", dir.display());
            Ok(())
        }
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
            let audio = options.audio.clone();
            let resume = (!reconnect_for.is_zero()).then_some((options, reconnect_for));
            let result = if args.headless {
                runtime.block_on(headless(viewer, &args, resume, started, audio.as_deref()))
            } else {
                window(viewer, &args, resume, &runtime)
            };
            // A WAV file gets its final header.
            if let Some(audio) = audio {
                audio.finish();
            }
            result
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
        sound: start.sound(),
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
        capabilities: config.capabilities(args.full_chroma),
        clipboard: desk_clipboard(args, config),
        refresh_millihertz: args.refresh_hz.map(|hz| hz * 1000),
        audio: wayray_client::audio::for_viewer(
            args.audio.or(config.audio.play),
            args.audio_out.as_deref(),
            args.headless,
        )
        .map_err(|e| miette!(help = "choose a file in a directory you can write", "{e}"))?,
        microphone: (args.microphone || config.audio.microphone == Some(true))
            .then(wayray_client::audio::microphone::Microphone::start)
            .transpose()
            .map_err(|e| {
                miette!(
                    help = "check that this desk's sound server runs and has a microphone, \
                            or connect without --microphone",
                    "{e}"
                )
            })?,
    };
    Ok((options, login_screen))
}

/// The desk's clipboard, when it is shared: on by default in a window, off by default with
/// `--headless`. A desk without a usable clipboard is said once and the viewer goes on.
fn desk_clipboard(
    args: &ConnectArgs,
    config: &ClientConfig,
) -> Option<std::sync::Arc<wayray_client::clipboard::desk::DeskClipboard>> {
    let share = args
        .clipboard
        .or(config.clipboard.share.filter(|_| !args.headless))
        .unwrap_or(!args.headless);
    if !share {
        return None;
    }
    let mib = args
        .clipboard_max_mib
        .or(config.clipboard.max_size_mib)
        .unwrap_or(wayray_client::config::DEFAULT_CLIPBOARD_MAX_MIB)
        .clamp(1, 1024);
    match wayray_client::clipboard::desk::DeskClipboard::open((mib << 20) as usize) {
        Ok(desk) => Some(desk),
        Err(err) => {
            tracing::warn!(%err, "this desk's clipboard cannot be used: copy and paste stay inside the session");
            None
        }
    }
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
    audio: Option<&wayray_client::audio::AudioPlayer>,
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
    // SIGINT and SIGTERM end it like an exit condition: the report and screenshot are written.
    let stop = stop_signal()?;
    tokio::select! {
        result = driver.run(&mut no_requests, &mut frontend) => {
            result.map_err(|err| miette!(help = err.help(), "{err}"))?;
        }
        signal = stop => tracing::info!(signal, "stopping"),
    }
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
        if let Some(audio) = audio {
            let a = audio.stats();
            report["audio"] = serde_json::json!({
                "packets": a.packets, "bytes": a.bytes, "played": a.played,
                "concealed": a.concealed, "dropped": a.dropped,
            });
        }
        std::fs::write(path, format!("{report}\n")).into_diagnostic()?;
    }
    driver.disconnect().await;
    Ok(())
}

/// Resolves at the first SIGINT or SIGTERM, naming it. The handlers are installed at once.
fn stop_signal() -> Result<impl std::future::Future<Output = &'static str>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt()).into_diagnostic()?;
    let mut terminate = signal(SignalKind::terminate()).into_diagnostic()?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => "SIGINT",
            _ = terminate.recv() => "SIGTERM",
        }
    })
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
