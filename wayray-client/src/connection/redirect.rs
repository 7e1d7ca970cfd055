//! Following a pool's redirect: the server the viewer trusts names the server that holds the
//! session and vouches for its fingerprint; the viewer connects there accepting exactly that
//! fingerprint, and pins it. A fingerprint already pinned differently for that address wins:
//! the redirect fails as a changed identity would.

use wayray_protocol::messages::control::Redirect;

use super::dial::PinPolicy;
use super::{ConnectError, ConnectOptions, Viewer};
use crate::known_servers;

/// Redirects followed in a row before the viewer gives up (a pool sends a viewer on once;
/// more means its servers disagree).
pub const MAX_REDIRECTS: usize = 3;

/// The error that carries a redirect out of one connection attempt.
pub(super) fn redirected(opts: &ConnectOptions, to: Redirect) -> ConnectError {
    ConnectError::Redirected {
        server: opts.label.clone(),
        address: to.address,
        fingerprint: to.fingerprint,
    }
}

/// The options for the server a redirect names.
async fn follow(
    opts: &ConnectOptions,
    address: &str,
    fingerprint: &str,
) -> Result<ConnectOptions, ConnectError> {
    let unreachable = |detail: String| ConnectError::Unreachable {
        server: address.to_owned(),
        detail,
    };
    let server = tokio::net::lookup_host(address)
        .await
        .map_err(|e| unreachable(e.to_string()))?
        .next()
        .ok_or_else(|| unreachable("the name has no address".into()))?;
    let pinned = known_servers::lookup(&opts.known_servers, address).map_err(|source| {
        ConnectError::KnownServers {
            file: opts.known_servers.clone(),
            source,
        }
    })?;
    if let Some(pinned) = pinned
        && pinned != fingerprint
    {
        return Err(ConnectError::PinMismatch {
            server: address.to_owned(),
            expected: pinned,
            presented: fingerprint.to_owned(),
            file: opts.known_servers.clone(),
        });
    }
    let mut next = opts.clone();
    next.server = server;
    next.label = address.to_owned();
    next.pin = PinPolicy::Fingerprint(fingerprint.to_owned());
    Ok(next)
}

impl Viewer {
    /// Connects, verifies the server's identity, says hello and attaches with the token,
    /// following a pool's redirects to the server that holds the session.
    pub async fn connect(opts: &ConnectOptions) -> Result<Self, ConnectError> {
        let mut current = opts.clone();
        let mut hops = 0;
        loop {
            match Self::connect_once(&current).await {
                Err(ConnectError::Redirected {
                    server,
                    address,
                    fingerprint,
                }) if hops < MAX_REDIRECTS => {
                    tracing::info!(from = %server, to = %address, "session is on another server of the pool");
                    current = follow(&current, &address, &fingerprint).await?;
                    hops += 1;
                }
                other => return other,
            }
        }
    }
}
