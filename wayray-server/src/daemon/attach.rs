//! Binding a viewer to a live session: the step every successful attach ends with, whether
//! it presented a token or logged in.

use std::path::PathBuf;
use std::sync::Arc;

use wayray_protocol::messages::control::DisconnectReason;

use super::lifecycle::Event;
use super::supervisor::{Supervisor, Viewer};
use crate::daemon::transport::resolver::{Refusal, close_moved};

/// A refusal with `message` for the viewer.
pub fn refused(reason: DisconnectReason, message: &str) -> Refusal {
    Refusal::new(reason, message)
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
/// the attach lock.
pub fn bind_viewer(
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
