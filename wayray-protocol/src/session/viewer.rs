//! The viewer's side of a connection.
//!
//! Phases: `Hello` (and a token's `Attach` right behind it) sent, waiting for `ServerHello` →
//! `Login` (a user name and password) sent if the server offers it, waiting for `Attached` →
//! attached → closed.
//!
//! Attached, display messages come in on separate streams and may overtake each other. The
//! machine hands frames to the application strictly in sequence ([`ViewerEvent::Frame`]),
//! a keyframe superseding everything before it; the application applies each one and answers
//! with [`ViewerConnection::frame_applied`] (which acknowledges it) or
//! [`ViewerConnection::frame_failed`] (a decode error: the machine asks for a keyframe; the
//! connection stays up). More than [`ViewerConfig::max_pending`] frames waiting behind a
//! missing one also lead to a keyframe request, and so does a frame missing for longer than
//! [`ViewerConfig::gap_timeout`] plus two round trips where that is set: QUIC delivers every
//! stream or fails the whole connection, so a gap there only means a big frame is still on its
//! way (asking for a keyframe would only add another big frame); a transport that can lose
//! display messages turns it on. A ping goes out every [`ViewerConfig::ping_interval`], unless
//! the transport measures round trips itself.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use super::Close;
use super::ack_hold::AckHold;
use super::overtake::Ahead;
use super::rtt::RttMeter;
use super::throttle::Throttle;
use crate::messages::control::{
    Attach, Attached, DisconnectReason, FrameAck, Hello, Login, OutputMode, Redirect, ServerHello,
};
use crate::messages::display::FrameUpdate;
use crate::{Capabilities, ControlMessage, DisplayMessage, PROTOCOL_VERSION, WireMessage};

pub use super::viewer_config::{Credentials, ViewerConfig};

/// What the application must act on.
#[derive(Clone, Debug, PartialEq)]
pub enum ViewerEvent {
    /// The server answered the hello.
    Connected(ServerHello),
    /// The viewer is attached to a session.
    Attached(Attached),
    /// The next frame to apply, in sequence; answer with `frame_applied` or `frame_failed`.
    Frame(FrameUpdate),
    /// A frame to apply now, ahead of frames before it that only play video elsewhere (it
    /// came as `FrameAfter`, capability `overtake`); their turn passes over it. Answer as for
    /// `Frame`.
    FrameAhead(FrameUpdate),
    /// The session's cursor changed.
    Cursor(DisplayMessage),
    /// The session is on another server of the pool: connect to it there (the connection
    /// ends; `Closed` follows).
    Redirected(Redirect),
    /// The server tells the user something (shown as a notice).
    Notice(String),
    /// The connection ended.
    Closed(Close),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    AwaitServerHello,
    AwaitAttached,
    Attached,
    Closed,
}

/// The viewer's side of a connection.
#[derive(Debug)]
pub struct ViewerConnection {
    config: ViewerConfig,
    phase: Phase,
    capabilities: Capabilities,
    rtt: RttMeter,
    next_ping: Option<Instant>,
    /// The newest frame handed out (and not failed).
    shown: Option<u64>,
    pending: BTreeMap<u64, FrameUpdate>,
    /// Frames that may overtake video frames before them, and those that did.
    ahead: Ahead,
    gap_since: Option<Instant>,
    /// Since when a keyframe is awaited (asked for, or expected after attaching).
    awaiting_keyframe: Option<Instant>,
    cursor_stream: Option<u64>,
    resizes: Throttle<OutputMode>,
    acks: AckHold,
    /// The refresh rate last told to the server.
    refresh_told: Option<u32>,
    transmits: VecDeque<ControlMessage>,
    events: VecDeque<ViewerEvent>,
}

impl ViewerConnection {
    /// A connection that began at `now`; its `Hello` is the first transmit. A token's
    /// `Attach` follows at once, without waiting for `ServerHello` (a token is for any server
    /// version, and the server reads the stream in order): one round trip less to the first
    /// frame. A login waits, since only a server that offers `login` may see a password.
    pub fn new(now: Instant, config: ViewerConfig) -> Self {
        let hello = ControlMessage::Hello(Hello {
            protocol_version: PROTOCOL_VERSION,
            capabilities: config.capabilities,
            client: config.client.clone(),
        });
        let mut transmits = VecDeque::from([hello]);
        if let Credentials::Token(token) = &config.credentials {
            transmits.push_back(ControlMessage::Attach(Attach {
                token: token.clone(),
                preferred_mode: config.preferred_mode,
            }));
        }
        Self {
            phase: Phase::AwaitServerHello,
            capabilities: Capabilities::empty(),
            rtt: RttMeter::new(now),
            next_ping: None,
            shown: None,
            pending: BTreeMap::new(),
            ahead: Ahead::default(),
            gap_since: None,
            awaiting_keyframe: None,
            cursor_stream: None,
            resizes: Throttle::new(config.resize_interval),
            acks: AckHold::new(config.ack_hold),
            refresh_told: None,
            transmits,
            events: VecDeque::new(),
            config,
        }
    }

