//! The privileged session helper (`wayray-server sessiond`): the only part of WayRay that runs
//! as root in multi-user mode. It parses no network bytes: it listens on a Unix socket that
//! only the daemon's uid may use (checked with `SO_PEERCRED`), reads one small JSON request
//! per connection ([`crate::sessiond_wire`]) and
//!
//! - checks a user's password with PAM ([`pam`]),
//! - starts a session process as that user, with a PAM session open for as long as it runs
//!   ([`spawn`]), and
//! - kills a session it started.
//!
//! It trusts the daemon for nothing but the choice of request: passwords are checked here,
//! the session's program comes from this helper's own configuration, and paths derive from
//! the session number alone.

pub mod pam;
pub mod spawn;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::sessiond_wire::{HelperReply, HelperRequest, MAX_REQUEST};
use crate::users;

/// Requests handled at once; more are answered "busy" (PAM may take seconds per attempt).
const MAX_CONCURRENT: usize = 32;
/// How long the daemon may take to send its request.
const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// What the helper needs to know.
#[derive(Debug, Clone)]
pub struct HelperOptions {
    /// Its socket.
    pub socket: PathBuf,
    /// The only uid allowed to connect: the daemon's.
    pub daemon_uid: u32,
    /// The daemon's group: session link sockets are shared with it.
    pub daemon_gid: u32,
    /// The PAM service.
    pub pam_service: String,
    /// Where each session gets a directory for its link socket.
    pub sessions_dir: PathBuf,
    /// Where session logs go.
    pub logs_dir: PathBuf,
    /// Where users' runtime directories are.
    pub user_runtime_base: PathBuf,
    /// What a session runs.
    pub command: Vec<String>,
    /// This program, which sessions run as `session`.
    pub exe: PathBuf,
    /// Resource limits of each session's processes.
    pub limits: spawn::Limits,
}

/// The running helper's state.
#[derive(Debug)]
struct Helper {
    options: HelperOptions,
    /// Session number → process id of the sessions this helper started and still runs.
    running: Mutex<HashMap<u64, u32>>,
    busy: AtomicUsize,
}

/// Serves the daemon until the process is killed.
/// How often the helper looks whether the daemon that started it is still there.
const PARENT_CHECK: Duration = Duration::from_millis(500);

/// Ends this process once the process that started it has ended (the daemon was killed): a
/// root helper must not outlive its daemon. Sessions keep running; the next daemon starts a
/// helper of its own.
pub fn exit_with_parent() {
    // SAFETY: getppid(2) cannot fail and touches no memory of ours.
    let parent = unsafe { libc::getppid() };
    let watcher = std::thread::Builder::new()
        .name("wayray-parent-watch".into())
        .spawn(move || {
            loop {
                std::thread::sleep(PARENT_CHECK);
                // SAFETY: as above.
                if unsafe { libc::getppid() } != parent {
                    tracing::info!("the daemon that started this helper is gone; stopping");
                    std::process::exit(0);
                }
            }
        });
    if let Err(err) = watcher {
        tracing::warn!(%err, "cannot watch the daemon: this helper may outlive it");
    }
}

pub fn run(options: HelperOptions) -> std::io::Result<()> {
    let _ = std::fs::remove_file(&options.socket);
    let listener = UnixListener::bind(&options.socket)?;
    std::fs::set_permissions(&options.socket, std::fs::Permissions::from_mode(0o600))?;
    std::os::unix::fs::chown(&options.socket, Some(options.daemon_uid), None)?;
    // Sessions' Xwayland put their sockets there: root's, so no user owns it.
    if let Err(err) =
        crate::x11_socket_dir::prepare(std::path::Path::new(crate::x11_socket_dir::DIR))
    {
        tracing::warn!(%err, "X11 apps will not start in sessions");
    }
    tracing::info!(socket = %options.socket.display(), "session helper ready");
    let helper = Arc::new(Helper {
        options,
        running: Mutex::new(HashMap::new()),
        busy: AtomicUsize::new(0),
    });
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        match users::peer_uid(&stream) {
            Ok(uid) if uid == helper.options.daemon_uid => {}
            Ok(uid) => {
                tracing::warn!(uid, "refused a connection that is not the daemon's");
                continue;
            }
            Err(err) => {
                tracing::warn!(%err, "cannot tell who connected");
                continue;
            }
        }
        if helper.busy.fetch_add(1, Ordering::SeqCst) >= MAX_CONCURRENT {
            helper.busy.fetch_sub(1, Ordering::SeqCst);
            let busy = HelperReply::Failed {
                message: "the session helper is busy".into(),
            };
            let _ = reply(&stream, &busy);
            continue;
        }
        let helper = helper.clone();
        std::thread::spawn(move || {
            serve(&helper, stream);
            helper.busy.fetch_sub(1, Ordering::SeqCst);
        });
    }
    Ok(())
}

