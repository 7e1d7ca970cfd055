//! Which session a token opens. The QUIC front end asks a [`Resolver`] after the handshake;
//! the daemon answers from its registry (starting a session when needed), a single-session
//! server from one token ([`SingleSession`]).

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Mutex;

use wayray_protocol::messages::control::{DisconnectReason, Redirect};
use wayray_protocol::secret::{Secret, Token, same_secret};
use wayray_protocol::session::rate::RateLimits;

/// Who a viewer says it is.
#[derive(Debug)]
pub enum Presented {
    /// A session token.
    Token(Token),
    /// A user name and password (only where the resolver offers login).
    Login {
        /// The user name.
        user: String,
        /// The password (redacted in `Debug`; never logged).
        password: Secret<String>,
    },
}

/// A viewer asks to attach.
#[derive(Debug)]
pub struct AttachRequest {
    /// Its token or login.
    pub presented: Presented,
    /// Its address.
    pub viewer: SocketAddr,
    /// Its connection (the resolver closes the previous viewer of the session with it).
    pub connection: quinn::Connection,
}

/// Where an attached viewer goes.
#[derive(Debug)]
pub struct Attachment {
    /// The session's id.
    pub session_id: String,
    /// The session's link socket.
    pub link: PathBuf,
    /// After a login: the hot-desk token for the viewer to keep.
    pub desk_token: Option<Token>,
    /// Held until the session's link has this viewer: attaches to one session reach it in
    /// the order they were bound, so the last one bound is the one the session serves.
    pub until_linked: Option<tokio::sync::OwnedMutexGuard<()>>,
    /// Told to the user once attached (a pool's new session replacing a lost one).
    pub notice: Option<String>,
}

/// Why a viewer was refused.
#[derive(Debug, Clone)]
pub struct Refusal {
    /// Sent as the close code.
    pub reason: DisconnectReason,
    /// Sent as the close text; says what to do.
    pub message: String,
    /// The session is on another server of the pool: a viewer that follows redirects goes
    /// there (others get `message`, which names the address).
    pub redirect: Option<Redirect>,
}

impl Refusal {
    /// A refusal.
    pub fn new(reason: DisconnectReason, message: impl Into<String>) -> Self {
        Self {
            reason,
            message: message.into(),
            redirect: None,
        }
    }

    /// The session is held by the pool's server at `to`.
    pub fn redirect(to: Redirect) -> Self {
        let message = format!(
            "your session is on the server {}; connect there (this viewer does not follow \
             redirects)",
            to.address
        );
        Self {
            reason: DisconnectReason::SessionEnded,
            message,
            redirect: Some(to),
        }
    }
}

/// A boxed future, so that resolvers can be trait objects.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Maps tokens to sessions.
pub trait Resolver: Send + Sync + 'static {
    /// Finds (or starts) the session for `request.token`. Closes the session's previous
    /// viewer connection, if any, with [`DisconnectReason::SessionMoved`].
    fn attach(&self, request: AttachRequest) -> BoxFuture<'_, Result<Attachment, Refusal>>;

    /// The viewer `connection` of `session_id` has gone.
    fn detached(&self, session_id: &str, connection: &quinn::Connection);

    /// Whether viewers may log in with a user name and password.
    fn offers_login(&self) -> bool {
        false
    }

    /// The largest output a viewer may ask for (width, height).
    fn max_output(&self) -> (u32, u32) {
        wayray_protocol::session::ServerConfig::default().max_output
    }

    /// Which way clipboard contents may go between desks and sessions, and how large.
    fn clipboard(&self) -> wayray_protocol::session::ClipboardPolicy {
        wayray_protocol::session::ClipboardPolicy::default()
    }

    /// Whether sessions may send their sound (each sends it only if it has a sound server).
    fn audio(&self) -> bool {
        true
    }

    /// Whether viewers may send their microphone into sessions.
    fn microphone(&self) -> bool {
        true
    }

    /// The range each viewer's video rate cap moves in (`session::rate`).
    fn video_rate(&self) -> RateLimits {
        RateLimits::default()
    }
}

/// One session, one token (`wayray-server session --listen`, and tests).
#[derive(Debug)]
pub struct SingleSession {
    token: Token,
    session_id: String,
    link: PathBuf,
    current: Mutex<Option<quinn::Connection>>,
    video: RateLimits,
}

impl SingleSession {
    /// Serves the session behind `link` to viewers presenting `token`.
    pub fn new(token: Token, session_id: String, link: PathBuf) -> Self {
        Self {
            token,
            session_id,
            link,
            current: Mutex::new(None),
            video: RateLimits::default(),
        }
    }

    /// Moves each viewer's video rate cap within `limits` (a fixed cap: all three equal).
    pub fn with_video_rate(mut self, limits: RateLimits) -> Self {
        self.video = limits;
        self
    }
}

/// Closes `previous` because its session moved to another viewer.
pub fn close_moved(previous: &quinn::Connection) {
    previous.close(
        DisconnectReason::SessionMoved.code().into(),
        b"session moved to another viewer",
    );
}

impl Resolver for SingleSession {
    fn attach(&self, request: AttachRequest) -> BoxFuture<'_, Result<Attachment, Refusal>> {
        Box::pin(async move {
            let Presented::Token(token) = &request.presented else {
                return Err(Refusal::new(
                    DisconnectReason::AuthenticationFailed,
                    "this server has no login with a user name; present a session token",
                ));
            };
            if !same_secret(token.expose().as_bytes(), self.token.expose().as_bytes()) {
                return Err(Refusal::new(
                    DisconnectReason::AuthenticationFailed,
                    "the session token is not valid for this server",
                ));
            }
            let previous = self
                .current
                .lock()
                .ok()
                .and_then(|mut c| c.replace(request.connection));
            if let Some(previous) = previous {
                close_moved(&previous);
            }
            Ok(Attachment {
                session_id: self.session_id.clone(),
                link: self.link.clone(),
                desk_token: None,
                until_linked: None,
                notice: None,
            })
        })
    }

    fn detached(&self, _session_id: &str, connection: &quinn::Connection) {
        if let Ok(mut current) = self.current.lock()
            && current
                .as_ref()
                .is_some_and(|c| c.stable_id() == connection.stable_id())
        {
            *current = None;
        }
    }
}
