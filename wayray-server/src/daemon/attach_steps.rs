//! The steps an attach shares whether the token's session is found in this server's registry
//! or through the pool: registry work off the async workers, and a new session for a token.

use std::net::SocketAddr;
use std::sync::Arc;

use wayray_protocol::messages::control::DisconnectReason;

use super::attach::{full, refused};
use super::session_error::SessionError;
use super::supervisor::Supervisor;
use crate::daemon::transport::resolver::Refusal;

/// Registry work off the async workers; a failure is an internal error for the viewer.
pub async fn blocking<T: Send + 'static>(
    supervisor: &Arc<Supervisor>,
    work: impl FnOnce(&Supervisor) -> Result<T, super::registry::RegistryError> + Send + 'static,
) -> Result<T, Refusal> {
    let supervisor = supervisor.clone();
    let internal =
        |e: &dyn std::fmt::Display| refused(DisconnectReason::InternalError, &e.to_string());
    tokio::task::spawn_blocking(move || work(&supervisor))
        .await
        .map_err(|e| internal(&e))?
        .map_err(|e| internal(&e))
}

/// A new session for a valid token. The caller holds the attach lock.
pub async fn start_for(
    supervisor: &Arc<Supervisor>,
    token_id: &str,
    viewer: SocketAddr,
) -> Result<u64, Refusal> {
    if !supervisor.has_room() {
        return Err(full(supervisor));
    }
    let addr = viewer.to_string();
    // With auto_create anybody can start sessions: each address only so many.
    let source = supervisor.config.auto_create.then_some(viewer.ip());
    supervisor
        .start_session(token_id, source)
        .await
        .map_err(|e| match e {
            SessionError::SourceFull(_) => {
                supervisor.audit("refused", None, Some(token_id), &format!("{e} ({addr})"));
                refused(DisconnectReason::InternalError, &e.to_string())
            }
            e => refused(
                DisconnectReason::InternalError,
                &format!("cannot start a session: {e}"),
            ),
        })
}