    /// A message from the server's control stream.
    pub fn handle_message(&mut self, now: Instant, msg: ControlMessage) {
        match (self.phase, msg) {
            (Phase::Closed, _) => {}
            (_, ControlMessage::Disconnect(d)) => self.finish(Close::peer(d)),
            (Phase::AwaitServerHello, ControlMessage::ServerHello(hello)) => {
                if !crate::version::SUPPORTED.contains(&hello.protocol_version) {
                    let v = hello.protocol_version;
                    return self.protocol_error(&format!("the server chose version {v}"));
                }
                self.capabilities = hello.capabilities.intersect(self.config.capabilities);
                self.events.push_back(ViewerEvent::Connected(hello));
                let preferred_mode = self.config.preferred_mode;
                let msg = match &self.config.credentials {
                    // Its `Attach` went with the `Hello`.
                    Credentials::Token(_) => {
                        self.phase = Phase::AwaitAttached;
                        return;
                    }
                    Credentials::Login { .. }
                        if !self.capabilities.contains(Capabilities::LOGIN) =>
                    {
                        let close = Close::local(
                            DisconnectReason::AuthenticationFailed,
                            "this server has no login with a user name; present a session \
                             token instead",
                        );
                        self.transmits
                            .push_back(ControlMessage::Disconnect(close.message()));
                        return self.finish(close);
                    }
                    Credentials::Login { user, password } => ControlMessage::Login(Login {
                        user: user.clone(),
                        password: password.clone(),
                        preferred_mode,
                    }),
                };
                self.transmits.push_back(msg);
                self.phase = Phase::AwaitAttached;
            }
            (Phase::AwaitAttached, ControlMessage::Attached(attached)) => {
                self.phase = Phase::Attached;
                self.next_ping = self.config.ping_interval.map(|_| now);
                // The server sends a keyframe on attach (it may have overtaken this message
                // and be waiting already).
                self.awaiting_keyframe = Some(now);
                self.events.push_back(ViewerEvent::Attached(attached));
                if let Some(millihertz) = self.config.refresh_millihertz {
                    self.report_refresh(millihertz);
                }
                self.release(now);
                self.handle_timeout(now);
            }
            (Phase::AwaitAttached, ControlMessage::Redirect(to))
                if self.capabilities.contains(Capabilities::POOL) =>
            {
                self.events.push_back(ViewerEvent::Redirected(to.clone()));
                let message = format!("the session is on {}", to.address);
                self.finish(Close::local(DisconnectReason::Normal, message));
            }
            (Phase::Attached, ControlMessage::Notice(text))
                if self.capabilities.contains(Capabilities::POOL) =>
            {
                self.events.push_back(ViewerEvent::Notice(text));
            }
            (Phase::Attached, ControlMessage::Pong(pong)) => self.rtt.pong(now, &pong),
            (Phase::Attached, ControlMessage::Ping(ping)) => {
                self.transmits.push_back(ControlMessage::Pong(ping));
            }
            (_, other) => self.protocol_error(&format!("unexpected {}", other.name())),
        }
    }

    /// A display message, with the number of the stream it came on (streams are numbered in
    /// the order they were opened; a cursor from an older stream than the one shown is stale).
    pub fn handle_display(&mut self, now: Instant, msg: DisplayMessage, stream: u64) {
        // A token's attach is under way from the start: its first frames may overtake the
        // `ServerHello` as well as the `Attached`.
        if self.phase == Phase::Closed {
            return;
        }
        match msg {
            DisplayMessage::FrameUpdate(update) => self.frame_arrived(now, update),
            DisplayMessage::FrameAfter(frame) => {
                self.ahead.arrived(frame.update.sequence, frame.after);
                self.frame_arrived(now, frame.update);
            }
            DisplayMessage::PackedCursor(packed) => match packed.unpack() {
                Ok(image) => self.cursor_arrived(DisplayMessage::CursorImage(image), stream),
                Err(err) => self.protocol_error(&format!("bad cursor image: {err}")),
            },
            cursor => self.cursor_arrived(cursor, stream),
        }
    }

