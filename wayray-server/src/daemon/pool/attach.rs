//! The daemon's attach in a pool: the token as the pool has it (mirrored into this server's
//! registry), then the pool's route for its session.

use std::net::SocketAddr;
use std::sync::Arc;

use wayray_protocol::admin::EndReason;
use wayray_protocol::messages::control::DisconnectReason;

use super::route::{Route, route};
use super::{Pool, PoolError};
use crate::daemon::attach::refused;
use crate::daemon::attach_steps::{blocking, start_for};
use crate::daemon::registry::TokenRow;
use crate::daemon::supervisor::Supervisor;
use crate::daemon::transport::Refusal;

/// What a viewer hears while the pool's directory is unreachable (the details go to the log,
/// not to a peer whose token is not checked yet).
pub fn unreachable(err: &PoolError) -> Refusal {
    tracing::warn!(%err, "pool directory unavailable; attach refused");
    refused(
        DisconnectReason::InternalError,
        "the server pool cannot place sessions right now; try again in a minute, and tell \
         your administrator if it persists",
    )
}

/// The token whose hash is `hash`: the pool's word on whether it exists and is revoked,
/// kept in this server's registry too (sessions and the audit log refer to it by id).
pub async fn token(
    supervisor: &Arc<Supervisor>,
    pool: &Pool,
    hash: [u8; 32],
) -> Result<Option<TokenRow>, Refusal> {
    let shared = pool.find_token(&hash).await.map_err(|e| unreachable(&e))?;
    let local = blocking(supervisor, move |s| s.registry().find_token(&hash)).await?;
    match (shared, local) {
        (Some(shared), local) => {
            let revoked = shared.revoked && local.as_ref().is_some_and(|t| !t.revoked);
            let missing = local.is_none();
            blocking(supervisor, move |s| {
                let registry = s.registry();
                if missing {
                    registry.add_token(&shared.id, &hash, None)?;
                }
                if revoked || (missing && shared.revoked) {
                    registry.revoke_token(&shared.id)?;
                }
                registry.find_token(&hash)
            })
            .await
        }
        // Issued here while etcd was away: the pool learns it now.
        (None, Some(local)) => {
            let record = super::records::TokenRecord {
                id: local.id.clone(),
                created: local.created,
                revoked: local.revoked,
            };
            pool.publish_token(&hash, &record)
                .await
                .map_err(|e| unreachable(&e))?;
            Ok(Some(local))
        }
        (None, None) => Ok(None),
    }
}

/// The session for a valid token: this server's (the id), or a new one here (with a notice
/// where it replaces one lost with its server), or a redirect as the refusal.
pub async fn session(
    supervisor: &Arc<Supervisor>,
    pool: &Pool,
    token_id: &str,
    viewer: SocketAddr,
) -> Result<(u64, Option<String>), Refusal> {
    let token = token_id.to_owned();
    let bound = blocking(supervisor, move |s| {
        Ok(s.registry().token(&token)?.and_then(|t| t.session))
    })
    .await?;
    let local = bound.filter(|id| supervisor.live().contains_key(id));
    let routed = route(pool, token_id, local, None)
        .await
        .map_err(|e| unreachable(&e))?;
    match routed {
        Route::Here(id) => Ok((id, None)),
        Route::Elsewhere(to) => {
            supervisor.audit("redirect", None, Some(token_id), &to.address);
            Err(Refusal::redirect(to))
        }
        Route::Start { .. } if supervisor.config.login.enabled => {
            release(pool, token_id).await;
            Err(refused(
                DisconnectReason::SessionEnded,
                "the session of this token has ended; log in with your user name and password \
                 to start a new one",
            ))
        }
        Route::Start { notice } => match start(supervisor, token_id, viewer).await {
            Ok(id) => {
                match pool.set_running(token_id, id, None).await {
                    Ok(true) => {}
                    // Another server took the token over while this one started the session.
                    Ok(false) => {
                        let _ = supervisor.stop(id, EndReason::Killed).await;
                        return Err(refused(
                            DisconnectReason::InternalError,
                            "another server of the pool took this session over meanwhile; \
                             connect again",
                        ));
                    }
                    // Registered by the next membership round (the token is bound here).
                    Err(err) => tracing::warn!(%err, session = id, "session not registered yet"),
                }
                if notice.is_some() {
                    supervisor.audit(
                        "failover",
                        Some(id),
                        Some(token_id),
                        "previous session lost",
                    );
                }
                Ok((id, notice))
            }
            Err(refusal) => {
                release(pool, token_id).await;
                Err(refusal)
            }
        },
    }
}

/// A new session, started as every start is: one at a time on this server (its caps).
async fn start(
    supervisor: &Arc<Supervisor>,
    token_id: &str,
    viewer: SocketAddr,
) -> Result<u64, Refusal> {
    let _one_at_a_time = supervisor.attach_lock.lock().await;
    start_for(supervisor, token_id, viewer).await
}

async fn release(pool: &Pool, token_id: &str) {
    if let Err(err) = pool.release(token_id, None).await {
        tracing::warn!(%err, "claim not released; it lapses with the next attach");
    }
}
