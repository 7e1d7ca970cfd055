//! The admin socket between `wayray-ctl` and the daemon: one JSON request per line, answered by
//! one JSON reply per line. These types are the whole contract; both sides serialize them with
//! serde_json. (Not a network protocol: the socket is a local Unix socket, mode 0600.)

use serde::{Deserialize, Serialize};

mod pool;

pub use pool::{PoolMembership, PoolRequest, PoolServer, PoolSession};

/// The admin socket's path relative to `$XDG_RUNTIME_DIR`.
pub const ADMIN_SOCKET: &str = "wayray/admin.sock";

/// A command for the daemon.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "request", rename_all = "snake_case")]
pub enum AdminRequest {
    /// The daemon's own state.
    Status,
    /// Every session that is not ended.
    Sessions,
    /// One session, ended or not.
    SessionShow {
        /// Session id.
        id: u64,
    },
    /// Stop a session and its applications.
    SessionKill {
        /// Session id.
        id: u64,
    },
    /// Disconnect the session's viewer; the session keeps running.
    SessionDetach {
        /// Session id.
        id: u64,
    },
    /// Write the session's output as a PNG file.
    SessionScreenshot {
        /// Session id.
        id: u64,
        /// Absolute path of the file to write.
        path: String,
    },
    /// Start an application inside the session.
    SessionRun {
        /// Session id.
        id: u64,
        /// Program and arguments.
        command: Vec<String>,
    },
    /// Issue a new token, optionally bound to an existing session.
    TokenIssue {
        /// Bind to this session instead of creating one on first attach.
        session: Option<u64>,
    },
    /// Revoke a token; its viewer, if any, is disconnected.
    TokenRevoke {
        /// Token id (not the secret).
        id: String,
    },
    /// Every token, without secrets.
    TokenList,
    /// The server pool (only where `[pool]` is configured).
    Pool(PoolRequest),
}

/// The daemon's answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reply", rename_all = "snake_case")]
pub enum AdminReply {
    /// Answer to `Status`.
    Status(DaemonStatus),
    /// Answer to `Sessions`.
    Sessions {
        /// The sessions.
        sessions: Vec<SessionInfo>,
    },
    /// Answer to `SessionShow`.
    Session(SessionInfo),
    /// A command without other answer succeeded.
    Done {
        /// What happened, for people.
        message: String,
    },
    /// An application was started.
    Started {
        /// Its process id.
        pid: u32,
    },
    /// Answer to `TokenIssue`.
    TokenIssued(IssuedToken),
    /// Answer to `TokenList`.
    Tokens {
        /// The tokens.
        tokens: Vec<TokenInfo>,
    },
    /// Answer to `Pool(Servers)`.
    PoolServers {
        /// The servers, by id.
        servers: Vec<PoolServer>,
    },
    /// Answer to `Pool(Sessions)`.
    PoolSessions {
        /// The sessions, by token id.
        sessions: Vec<PoolSession>,
    },
    /// The command failed.
    Error(AdminError),
}

/// Why a command failed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminError {
    /// What kind of failure (scripts branch on it; `wayray-ctl` maps it to its exit code).
    pub kind: ErrorKind,
    /// What went wrong.
    pub message: String,
    /// What to do next.
    pub help: String,
}

/// Kinds of admin failures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// No such session or token.
    NotFound,
    /// The request is malformed or not allowed in the current state.
    Invalid,
    /// The daemon tried and failed.
    Failed,
}

/// The daemon's state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DaemonStatus {
    /// Daemon version.
    pub version: String,
    /// Daemon process id.
    pub pid: u32,
    /// UDP address viewers connect to.
    pub listen: String,
    /// SHA-256 fingerprint of the server identity.
    pub fingerprint: String,
    /// Seconds since the daemon started.
    pub uptime_s: u64,
    /// Sessions that are not ended.
    pub sessions: usize,
    /// Of those, sessions with a viewer.
    pub attached: usize,
    /// Tokens that are not revoked.
    pub tokens: usize,
    /// The state directory (identity, registry, logs).
    pub state_dir: String,
    /// Its membership of a server pool, where it has one.
    #[serde(default)]
    pub pool: Option<PoolMembership>,
}

