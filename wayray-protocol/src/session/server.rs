//! The server's side of a connection.
//!
//! Phases: waiting for `Hello` → waiting for `Attach` (a token) or `Login` (a user name and
//! password, only where the server offers [`Capabilities::LOGIN`]) → resolving it (the
//! application checks it and calls [`ServerConnection::accept`] or
//! [`ServerConnection::refuse`]) → attached → closed. The hello and the attach must both arrive before
//! [`ServerConfig::handshake_timeout`] (resolving has no deadline here: starting a session
//! has its own).
//!
//! Attached, it answers pings itself and hands the application what it must act on: input,
//! keyframe requests (a burst, then at most one per [`ServerConfig::keyframe_interval`]),
//! resizes (clamped
//! to [`ServerConfig::max_output`], at most one per [`ServerConfig::resize_interval`], the
//! newest winning) and keymaps (likewise). Frames the application sends are recorded with
//! [`ServerConnection::frame_sent`]; an acknowledgement of a frame never sent closes the
//! connection with a protocol error, and where [`ServerConfig::ack_timeout`] is set, frames
//! left unacknowledged that long are given up for a keyframe.
//!
//! Call order: `handle_hello` for the raw body of the first control frame, `handle_message`
//! for the control messages after it, `handle_input` for input; then drain `poll_transmit`
//! and `poll_event` and re-arm the timer from `poll_timeout`.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::Close;
use super::throttle::Throttle;
use super::window::FrameWindow;
use crate::messages::control::{
    Attach, Attached, DisconnectReason, Login, OutputMode, PeerInfo, Redirect,
};
use crate::messages::input::KeymapLayout;
use crate::secret::Token;
use crate::version::HandshakeError;
use crate::{Capabilities, ControlMessage, InputMessage, NegotiateError, WireMessage};

/// What a server connection allows.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// Features this server offers; the connection uses what both sides offer.
    pub capabilities: Capabilities,
    /// Who the server is.
    pub server: PeerInfo,
    /// How long hello and attach may take together.
    pub handshake_timeout: Duration,
    /// Most frames sent and not acknowledged.
    pub frames_in_flight: usize,
    /// The largest output a viewer may ask for (width, height); larger requests are clamped.
    pub max_output: (u32, u32),
    /// After a burst of [`ServerConfig::keyframe_burst`], keyframe requests closer together
    /// than this are merged (the last one served when the interval is up).
    pub keyframe_interval: Duration,
    /// Keyframe requests served at once before the interval applies.
    pub keyframe_burst: u32,
    /// Resizes closer together than this are held, the newest winning.
    pub resize_interval: Duration,
    /// Keymaps closer together than this are held, the newest winning.
    pub keymap_interval: Duration,
    /// A frame unacknowledged for this long counts as lost: the window restarts with a
    /// keyframe, so a lost frame can never freeze the picture. `None`: frames are never lost
    /// (QUIC streams arrive or the connection fails; a big frame on a slow link may take long).
    pub ack_timeout: Option<Duration>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            capabilities: Capabilities::implemented(),
            server: PeerInfo {
                name: "wayray-server".into(),
                version: env!("CARGO_PKG_VERSION").into(),
            },
            handshake_timeout: Duration::from_secs(10),
            frames_in_flight: 2,
            max_output: (7680, 4320),
            keyframe_interval: Duration::from_millis(100),
            keyframe_burst: 10,
            resize_interval: Duration::from_millis(50),
            keymap_interval: Duration::from_millis(250),
            ack_timeout: None,
        }
    }
}

/// What the application must act on.
#[derive(Clone, Debug, PartialEq)]
pub enum ServerEvent {
    /// The viewer presents a token: look it up, then [`ServerConnection::accept`] or
    /// [`ServerConnection::refuse`].
    AttachRequested(Attach),
    /// The viewer logs in: check the password (the application never logs it), then
    /// [`ServerConnection::accept`] with a desk token or [`ServerConnection::refuse`].
    LoginRequested(Login),
    /// The viewer acknowledged every frame up to this one.
    FrameAcked(u64),
    /// Send the viewer a full frame.
    KeyframeRequested,
    /// Change the session output to this mode (already clamped).
    Resize(OutputMode),
    /// Pace the session's clients to this refresh rate, in millihertz (already validated).
    Refresh(u32),
    /// An input event for the session.
    Input(InputMessage),
    /// The connection ended; close the transport with this reason.
    Closed(Close),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    AwaitHello,
    AwaitAttach,
    Resolving,
    Attached,
    Closed,
}

