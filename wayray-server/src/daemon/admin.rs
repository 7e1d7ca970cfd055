//! The admin socket: `wayray-ctl` sends one JSON request per line and reads one JSON reply per
//! line (types in `wayray_protocol::admin`). Every connection's peer credentials are checked
//! ([`super::admin_access`]): this user or root administer; in multi-user mode the socket is
//! open to every user (mode 0666), who each get a view of their own sessions.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use wayray_protocol::admin::{
    AdminError, AdminReply, AdminRequest, DaemonStatus, ErrorKind, IssuedToken, SessionInfo,
    TokenInfo,
};
use wayray_protocol::messages::control::DisconnectReason;
use wayray_protocol::messages::link::{LinkReply, LinkRequest, LinkStatus};

use super::admin_access::{caller, filter, permit};
use super::registry::SessionRow;
use super::session_link;
use super::supervisor::Supervisor;
use super::tokens;

/// Longest request line accepted.
const MAX_LINE: usize = 64 * 1024;

/// Binds the admin socket: mode 0600, or 0666 when every user gets a view of their own
/// (`shared`, multi-user mode).
pub fn bind(path: &Path, shared: bool) -> std::io::Result<UnixListener> {
    if let Some(dir) = path.parent() {
        super::dirs::ensure_dir(dir)?;
    }
    let _ = std::fs::remove_file(path);
    let listener = UnixListener::bind(path)?;
    let mode = if shared { 0o666 } else { 0o600 };
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
    Ok(listener)
}

/// Serves admin connections until the listener fails.
pub async fn serve(listener: UnixListener, supervisor: Arc<Supervisor>) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                tokio::spawn(connection(stream, supervisor.clone()));
            }
            Err(err) => {
                tracing::warn!(%err, "admin accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
    }
}

fn error(kind: ErrorKind, message: impl Into<String>, help: impl Into<String>) -> AdminReply {
    AdminReply::Error(AdminError {
        kind,
        message: message.into(),
        help: help.into(),
    })
}

async fn connection(stream: UnixStream, supervisor: Arc<Supervisor>) {
    let caller = match stream.peer_cred() {
        Ok(cred) => {
            let supervisor = supervisor.clone();
            // The user database may be slow (NSS over the network): off the async workers.
            tokio::task::spawn_blocking(move || caller(&supervisor, cred.uid()))
                .await
                .ok()
                .flatten()
        }
        Err(_) => None,
    };
    let Some(caller) = caller else {
        tracing::warn!("admin connection from another user refused");
        let (_, mut write) = stream.into_split();
        let reply = error(
            ErrorKind::Invalid,
            "permission denied",
            "run wayray-ctl as the user that runs the daemon, or as root",
        );
        let _ = write_reply(&mut write, &reply).await;
        return;
    };
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    let mut line = Vec::new();
    loop {
        // At most one line of MAX_LINE bytes is ever buffered.
        line.clear();
        let limited = (&mut read).take(MAX_LINE as u64 + 1);
        tokio::pin!(limited);
        match limited.read_until(b'\n', &mut line).await {
            Ok(0) => return,
            Ok(_) => {}
            Err(_) => return,
        }
        let reply = if line.len() > MAX_LINE {
            let reply = error(
                ErrorKind::Invalid,
                "request too long",
                "send one request per line",
            );
            let _ = write_reply(&mut write, &reply).await;
            return;
        } else {
            match serde_json::from_slice::<AdminRequest>(&line) {
                Ok(request) => match permit(&supervisor, &caller, &request) {
                    Ok(()) => filter(&supervisor, &caller, handle(&supervisor, request).await),
                    Err(denied) => *denied,
                },
                Err(err) => error(
                    ErrorKind::Invalid,
                    format!("not a valid request: {err}"),
                    "use wayray-ctl, or see the admin socket in docs/protocol.md",
                ),
            }
        };
        if write_reply(&mut write, &reply).await.is_err() {
            return;
        }
    }
}

