//! How a viewer connection behaves, and who the viewer says it is.

use std::time::Duration;

use crate::Capabilities;
use crate::messages::control::{OutputMode, PeerInfo};
use crate::secret::{Secret, Token};

/// Who the viewer says it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credentials {
    /// A session token (issued by an administrator, or the desk token of an earlier login).
    Token(Token),
    /// A Unix user name and password, where the server offers login.
    Login {
        /// The user name.
        user: String,
        /// The password (its `Debug` is redacted).
        password: Secret<String>,
    },
}

/// How a viewer connection behaves.
#[derive(Clone, Debug)]
pub struct ViewerConfig {
    /// Features this viewer supports.
    pub capabilities: Capabilities,
    /// Who the viewer is.
    pub client: PeerInfo,
    /// A token or a login.
    pub credentials: Credentials,
    /// The output mode to ask for when attaching.
    pub preferred_mode: Option<OutputMode>,
    /// How often to ping; `None`: never, the transport measures round trips from its own
    /// acknowledgements and hands them to [`super::ViewerConnection::transport_rtt`] (QUIC).
    pub ping_interval: Option<Duration>,
    /// How long a missing frame may hold up the ones after it (two round trips are added)
    /// before it counts as lost; `None`: frames are never lost (QUIC streams).
    pub gap_timeout: Option<Duration>,
    /// Most frames kept waiting behind a missing one.
    pub max_pending: usize,
    /// Most payload bytes kept waiting behind a missing one (a hostile server's big frames
    /// cannot pile up past it).
    pub max_pending_bytes: usize,
    /// Resize requests closer together than this are held, the newest winning.
    pub resize_interval: Duration,
    /// How long a frame's acknowledgement may wait for the viewer's next packet
    /// ([`super::ack_hold`]); `None`: sent at once.
    pub ack_hold: Option<Duration>,
    /// The desk display's refresh rate in millihertz, told to a server that paces to it.
    pub refresh_millihertz: Option<u32>,
}

impl ViewerConfig {
    /// The defaults, for this token.
    pub fn new(token: Token) -> Self {
        Self::with_credentials(Credentials::Token(token))
    }

    /// The defaults, for a token or a login.
    pub fn with_credentials(credentials: Credentials) -> Self {
        Self {
            capabilities: Capabilities::implemented(),
            client: PeerInfo {
                name: "wayray-client".into(),
                version: env!("CARGO_PKG_VERSION").into(),
            },
            credentials,
            preferred_mode: None,
            ping_interval: Some(Duration::from_secs(1)),
            gap_timeout: None,
            max_pending: 16,
            max_pending_bytes: 256 * 1024 * 1024,
            resize_interval: Duration::from_millis(50),
            ack_hold: None,
            refresh_millihertz: None,
        }
    }
}