/// One session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// Session id.
    pub id: u64,
    /// Its state (`starting`, `attached`, `detached` or `ended` in JSON).
    pub state: SessionState,
    /// The token that owns it.
    pub token_id: Option<String>,
    /// Whether a viewer is attached.
    pub attached: bool,
    /// The attached (or last) viewer's address.
    pub viewer: Option<String>,
    /// The session process id while it runs.
    pub pid: Option<u32>,
    /// Its `WAYLAND_DISPLAY`.
    pub wayland_display: Option<String>,
    /// Created, Unix seconds.
    pub created: i64,
    /// Last attach, Unix seconds.
    pub last_attach: Option<i64>,
    /// Why it ended.
    pub end_reason: Option<EndReason>,
    /// The Unix user it runs as (sessions started by a login).
    #[serde(default)]
    pub user: Option<String>,
    /// Its sound, as the running session reports it (`session show` only; `None`: not
    /// running, not asked, or no sound server).
    #[serde(default)]
    pub sound: Option<SessionSound>,
    /// The video's rate cap towards the attached viewer, kbit/s, as the running session
    /// reports it (`session show` only).
    #[serde(default)]
    pub video_kbps: Option<u32>,
}

/// What a running session's sound is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct SessionSound {
    /// Its applications' sound went to the viewer within the last second.
    pub playing: bool,
    /// A viewer's microphone reached it within the last second.
    pub microphone: bool,
}

/// A session's state; the moves between them are the daemon's (`daemon/lifecycle.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SessionState {
    /// The process is being started; no viewer yet.
    Starting,
    /// A viewer is attached.
    Attached,
    /// Running without a viewer (until its idle timeout).
    Detached,
    /// Gone.
    Ended,
}

impl SessionState {
    /// Every state.
    pub const ALL: [Self; 4] = [Self::Starting, Self::Attached, Self::Detached, Self::Ended];

    /// The name stored in the registry and shown by `wayray-ctl`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Starting => "starting",
            Self::Attached => "attached",
            Self::Detached => "detached",
            Self::Ended => "ended",
        }
    }

    /// The state named `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }
}

impl std::fmt::Display for SessionState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a session ended. In JSON: `{"kind": "crashed", "detail": "signal: 9 (SIGKILL)"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "detail", rename_all = "snake_case")]
pub enum EndReason {
    /// The session process exited by itself, successfully.
    Exited,
    /// The session process failed; its exit status.
    Crashed(String),
    /// The daemon lost sight of the process; why.
    Lost(String),
    /// The session process could not be started; why.
    FailedToStart(String),
    /// An administrator killed it.
    Killed,
    /// It stayed without a viewer past its idle timeout.
    IdleTimeout,
    /// It was gone when a restarted daemon looked for it.
    LostWhileDaemonDown,
    /// The text a registry written by an older daemon holds.
    Recorded(String),
}

impl EndReason {
    /// Whether the session failed rather than ended on purpose.
    pub fn is_failure(&self) -> bool {
        matches!(
            self,
            Self::Crashed(_) | Self::Lost(_) | Self::FailedToStart(_) | Self::LostWhileDaemonDown
        )
    }
}

impl std::fmt::Display for EndReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Exited => f.write_str("exited"),
            Self::Crashed(status) => write!(f, "crashed ({status})"),
            Self::Lost(why) => write!(f, "lost ({why})"),
            Self::FailedToStart(why) => write!(f, "failed to start: {why}"),
            Self::Killed => f.write_str("killed by an administrator"),
            Self::IdleTimeout => f.write_str("idle timeout"),
            Self::LostWhileDaemonDown => f.write_str("lost while the daemon was not running"),
            Self::Recorded(text) => f.write_str(text),
        }
    }
}

/// One token, without its secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenInfo {
    /// Token id.
    pub id: String,
    /// Created, Unix seconds.
    pub created: i64,
    /// Whether it was revoked.
    pub revoked: bool,
    /// The session it is bound to.
    pub session: Option<u64>,
}

/// A new token. The secret is shown once and never stored (only its hash is).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedToken {
    /// Token id, for `token revoke` and `token list`.
    pub id: String,
    /// The secret a viewer presents.
    pub token: String,
    /// The session it is bound to, if any.
    pub session: Option<u64>,
}

impl std::fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedToken")
            .field("id", &self.id)
            .field("token", &"<redacted>")
            .field("session", &self.session)
            .finish()
    }
}