async fn write_reply(
    write: &mut tokio::net::unix::OwnedWriteHalf,
    reply: &AdminReply,
) -> std::io::Result<()> {
    let mut line = serde_json::to_vec(reply).map_err(std::io::Error::other)?;
    line.push(b'\n');
    write.write_all(&line).await
}

fn not_found(id: u64) -> AdminReply {
    error(
        ErrorKind::NotFound,
        format!("there is no session {id}"),
        "list sessions with `wayray-ctl sessions`",
    )
}

fn not_running(id: u64) -> AdminReply {
    error(
        ErrorKind::Invalid,
        format!("session {id} is not running"),
        "list running sessions with `wayray-ctl sessions`",
    )
}

fn failed(err: impl std::fmt::Display) -> AdminReply {
    error(
        ErrorKind::Failed,
        err.to_string(),
        "see the daemon's log for details",
    )
}

fn info(supervisor: &Supervisor, row: SessionRow) -> SessionInfo {
    let live = supervisor.live();
    let session = live.get(&row.id);
    SessionInfo {
        id: row.id,
        state: row.state,
        token_id: row.token_id,
        attached: session.is_some_and(|s| s.viewer.is_some()),
        viewer: row.viewer,
        pid: session.map(|s| s.pid).or(row.pid),
        wayland_display: row.wayland_display,
        created: row.created,
        last_attach: row.last_attach,
        end_reason: row.end_reason,
        user: row.user,
        sound: None,
        video_kbps: None,
    }
}

/// What running session `id` reports over its link: its sound and video rate.
async fn live_status(supervisor: &Supervisor, id: u64) -> Option<LinkStatus> {
    let link = supervisor.live().get(&id).map(|s| s.link.clone())?;
    match session_link::request(&link, &LinkRequest::Status).await {
        Ok(LinkReply::Status(status)) => Some(status),
        _ => None,
    }
}

/// The link of running session `id`.
fn link_of(supervisor: &Supervisor, id: u64) -> Result<std::path::PathBuf, Box<AdminReply>> {
    if let Some(live) = supervisor.live().get(&id) {
        return Ok(live.link.clone());
    }
    match supervisor.registry().session(id) {
        Ok(Some(_)) => Err(Box::new(not_running(id))),
        Ok(None) => Err(Box::new(not_found(id))),
        Err(err) => Err(Box::new(failed(err))),
    }
}

