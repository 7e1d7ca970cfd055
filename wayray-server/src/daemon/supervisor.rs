//! The daemon's sessions: starting a process per session, noticing its end (exit status for
//! the ones it started, the link closing for the ones it adopted after a restart), stopping
//! them, and the idle timeout of sessions without a viewer. The registry records every change;
//! this module keeps what only lives while the daemon runs (viewer connections).
//!
//! Session processes run in their own process group and outlive the daemon; a restarted
//! daemon finds them again through the link sockets recorded in the registry.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use wayray_protocol::messages::link::LinkRequest;

use super::config::Config;
use super::lifecycle::Event;
use super::registry::{Registry, now};
use super::session_error::SessionError;
use super::session_link;
use crate::users::kill_group;
use tracing::Instrument;
use wayray_protocol::admin::EndReason;

/// How long a new session process may take to open its link.
const START_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a stopped session may take to exit before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(5);

/// Where the daemon keeps things.
#[derive(Debug, Clone)]
pub struct Paths {
    /// Identity, registry, session logs.
    pub state_dir: PathBuf,
    /// Link sockets of the sessions (`$XDG_RUNTIME_DIR/wayray/sessions`).
    pub sessions_dir: PathBuf,
    /// Logs of the session processes.
    pub logs_dir: PathBuf,
    /// The admin socket.
    pub admin_socket: PathBuf,
}

/// The viewer attached to a session.
#[derive(Debug, Clone)]
pub struct Viewer {
    /// Its connection.
    pub connection: quinn::Connection,
    /// The token it presented.
    pub token_id: String,
}

/// A session process the daemon knows is running.
#[derive(Debug)]
pub struct Live {
    /// Its process id.
    pub pid: u32,
    /// Its link socket.
    pub link: PathBuf,
    /// Its viewer, if any.
    pub viewer: Option<Viewer>,
    /// Set when the daemon stops it, so its end is not reported as a crash.
    pub stop_reason: Option<EndReason>,
    /// The viewer address whose attach started it (counted by `max_sessions_per_source`);
    /// none for logins and for sessions adopted after a restart.
    pub started_for: Option<IpAddr>,
}

/// Sessions and registry of a running daemon.
#[derive(Debug)]
pub struct Supervisor {
    /// The configuration.
    pub config: Config,
    /// Directories and sockets.
    pub paths: Paths,
    /// Where viewers connect.
    pub listen: SocketAddr,
    /// The server identity's fingerprint.
    pub fingerprint: String,
    /// When the daemon started.
    pub started: Instant,
    exe: PathBuf,
    registry: Mutex<Registry>,
    live: Mutex<HashMap<u64, Live>>,
    /// Attaches run one at a time, so one token never starts two sessions.
    pub(super) attach_lock: tokio::sync::Mutex<()>,
    /// Per session: attaches bind and reach the session's link one at a time, in order.
    session_locks: Mutex<HashMap<u64, Arc<tokio::sync::Mutex<()>>>>,
    /// Per token, in a pool: its attaches route one at a time.
    token_locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// Logins (multi-user mode): the helper, backoff and per-user order.
    pub logins: super::login::state::Logins,
    /// Sources whose tokens were refused, and how long they wait before the next try.
    refused_tokens: Mutex<super::login::backoff::Backoff>,
    /// Audit entries written since the daemon started (the log is pruned every so many).
    audit_writes: AtomicU64,
    /// The server pool, where `[pool]` is configured.
    pool: std::sync::OnceLock<Arc<super::pool::Pool>>,
}

/// The audit log is pruned after this many writes (and at start).
const PRUNE_EVERY: u64 = 256;