/// The server's side of one viewer connection.
#[derive(Debug)]
pub struct ServerConnection {
    config: ServerConfig,
    phase: Phase,
    deadline: Instant,
    capabilities: Capabilities,
    window: FrameWindow,
    /// When the window last moved (a frame sent into an empty window, or an ack).
    window_moved: Instant,
    keyframes: Throttle<()>,
    resizes: Throttle<OutputMode>,
    refreshes: Throttle<u32>,
    keymaps: Throttle<KeymapLayout>,
    transmits: VecDeque<ControlMessage>,
    events: VecDeque<ServerEvent>,
}

impl ServerConnection {
    /// A connection that began at `now`.
    pub fn new(now: Instant, config: ServerConfig) -> Self {
        Self {
            deadline: now + config.handshake_timeout,
            phase: Phase::AwaitHello,
            capabilities: Capabilities::empty(),
            window: FrameWindow::new(config.frames_in_flight),
            window_moved: now,
            keyframes: Throttle::with_burst(config.keyframe_interval, config.keyframe_burst),
            resizes: Throttle::new(config.resize_interval),
            refreshes: Throttle::new(config.resize_interval),
            keymaps: Throttle::new(config.keymap_interval),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            config,
        }
    }

    /// The raw body (no length prefix) of the viewer's first control frame. It is read raw so
    /// that a hello from any protocol version gets a precise answer.
    pub fn handle_hello(&mut self, now: Instant, body: &[u8]) {
        if self.phase != Phase::AwaitHello {
            return self.protocol_error("a second hello");
        }
        if self.expired(now) {
            return;
        }
        let server = self.config.server.clone();
        match crate::version::accept_hello(body, self.config.capabilities, server) {
            Ok((_, reply)) => {
                self.capabilities = reply.capabilities;
                self.transmits.push_back(ControlMessage::ServerHello(reply));
                self.phase = Phase::AwaitAttach;
            }
            Err(err) => {
                let reason = match err {
                    HandshakeError::Negotiate(NegotiateError::UnsupportedVersion { .. }) => {
                        DisconnectReason::UnsupportedVersion
                    }
                    _ => DisconnectReason::ProtocolError,
                };
                self.close(reason, err.to_string());
            }
        }
    }