    /// A cursor message; the frontends get images unpacked.
    fn cursor_arrived(&mut self, cursor: DisplayMessage, stream: u64) {
        if self.cursor_stream.is_none_or(|shown| stream > shown) {
            self.cursor_stream = Some(stream);
            self.events.push_back(ViewerEvent::Cursor(cursor));
        }
    }

    fn frame_arrived(&mut self, now: Instant, update: FrameUpdate) {
        let sequence = update.sequence;
        if self.shown.is_some_and(|shown| sequence <= shown) {
            return; // superseded by a keyframe, or a duplicate
        }
        if update.keyframe {
            self.pending.retain(|seq, _| *seq > sequence);
        }
        self.pending.insert(sequence, update);
        self.release(now);
    }

    /// Hands out the frames that are next in sequence (once attached).
    fn release(&mut self, now: Instant) {
        if self.phase != Phase::Attached {
            return;
        }
        loop {
            // A frame applied ahead of its turn is passed over when its turn comes.
            if self.awaiting_keyframe.is_none()
                && let Some(shown) = self.shown
                && self.ahead.pass(shown.wrapping_add(1))
            {
                self.shown = Some(shown.wrapping_add(1));
                continue;
            }
            let Some(entry) = self.pending.first_entry() else {
                break;
            };
            let next = entry.get();
            let in_order = self.awaiting_keyframe.is_none()
                && self
                    .shown
                    .is_some_and(|s| next.sequence == s.wrapping_add(1));
            if !(next.keyframe || in_order) {
                break;
            }
            let frame = entry.remove();
            if frame.keyframe {
                self.awaiting_keyframe = None;
                self.ahead.restart(Some(frame.sequence));
            }
            self.shown = Some(frame.sequence);
            self.events.push_back(ViewerEvent::Frame(frame));
        }
        if self.awaiting_keyframe.is_none()
            && let Some(shown) = self.shown
        {
            for frame in self.ahead.release(shown, &mut self.pending) {
                self.events.push_back(ViewerEvent::FrameAhead(frame));
            }
        }
        self.gap_since = match self.pending.is_empty() {
            true => None,
            false => self.gap_since.or(Some(now)),
        };
        while self.pending.len() > self.config.max_pending
            || self.pending_bytes() > self.config.max_pending_bytes
        {
            self.pending.pop_first();
            self.want_keyframe(now);
        }
    }

    /// Payload bytes of the frames waiting behind a missing one.
    pub fn pending_bytes(&self) -> usize {
        self.pending
            .values()
            .flat_map(|f| &f.regions)
            .map(|r| r.payload.len())
            .sum()
    }

    /// The application applied frame `sequence`: it is acknowledged.
    pub fn frame_applied(&mut self, now: Instant, sequence: u64, keyframe: bool) {
        let Some(sequence) = self.ahead.acknowledge(sequence) else {
            return; // applied ahead: acknowledged with the frames before it
        };
        if self.phase == Phase::Attached
            && let Some(sequence) = self.acks.applied(now, sequence, keyframe)
        {
            self.send_ack(sequence);
        }
    }

    /// The desk's display refreshes at `millihertz` (the window moved to another monitor):
    /// told to a server that paces to it, once attached and whenever it changes.
    pub fn report_refresh(&mut self, millihertz: u32) {
        self.config.refresh_millihertz = Some(millihertz);
        let millihertz = millihertz.clamp(
            *crate::messages::control::REFRESH_RANGE.start(),
            *crate::messages::control::REFRESH_RANGE.end(),
        );
        if self.phase == Phase::Attached
            && self.capabilities.contains(Capabilities::REFRESH_RATE)
            && self.refresh_told != Some(millihertz)
        {
            self.refresh_told = Some(millihertz);
            self.transmits
                .push_back(ControlMessage::RefreshRate(millihertz));
        }
    }

    /// The application is about to send input: a held acknowledgement goes along.
    pub fn sending_input(&mut self) {
        if let Some(sequence) = self.acks.release() {
            self.send_ack(sequence);
        }
    }

    fn send_ack(&mut self, sequence: u64) {
        if self.phase == Phase::Attached {
            let ack = ControlMessage::FrameAck(FrameAck { sequence });
            self.transmits.push_back(ack);
        }
    }