fn serve(helper: &Arc<Helper>, stream: UnixStream) {
    let _ = stream.set_read_timeout(Some(READ_TIMEOUT));
    let mut line = String::new();
    let read = BufReader::new(&stream)
        .take(MAX_REQUEST as u64)
        .read_line(&mut line);
    let answer = match read
        .map_err(|e| e.to_string())
        .and_then(|_| serde_json::from_str::<HelperRequest>(&line).map_err(|e| e.to_string()))
    {
        Ok(request) => handle(helper, request),
        Err(err) => HelperReply::Failed {
            message: format!("bad request: {err}"),
        },
    };
    let _ = reply(&stream, &answer);
}

fn reply(mut stream: &UnixStream, answer: &HelperReply) -> std::io::Result<()> {
    let mut line = serde_json::to_vec(answer).map_err(std::io::Error::other)?;
    line.push(b'\n');
    stream.write_all(&line)
}

fn handle(helper: &Arc<Helper>, request: HelperRequest) -> HelperReply {
    match request {
        HelperRequest::Authenticate {
            user,
            password,
            remote,
        } => {
            let service = &helper.options.pam_service;
            match pam::authenticate(service, &user, password.expose(), &remote) {
                Ok(_) => match users::lookup(&user) {
                    Ok(info) => HelperReply::Authenticated { uid: info.uid },
                    Err(err) => HelperReply::Failed { message: err },
                },
                Err(refusal) => refused(&user, &remote, &refusal),
            }
        }
        HelperRequest::Start {
            user,
            password,
            remote,
            session,
            options,
        } => {
            // A number in use is another user's running session: never touch its directory.
            if helper.running().contains_key(&session) {
                return HelperReply::Failed {
                    message: format!("session {session} is already running"),
                };
            }
            let login = spawn::Login {
                user: user.clone(),
                password,
                remote: remote.clone(),
                session,
                options,
            };
            match spawn::start(&helper.options, login) {
                Ok((started, pid_slot)) => {
                    helper.track(session, pid_slot);
                    started
                }
                Err(spawn::StartError::Refused(refusal)) => refused(&user, &remote, &refusal),
                Err(spawn::StartError::Failed(message)) => {
                    tracing::warn!(session, %message, "cannot start a session");
                    HelperReply::Failed { message }
                }
            }
        }
        HelperRequest::Kill { session } => {
            let pid = helper.running().get(&session).copied();
            if let Some(pid) = pid {
                users::kill_group(pid);
            }
            HelperReply::Killed
        }
    }
}

fn refused(user: &str, remote: &str, why: &str) -> HelperReply {
    // The reason goes to this helper's log (for the administrator), never to the viewer.
    tracing::info!(user, remote, why, "login refused");
    HelperReply::Refused
}

impl Helper {
    fn running(&self) -> std::sync::MutexGuard<'_, HashMap<u64, u32>> {
        self.running.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Remembers a started session until its keeper thread reports its end.
    fn track(self: &Arc<Self>, session: u64, slot: spawn::Running) {
        self.running().insert(session, slot.pid);
        let helper = self.clone();
        std::thread::spawn(move || {
            let _ = slot.ended.recv();
            helper.running().remove(&session);
        });
    }
}
