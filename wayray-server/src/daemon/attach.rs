//! Binding a viewer to a live session: the step every successful attach ends with, whether
//! it presented a token or logged in.

use std::path::PathBuf;
use std::sync::Arc;

use wayray_protocol::messages::control::DisconnectReason;

use super::lifecycle::Event;
use super::supervisor::{Supervisor, Viewer};
use crate::daemon::transport::resolver::{Attachment, Refusal, close_moved};
use wayray_protocol::secret::Token;

/// A refusal with `message` for the viewer.
pub fn refused(reason: DisconnectReason, message: &str) -> Refusal {
    Refusal::new(reason, message)
}

/// What every refused token hears: unknown and revoked are not told apart (the audit log
/// says which).
pub const TOKEN_REFUSED: &str = "this server does not accept the token; ask your administrator \
                                 for a new one (wayray-ctl token issue)";

/// Binds `connection` to live session `id` in order (see [`bind_viewer`]) and returns the
/// attachment, which holds the session's attach lock until its link has the viewer: two
/// desks taking one session at once reach the session in the order they were bound, so the
/// last bound is the one served. A token revoked meanwhile is refused here.
pub async fn attach_in_order(
    supervisor: &Arc<Supervisor>,
    id: u64,
    token_id: &str,
    connection: quinn::Connection,
    addr: &str,
    desk_token: Option<Token>,
) -> Result<Attachment, Refusal> {
    let until_linked = supervisor.session_lock(id).lock_owned().await;
    let link = {
        let _one_at_a_time = supervisor.attach_lock.lock().await;
        let revoked = supervisor
            .registry()
            .token(token_id)
            .map_err(|e| refused(DisconnectReason::InternalError, &e.to_string()))?
            .is_none_or(|token| token.revoked);
        if revoked {
            return Err(refused(
                DisconnectReason::AuthenticationFailed,
                TOKEN_REFUSED,
            ));
        }
        bind_viewer(supervisor, id, token_id, connection, addr)?
    };
    Ok(Attachment {
        session_id: id.to_string(),
        link,
        desk_token,
        until_linked: Some(until_linked),
        notice: None,
    })
}

/// The refusal when `max_sessions` are running.
pub fn full(supervisor: &Supervisor) -> Refusal {
    refused(
        DisconnectReason::InternalError,
        &super::session_error::SessionError::Full(supervisor.config.max_sessions).to_string(),
    )
}

/// Makes `connection` the viewer of live session `id` (telling its previous viewer that the
/// session moved) and records the attach. Returns the session's link socket. The caller holds
/// the attach lock (and, through [`attach_in_order`], the session's).
fn bind_viewer(
    supervisor: &Arc<Supervisor>,
    id: u64,
    token_id: &str,
    connection: quinn::Connection,
    addr: &str,
) -> Result<PathBuf, Refusal> {
    let (link, previous) = {
        let mut live = supervisor.live();
        let session = live.get_mut(&id).ok_or_else(|| {
            refused(
                DisconnectReason::SessionEnded,
                "the session ended while attaching",
            )
        })?;
        let previous = session.viewer.replace(Viewer {
            connection,
            token_id: token_id.to_owned(),
        });
        (session.link.clone(), previous)
    };
    if let Some(previous) = previous {
        close_moved(&previous.connection);
        supervisor.audit(
            "moved",
            Some(id),
            Some(token_id),
            &format!("{} -> {addr}", previous.connection.remote_address()),
        );
    }
    if let Err(err) = supervisor
        .registry()
        .transition(id, Event::Attach, Some(addr))
    {
        tracing::warn!(%err, "session state not updated");
    }
    supervisor.audit("attach", Some(id), Some(token_id), addr);
    tracing::info!(session = id, token = %token_id, viewer = %addr, "viewer attaching");
    Ok(link)
}