async fn handle(supervisor: &Arc<Supervisor>, request: AdminRequest) -> AdminReply {
    match request {
        AdminRequest::Status => status(supervisor),
        AdminRequest::Sessions => {
            // The registry's lock is let go before `info` takes the live sessions' lock.
            let rows = supervisor.registry().sessions(false);
            match rows {
                Ok(rows) => AdminReply::Sessions {
                    sessions: rows.into_iter().map(|r| info(supervisor, r)).collect(),
                },
                Err(err) => failed(err),
            }
        }
        AdminRequest::SessionShow { id } => {
            let row = supervisor.registry().session(id);
            match row {
                Ok(Some(row)) => {
                    let mut info = info(supervisor, row);
                    if let Some(live) = live_status(supervisor, id).await {
                        info.sound = live.sound;
                        info.video_kbps = live.video_kbps;
                    }
                    AdminReply::Session(info)
                }
                Ok(None) => not_found(id),
                Err(err) => failed(err),
            }
        }
        AdminRequest::SessionKill { id } => {
            if let Err(reply) = link_of(supervisor, id) {
                return *reply;
            }
            supervisor.audit("kill", Some(id), None, "by an administrator");
            match supervisor
                .stop(id, wayray_protocol::admin::EndReason::Killed)
                .await
            {
                Ok(()) => AdminReply::Done {
                    message: format!("session {id} ended"),
                },
                Err(err) => failed(err),
            }
        }
        AdminRequest::SessionDetach { id } => detach(supervisor, id),
        AdminRequest::SessionScreenshot { id, path } => screenshot(supervisor, id, &path).await,
        AdminRequest::SessionRun { id, command } => {
            let link = match link_of(supervisor, id) {
                Ok(link) => link,
                Err(reply) => return *reply,
            };
            if command.is_empty() {
                return error(
                    ErrorKind::Invalid,
                    "no command given",
                    "put the program after --, e.g. wayray-ctl session run 1 -- foot",
                );
            }
            match session_link::request(&link, &LinkRequest::Run(command.clone())).await {
                Ok(LinkReply::Started(pid)) => {
                    supervisor.audit("run", Some(id), None, &command.join(" "));
                    AdminReply::Started { pid }
                }
                Ok(LinkReply::Error(err)) => error(
                    ErrorKind::Failed,
                    format!("cannot start {}: {err}", command[0]),
                    "check that the program is installed on the server and on its PATH",
                ),
                Ok(_) => failed("unexpected answer from the session"),
                Err(err) => failed(err),
            }
        }
        AdminRequest::TokenIssue { session } => issue(supervisor, session),
        AdminRequest::TokenRevoke { id } => {
            // No attach with this token is half done while it is revoked: one that has not
            // bound yet sees the revocation, one that has is closed below.
            let reply = {
                let _one_at_a_time = supervisor.attach_lock.lock().await;
                revoke(supervisor, &id)
            };
            // The pool after the lock: attaches do not wait on etcd for a revocation.
            match supervisor.pool() {
                Some(pool) => revoke_in_pool(&pool, &id, reply).await,
                None => reply,
            }
        }
        AdminRequest::Pool(request) => {
            super::pool::admin::handle(supervisor.pool().as_deref(), request).await
        }
        AdminRequest::TokenList => match supervisor.registry().tokens() {
            Ok(tokens) => AdminReply::Tokens {
                tokens: tokens
                    .into_iter()
                    .map(|t| TokenInfo {
                        id: t.id,
                        created: t.created,
                        revoked: t.revoked,
                        session: t.session,
                    })
                    .collect(),
            },
            Err(err) => failed(err),
        },
    }
}

fn status(supervisor: &Supervisor) -> AdminReply {
    let (sessions, attached) = {
        let live = supervisor.live();
        (
            live.len(),
            live.values().filter(|s| s.viewer.is_some()).count(),
        )
    };
    let tokens = supervisor
        .registry()
        .tokens()
        .map(|t| t.iter().filter(|t| !t.revoked).count())
        .unwrap_or(0);
    AdminReply::Status(DaemonStatus {
        version: env!("CARGO_PKG_VERSION").into(),
        pid: std::process::id(),
        listen: supervisor.listen.to_string(),
        fingerprint: supervisor.fingerprint.clone(),
        uptime_s: supervisor.started.elapsed().as_secs(),
        sessions,
        attached,
        tokens,
        state_dir: supervisor.paths.state_dir.display().to_string(),
        pool: supervisor
            .pool()
            .map(|pool| wayray_protocol::admin::PoolMembership {
                server_id: pool.id().to_owned(),
                joined: pool.lease().is_some(),
                etcd_requests: pool.ops(),
            }),
    })
}

fn detach(supervisor: &Supervisor, id: u64) -> AdminReply {
    if let Err(reply) = link_of(supervisor, id) {
        return *reply;
    }
    let viewer = supervisor
        .live()
        .get(&id)
        .and_then(|s| s.viewer.as_ref().map(|v| v.connection.clone()));
    match viewer {
        Some(connection) => {
            // The relay notices the close and reports the viewer gone (state: detached).
            connection.close(
                DisconnectReason::Normal.code().into(),
                b"detached by an administrator",
            );
            supervisor.audit("detach-admin", Some(id), None, "");
            AdminReply::Done {
                message: format!("session {id}: viewer disconnected; the session keeps running"),
            }
        }
        None => error(
            ErrorKind::Invalid,
            format!("session {id} has no viewer attached"),
            "nothing to do; `wayray-ctl sessions` shows which sessions are attached",
        ),
    }
}

