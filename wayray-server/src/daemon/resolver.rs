//! The daemon's answer to "which session does this token open": the registry's token (by
//! hash, never the secret), its live session or a new one, and hot-desking — a session's
//! previous viewer is told that the session moved.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use wayray_protocol::secret::Token;
use wayray_protocol::session::rate::RateLimits;

use wayray_protocol::messages::control::DisconnectReason;

use super::attach::{TOKEN_REFUSED, attach_in_order, full, refused};
use super::attach_steps::{blocking, start_for};
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

    fn clipboard(&self) -> wayray_protocol::session::ClipboardPolicy {
        self.0.config.clipboard.policy()
    }

    fn audio(&self) -> bool {
        self.0.config.session.audio
    }

    fn microphone(&self) -> bool {
        self.0.config.session.audio && self.0.config.session.microphone
    }

    fn video_rate(&self) -> RateLimits {
        RateLimits::up_to(self.0.config.session.max_video_kbps)
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
    let source = viewer.ip();
    let refusal = || refused(DisconnectReason::AuthenticationFailed, TOKEN_REFUSED);
    // A source that keeps presenting bad tokens waits, and its refusals cost no registry
    // work and no audit row while it does: a flood is bounded by the backoff, not the disk.
    if supervisor
        .refused_tokens()
        .check_source(Instant::now(), source)
        .is_err()
    {
        return Err(refusal());
    }
    let hash = tokens::hash(token.expose());
    let found = match supervisor.pool() {
        Some(pool) => super::pool::attach::token(supervisor, &pool, hash).await?,
        None => blocking(supervisor, move |s| s.registry().find_token(&hash)).await?,
    };
    let valid = match found {
        Some(token) if !token.revoked => Some(token),
        None if supervisor.config.auto_create => None,
        other => {
            supervisor
                .refused_tokens()
                .source_failure(Instant::now(), source);
            let (id, what) = match other {
                Some(token) => (Some(token.id), "revoked"),
                None => (None, "unknown"),
            };
            let detail = format!("{what} token from {addr}");
            blocking(supervisor, move |s| {
                s.audit("refused", None, id.as_deref(), &detail);
                Ok(())
            })
            .await?;
            return Err(refusal());
        }
    };
    // Only a valid token waits for the lock: floods never hold up real attaches.
    let (token_id, id, notice) = match supervisor.pool() {
        None => {
            let _one_at_a_time = supervisor.attach_lock.lock().await;
            let token = match valid {
                Some(token) => token,
                None => auto_create(supervisor, hash, &addr).await?,
            };
            let id = session_for(supervisor, &token.id, token.session, viewer).await?;
            (token.id, id, None)
        }
        // In a pool the transactions keep servers apart; on this server, attaches of one token
        // go one at a time, and none waits on etcd for another token's.
        Some(pool) => {
            let token = match valid {
                Some(token) => token,
                None => {
                    let _one_at_a_time = supervisor.attach_lock.lock().await;
                    auto_create(supervisor, hash, &addr).await?
                }
            };
            let _this_token = supervisor.token_lock(&token.id).lock_owned().await;
            let (id, notice) =
                super::pool::attach::session(supervisor, &pool, &token.id, viewer).await?;
            (token.id, id, notice)
        }
    };
    let mut attachment =
        attach_in_order(supervisor, id, &token_id, connection, &addr, None).await?;
    attachment.notice = notice;
    Ok(attachment)
}

/// `auto_create`: a token nobody issued is registered. The caller holds the attach lock.
async fn auto_create(
    supervisor: &Arc<Supervisor>,
    hash: [u8; 32],
    addr: &str,
) -> Result<super::registry::TokenRow, Refusal> {
    let internal =
        |e: &dyn std::fmt::Display| refused(DisconnectReason::InternalError, &e.to_string());
    if !supervisor.has_room() {
        return Err(full(supervisor));
    }
    let id = tokens::new_id().map_err(|e| internal(&e))?;
    let detail = format!("auto_create for {addr}");
    let token = blocking(supervisor, move |s| {
        // Another attach may have created it meanwhile (the lock is taken after the lookup).
        if let Some(existing) = s.registry().find_token(&hash)? {
            return Ok(existing);
        }
        s.registry().add_token(&id, &hash, None)?;
        s.audit("token-created", None, Some(&id), &detail);
        s.publish_token(&id, hash, None);
        s.registry()
            .token(&id)?
            .ok_or(super::registry::RegistryError::Sqlite(
                rusqlite::Error::QueryReturnedNoRows,
            ))
    })
    .await?;
    if token.revoked {
        return Err(refused(
            DisconnectReason::AuthenticationFailed,
            TOKEN_REFUSED,
        ));
    }
    Ok(token)
}

/// A valid token's session: its running one, or a new one. The caller holds the attach lock.
async fn session_for(
    supervisor: &Arc<Supervisor>,
    token_id: &str,
    session: Option<u64>,
    viewer: SocketAddr,
) -> Result<u64, Refusal> {
    let addr = viewer.to_string();
    let running = session.filter(|id| supervisor.live().contains_key(id));
    let id = match running {
        Some(id) => id,
        // A desk card of a user whose session has ended: that user logs in again (the
        // daemon never starts a session as itself in multi-user mode).
        None if supervisor.config.login.enabled => {
            supervisor.audit(
                "refused",
                None,
                Some(token_id),
                &format!("ended from {addr}"),
            );
            return Err(refused(
                DisconnectReason::SessionEnded,
                "the session of this token has ended; log in with your user name and password \
                 to start a new one",
            ));
        }
        None => start_for(supervisor, token_id, viewer).await?,
    };
    Ok(id)
}
