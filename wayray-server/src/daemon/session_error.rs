//! Why the supervisor could not start or stop a session.

use super::registry::RegistryError;

/// Starting or stopping a session failed.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// No session command is configured and no known terminal is installed.
    #[error(
        "no session command: set [session] command in the configuration, or install one of {terminals}"
    )]
    NoCommand {
        /// The terminals looked for.
        terminals: String,
    },
    /// The registry failed.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// The session process did not start or did not open its link.
    #[error("{0}")]
    Start(String),
    /// `max_sessions` are running.
    #[error("the server is full ({0} sessions, its max_sessions); try again later")]
    Full(usize),
    /// `max_sessions_per_source` sessions started from this viewer's address are running.
    #[error(
        "this address already runs {0} sessions (the server's max_sessions_per_source); \
         end one of them, or present the token of a running session"
    )]
    SourceFull(usize),
    /// The session is not running.
    #[error("session {0} is not running")]
    NotRunning(u64),
    /// The session did not stop, even when killed.
    #[error("session {id} (pid {pid}) does not stop")]
    WontStop {
        /// The session.
        id: u64,
        /// Its process.
        pid: u32,
    },
}