async fn screenshot(supervisor: &Supervisor, id: u64, path: &str) -> AdminReply {
    let link = match link_of(supervisor, id) {
        Ok(link) => link,
        Err(reply) => return *reply,
    };
    if !Path::new(path).is_absolute() {
        return error(
            ErrorKind::Invalid,
            format!("{path} is not an absolute path"),
            "wayray-ctl sends absolute paths; pass one when talking to the socket directly",
        );
    }
    match session_link::request(&link, &LinkRequest::Screenshot).await {
        Ok(LinkReply::Screenshot(png)) => match std::fs::write(path, &png) {
            Ok(()) => AdminReply::Done {
                message: format!("wrote {path} ({} bytes)", png.len()),
            },
            Err(err) => error(
                ErrorKind::Failed,
                format!("cannot write {path}: {err}"),
                "choose a file in a directory you can write",
            ),
        },
        Ok(LinkReply::Error(err)) => failed(err),
        Ok(_) => failed("unexpected answer from the session"),
        Err(err) => failed(err),
    }
}

fn issue(supervisor: &Supervisor, session: Option<u64>) -> AdminReply {
    let running = session.is_none_or(|id| supervisor.live().contains_key(&id));
    if let Some(id) = session
        && !running
    {
        return match supervisor.registry().session(id) {
            Ok(Some(_)) => not_running(id),
            Ok(None) => not_found(id),
            Err(err) => failed(err),
        };
    }
    let token = match tokens::generate() {
        Ok(token) => token,
        Err(err) => return failed(err),
    };
    if let Err(err) =
        supervisor
            .registry()
            .add_token(&token.id, &tokens::hash(&token.secret), session)
    {
        return failed(err);
    }
    supervisor.audit("token-issued", session, Some(&token.id), "");
    supervisor.publish_token(&token.id, tokens::hash(&token.secret), session);
    AdminReply::TokenIssued(IssuedToken {
        id: token.id,
        token: token.secret,
        session,
    })
}

/// The pool learns of a revocation too (a token issued on another server of the pool can be
/// revoked from any of them).
async fn revoke_in_pool(pool: &super::pool::Pool, id: &str, local: AdminReply) -> AdminReply {
    let known_here = !matches!(&local, AdminReply::Error(e) if e.kind == ErrorKind::NotFound);
    if matches!(&local, AdminReply::Error(e) if e.kind != ErrorKind::NotFound) {
        return local;
    }
    match pool.revoke_token(id).await {
        Ok(false) if !known_here => local,
        Ok(_) => AdminReply::Done {
            message: format!("token {id} revoked in the pool"),
        },
        Err(err) => error(
            ErrorKind::Failed,
            format!("token {id} is revoked on this server only: {err}"),
            "run the revoke again once etcd answers (etcdctl endpoint health)",
        ),
    }
}

fn revoke(supervisor: &Supervisor, id: &str) -> AdminReply {
    match supervisor.registry().revoke_token(id) {
        Ok(true) => {}
        Ok(false) => {
            return error(
                ErrorKind::NotFound,
                format!("there is no token {id}"),
                "list tokens with `wayray-ctl token list`",
            );
        }
        Err(err) => return failed(err),
    }
    supervisor.audit("token-revoked", None, Some(id), "");
    // A viewer that came in with this token goes now.
    for session in supervisor.live().values() {
        if let Some(viewer) = &session.viewer
            && viewer.token_id == id
        {
            viewer.connection.close(
                DisconnectReason::AuthenticationFailed.code().into(),
                b"the token was revoked",
            );
        }
    }
    AdminReply::Done {
        message: format!("token {id} revoked"),
    }
}