    /// Frame `sequence` could not be applied (a decode error): the frames handed out after it
    /// build on a broken picture, so they are taken back and a keyframe is requested.
    pub fn frame_failed(&mut self, now: Instant, sequence: u64) {
        self.events.retain(|e| {
            !matches!(e, ViewerEvent::Frame(f) | ViewerEvent::FrameAhead(f) if f.sequence > sequence)
        });
        self.ahead.restart(None);
        self.awaiting_keyframe = None;
        self.want_keyframe(now);
    }

    /// Asks for a full frame.
    pub fn request_keyframe(&mut self, now: Instant) {
        self.awaiting_keyframe = None;
        self.want_keyframe(now);
    }

    fn want_keyframe(&mut self, now: Instant) {
        if self.phase != Phase::Attached || self.awaiting_keyframe.is_some() {
            return;
        }
        self.awaiting_keyframe = Some(now);
        self.gap_since = None;
        self.transmits.push_back(ControlMessage::KeyframeRequest);
    }

    /// Asks for another output mode (the window's size and scale).
    pub fn resize(&mut self, now: Instant, mode: OutputMode) {
        if self.phase != Phase::Attached {
            return;
        }
        if let Some(mode) = self.resizes.offer(now, mode) {
            self.transmits
                .push_back(ControlMessage::ResizeRequest(mode));
        }
    }

    /// Leaves the session; the `Disconnect` is the last transmit.
    pub fn close(&mut self, message: impl Into<String>) {
        if self.phase == Phase::Closed {
            return;
        }
        let close = Close::local(DisconnectReason::Normal, message);
        self.transmits
            .push_back(ControlMessage::Disconnect(close.message()));
        self.finish(close);
    }

    /// Time passed: pings, missing frames, held resizes.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.phase != Phase::Attached {
            return;
        }
        if self.next_ping.is_some_and(|at| now >= at) {
            let ping = self.rtt.ping(now);
            self.transmits.push_back(ControlMessage::Ping(ping));
            self.next_ping = self.config.ping_interval.map(|every| now + every);
        }
        if let Some(sequence) = self.acks.due(now) {
            self.send_ack(sequence);
        }
        if self.gap_deadline().is_some_and(|at| now >= at) {
            self.want_keyframe(now);
        }
        if let Some(mode) = self.resizes.poll(now) {
            self.transmits
                .push_back(ControlMessage::ResizeRequest(mode));
        }
    }

    fn gap_deadline(&self) -> Option<Instant> {
        let since = self.gap_since?;
        if self.awaiting_keyframe.is_some() {
            return None;
        }
        let rtt = self.rtt.median().unwrap_or_default();
        Some(since + self.config.gap_timeout? + 2 * rtt)
    }

    /// The next control message to write.
    pub fn poll_transmit(&mut self) -> Option<ControlMessage> {
        self.transmits.pop_front()
    }

    /// The next thing for the application to do.
    pub fn poll_event(&mut self) -> Option<ViewerEvent> {
        self.events.pop_front()
    }

    /// When [`ViewerConnection::handle_timeout`] must be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.phase != Phase::Attached {
            return None;
        }
        [
            self.next_ping,
            self.gap_deadline(),
            self.resizes.deadline(),
            self.acks.deadline(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// The median of recent round-trip times.
    pub fn rtt(&self) -> Option<Duration> {
        self.rtt.median()
    }

    /// A round trip the transport measured (QUIC's from its acknowledgements), for a
    /// connection that does not ping.
    pub fn transport_rtt(&mut self, rtt: Duration) {
        self.rtt.sample(rtt);
    }

    /// The features both sides support, once the server answered.
    pub fn capabilities(&self) -> Capabilities {
        self.capabilities
    }

    /// The newest frame handed out.
    pub fn shown(&self) -> Option<u64> {
        self.shown
    }

    /// Whether the viewer is attached.
    pub fn is_attached(&self) -> bool {
        self.phase == Phase::Attached
    }

    /// Whether the connection has ended.
    pub fn is_closed(&self) -> bool {
        self.phase == Phase::Closed
    }

    fn protocol_error(&mut self, what: &str) {
        let close = Close::local(DisconnectReason::ProtocolError, what);
        self.transmits
            .push_back(ControlMessage::Disconnect(close.message()));
        self.finish(close);
    }

    fn finish(&mut self, close: Close) {
        self.phase = Phase::Closed;
        self.events.push_back(ViewerEvent::Closed(close));
    }
}