impl Supervisor {
    /// A supervisor with no sessions yet (call [`Supervisor::adopt_all`]).
    pub fn new(
        config: Config,
        paths: Paths,
        registry: Registry,
        listen: SocketAddr,
        fingerprint: String,
    ) -> std::io::Result<Self> {
        Ok(Self {
            paths,
            listen,
            fingerprint,
            started: Instant::now(),
            exe: std::env::current_exe()?,
            registry: Mutex::new(registry),
            live: Mutex::new(HashMap::new()),
            attach_lock: tokio::sync::Mutex::new(()),
            session_locks: Mutex::new(HashMap::new()),
            token_locks: Mutex::new(HashMap::new()),
            logins: super::login::state::Logins::new(&config.login),
            refused_tokens: Mutex::new(super::login::backoff::Backoff::default()),
            audit_writes: AtomicU64::new(0),
            pool: std::sync::OnceLock::new(),
            config,
        })
    }

    /// The server pool this daemon belongs to, if any.
    pub fn pool(&self) -> Option<Arc<super::pool::Pool>> {
        self.pool.get().cloned()
    }

    /// Makes this daemon a member of `pool` (once, at start).
    pub fn join_pool(&self, pool: Arc<super::pool::Pool>) {
        let _ = self.pool.set(pool);
    }