    /// A control message after the hello.
    pub fn handle_message(&mut self, now: Instant, msg: ControlMessage) {
        if self.expired(now) {
            return;
        }
        match (self.phase, msg) {
            (Phase::Closed, _) => {}
            (_, ControlMessage::Disconnect(d)) => self.finish(Close::peer(d)),
            (Phase::AwaitAttach, ControlMessage::Attach(attach)) => {
                self.phase = Phase::Resolving;
                self.events.push_back(ServerEvent::AttachRequested(attach));
            }
            (Phase::AwaitAttach, ControlMessage::Login(login)) => {
                if !self.capabilities.contains(Capabilities::LOGIN) {
                    return self.close(
                        DisconnectReason::AuthenticationFailed,
                        "this server has no login with a user name; present a session token",
                    );
                }
                self.phase = Phase::Resolving;
                self.events.push_back(ServerEvent::LoginRequested(login));
            }
            (Phase::Attached, ControlMessage::Ping(ping)) => {
                self.transmits.push_back(ControlMessage::Pong(ping));
            }
            (Phase::Attached, ControlMessage::Pong(_)) => {}
            (Phase::Attached, ControlMessage::FrameAck(ack)) => {
                let before = self.window.acked();
                match self.window.ack(ack.sequence) {
                    Ok(()) if self.window.acked() != before => {
                        self.window_moved = now;
                        self.events.push_back(ServerEvent::FrameAcked(ack.sequence));
                    }
                    Ok(()) => {}
                    Err(err) => self.protocol_error(&err.to_string()),
                }
            }
            (Phase::Attached, ControlMessage::KeyframeRequest) => {
                self.window.restart();
                if self.keyframes.offer(now, ()).is_some() {
                    self.events.push_back(ServerEvent::KeyframeRequested);
                }
            }
            (Phase::Attached, ControlMessage::ResizeRequest(mode)) => {
                let mode = self.clamp(mode);
                if let Some(mode) = self.resizes.offer(now, mode) {
                    self.events.push_back(ServerEvent::Resize(mode));
                }
            }
            (Phase::Attached, ControlMessage::RefreshRate(millihertz))
                if self.capabilities.contains(Capabilities::REFRESH_RATE) =>
            {
                if let Some(millihertz) = self.refreshes.offer(now, millihertz) {
                    self.events.push_back(ServerEvent::Refresh(millihertz));
                }
            }
            (phase, other) => {
                let when = match phase {
                    Phase::AwaitHello | Phase::AwaitAttach => "before attaching",
                    Phase::Resolving => "while the token is checked",
                    _ => "on the control stream",
                };
                self.protocol_error(&format!("unexpected {} {when}", other.name()));
            }
        }
    }

    /// An input event from the viewer.
    pub fn handle_input(&mut self, now: Instant, msg: InputMessage) {
        match self.phase {
            Phase::Closed => {}
            Phase::Attached => match msg {
                InputMessage::Keymap(layout) => {
                    if let Some(layout) = self.keymaps.offer(now, layout) {
                        let event = ServerEvent::Input(InputMessage::Keymap(layout));
                        self.events.push_back(event);
                    }
                }
                other => self.events.push_back(ServerEvent::Input(other)),
            },
            _ => self.protocol_error("input before attaching"),
        }
    }

    /// The token or login checked out: the viewer is attached to `session_id` with `mode`;
    /// after a login, `desk_token` is the hot-desk token the viewer may keep.
    pub fn accept(&mut self, session_id: String, mode: OutputMode, desk_token: Option<Token>) {
        if self.phase != Phase::Resolving {
            return;
        }
        self.phase = Phase::Attached;
        let attached = Attached {
            session_id,
            mode,
            desk_token,
        };
        self.transmits.push_back(ControlMessage::Attached(attached));
    }

    /// The session is held by another server of the pool: a viewer that follows redirects
    /// ([`Capabilities::POOL`]) is sent there; any other is refused with `message`, which
    /// must say where to connect. The connection ends either way.
    pub fn redirect(&mut self, to: Redirect, message: impl Into<String>) {
        if self.phase != Phase::Resolving {
            return;
        }
        let message = message.into();
        if self.capabilities.contains(Capabilities::POOL) {
            self.transmits.push_back(ControlMessage::Redirect(to));
            self.close(DisconnectReason::Normal, message);
        } else {
            self.close(DisconnectReason::SessionEnded, message);
        }
    }

    /// Tells an attached viewer something its user must know (shown where the viewer shows
    /// notices; a viewer without [`Capabilities::POOL`] is not told).
    pub fn notice(&mut self, text: impl Into<String>) {
        if self.phase == Phase::Attached && self.capabilities.contains(Capabilities::POOL) {
            self.transmits
                .push_back(ControlMessage::Notice(text.into()));
        }
    }

    /// The token was refused, or the session could not be reached.
    pub fn refuse(&mut self, reason: DisconnectReason, message: impl Into<String>) {
        self.close(reason, message);
    }

    /// Ends the connection from this side (session moved or ended, shutdown).
    pub fn close(&mut self, reason: DisconnectReason, message: impl Into<String>) {
        if self.phase == Phase::Closed {
            return;
        }
        let close = Close::local(reason, message);
        self.transmits
            .push_back(ControlMessage::Disconnect(close.message()));
        self.finish(close);
    }

