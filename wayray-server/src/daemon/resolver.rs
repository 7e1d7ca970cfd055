//! The daemon's answer to "which session does this token open": the registry's token (by
//! hash, never the secret), its live session or a new one, and hot-desking — a session's
//! previous viewer is told that the session moved.

use std::net::SocketAddr;
use std::sync::Arc;

use wayray_protocol::secret::Token;

use wayray_protocol::messages::control::DisconnectReason;

use super::attach::{bind_viewer, refused};
use super::lifecycle::Event;
use super::supervisor::Supervisor;
use super::tokens;
use crate::daemon::transport::resolver::{
    AttachRequest, Attachment, BoxFuture, Presented, Refusal, Resolver,
};

/// The daemon's resolver.
#[derive(Debug, Clone)]
pub struct DaemonResolver(pub Arc<Supervisor>);

impl Resolver for DaemonResolver {
    fn attach(&self, request: AttachRequest) -> BoxFuture<'_, Result<Attachment, Refusal>> {
        Box::pin(async move {
            let AttachRequest {
                presented,
                viewer,
                connection,
            } = request;
            match presented {
                Presented::Token(token) => attach(&self.0, token, viewer, connection).await,
                Presented::Login { user, password } => {
                    let login = super::login::LoginRequest {
                        user,
                        password,
                        viewer,
                    };
                    super::login::login(&self.0, login, connection).await
                }
            }
        })
    }

    fn offers_login(&self) -> bool {
        self.0.config.login.enabled
    }

    fn max_output(&self) -> (u32, u32) {
        self.0.config.max_output()
    }

    fn detached(&self, session_id: &str, connection: &quinn::Connection) {
        let Ok(id) = session_id.parse::<u64>() else {
            return;
        };
        let supervisor = &self.0;
        let left = {
            let mut live = supervisor.live();
            match live.get_mut(&id) {
                Some(session)
                    if session
                        .viewer
                        .as_ref()
                        .is_some_and(|v| v.connection.stable_id() == connection.stable_id()) =>
                {
                    session.viewer.take()
                }
                _ => None,
            }
        };
        if let Some(viewer) = left {
            if let Err(err) = supervisor
                .registry()
                .transition(id, Event::ViewerLeft, None)
            {
                tracing::warn!(%err, "session state not updated");
            }
            supervisor.audit(
                "detach",
                Some(id),
                Some(&viewer.token_id),
                &connection.remote_address().to_string(),
            );
        }
    }
}

async fn attach(
    supervisor: &Arc<Supervisor>,
    token: Token,
    viewer: SocketAddr,
    connection: quinn::Connection,
) -> Result<Attachment, Refusal> {
    let addr = viewer.to_string();
    let hash = tokens::hash(token.expose());
    let _one_at_a_time = supervisor.attach_lock.lock().await;
    let found = supervisor
        .registry()
        .find_token(&hash)
        .map_err(|e| refused(DisconnectReason::InternalError, &e.to_string()))?;
    let token = match found {
        Some(token) if token.revoked => {
            supervisor.audit(
                "refused",
                None,
                Some(&token.id),
                &format!("revoked token from {addr}"),
            );
            return Err(refused(
                DisconnectReason::AuthenticationFailed,
                "this token was revoked; ask your administrator for a new one",
            ));
        }
        Some(token) => token,
        None if supervisor.config.auto_create => {
            let id = tokens::new_id()
                .map_err(|e| refused(DisconnectReason::InternalError, &e.to_string()))?;
            supervisor
                .registry()
                .add_token(&id, &hash, None)
                .map_err(|e| refused(DisconnectReason::InternalError, &e.to_string()))?;
            supervisor.audit(
                "token-created",
                None,
                Some(&id),
                &format!("auto_create for {addr}"),
            );
            supervisor
                .registry()
                .token(&id)
                .ok()
                .flatten()
                .ok_or_else(|| refused(DisconnectReason::InternalError, "token vanished"))?
        }
        None => {
            supervisor.audit("refused", None, None, &format!("unknown token from {addr}"));
            return Err(refused(
                DisconnectReason::AuthenticationFailed,
                "this server does not know the token; ask your administrator for one \
                 (wayray-ctl token issue)",
            ));
        }
    };

    let running = token
        .session
        .filter(|id| supervisor.live().contains_key(id));
    let id = match running {
        Some(id) => id,
        // A desk card of a user whose session has ended: that user logs in again (the
        // daemon never starts a session as itself in multi-user mode).
        None if supervisor.config.login.enabled => {
            supervisor.audit(
                "refused",
                None,
                Some(&token.id),
                &format!("ended from {addr}"),
            );
            return Err(refused(
                DisconnectReason::SessionEnded,
                "the session of this token has ended; log in with your user name and password \
                 to start a new one",
            ));
        }
        None => supervisor.start_session(&token.id).await.map_err(|e| {
            refused(
                DisconnectReason::InternalError,
                &format!("cannot start a session: {e}"),
            )
        })?,
    };
    let link = bind_viewer(supervisor, id, &token.id, connection, &addr)?;
    Ok(Attachment {
        session_id: id.to_string(),
        link,
        desk_token: None,
    })
}