    /// The backoff of sources whose tokens were refused.
    pub fn refused_tokens(&self) -> MutexGuard<'_, super::login::backoff::Backoff> {
        self.refused_tokens
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// The lock that orders the attaches of session `id`.
    pub fn session_lock(&self, id: u64) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.session_locks.lock().unwrap_or_else(|e| e.into_inner());
        // Forget the locks nobody holds, so the map stays as small as the attaches under way.
        locks.retain(|_, lock| Arc::strong_count(lock) > 1);
        locks.entry(id).or_default().clone()
    }

    /// The lock that orders the attaches of token `id` (in a pool, instead of the attach lock).
    pub fn token_lock(&self, id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.token_locks.lock().unwrap_or_else(|e| e.into_inner());
        locks.retain(|_, lock| Arc::strong_count(lock) > 1);
        locks.entry(id.to_owned()).or_default().clone()
    }

    /// Whether another session may start (`max_sessions`).
    pub fn has_room(&self) -> bool {
        self.live().len() < self.config.max_sessions
    }

    /// Running sessions that attaches from `source` started.
    pub fn started_for(&self, source: IpAddr) -> usize {
        self.live()
            .values()
            .filter(|live| live.started_for == Some(source))
            .count()
    }

    /// Drops audit entries beyond the configured age and count.
    pub fn prune_audit(&self) {
        let days = self.config.audit_retention_days;
        match self
            .registry()
            .prune_audit(days.saturating_mul(86_400), self.config.audit_max_rows)
        {
            Ok(0) => {}
            Ok(gone) => tracing::info!(gone, "audit log pruned"),
            Err(err) => tracing::warn!(%err, "cannot prune the audit log"),
        }
    }

    /// The registry (the lock is held briefly; SQLite calls take microseconds).
    pub fn registry(&self) -> MutexGuard<'_, Registry> {
        self.registry.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The live sessions.
    pub fn live(&self) -> MutexGuard<'_, HashMap<u64, Live>> {
        self.live.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Appends to the audit log (a failure is logged, not fatal).
    pub fn audit(&self, event: &str, session: Option<u64>, token: Option<&str>, detail: &str) {
        let detail = (!detail.is_empty()).then_some(detail);
        if let Err(err) = self.registry().audit(event, session, token, detail) {
            tracing::error!(%err, event, "cannot write the audit log");
        }
        if self.audit_writes.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY == PRUNE_EVERY - 1 {
            self.prune_audit();
        }
    }

    pub(super) fn transition(&self, id: u64, event: Event, detail: Option<&str>) {
        if let Err(err) = self.registry().transition(id, event, detail) {
            tracing::warn!(%err, "session state not updated");
        }
    }

    /// Starts a new session for `token_id` and binds the token to it.
    pub async fn start_session(
        self: &Arc<Self>,
        token_id: &str,
        source: Option<IpAddr>,
    ) -> Result<u64, SessionError> {
        if !self.has_room() {
            return Err(SessionError::Full(self.config.max_sessions));
        }
        let cap = self.config.max_sessions_per_source;
        if let Some(source) = source
            && self.started_for(source) >= cap
        {
            return Err(SessionError::SourceFull(cap));
        }
        let command = self
            .config
            .session_command()
            .ok_or_else(|| SessionError::NoCommand {
                terminals: super::config::TERMINALS.join(", "),
            })?;
        let id = self.registry().create_session(Some(token_id))?;
        match self.spawn(id, &command, source).await {
            Ok(()) => {
                if let Err(err) = self.registry().bind_token(token_id, id) {
                    tracing::error!(%err, "cannot bind the token to its session");
                }
                self.audit("start", Some(id), Some(token_id), &command.join(" "));
                Ok(id)
            }
            Err(err) => {
                let reason = EndReason::FailedToStart(err.to_string());
                self.transition(id, Event::Exit, Some(&stored(&reason)));
                self.audit("start-failed", Some(id), Some(token_id), &err.to_string());
                Err(err)
            }
        }
    }

    async fn spawn(
        self: &Arc<Self>,
        id: u64,
        command: &[String],
        started_for: Option<IpAddr>,
    ) -> Result<(), SessionError> {
        self.spawn_process(id, command, started_for)
            .await
            .map_err(SessionError::Start)
    }

    async fn spawn_process(
        self: &Arc<Self>,
        id: u64,
        command: &[String],
        started_for: Option<IpAddr>,
    ) -> Result<(), String> {
        let link = self.paths.sessions_dir.join(format!("{id}.link"));
        let socket = format!("wayray-{id}");
        let log_path = self.paths.logs_dir.join(format!("{id}.log"));
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(&log_path)
            .map_err(|e| format!("cannot open {}: {e}", log_path.display()))?;
        let log_err = log.try_clone().map_err(|e| e.to_string())?;
        let session = &self.config.session;
        let mut child = tokio::process::Command::new(&self.exe)
            .arg("session")
            .arg("--link")
            .arg(&link)
            .args(["--socket", &socket])
            .args(["--size", &session.size])
            .args(["--scale", &session.scale.to_string()])
            .args(["--keyboard-layout", &session.keyboard_layout])
            .args([
                "--frames-in-flight",
                &self.config.frames_in_flight.to_string(),
            ])
            .args(session.x11.then_some("--x11"))
            .args(session.audio.then_some("--audio"))
            .args(["--sound-server", session.sound_server.name()])
            .arg("--")
            .args(command)
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(log_err))
            // Its own process group: a Ctrl+C or a kill of the daemon's group leaves it running.
            .process_group(0)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", self.exe.display()))?;
        let Some(pid) = child.id() else {
            return Err(format!(
                "the session process exited at start; see {}",
                log_path.display()
            ));
        };
        let ready = tokio::select! {
            ready = session_link::wait_ready(&link, START_TIMEOUT) => ready.map_err(|e| e.to_string()),
            status = child.wait() => Err(format!(
                "the session process exited at start ({}); see {}",
                status.map_or_else(|e| e.to_string(), |s| s.to_string()),
                log_path.display()
            )),
        };
        if let Err(err) = ready {
            kill_group(pid);
            let _ = child.start_kill();
            return Err(err);
        }
        self.registry()
            .set_running(id, pid, &link.to_string_lossy(), &socket)
            .map_err(|e| e.to_string())?;
        self.live().insert(
            id,
            Live {
                pid,
                link,
                viewer: None,
                stop_reason: None,
                started_for,
            },
        );
        tracing::info!(session = id, pid, "session started");
        let supervisor = self.clone();
        let span = tracing::info_span!("session", session = id);
        tokio::spawn(
            async move {
                let status = child.wait().await;
                let reason = match status {
                    Ok(status) if status.success() => EndReason::Exited,
                    Ok(status) => EndReason::Crashed(status.to_string()),
                    Err(err) => EndReason::Lost(err.to_string()),
                };
                supervisor.ended(id, reason);
            }
            .instrument(span),
        );
        Ok(())
    }

    /// Notices the end of a session this daemon did not start itself (adopted after a
    /// restart, or started by the login helper): its link closes when the process exits.
    pub(super) fn watch(self: &Arc<Self>, id: u64, link: PathBuf) {
        let supervisor = self.clone();
        let span = tracing::info_span!("session", session = id);
        tokio::spawn(
            async move {
                let _ = session_link::watch(&link).await;
                supervisor.ended(id, EndReason::Exited);
            }
            .instrument(span),
        );
    }

    /// Records the end of session `id`; `reason` is used unless the daemon stopped it.
    pub(super) fn ended(&self, id: u64, reason: EndReason) {
        // The registry says "ended" before the session leaves the live set or its viewer is
        // told: whoever sees either (a `session kill` waiting for it) also sees the end.
        let Some(stop_reason) = self.live().get(&id).map(|l| l.stop_reason.clone()) else {
            return;
        };
        let reason = stop_reason.unwrap_or(reason);
        self.transition(id, Event::Exit, Some(&stored(&reason)));
        let Some(live) = self.live().remove(&id) else {
            return;
        };
        if let Some(viewer) = &live.viewer {
            viewer.connection.close(
                wayray_protocol::messages::control::DisconnectReason::SessionEnded
                    .code()
                    .into(),
                format!("the session ended: {reason}").as_bytes(),
            );
        }
        let _ = std::fs::remove_file(&live.link);
        self.release_in_pool(id);
        let event = if reason.is_failure() {
            tracing::warn!(%reason, "session crashed");
            "crashed"
        } else {
            tracing::info!(%reason, "session ended");
            "ended"
        };
        self.audit(event, Some(id), None, &reason.to_string());
    }

    /// Stops session `id` and waits until it is gone.
    pub async fn stop(&self, id: u64, reason: EndReason) -> Result<(), SessionError> {
        let (link, pid) = {
            let mut live = self.live();
            let session = live.get_mut(&id).ok_or(SessionError::NotRunning(id))?;
            session.stop_reason = Some(reason);
            (session.link.clone(), session.pid)
        };
        let _ = session_link::request(&link, &LinkRequest::Stop).await;
        if self.wait_gone(id, STOP_TIMEOUT).await {
            return Ok(());
        }
        tracing::warn!(session = id, pid, "session did not stop; killing it");
        if self.config.login.enabled {
            // Sessions of other users: only the privileged helper may signal them.
            super::login::helper::kill(self.logins.helper(), id).await;
        } else {
            kill_group(pid);
        }
        if self.wait_gone(id, STOP_TIMEOUT).await {
            Ok(())
        } else {
            Err(SessionError::WontStop { id, pid })
        }
    }

    async fn wait_gone(&self, id: u64, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if !self.live().contains_key(&id) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        false
    }

    /// Stops sessions that have been without a viewer for longer than the idle timeout.
    pub async fn reap_idle(&self) {
        let timeout = self.config.session.idle_timeout_secs;
        if timeout == 0 {
            return;
        }
        // One lock at a time: the admin socket takes them in the other order.
        let detached: Vec<u64> = self
            .live()
            .iter()
            .filter(|(_, l)| l.viewer.is_none())
            .map(|(id, _)| *id)
            .collect();
        let idle: Vec<u64> = {
            let registry = self.registry();
            detached
                .into_iter()
                .filter_map(|id| registry.session(id).ok().flatten())
                .filter(|row| {
                    let since = row.detached_at.or(row.last_attach).unwrap_or(row.created);
                    now().saturating_sub(since) >= timeout as i64
                })
                .map(|row| row.id)
                .collect()
        };
        for id in idle {
            tracing::info!(session = id, "idle timeout");
            if let Err(err) = self.stop(id, EndReason::IdleTimeout).await {
                tracing::warn!(%err, "cannot stop an idle session");
            }
        }
    }
}

/// How an end reason is kept in the registry.
pub(super) fn stored(reason: &EndReason) -> String {
    serde_json::to_string(reason).unwrap_or_else(|_| reason.to_string())
}
