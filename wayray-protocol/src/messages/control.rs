//! Control channel: handshake, session attach, liveness, flow control, output mode, disconnect.

use serde::{Deserialize, Serialize};

use super::{MAX_NAME, MAX_TEXT, check_len, check_range};
use crate::geometry::MAX_EDGE;
use crate::secret::{Secret, Token};
use crate::{Capabilities, Channel, ValidationError, WireMessage};

/// A message on the control stream.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub enum ControlMessage {
    /// Viewer → server, first message. Must stay variant 0 with the version first.
    Hello(Hello),
    /// Server → viewer, answer to `Hello` with the negotiated version and capabilities.
    ServerHello(ServerHello),
    /// Viewer → server: attach to the session bound to a token.
    Attach(Attach),
    /// Server → viewer: attached; display updates follow, starting with a keyframe.
    Attached(Attached),
    /// Either way: liveness and round-trip time probe.
    Ping(Ping),
    /// Answer to `Ping`, echoing its fields.
    Pong(Ping),
    /// Viewer → server: frame `sequence` has been decoded and shown.
    FrameAck(FrameAck),
    /// Viewer → server: send a full frame of the current output (new viewer, lost state).
    KeyframeRequest,
    /// Viewer → server: change the session output's size or scale.
    ResizeRequest(OutputMode),
    /// Either way, last message: why the connection ends.
    Disconnect(Disconnect),
    /// Viewer → server, instead of `Attach` where the server offers
    /// [`Capabilities::LOGIN`]: log in with a user name and password.
    Login(Login),
    /// Viewer → server, where the server offers [`Capabilities::REFRESH_RATE`]: the desk's
    /// display refreshes at this many millihertz; the session paces its clients to it.
    RefreshRate(u32),
    /// Server → viewer, instead of `Attached`, where [`Capabilities::POOL`] is negotiated: the
    /// session is held by another server of the pool; the viewer connects there. The
    /// connection ends after it.
    Redirect(Redirect),
    /// Server → viewer after `Attached`, where [`Capabilities::POOL`] is negotiated: something
    /// the user must be told (the session was lost with its server; this one is new).
    Notice(String),
}

/// Where a viewer finds its session: another server of the same pool.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct Redirect {
    /// The server's address for viewers, `HOST:PORT`.
    pub address: String,
    /// Its certificate's fingerprint, `sha256:` and 64 lowercase hex digits: the viewer
    /// trusts it because the server it is connected to (which it trusts) vouches for it.
    pub fingerprint: String,
}

impl Redirect {
    /// Whether `fingerprint` has the form of a certificate fingerprint.
    pub fn well_formed_fingerprint(fingerprint: &str) -> bool {
        fingerprint.strip_prefix("sha256:").is_some_and(|hex| {
            hex.len() == 64
                && hex
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        })
    }
}

/// The refresh rates a viewer may report, in millihertz: 1 Hz to 1000 Hz.
pub const REFRESH_RANGE: std::ops::RangeInclusive<u32> = 1_000..=1_000_000;

/// Name and version of a program, for logs and `wayray-ctl`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct PeerInfo {
    /// Program name, e.g. `wayray-client`.
    pub name: String,
    /// Program version.
    pub version: String,
}

/// The viewer's opening message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct Hello {
    /// The protocol version the viewer speaks. Must stay the first field.
    pub protocol_version: u16,
    /// Features the viewer supports.
    pub capabilities: Capabilities,
    /// Who the viewer is.
    pub client: PeerInfo,
}

/// The server's answer to [`Hello`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct ServerHello {
    /// The version both sides now speak.
    pub protocol_version: u16,
    /// Features both sides support.
    pub capabilities: Capabilities,
    /// Who the server is.
    pub server: PeerInfo,
}

/// Attach to a session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct Attach {
    /// The session token. Never logged: its `Debug` is redacted.
    pub token: Token,
    /// The output mode the viewer would like (its window size and scale).
    pub preferred_mode: Option<OutputMode>,
}

/// Log in to the server's user's session (started when the user has none).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct Login {
    /// The Unix user name.
    pub user: String,
    /// The password. Never logged: its `Debug` is redacted.
    pub password: Secret<String>,
    /// The output mode the viewer would like (its window size and scale).
    pub preferred_mode: Option<OutputMode>,
}

/// The viewer is attached to a session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct Attached {
    /// The session's id (not a secret; shown by `wayray-ctl sessions`).
    pub session_id: String,
    /// The output mode now in effect.
    pub mode: OutputMode,
    /// After a [`Login`]: a hot-desk token bound to this session, which attaches to it from
    /// any desk without the password (the viewer saves it when asked). `None` after `Attach`.
    pub desk_token: Option<Token>,
}

/// Size and scale of the session output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct OutputMode {
    /// Width in physical pixels.
    pub width: u32,
    /// Height in physical pixels.
    pub height: u32,
    /// Scale in 1/120ths (120 = 1.0, 180 = 1.5), as in wp_fractional_scale_v1.
    pub scale_120: u32,
}

impl OutputMode {
    /// Allowed scales: 0.5 to 8.
    pub const SCALE_RANGE: std::ops::RangeInclusive<u32> = 60..=960;

