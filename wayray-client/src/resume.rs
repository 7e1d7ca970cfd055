//! Resuming a session after the connection drops. The session lives on the server, so a viewer
//! whose network hiccups (or whose server daemon restarts) connects again with the same token
//! and gets the same apps back, with a full frame. Ends that a new connection would not change
//! (another desk took the session, the session ended, the token was revoked) are final.

use std::time::{Duration, Instant};

use wayray_protocol::messages::control::DisconnectReason;

use crate::connection::{ConnectError, ConnectOptions, Viewer, ViewerError};

/// First wait before connecting again.
const FIRST_DELAY: Duration = Duration::from_millis(100);
/// Longest wait between two attempts.
const MAX_DELAY: Duration = Duration::from_secs(5);

/// Exponential backoff: 100 ms, 200 ms, 400 ms… up to 5 s between attempts.
#[derive(Debug, Clone)]
pub struct Backoff {
    next: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self { next: FIRST_DELAY }
    }
}

impl Backoff {
    /// The wait before the next attempt (each one twice the previous, at most 5 s).
    pub fn next_delay(&mut self) -> Duration {
        let delay = self.next;
        self.next = (self.next * 2).min(MAX_DELAY);
        delay
    }
}

/// Whether a reason given by the server leaves the session worth connecting to again.
fn reason_is_transient(reason: Option<DisconnectReason>) -> bool {
    match reason {
        Some(
            DisconnectReason::ServerShutdown
            | DisconnectReason::Timeout
            | DisconnectReason::InternalError,
        )
        | None => true,
        Some(
            DisconnectReason::Normal
            | DisconnectReason::ProtocolError
            | DisconnectReason::UnsupportedVersion
            | DisconnectReason::AuthenticationFailed
            | DisconnectReason::SessionMoved
            | DisconnectReason::SessionEnded,
        ) => false,
    }
}

/// Whether an attached viewer that ended with `err` should connect again.
pub fn resumable(err: &ViewerError) -> bool {
    match err {
        ViewerError::Disconnected { reason, .. } => reason_is_transient(*reason),
        ViewerError::Connection(conn) => !matches!(
            conn,
            quinn::ConnectionError::LocallyClosed | quinn::ConnectionError::VersionMismatch
        ),
        // A stream cut by the network, or a frame that cannot be applied: a new connection
        // starts with a full frame.
        ViewerError::Stream(_) | ViewerError::Apply(_) | ViewerError::Protocol(_) => true,
    }
}

/// Whether a failed attempt to connect is worth repeating.
pub fn retryable(err: &ConnectError) -> bool {
    match err {
        ConnectError::Unreachable { .. }
        | ConnectError::Protocol { .. }
        | ConnectError::Redirected { .. } => true,
        ConnectError::Refused { reason, .. } => reason_is_transient(Some(*reason)),
        ConnectError::NewServer { .. }
        | ConnectError::PinMismatch { .. }
        | ConnectError::KnownServers { .. } => false,
    }
}

/// A connection that stayed up this long ends a streak of drops: the next drop starts afresh.
const HEALTHY: Duration = Duration::from_secs(30);

/// Resuming one session, across drops: the backoff and the time limit carry over from one drop
/// to the next until a connection has stayed up for a while, so a server that accepts and then
/// drops at once is not hammered forever.
#[derive(Debug)]
pub struct Resumer {
    limit: Duration,
    backoff: Backoff,
    streak_started: Option<Instant>,
    attached_at: Option<Instant>,
}

impl Resumer {
    /// Gives up after `limit` of drops without a healthy connection in between.
    pub fn new(limit: Duration) -> Self {
        Self {
            limit,
            backoff: Backoff::default(),
            streak_started: None,
            attached_at: Some(Instant::now()),
        }
    }

    /// Connects again with backoff until attached, until an attempt fails for good, or until
    /// the limit has passed. `attempt_failed` hears of each failed attempt.
    pub async fn resume(
        &mut self,
        opts: &ConnectOptions,
        mut attempt_failed: impl FnMut(&ConnectError),
    ) -> Result<Viewer, ConnectError> {
        let now = Instant::now();
        if self
            .attached_at
            .is_some_and(|at| now.duration_since(at) >= HEALTHY)
        {
            self.backoff = Backoff::default();
            self.streak_started = None;
        }
        let started = *self.streak_started.get_or_insert(now);
        let deadline = started.checked_add(self.limit);
        let expired = |at: Instant| deadline.is_some_and(|d| at >= d);
        loop {
            if expired(Instant::now()) {
                return Err(ConnectError::Protocol {
                    server: opts.label.clone(),
                    detail: format!(
                        "the connection kept dropping; gave up resuming after {} s",
                        self.limit.as_secs()
                    ),
                });
            }
            tokio::time::sleep(self.backoff.next_delay()).await;
            match Viewer::connect(opts).await {
                Ok(viewer) => {
                    self.attached_at = Some(Instant::now());
                    return Ok(viewer);
                }
                Err(err) if retryable(&err) && !expired(Instant::now()) => attempt_failed(&err),
                Err(err) => return Err(err),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_five_seconds() {
        let mut b = Backoff::default();
        let delays: Vec<u64> = (0..9).map(|_| b.next_delay().as_millis() as u64).collect();
        assert_eq!(delays, [100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000]);
    }

    #[test]
    fn only_transient_ends_are_resumed() {
        let closed = |reason| ViewerError::Disconnected {
            reason: Some(reason),
            message: String::new(),
        };
        assert!(resumable(&closed(DisconnectReason::ServerShutdown)));
        assert!(resumable(&ViewerError::Connection(
            quinn::ConnectionError::TimedOut
        )));
        assert!(resumable(&ViewerError::Connection(
            quinn::ConnectionError::Reset
        )));
        assert!(!resumable(&closed(DisconnectReason::SessionMoved)));
        assert!(!resumable(&closed(DisconnectReason::SessionEnded)));
        assert!(!resumable(&closed(DisconnectReason::AuthenticationFailed)));
        assert!(!resumable(&closed(DisconnectReason::Normal)));
        assert!(!resumable(&ViewerError::Connection(
            quinn::ConnectionError::LocallyClosed
        )));
    }

    #[test]
    fn refusals_for_good_are_not_retried() {
        let refused = |reason| ConnectError::Refused {
            server: "s".into(),
            reason,
            message: String::new(),
        };
        assert!(retryable(&ConnectError::Unreachable {
            server: "s".into(),
            detail: String::new()
        }));
        assert!(retryable(&refused(DisconnectReason::ServerShutdown)));
        assert!(!retryable(&refused(DisconnectReason::AuthenticationFailed)));
        assert!(!retryable(&ConnectError::PinMismatch {
            server: "s".into(),
            expected: "a".into(),
            presented: "b".into(),
            file: "f".into(),
        }));
    }
}
