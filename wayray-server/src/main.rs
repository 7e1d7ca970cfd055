//! `wayray-server`: the daemon (`serve`), the session compositor (`session`) and the nested
//! development compositor (`nested`).

use std::path::PathBuf;
use std::time::Duration;

use clap::{CommandFactory, Parser};
use miette::{IntoDiagnostic, Result, WrapErr, miette};
use std::sync::Arc;
use wayray_server::session::output::OutputConfig;

mod cli;
use cli::{Cli, Command, NestedArgs, ServeArgs, SessionArgs, SessiondArgs, default_state_dir};

use wayray_protocol::messages::control::OutputMode;
use wayray_protocol::secret::Token;
use wayray_server::daemon::DaemonOptions;
use wayray_server::daemon::config::Config;
use wayray_server::daemon::privsep;
use wayray_server::daemon::transport::{Identity, SingleSession, TransportConfig};
use wayray_server::session::audio::{SessionAudio, SoundServerKind};
use wayray_server::session::encode::pipeline::Pipeline;
use wayray_server::session::link::{LinkConfig, LinkServer};
use wayray_server::session::{SessionCommand, SessionConfig, SessionHandle, processes};

fn main() -> Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    match Cli::parse().command {
        Command::Serve(args) => run_daemon(args),
        Command::Session(args) => run_session(args),
        Command::Nested(args) => run_nested(args),
        Command::Sessiond(args) => run_sessiond(args),
        Command::Completions { shell } => {
            let mut command = Cli::command();
            clap_complete::generate(shell, &mut command, "wayray-server", &mut std::io::stdout());
            Ok(())
        }
        Command::Man { dir } => write_man_pages(&dir),
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

fn load_config(path: &std::path::Path) -> Result<Config> {
    Config::load(path).map_err(|e| {
        miette!(
            help = "fix the file (every key is listed in the book's wayray-server page), \
                    or start without --config to use the defaults",
            "{e}"
        )
    })
}

fn run_sessiond(args: SessiondArgs) -> Result<()> {
    if args.exit_with_parent {
        wayray_server::sessiond::exit_with_parent();
    }
    let config = load_config(&args.config)?;
    let state_dir = args
        .state_dir
        .or(config.state_dir.clone())
        .unwrap_or_else(|| PathBuf::from(privsep::DEFAULT_STATE_DIR));
    privsep::prepare_layout(&config, &state_dir).map_err(|e| {
        miette!(
            help = "start it as root with the daemon's configuration; [login] daemon_user must \
                    exist (useradd --system wayray)",
            "{e}"
        )
    })?;
    let options = helper_options(&config, &state_dir).map_err(|e| {
        miette!(
            help = "start it as root with the daemon's configuration",
            "{e}"
        )
    })?;
    wayray_server::sessiond::run(options)
        .map_err(|e| miette!(help = "check that the runtime dir is writable", "{e}"))
}

/// The helper's settings, from the daemon's configuration.
fn helper_options(
    config: &Config,
    state_dir: &std::path::Path,
) -> std::result::Result<wayray_server::sessiond::HelperOptions, String> {
    if !wayray_server::users::is_root() {
        return Err("the session helper must run as root".into());
    }
    let login = &config.login;
    let daemon = wayray_server::users::lookup(&login.daemon_user)?;
    Ok(wayray_server::sessiond::HelperOptions {
        socket: login.helper_socket(),
        daemon_uid: daemon.uid,
        daemon_gid: daemon.gid,
        pam_service: login.pam_service.clone(),
        sessions_dir: login.sessions_dir(),
        logs_dir: state_dir.join("sessions"),
        user_runtime_base: login.user_runtime_base.clone(),
        command: config
            .session_command()
            .ok_or("no session command: set [session] command")?,
        exe: std::env::current_exe().map_err(|e| e.to_string())?,
        limits: wayray_server::sessiond::spawn::Limits {
            max_processes: login.max_processes,
            max_open_files: login.max_open_files,
            max_process_memory_mib: login.max_process_memory_mib,
        },
    })
}

fn run_daemon(args: ServeArgs) -> Result<()> {
    let config_path = args
        .config
        .clone()
        .or_else(|| Config::default_path().filter(|p| p.is_file()));
    let mut config = match &config_path {
        Some(path) => load_config(path)?,
        None => Config::default(),
    };
    if let Some(listen) = args.listen {
        config.listen = listen;
    }
    if let Some(dir) = args.state_dir {
        config.state_dir = Some(dir);
    }
    if let Some(socket) = args.admin_socket {
        config.admin_socket = Some(socket);
    }
    if config.session_command().is_none() {
        tracing::warn!(
            "no terminal found for new sessions; set [session] command in the configuration"
        );
    }
    // Multi-user mode: the helper starts as root, this process continues as the daemon's
    // user; the helper ends with it.
    let _helper = match (&config_path, config.login.enabled) {
        // Started unprivileged (the systemd units): the helper runs as its own service.
        (Some(_), true) if !wayray_server::users::is_root() => {
            config
                .state_dir
                .get_or_insert_with(|| PathBuf::from(privsep::DEFAULT_STATE_DIR));
            let socket = config.login.helper_socket();
            if !socket.exists() {
                return Err(miette!(
                    help = "start the helper first (systemctl start wayray-sessiond), or start \
                            serve as root to run both",
                    "the session helper is not running ({} is missing)",
                    socket.display()
                ));
            }
            None
        }
        (Some(path), true) => {
            let state_dir = config
                .state_dir
                .get_or_insert_with(|| PathBuf::from(privsep::DEFAULT_STATE_DIR))
                .clone();
            Some(privsep::start(&config, path, &state_dir).map_err(|e| {
                miette!(
                    help = "multi-user mode starts as root (sudo, or the systemd unit) and runs \
                            the daemon as [login] daemon_user, which must exist \
                            (useradd --system wayray)",
                    "{e}"
                )
            })?)
        }
        _ => {
            require_runtime_dir()?;
            None
        }
    };
    let runtime_dir = match config.login.enabled {
        true => config.login.runtime_dir.clone(),
        false => std::env::var_os("XDG_RUNTIME_DIR")
            .map(PathBuf::from)
            .unwrap_or_default(),
    };
    let options = DaemonOptions {
        config,
        runtime_dir,
        default_state_dir: default_state_dir(),
    };
    wayray_server::daemon::run(options, |listen, fingerprint| {
        println!("server fingerprint: {fingerprint}");
        println!("listening on {listen}");
    })
    .map_err(|e| match e {
        wayray_server::daemon::DaemonError::AlreadyRunning(_) => miette!(
            help = "stop the other daemon first, or give this one a state dir of its own \
                    (--state-dir)",
            "cannot run the daemon: {e}"
        ),
        wayray_server::daemon::DaemonError::Pool(_) => miette!(
            help = "check the [pool] table: the etcd endpoints' URLs, and the files it names \
                    (password, CA, certificate and key) must be readable by the daemon",
            "cannot join the server pool: {e}"
        ),
        e => miette!(
            help = "check that the state dir and XDG_RUNTIME_DIR are writable and that no \
                    other daemon uses the same port (--listen)",
            "cannot run the daemon: {e}"
        ),
    })
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
        x11: args.x11,
        // Nested on a desk, the apps play on the desk's own sound server.
        pulse_server: None,
    };
    wayray_server::session::backend::nested::run(config).map_err(|err| {
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
    // Before any thread starts: the stop signals are received by one thread, and every
    // process the session starts stays below it.
    processes::block_stop_signals();
    processes::become_subreaper();
    let audio = args.audio.then(|| start_audio(args.sound_server)).flatten();
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
        x11: args.x11,
        pulse_server: audio.as_ref().map(SessionAudio::pulse_server),
    };
    let mut session = SessionHandle::spawn(config)
        .into_diagnostic()
        .wrap_err("cannot start the session")?;
    let stopper = session.command_sender();
    processes::on_stop_signal(move |_| {
        let _ = stopper.send(SessionCommand::Stop);
    });
    // Everything this thread logs from now on names the session's socket.
    let _span = tracing::info_span!("session", socket = session.socket_name()).entered();
    tracing::info!("session running");
    let mode = OutputMode {
        width: args.size.0,
        height: args.size.1,
        scale_120: (args.scale * 120.0).round() as u32,
    };
    let link_path = match (&args.link, args.listen) {
        (Some(path), _) => Some(path.clone()),
        (None, Some(_)) => Some(private_link_path()?),
        (None, None) => None,
    };
    let link = match &link_path {
        Some(path) => Some(serve_link(&session, path, mode, &args, audio.as_ref())?),
        None => None,
    };
    let _transport = match (args.listen, &link_path) {
        (Some(listen), Some(path)) => Some(serve_quic(listen, path, &args)?),
        _ => None,
    };
    match args.exit_after_ms {
        None => {
            // Runs until stopped: by the daemon over the link, or by a signal (its
            // applications go with it).
            session.wait();
            drop(link);
            drop(audio);
            Ok(())
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

/// The session's sound server and capture; without them the session runs silent.
fn start_audio(kind: SoundServerKind) -> Option<SessionAudio> {
    let runtime = std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from)?;
    match SessionAudio::start(&runtime, kind) {
        Ok(audio) => Some(audio),
        Err(err) => {
            tracing::warn!(%err, "the session has no sound");
            None
        }
    }
}

/// A link socket for a session that serves its own viewer.
fn private_link_path() -> Result<PathBuf> {
    let runtime = std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .ok_or_else(|| miette!("XDG_RUNTIME_DIR is not set"))?;
    Ok(runtime
        .join("wayray")
        .join(format!("session-{}.link", std::process::id())))
}

/// Starts the encoder and serves the session's link on `path`.
fn serve_link(
    session: &SessionHandle,
    path: &std::path::Path,
    mode: OutputMode,
    args: &SessionArgs,
    audio: Option<&SessionAudio>,
) -> Result<(LinkServer, Arc<Pipeline>)> {
    let (pipeline, sink, frames) = Pipeline::start(1, true).map_err(|e| {
        miette!(
            help = "the user's process limit may be reached (`[login] max_processes`); end some \
                    of their programs or raise the limit",
            "cannot start the session's encoder thread: {e}"
        )
    })?;
    let pipeline = Arc::new(pipeline);
    session.send(SessionCommand::SetSink(Box::new(sink)));
    let config = LinkConfig {
        path: path.to_owned(),
        frames_in_flight: args.frames_in_flight,
        mode,
        wayland_display: session.socket_name().to_owned(),
        audio: audio.map(SessionAudio::feed),
        microphone: audio.and_then(SessionAudio::microphone),
    };
    let mut link = wayray_server::session::link::start(
        config,
        frames,
        pipeline.clone(),
        session.command_sender(),
    )
    .map_err(|e| {
        miette!(
            help = "check that XDG_RUNTIME_DIR is writable",
            "cannot serve the session link at {}: {e}",
            path.display()
        )
    })?;
    session.send(SessionCommand::SetCursorSink(link.cursor_sink()));
    // No viewer yet: the encoder has parked; a first frame it kept meanwhile is let go.
    session.send(SessionCommand::ReleaseFrames);
    if let Some(sink) = link.take_clipboard_sink() {
        session.send(SessionCommand::SetClipboardSink(sink));
    }
    Ok((link, pipeline))
}

/// Serves the session behind `link` to viewers over QUIC, without a daemon.
fn serve_quic(
    listen: std::net::SocketAddr,
    link: &std::path::Path,
    args: &SessionArgs,
) -> Result<wayray_server::daemon::transport::Transport> {
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
    let resolver = Arc::new(SingleSession::new(
        Token::new(token),
        "local".into(),
        link.to_owned(),
    ));
    let transport = wayray_server::daemon::transport::start(TransportConfig {
        listen,
        identity,
        resolver,
    })
    .map_err(|e| {
        miette!(
            help = "pick another --listen port, or stop what uses this one",
            "{e}"
        )
    })?;
    println!("listening on {}", transport.local_addr);
    Ok(transport)
}

fn write_man_pages(dir: &std::path::Path) -> Result<()> {
    let fail = |e: std::io::Error| miette!(help = "choose a directory you can write", "{e}");
    std::fs::create_dir_all(dir).map_err(fail)?;
    clap_mangen::generate_to(Cli::command(), dir).map_err(fail)?;
    println!("man pages written to {}", dir.display());
    Ok(())
}
