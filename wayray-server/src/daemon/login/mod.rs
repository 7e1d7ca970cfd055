//! Logging in with a Unix user name and password (multi-user mode): the daemon checks its
//! backoff, asks the privileged helper (`wayray-server sessiond`) to check the password and, when
//! the user has no session yet, to start one as the user; then attaches the viewer and hands
//! it a hot-desk token bound to the session. The daemon never sees more of PAM than
//! "authenticated" or "refused", and a refusal never says which part was wrong.

pub mod backoff;
pub mod helper;
pub mod state;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use wayray_protocol::admin::EndReason;
use wayray_protocol::messages::control::DisconnectReason;
use wayray_protocol::secret::{Secret, Token};

use super::attach::{attach_in_order, refused};
use super::lifecycle::Event;
use super::supervisor::{Live, Supervisor};
use super::tokens;
use crate::daemon::transport::resolver::{Attachment, Refusal};
use crate::sessiond_wire::{HelperReply, HelperRequest, StartOptions};

/// What a refused viewer is told, whatever the reason.
pub const LOGIN_REFUSED: &str = "login refused";

/// A viewer's login.
#[derive(Debug)]
pub struct LoginRequest {
    /// The user name.
    pub user: String,
    /// The password.
    pub password: Secret<String>,
    /// The viewer's address.
    pub viewer: SocketAddr,
}

/// Logs `request` in and attaches `connection` to the user's session.
pub async fn login(
    supervisor: &Arc<Supervisor>,
    request: LoginRequest,
    connection: quinn::Connection,
) -> Result<Attachment, Refusal> {
    let addr = request.viewer.to_string();
    let user = request.user.clone();
    let refuse = |why: &str| {
        supervisor.audit(
            "login-refused",
            None,
            None,
            &format!("{user} from {addr}: {why}"),
        );
        tracing::info!(%user, why, "login refused");
        refused(DisconnectReason::AuthenticationFailed, LOGIN_REFUSED)
    };
    if !crate::users::valid_name(&request.user) {
        supervisor.audit(
            "login-refused",
            None,
            None,
            &format!("from {addr}: bad user name"),
        );
        return Err(refused(
            DisconnectReason::AuthenticationFailed,
            LOGIN_REFUSED,
        ));
    }
    let source = request.viewer.ip();
    if let Err(wait) = supervisor
        .logins
        .backoff()
        .check(Instant::now(), source, &user)
    {
        return Err(refuse(&format!(
            "too many failures, {} s to wait",
            wait.as_secs() + 1
        )));
    }
    let user_lock = supervisor.logins.user_lock(&user);
    let _one_login_per_user = user_lock.lock().await;

    let authenticate = HelperRequest::Authenticate {
        user: user.clone(),
        password: request.password.clone(),
        remote: addr.clone(),
    };
    match helper::ask(supervisor.logins.helper(), &authenticate).await {
        Ok(HelperReply::Authenticated { .. }) => {}
        Ok(HelperReply::Refused) => {
            supervisor
                .logins
                .backoff()
                .failure(Instant::now(), source, &user);
            return Err(refuse(
                "wrong user name or password, or account not allowed",
            ));
        }
        other => return Err(unavailable(supervisor, &other)),
    }
    supervisor.logins.backoff().success(&user);

    let id = match reusable_session(supervisor, &user) {
        Some(id) => id,
        None => start(supervisor, &request, &addr).await?,
    };
    let desk =
        tokens::generate().map_err(|e| refused(DisconnectReason::InternalError, &e.to_string()))?;
    supervisor
        .registry()
        .add_token(&desk.id, &tokens::hash(&desk.secret), Some(id))
        .map_err(|e| refused(DisconnectReason::InternalError, &e.to_string()))?;
    supervisor.publish_token(&desk.id, tokens::hash(&desk.secret), Some(id));
    supervisor.audit(
        "login",
        Some(id),
        Some(&desk.id),
        &format!("{user} from {addr}"),
    );

    let desk_token = Some(Token::new(desk.secret));
    attach_in_order(supervisor, id, &desk.id, connection, &addr, desk_token).await
}

/// The user's newest running session, when the user may not start another.
fn reusable_session(supervisor: &Supervisor, user: &str) -> Option<u64> {
    let ids = supervisor
        .registry()
        .user_sessions(user)
        .unwrap_or_default();
    let live: Vec<u64> = {
        let live = supervisor.live();
        ids.into_iter().filter(|id| live.contains_key(id)).collect()
    };
    let limit = supervisor.config.login.sessions_per_user;
    (live.len() >= limit).then(|| live[0])
}

/// Starts a session as the user through the helper (which checks the password again, in the
/// PAM transaction that holds the session open).
async fn start(
    supervisor: &Arc<Supervisor>,
    request: &LoginRequest,
    addr: &str,
) -> Result<u64, Refusal> {
    let internal =
        |e: &dyn std::fmt::Display| refused(DisconnectReason::InternalError, &e.to_string());
    if !supervisor.has_room() {
        return Err(crate::daemon::attach::full(supervisor));
    }
    let id = supervisor
        .registry()
        .create_user_session(&request.user)
        .map_err(|e| internal(&e))?;
    let session = &supervisor.config.session;
    let start = HelperRequest::Start {
        user: request.user.clone(),
        password: request.password.clone(),
        remote: addr.to_owned(),
        session: id,
        options: StartOptions {
            size: session.size.clone(),
            scale: session.scale,
            keyboard_layout: session.keyboard_layout.clone(),
            frames_in_flight: supervisor.config.frames_in_flight,
            x11: session.x11,
            audio: session.audio,
            sound_server: session.sound_server,
        },
    };
    let reply = helper::ask(supervisor.logins.helper(), &start).await;
    let Ok(HelperReply::Started {
        pid,
        link,
        wayland_display,
        ..
    }) = reply
    else {
        let why = match &reply {
            Ok(HelperReply::Refused) => "login refused at session start".to_owned(),
            Ok(HelperReply::Failed { message }) => message.clone(),
            Ok(other) => format!("unexpected answer {other:?}"),
            Err(err) => err.clone(),
        };
        let reason = EndReason::FailedToStart(why.clone());
        let stored = serde_json::to_string(&reason).unwrap_or(why.clone());
        let _ = supervisor
            .registry()
            .transition(id, Event::Exit, Some(&stored));
        supervisor.audit("start-failed", Some(id), None, &why);
        return Err(refused(
            DisconnectReason::InternalError,
            "the server could not start your session; ask your administrator to look at \
             the server's log",
        ));
    };
    supervisor
        .registry()
        .set_running(id, pid, &link.to_string_lossy(), &wayland_display)
        .map_err(|e| internal(&e))?;
    supervisor.live().insert(
        id,
        Live {
            pid,
            link: link.clone(),
            viewer: None,
            stop_reason: None,
            started_for: None,
        },
    );
    supervisor.watch(id, link);
    let detail = format!("user {}", request.user);
    supervisor.audit("start", Some(id), None, &detail);
    tracing::info!(session = id, user = %request.user, pid, "session started for a login");
    Ok(id)
}

/// The helper could not answer: the viewer is told to try later, the log says why.
fn unavailable(supervisor: &Supervisor, reply: &Result<HelperReply, String>) -> Refusal {
    let why = match reply {
        Ok(HelperReply::Failed { message }) => message.clone(),
        Ok(other) => format!("unexpected answer {other:?}"),
        Err(err) => err.clone(),
    };
    tracing::error!(%why, "the session helper failed");
    supervisor.audit("login-failed", None, None, &why);
    refused(
        DisconnectReason::InternalError,
        "the server cannot log you in right now; try again later",
    )
}