    /// Checks size and scale limits.
    pub fn validate(&self) -> Result<(), ValidationError> {
        check_range("output width", self.width, 1..=MAX_EDGE)?;
        check_range("output height", self.height, 1..=MAX_EDGE)?;
        check_range("output scale", self.scale_120, Self::SCALE_RANGE)
    }
}

/// A ping, or (as `Pong`) its echo.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct Ping {
    /// Identifies the ping.
    pub id: u64,
    /// Sender's clock when sent, in microseconds; only the sender interprets it.
    pub sent_at_us: u64,
}

/// Acknowledges a displayed frame; the server keeps a bounded number of frames unacknowledged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct FrameAck {
    /// The frame's sequence number.
    pub sequence: u64,
}

/// Why a connection ends, for programs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub enum DisconnectReason {
    /// The peer closes on purpose (viewer quit, admin detach).
    Normal,
    /// The peer sent bytes that do not decode or break the message order.
    ProtocolError,
    /// No common protocol version.
    UnsupportedVersion,
    /// The token is unknown, revoked or malformed.
    AuthenticationFailed,
    /// Another viewer attached to the same session.
    SessionMoved,
    /// The session ended (killed by an admin, or its process exited).
    SessionEnded,
    /// The server is shutting down.
    ServerShutdown,
    /// The peer stopped answering.
    Timeout,
    /// Something failed on the sender's side.
    InternalError,
}

impl DisconnectReason {
    /// Every reason, in wire order.
    pub const ALL: [Self; 9] = [
        Self::Normal,
        Self::ProtocolError,
        Self::UnsupportedVersion,
        Self::AuthenticationFailed,
        Self::SessionMoved,
        Self::SessionEnded,
        Self::ServerShutdown,
        Self::Timeout,
        Self::InternalError,
    ];

    /// The number used as the QUIC application close code.
    pub fn code(self) -> u32 {
        self as u32
    }

    /// The reason for a QUIC application close code, if it is one.
    pub fn from_code(code: u64) -> Option<Self> {
        Self::ALL.into_iter().find(|r| u64::from(r.code()) == code)
    }
}

/// The last message of a connection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct Disconnect {
    /// Machine-readable reason.
    pub reason: DisconnectReason,
    /// Text for a person.
    pub message: String,
}

impl WireMessage for ControlMessage {
    const CHANNEL: Channel = Channel::Control;
    const VARIANTS: &'static [&'static str] = &[
        "Hello",
        "ServerHello",
        "Attach",
        "Attached",
        "Ping",
        "Pong",
        "FrameAck",
        "KeyframeRequest",
        "ResizeRequest",
        "Disconnect",
        "Login",
        "RefreshRate",
        "Redirect",
        "Notice",
    ];

    fn name(&self) -> &'static str {
        match self {
            Self::Hello(_) => "Hello",
            Self::ServerHello(_) => "ServerHello",
            Self::Attach(_) => "Attach",
            Self::Attached(_) => "Attached",
            Self::Ping(_) => "Ping",
            Self::Pong(_) => "Pong",
            Self::FrameAck(_) => "FrameAck",
            Self::KeyframeRequest => "KeyframeRequest",
            Self::ResizeRequest(_) => "ResizeRequest",
            Self::Disconnect(_) => "Disconnect",
            Self::Login(_) => "Login",
            Self::RefreshRate(_) => "RefreshRate",
            Self::Redirect(_) => "Redirect",
            Self::Notice(_) => "Notice",
        }
    }

    fn validate(&self) -> Result<(), ValidationError> {
        match self {
            Self::Hello(Hello { client: peer, .. })
            | Self::ServerHello(ServerHello { server: peer, .. }) => {
                check_len("peer name", &peer.name, MAX_NAME)?;
                check_len("peer version", &peer.version, MAX_NAME)
            }
            Self::Attach(attach) => {
                check_len("token", attach.token.expose(), MAX_NAME)?;
                attach
                    .preferred_mode
                    .as_ref()
                    .map_or(Ok(()), OutputMode::validate)
            }
            Self::Login(login) => {
                check_len("user name", &login.user, MAX_NAME)?;
                check_len("password", login.password.expose(), MAX_NAME)?;
                login
                    .preferred_mode
                    .as_ref()
                    .map_or(Ok(()), OutputMode::validate)
            }
            Self::Attached(attached) => {
                check_len("session id", &attached.session_id, MAX_NAME)?;
                if let Some(token) = &attached.desk_token {
                    check_len("desk token", token.expose(), MAX_NAME)?;
                }
                attached.mode.validate()
            }
            Self::ResizeRequest(mode) => mode.validate(),
            Self::RefreshRate(millihertz) => {
                check_range("refresh rate", *millihertz, REFRESH_RANGE)
            }
            Self::Disconnect(d) => check_len("disconnect message", &d.message, MAX_TEXT),
            Self::Notice(text) => check_len("notice", text, MAX_TEXT),
            Self::Redirect(to) => {
                check_len("redirect address", &to.address, MAX_NAME)?;
                if Redirect::well_formed_fingerprint(&to.fingerprint) {
                    Ok(())
                } else {
                    Err(ValidationError::OutOfRange {
                        field: "redirect fingerprint",
                        detail: "not sha256: and 64 lowercase hex digits".into(),
                    })
                }
            }
            Self::Ping(_) | Self::Pong(_) | Self::FrameAck(_) | Self::KeyframeRequest => Ok(()),
        }
    }
}
