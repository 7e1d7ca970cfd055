//! The daemon (`wayray-server serve`): the QUIC front end for every session, the registry of
//! tokens and sessions, a process per session, and the admin socket.
//!
//! - [`config`]: the TOML file;
//! - [`registry`]: SQLite (tokens as hashes, sessions, audit log, migrations);
//! - [`lifecycle`]: session states and their moves;
//! - [`supervisor`]: session processes — start, adopt after a restart, stop, idle timeout;
//! - [`resolver`]: token → session, hot-desking;
//! - [`pool`]: servers sharing tokens and sessions through etcd (`[pool]`);
//! - [`login`]: user name and password → the user's session, through the session helper;
//! - [`attach`]: the last step of both: the viewer bound to its session;
//! - [`attach_steps`]: steps attaches share (registry work, a new session for a token);
//! - [`privsep`]: multi-user start — the helper as root, the daemon as its own user;
//! - [`admin`]: the `wayray-ctl` socket.

pub mod admin;
pub mod admin_access;
pub mod adopt;
pub mod attach;
pub mod attach_steps;
pub mod config;
pub mod dirs;
pub mod lifecycle;
pub mod login;
pub mod pool;
pub mod privsep;
pub mod registry;
pub mod resolver;
pub mod session_error;
pub mod session_link;
pub mod supervisor;
pub mod tokens;
pub mod transport;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use config::Config;
use dirs::private_dir;
use registry::Registry;
use supervisor::{Paths, Supervisor};

use crate::daemon::transport::Identity;

/// Starting the daemon failed.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    /// A directory or socket could not be set up.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// Why it failed.
        source: std::io::Error,
    },
    /// Another daemon holds the state dir.
    #[error("another wayray-server daemon is running with the state dir {0}")]
    AlreadyRunning(PathBuf),
    /// The registry could not be opened.
    #[error(transparent)]
    Registry(#[from] registry::RegistryError),
    /// The identity could not be loaded or created.
    #[error("{0}")]
    Identity(String),
    /// The pool's etcd client could not be set up.
    #[error(transparent)]
    Pool(#[from] pool::PoolError),
    /// QUIC could not be set up.
    #[error(transparent)]
    Transport(#[from] crate::daemon::transport::TransportError),
}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> DaemonError {
    let what = what.into();
    move |source| DaemonError::Io { what, source }
}

/// Where things go, with the command line's overrides applied to the configuration.
#[derive(Debug, Clone)]
pub struct DaemonOptions {
    /// The configuration.
    pub config: Config,
    /// `$XDG_RUNTIME_DIR`.
    pub runtime_dir: PathBuf,
    /// The state dir when the configuration names none.
    pub default_state_dir: PathBuf,
}

/// The paths the daemon uses.
pub fn paths(options: &DaemonOptions) -> Paths {
    let state_dir = options
        .config
        .state_dir
        .clone()
        .unwrap_or_else(|| options.default_state_dir.clone());
    let login = &options.config.login;
    let admin_socket = options.config.admin_socket.clone().unwrap_or_else(|| {
        if login.enabled {
            login.runtime_dir.join("admin.sock")
        } else {
            options
                .runtime_dir
                .join(wayray_protocol::admin::ADMIN_SOCKET)
        }
    });
    let sessions_dir = if login.enabled {
        login.sessions_dir()
    } else {
        options.runtime_dir.join("wayray").join("sessions")
    };
    Paths {
        logs_dir: state_dir.join("sessions"),
        sessions_dir,
        state_dir,
        admin_socket,
    }
}

/// Takes the state dir's lock file (`daemon.lock`, 0600) for as long as the result lives.
fn lock_state_dir(
    state_dir: &std::path::Path,
) -> Result<nix::fcntl::Flock<std::fs::File>, DaemonError> {
    use std::os::unix::fs::OpenOptionsExt;
    let path = state_dir.join("daemon.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(&path)
        .map_err(io(format!("cannot open {}", path.display())))?;
    nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusiveNonblock)
        .map_err(|_| DaemonError::AlreadyRunning(state_dir.to_owned()))
}

/// Runs the daemon until SIGINT or SIGTERM. Sessions keep running after it stops; the next
/// daemon adopts them. `ready` is called with the address viewers connect to and the
/// fingerprint once everything listens.
pub fn run(
    options: DaemonOptions,
    ready: impl FnOnce(SocketAddr, &str),
) -> Result<(), DaemonError> {
    let paths = paths(&options);
    let mut private = vec![&paths.state_dir, &paths.logs_dir];
    // In multi-user mode the helper (root) owns the sessions' directory.
    if !options.config.login.enabled {
        private.push(&paths.sessions_dir);
    }
    for dir in private {
        private_dir(dir).map_err(io(format!("cannot create {}", dir.display())))?;
    }
    // One daemon per state dir: a second one would take over the first's admin socket and
    // sessions. The lock goes with the process, however it ends.
    let _one_daemon = lock_state_dir(&paths.state_dir)?;
    let identity = Identity::load_or_create(&paths.state_dir)
        .map_err(|e| DaemonError::Identity(e.to_string()))?;
    let registry = Registry::open(&paths.state_dir.join("registry.sqlite3"))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("wayray-daemon")
        .enable_all()
        .build()
        .map_err(io("cannot start the runtime"))?;
    runtime.block_on(async move {
        let endpoint = crate::daemon::transport::endpoint(&identity, options.config.listen)?;
        let listen = endpoint
            .local_addr()
            .map_err(io("cannot read the listening address"))?;
        let shared = options.config.login.enabled;
        let admin = admin::bind(&paths.admin_socket, shared).map_err(io(format!(
            "cannot create the admin socket {}",
            paths.admin_socket.display()
        )))?;
        let supervisor = Arc::new(
            Supervisor::new(
                options.config.clone(),
                paths.clone(),
                registry,
                listen,
                identity.fingerprint.clone(),
            )
            .map_err(io("cannot find this program's path"))?,
        );
        supervisor.adopt_all().await;
        if let Some(config) = options.config.pool.clone() {
            let pool = pool::Pool::connect(config, identity.fingerprint.clone()).await?;
            let pool = Arc::new(pool);
            supervisor.join_pool(pool.clone());
            tokio::spawn(pool::membership::run(pool.clone(), supervisor.clone()));
            tokio::spawn(pool::revocations::run(pool, supervisor.clone()));
        }
        supervisor.prune_audit();
        tracing::info!(
            %listen,
            fingerprint = %identity.fingerprint,
            admin = %paths.admin_socket.display(),
            "daemon ready"
        );
        ready(listen, &identity.fingerprint);

        let resolver = Arc::new(resolver::DaemonResolver(supervisor.clone()));
        let idle = {
            let supervisor = supervisor.clone();
            async move {
                loop {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    supervisor.reap_idle().await;
                }
            }
        };
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .map_err(io("cannot handle SIGTERM"))?;
        tokio::select! {
            () = crate::daemon::transport::serve(endpoint.clone(), resolver) => {}
            () = admin::serve(admin, supervisor.clone()) => {}
            () = idle => {}
            _ = tokio::signal::ctrl_c() => {}
            _ = terminate.recv() => {}
        }
        tracing::info!("daemon stopping; sessions keep running and the next daemon adopts them");
        endpoint.close(
            wayray_protocol::messages::control::DisconnectReason::ServerShutdown
                .code()
                .into(),
            b"server shutting down",
        );
        endpoint.wait_idle().await;
        let _ = std::fs::remove_file(&paths.admin_socket);
        Ok(())
    })
}
