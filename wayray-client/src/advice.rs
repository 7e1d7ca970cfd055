//! What to tell the person at the desk when a connection fails or ends: the help line under
//! the error, one place for the window and the headless viewer.

use wayray_protocol::messages::control::DisconnectReason;

use crate::{ConnectError, ViewerError};

/// What to do after connecting failed.
pub fn after_connect(err: &ConnectError) -> String {
    match err {
        ConnectError::Unreachable { .. } => {
            "check that the server runs and that UDP to its port is not blocked".into()
        }
        ConnectError::NewServer { .. } => {
            "compare the fingerprint with the one the server printed at start, then connect again \
             with --fingerprint sha256:HEX (or --accept-new)"
                .into()
        }
        ConnectError::PinMismatch { server, file, .. } => format!(
            "if the server was really reinstalled, remove the line for {server} from {} and \
             connect again",
            file.display()
        ),
        ConnectError::Refused { reason, .. } => refused(Some(*reason)).into(),
        ConnectError::Protocol { .. } => {
            "try again; if it persists, report it with the server's log".into()
        }
        ConnectError::KnownServers { .. } => "pass a writable --known-servers FILE".into(),
        ConnectError::Redirected { .. } => {
            "the servers of this pool disagree about where your session is; try again in a \
             moment, and tell your administrator if it persists"
                .into()
        }
    }
}

/// What to do after an attached connection ended for good.
pub fn after_end(err: &ViewerError) -> &'static str {
    match err {
        ViewerError::Disconnected { reason, .. } => refused(*reason),
        _ => "connect again to resume the session",
    }
}

fn refused(reason: Option<DisconnectReason>) -> &'static str {
    match reason {
        Some(DisconnectReason::SessionMoved) => {
            "the session is now shown on another desk; connect here again to bring it back"
        }
        Some(DisconnectReason::SessionEnded) => {
            "the session has ended; connect again to start a new one, or ask your administrator"
        }
        Some(DisconnectReason::AuthenticationFailed) => {
            "check your user name and password (or the token file), or ask your administrator"
        }
        Some(DisconnectReason::UnsupportedVersion) => {
            "install a wayray-client version that matches the server"
        }
        Some(DisconnectReason::ProtocolError) => {
            "report it with the server's log; connect again to resume the session"
        }
        _ => "connect again to resume the session; if it keeps happening, ask your administrator",
    }
}
