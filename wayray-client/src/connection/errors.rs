//! How connecting or a connection fails, with the server's reason where it gave one.

use std::path::PathBuf;

use wayray_protocol::messages::control::DisconnectReason;

use crate::framebuffer::ApplyError;

/// Connecting failed.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The server did not answer.
    #[error("cannot reach {server}: {detail}")]
    Unreachable {
        /// The server.
        server: String,
        /// Why.
        detail: String,
    },
    /// The server is not pinned yet and the policy does not accept new servers.
    #[error("the identity of {server} is not known yet; its fingerprint is {fingerprint}")]
    NewServer {
        /// The server.
        server: String,
        /// What it presented.
        fingerprint: String,
    },
    /// The server presented a different identity than pinned.
    #[error(
        "the identity of {server} has changed: pinned {expected}, presented {presented}. \
         Someone could be intercepting the connection, or the server was reinstalled"
    )]
    PinMismatch {
        /// The server.
        server: String,
        /// Pinned fingerprint.
        expected: String,
        /// Presented fingerprint.
        presented: String,
        /// The known-servers file.
        file: PathBuf,
    },
    /// The server refused (version, token...).
    #[error("{server} refused the connection ({reason:?}): {message}")]
    Refused {
        /// The server.
        server: String,
        /// Machine-readable reason.
        reason: DisconnectReason,
        /// The server's text.
        message: String,
    },
    /// Anything else on the wire.
    #[error("connection to {server} failed: {detail}")]
    Protocol {
        /// The server.
        server: String,
        /// What happened.
        detail: String,
    },
    /// The server sent the viewer on to another server of its pool (followed by
    /// [`crate::Viewer::connect`]; seen only where the chain of redirects was too long).
    #[error("{server} sent the viewer on to {address}, and that to yet another server")]
    Redirected {
        /// The server that redirected.
        server: String,
        /// Where to.
        address: String,
        /// The fingerprint it vouched for.
        fingerprint: String,
    },
    /// The known-servers file could not be used.
    #[error("cannot use {file}: {source}")]
    KnownServers {
        /// The file.
        file: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// The connection broke after attaching.
#[derive(Debug, thiserror::Error)]
pub enum ViewerError {
    /// The server ended the connection with a reason.
    #[error("disconnected ({reason:?}): {message}")]
    Disconnected {
        /// Reason code.
        reason: Option<DisconnectReason>,
        /// The server's text.
        message: String,
    },
    /// The connection failed.
    #[error("connection lost: {0}")]
    Connection(#[from] quinn::ConnectionError),
    /// A stream failed.
    #[error("stream failed: {0}")]
    Stream(String),
    /// The viewer could not go on (its framebuffer could not be set up).
    #[error(transparent)]
    Apply(#[from] ApplyError),
    /// This side found the server breaking the protocol and closed the connection.
    #[error("the server broke the protocol: {0}")]
    Protocol(String),
}

impl From<quinn::ConnectionError> for ConnectError {
    fn from(err: quinn::ConnectionError) -> Self {
        ConnectError::Protocol {
            server: String::new(),
            detail: err.to_string(),
        }
    }
}

/// The error for a connection that closed, with the server's reason when it gave one.
pub(crate) fn closed_error(err: quinn::ConnectionError) -> ViewerError {
    match err {
        quinn::ConnectionError::ApplicationClosed(close) => ViewerError::Disconnected {
            reason: DisconnectReason::from_code(close.error_code.into_inner()),
            message: String::from_utf8_lossy(&close.reason).into_owned(),
        },
        other => ViewerError::Connection(other),
    }
}