    /// Whether the window has room and the frame is worth sending (see [`FrameWindow`]).
    pub fn can_send_frame(&self, keyframe: bool) -> bool {
        self.phase == Phase::Attached && self.window.has_room() && self.window.wants(keyframe)
    }

    /// A frame went to the viewer at `now`.
    pub fn frame_sent(&mut self, now: Instant, sequence: u64, keyframe: bool) {
        if self.window.in_flight() == 0 {
            self.window_moved = now;
        }
        if !self.window.sent(sequence, keyframe) {
            self.close(
                DisconnectReason::InternalError,
                format!("frame {sequence} sent out of order"),
            );
        }
    }

    /// Time passed: the handshake deadline, held keyframe requests, resizes and keymaps.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.expired(now) || self.phase != Phase::Attached {
            return;
        }
        if self.ack_deadline().is_some_and(|at| now >= at) {
            self.window.restart();
            if self.keyframes.offer(now, ()).is_some() {
                self.events.push_back(ServerEvent::KeyframeRequested);
            }
        }
        if self.keyframes.poll(now).is_some() {
            self.events.push_back(ServerEvent::KeyframeRequested);
        }
        if let Some(mode) = self.resizes.poll(now) {
            self.events.push_back(ServerEvent::Resize(mode));
        }
        if let Some(millihertz) = self.refreshes.poll(now) {
            self.events.push_back(ServerEvent::Refresh(millihertz));
        }
        if let Some(layout) = self.keymaps.poll(now) {
            let event = ServerEvent::Input(InputMessage::Keymap(layout));
            self.events.push_back(event);
        }
    }

    /// The next control message to write.
    pub fn poll_transmit(&mut self) -> Option<ControlMessage> {
        self.transmits.pop_front()
    }

    /// The next thing for the application to do.
    pub fn poll_event(&mut self) -> Option<ServerEvent> {
        self.events.pop_front()
    }

    /// When [`ServerConnection::handle_timeout`] must be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.phase {
            Phase::Closed | Phase::Resolving => None,
            Phase::Attached => [
                self.ack_deadline(),
                self.keyframes.deadline(),
                self.resizes.deadline(),
                self.refreshes.deadline(),
                self.keymaps.deadline(),
            ]
            .into_iter()
            .flatten()
            .min(),
            _ => Some(self.deadline),
        }
    }

    /// The features both sides support, once the hello was answered.
    pub fn capabilities(&self) -> Capabilities {
        self.capabilities
    }

    /// Whether the viewer is attached.
    pub fn is_attached(&self) -> bool {
        self.phase == Phase::Attached
    }

    /// Whether the connection has ended.
    pub fn is_closed(&self) -> bool {
        self.phase == Phase::Closed
    }

    /// The in-flight window.
    pub fn window(&self) -> &FrameWindow {
        &self.window
    }

    fn ack_deadline(&self) -> Option<Instant> {
        let timeout = self.config.ack_timeout?;
        (self.window.in_flight() > 0).then(|| self.window_moved + timeout)
    }

    fn expired(&mut self, now: Instant) -> bool {
        // Resolving a token may start a session, which has its own limits.
        let handshaking = matches!(self.phase, Phase::AwaitHello | Phase::AwaitAttach);
        if handshaking && now >= self.deadline {
            let secs = self.config.handshake_timeout.as_secs();
            self.close(
                DisconnectReason::Timeout,
                format!("no hello and attach within {secs} s"),
            );
        }
        self.phase == Phase::Closed
    }

    fn clamp(&self, mode: OutputMode) -> OutputMode {
        let (max_w, max_h) = self.config.max_output;
        OutputMode {
            width: mode.width.min(max_w),
            height: mode.height.min(max_h),
            ..mode
        }
    }

    fn protocol_error(&mut self, what: &str) {
        self.close(DisconnectReason::ProtocolError, what.to_string());
    }

    fn finish(&mut self, close: Close) {
        self.phase = Phase::Closed;
        self.events.push_back(ServerEvent::Closed(close));
    }
}
