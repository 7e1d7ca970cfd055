//! What the daemon asks the privileged session helper (`wayray-server sessiond`) and what it
//! answers: one JSON line each way per connection over the helper's Unix socket. Both
//! processes use these types; neither imports the other.
//!
//! The request set is deliberately small. The helper trusts none of it beyond its type: it
//! checks the password with PAM itself, takes the session's program from its own
//! configuration, and derives every path from a session number it validates.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use wayray_protocol::secret::Secret;

/// The longest request line the helper reads.
pub const MAX_REQUEST: usize = 4096;

/// A request from the daemon.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum HelperRequest {
    /// Checks a user's password (PAM authenticate and account management); starts nothing.
    Authenticate {
        /// The user name.
        user: String,
        /// The password (redacted in `Debug`).
        password: Secret<String>,
        /// The viewer's address (PAM_RHOST).
        remote: String,
    },
    /// Checks the password, opens a PAM session and starts session `session` as the user.
    Start {
        /// The user name.
        user: String,
        /// The password (redacted in `Debug`).
        password: Secret<String>,
        /// The viewer's address (PAM_RHOST).
        remote: String,
        /// The registry's number for the new session.
        session: u64,
        /// How the session starts.
        options: StartOptions,
    },
    /// Kills a session this helper started, with its applications (its process group).
    Kill {
        /// The session's number.
        session: u64,
    },
}

/// How a session starts; checked by the helper before use.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartOptions {
    /// Output size, `WIDTHxHEIGHT`.
    pub size: String,
    /// Output scale.
    pub scale: f64,
    /// xkb layout name.
    pub keyboard_layout: String,
    /// Most frames in flight.
    pub frames_in_flight: usize,
    /// Run Xwayland for X11 applications.
    #[serde(default)]
    pub x11: bool,
    /// Run a sound server for the session's applications.
    #[serde(default)]
    pub audio: bool,
    /// With `audio`: which sound server.
    #[serde(default)]
    pub sound_server: crate::sound_kind::SoundServerKind,
}

/// The helper's answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reply", rename_all = "snake_case", deny_unknown_fields)]
pub enum HelperReply {
    /// The password is right and the account may log in.
    Authenticated {
        /// The user's uid.
        uid: u32,
    },
    /// The session runs.
    Started {
        /// The session process.
        pid: u32,
        /// The user's uid.
        uid: u32,
        /// Its link socket (reachable by the daemon's group, not by other users).
        link: PathBuf,
        /// Its Wayland socket's name in the user's runtime dir.
        wayland_display: String,
    },
    /// The session was killed (or had already gone).
    Killed,
    /// Login refused: unknown user, wrong password, account locked or expired. Which one is
    /// never said.
    Refused,
    /// Something failed on the helper's side.
    Failed {
        /// What, for the daemon's log.
        message: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_round_trip_and_hide_the_password() {
        let request = HelperRequest::Start {
            user: "alice".into(),
            password: Secret::new("hunter2".into()),
            remote: "192.0.2.1:5000".into(),
            session: 7,
            options: StartOptions {
                size: "1280x720".into(),
                scale: 1.0,
                keyboard_layout: "us".into(),
                frames_in_flight: 2,
                x11: true,
                audio: true,
                sound_server: crate::sound_kind::SoundServerKind::Pipewire,
            },
        };
        let line = serde_json::to_string(&request).unwrap();
        assert_eq!(
            serde_json::from_str::<HelperRequest>(&line).unwrap(),
            request
        );
        assert!(!format!("{request:?}").contains("hunter2"));
        assert!(serde_json::from_str::<HelperRequest>(r#"{"op":"format_disk"}"#).is_err());
    }
}
