//! A viewer's connection to a server: pinned TLS, handshake, attach, then frames in (applied
//! to the [`Framebuffer`] in sequence order and acknowledged) and input out on its own stream.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use quinn::{Connection, SendStream};
use tokio::sync::mpsc;
use wayray_protocol::framing::{decode_frame, encode_frame_to_vec};
use wayray_protocol::messages::control::{
    Attach, DisconnectReason, FrameAck, Hello, OutputMode, PeerInfo,
};
use wayray_protocol::messages::display::CursorShape;
use wayray_protocol::messages::input::KeymapLayout;
use wayray_protocol::secret::Token;
use wayray_protocol::{
    Capabilities, Channel, ControlMessage, DisplayMessage, InputMessage, PROTOCOL_VERSION, Rect,
    WireMessage,
};

use crate::framebuffer::{ApplyError, Framebuffer};
use crate::known_servers;
use crate::pin::PinVerifier;
use crate::stats::Stats;
use wayray_protocol::quic::{MessageReader, ReadError, write_message};

/// ALPN protocol id.
pub const ALPN: &[u8] = b"wayray/1";
/// Most out-of-order frames kept waiting for a missing one before asking for a keyframe.
const MAX_PENDING: usize = 16;
/// Display messages received and not yet applied. The server keeps only a few frames in
/// flight, so this bounds memory without ever filling in normal operation.
const DISPLAY_QUEUE: usize = 32;

fn closed_error(err: quinn::ConnectionError) -> ViewerError {
    match err {
        quinn::ConnectionError::ApplicationClosed(close) => ViewerError::Disconnected {
            reason: DisconnectReason::from_code(close.error_code.into_inner()),
            message: String::from_utf8_lossy(&close.reason).into_owned(),
        },
        other => ViewerError::Connection(other),
    }
}

/// A display message as received: the message, its size on the wire, and the number of the
/// stream it came on (streams are read concurrently, so messages can overtake each other).
type Received = Result<(DisplayMessage, usize, u64), ViewerError>;

/// Accepts display streams and reads each one whole, concurrently (a slow big frame does not
/// hold up the next), handing complete messages to the viewer. A stream is accepted only with
/// a free place in the queue, so streams being read never outnumber it.
async fn receive_display(conn: Connection, out: mpsc::Sender<Received>) {
    for number in 0u64.. {
        let Ok(place) = out.clone().reserve_owned().await else {
            return;
        };
        let mut stream = match conn.accept_uni().await {
            Ok(stream) => stream,
            Err(err) => {
                place.send(Err(closed_error(err)));
                return;
            }
        };
        tokio::spawn(async move {
            let result = match stream
                .read_to_end(Channel::Display.max_message_size() + 4)
                .await
            {
                Ok(bytes) => decode_frame::<DisplayMessage>(&bytes)
                    .map(|msg| (msg, bytes.len(), number))
                    .map_err(|e| ViewerError::Stream(e.to_string())),
                // A stream cut by the connection's close carries the server's reason (session
                // moved, ended…): report that, not a stream failure.
                Err(quinn::ReadToEndError::Read(quinn::ReadError::ConnectionLost(e))) => {
                    Err(closed_error(e))
                }
                Err(e) => Err(ViewerError::Stream(e.to_string())),
            };
            place.send(result);
        });
    }
}

/// How an unknown or changed server identity is treated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PinPolicy {
    /// Only a server pinned in the known-servers file is accepted.
    Known,
    /// A server not pinned yet is accepted and pinned (a changed identity is still refused).
    AcceptNew,
    /// Exactly this fingerprint (`sha256:HEX`) is accepted, and pinned.
    Fingerprint(String),
}

/// Everything needed to connect.
#[derive(Clone, Debug)]
pub struct ConnectOptions {
    /// Server address.
    pub server: SocketAddr,
    /// The name the server is pinned under (`HOST:PORT` as typed).
    pub label: String,
    /// Known-servers file.
    pub known_servers: PathBuf,
    /// Pinning policy.
    pub pin: PinPolicy,
    /// Session token.
    pub token: Token,
    /// Output mode to ask for.
    pub preferred_mode: Option<OutputMode>,
    /// Keyboard layout of this desk.
    pub keymap: KeymapLayout,
    /// How long to wait for the server.
    pub timeout: Duration,
}

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
    /// A frame could not be applied.
    #[error(transparent)]
    Apply(#[from] ApplyError),
}

impl From<quinn::ConnectionError> for ConnectError {
    fn from(err: quinn::ConnectionError) -> Self {
        ConnectError::Protocol {
            server: String::new(),
            detail: err.to_string(),
        }
    }
}

/// Sends control requests on the viewer's control stream from any task.
#[derive(Clone, Debug)]
pub struct ControlSender {
    control: mpsc::UnboundedSender<ControlMessage>,
}

impl ControlSender {
    /// Asks the server to change the session output (the window's size and scale).
    pub async fn resize(&mut self, mode: OutputMode) -> Result<(), ViewerError> {
        self.control
            .send(ControlMessage::ResizeRequest(mode))
            .map_err(|_| ViewerError::Stream("the control stream is closed".into()))
    }
}

/// A viewer attached to a session.
pub struct Viewer {
    conn: Connection,
    _endpoint: quinn::Endpoint,
    control: mpsc::UnboundedSender<ControlMessage>,
    control_writer: Option<tokio::task::JoinHandle<()>>,
    display: mpsc::Receiver<Received>,
    /// The stream number of the cursor message shown now: an older one arriving late is stale.
    cursor_stream: u64,
    input: SendStream,
    /// The session output as this viewer has it.
    pub framebuffer: Framebuffer,
    pending: BTreeMap<u64, wayray_protocol::messages::display::FrameUpdate>,
    /// The session's id.
    pub session_id: String,
    /// The session output's mode when attaching.
    pub mode: OutputMode,
    /// Frames applied.
    pub frames: u64,
    /// Display bytes received.
    pub bytes: u64,
    /// The cursor the session wants (client-side cursor).
    pub cursor: Option<DisplayMessage>,
    /// The server's fingerprint.
    pub fingerprint: String,
    rtt: Arc<crate::rtt::RttMeter>,
    /// Rates, codec mix and keystroke latency (overlay and report).
    pub stats: Stats,
}

impl std::fmt::Debug for Viewer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Viewer")
            .field("session_id", &self.session_id)
            .field("frames", &self.frames)
            .finish_non_exhaustive()
    }
}

async fn attempt(
    opts: &ConnectOptions,
    expected: Option<String>,
) -> Result<(quinn::Endpoint, Connection), (ConnectError, Option<String>)> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let (verifier, seen) = PinVerifier::new(expected, provider.clone());
    let server = opts.label.clone();
    let proto = |detail: String| {
        (
            ConnectError::Protocol {
                server: server.clone(),
                detail,
            },
            None,
        )
    };
    let mut tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| proto(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    tls.alpn_protocols = vec![ALPN.to_vec()];
    let crypto =
        quinn::crypto::rustls::QuicClientConfig::try_from(tls).map_err(|e| proto(e.to_string()))?;
    let mut config = quinn::ClientConfig::new(Arc::new(crypto));
    let mut transport = quinn::TransportConfig::default();
    transport.max_idle_timeout(Some(
        opts.timeout
            .try_into()
            .map_err(|_| proto("bad timeout".into()))?,
    ));
    transport.keep_alive_interval(Some(Duration::from_secs(2)));
    config.transport_config(Arc::new(transport));
    let bind: SocketAddr = if opts.server.is_ipv6() {
        "[::]:0".parse()
    } else {
        "0.0.0.0:0".parse()
    }
    .map_err(|_| proto("bad bind address".into()))?;
    let mut endpoint = quinn::Endpoint::client(bind).map_err(|e| proto(e.to_string()))?;
    endpoint.set_default_client_config(config);
    let connecting = endpoint
        .connect(opts.server, "wayray")
        .map_err(|e| proto(e.to_string()))?;
    match tokio::time::timeout(opts.timeout, connecting).await {
        Ok(Ok(conn)) => Ok((endpoint, conn)),
        Ok(Err(err)) => {
            let presented = seen.lock().ok().and_then(|s| s.clone());
            let error = ConnectError::Unreachable {
                server: server.clone(),
                detail: err.to_string(),
            };
            Err((error, presented))
        }
        Err(_) => Err((
            ConnectError::Unreachable {
                server,
                detail: format!("no answer within {:?}", opts.timeout),
            },
            None,
        )),
    }
}

async fn send(stream: &mut SendStream, msg: &impl WireMessage) -> Result<(), String> {
    write_message(stream, msg).await.map_err(|e| e.to_string())
}

impl Viewer {
    /// Connects, verifies the server's identity, says hello and attaches with the token.
    pub async fn connect(opts: &ConnectOptions) -> Result<Self, ConnectError> {
        let file = opts.known_servers.clone();
        let kerr = |source| ConnectError::KnownServers {
            file: file.clone(),
            source,
        };
        let pinned = known_servers::lookup(&opts.known_servers, &opts.label).map_err(kerr)?;
        let expected = match &opts.pin {
            PinPolicy::Fingerprint(f) => Some(f.clone()),
            _ => pinned.clone(),
        };
        let (endpoint, conn) = match attempt(opts, expected.clone()).await {
            Ok(ok) => ok,
            Err((error, None)) => return Err(error),
            Err((_, Some(presented))) => match (&expected, &opts.pin) {
                (Some(expected), _) => {
                    return Err(ConnectError::PinMismatch {
                        server: opts.label.clone(),
                        expected: expected.clone(),
                        presented,
                        file: opts.known_servers.clone(),
                    });
                }
                (None, PinPolicy::AcceptNew) => {
                    let ok = attempt(opts, Some(presented.clone()))
                        .await
                        .map_err(|(e, _)| e)?;
                    known_servers::add(&opts.known_servers, &opts.label, &presented)
                        .map_err(kerr)?;
                    ok
                }
                (None, _) => {
                    return Err(ConnectError::NewServer {
                        server: opts.label.clone(),
                        fingerprint: presented,
                    });
                }
            },
        };
        let fingerprint = expected
            .clone()
            .or_else(|| {
                known_servers::lookup(&opts.known_servers, &opts.label)
                    .ok()
                    .flatten()
            })
            .unwrap_or_default();
        if let PinPolicy::Fingerprint(f) = &opts.pin
            && pinned.as_ref() != Some(f)
        {
            known_servers::add(&opts.known_servers, &opts.label, f).map_err(kerr)?;
        }
        let server = opts.label.clone();
        let proto = |detail: String| ConnectError::Protocol {
            server: server.clone(),
            detail,
        };
        let (mut control_send, control_recv) =
            conn.open_bi().await.map_err(|e| proto(e.to_string()))?;
        let mut control = MessageReader::<ControlMessage>::new(control_recv);
        let caps = Capabilities::CURSOR
            | Capabilities::COPY_RECT
            | Capabilities::FRACTIONAL_SCALE
            | Capabilities::TOUCH;
        let caps = if wayray_protocol::codec::h264_available() {
            caps | Capabilities::H264
        } else {
            caps
        };
        let hello = ControlMessage::Hello(Hello {
            protocol_version: PROTOCOL_VERSION,
            capabilities: caps,
            client: PeerInfo {
                name: "wayray-client".into(),
                version: env!("CARGO_PKG_VERSION").into(),
            },
        });
        send(&mut control_send, &hello).await.map_err(proto)?;
        let refused = |d: wayray_protocol::messages::control::Disconnect| ConnectError::Refused {
            server: opts.label.clone(),
            reason: d.reason,
            message: d.message,
        };
        // A server that refuses sends a Disconnect and closes the connection with the same
        // reason; whichever arrives first tells the user why.
        let next = |r: Result<Option<ControlMessage>, ReadError>| {
            r.map_err(|e| match &e {
                ReadError::Stream(quinn::ReadError::ConnectionLost(
                    quinn::ConnectionError::ApplicationClosed(close),
                )) => ConnectError::Refused {
                    server: opts.label.clone(),
                    reason: DisconnectReason::from_code(close.error_code.into_inner())
                        .unwrap_or(DisconnectReason::ProtocolError),
                    message: String::from_utf8_lossy(&close.reason).into_owned(),
                },
                _ => proto(e.to_string()),
            })
        };
        match next(control.next().await)? {
            Some(ControlMessage::ServerHello(_)) => {}
            Some(ControlMessage::Disconnect(d)) => return Err(refused(d)),
            other => {
                return Err(proto(format!(
                    "expected ServerHello, got {:?}",
                    other.map(|m| m.name())
                )));
            }
        }
        let attach = ControlMessage::Attach(Attach {
            token: opts.token.clone(),
            preferred_mode: opts.preferred_mode,
        });
        send(&mut control_send, &attach).await.map_err(proto)?;
        let (session_id, mode) = match next(control.next().await)? {
            Some(ControlMessage::Attached(a)) => (a.session_id, a.mode),
            Some(ControlMessage::Disconnect(d)) => return Err(refused(d)),
            other => {
                return Err(proto(format!(
                    "expected Attached, got {:?}",
                    other.map(|m| m.name())
                )));
            }
        };
        let mut input = conn.open_uni().await.map_err(|e| proto(e.to_string()))?;
        send(&mut input, &InputMessage::Keymap(opts.keymap.clone()))
            .await
            .map_err(proto)?;
        // Round-trip time: pongs are timed as they come back.
        let rtt = Arc::new(crate::rtt::RttMeter::default());
        let meter = rtt.clone();
        tokio::spawn(async move {
            while let Ok(Some(msg)) = control.next().await {
                if let ControlMessage::Pong(pong) = msg {
                    meter.pong(&pong);
                }
            }
        });
        // Writes and reads run in their own tasks, so that a caller that gives up waiting (a
        // timeout around next_update) never cuts a message or a frame in half.
        let (control_tx, mut control_rx) = mpsc::unbounded_channel::<ControlMessage>();
        let control_writer = tokio::spawn(async move {
            while let Some(msg) = control_rx.recv().await {
                if send(&mut control_send, &msg).await.is_err() {
                    return;
                }
            }
            let _ = control_send.finish();
        });
        // The pinger holds only a weak sender, so that disconnecting still closes the stream.
        let pinger = control_tx.downgrade();
        let meter = rtt.clone();
        tokio::spawn(async move {
            while let Some(control) = pinger.upgrade() {
                if control.send(ControlMessage::Ping(meter.ping())).is_err() {
                    return;
                }
                drop(control);
                tokio::time::sleep(crate::rtt::PING_INTERVAL).await;
            }
        });
        let (display_tx, display_rx) = mpsc::channel(DISPLAY_QUEUE);
        tokio::spawn(receive_display(conn.clone(), display_tx));
        Ok(Self {
            conn,
            _endpoint: endpoint,
            control: control_tx,
            control_writer: Some(control_writer),
            display: display_rx,
            cursor_stream: 0,
            input,
            framebuffer: Framebuffer::new().map_err(|e| proto(e.to_string()))?,
            pending: BTreeMap::new(),
            session_id,
            mode,
            frames: 0,
            bytes: 0,
            cursor: None,
            fingerprint,
            rtt,
            stats: Stats::default(),
        })
    }

    /// Sends an input event.
    pub async fn send_input(&mut self, event: &InputMessage) -> Result<(), ViewerError> {
        if let InputMessage::Key(key) = event {
            let pressed = key.state == wayray_protocol::messages::input::ButtonState::Pressed;
            self.stats.key_sent(key.code, pressed, Instant::now());
        }
        let bytes = encode_frame_to_vec(event).map_err(|e| ViewerError::Stream(e.to_string()))?;
        let written = self.input.write_all(&bytes).await;
        written.map_err(|e| self.explain(ViewerError::Stream(e.to_string())))
    }

    /// The connection's own end, when it has one, rather than `err`: a stream that fails
    /// because the server closed the connection must report the server's reason (a viewer
    /// whose session moved to another desk must not resume it).
    pub fn explain(&self, err: ViewerError) -> ViewerError {
        match (self.conn.close_reason(), &err) {
            (_, ViewerError::Disconnected { .. }) | (None, _) => err,
            (Some(reason), _) => closed_error(reason),
        }
    }

    /// Asks the server to change the session output (the window's size and scale).
    pub async fn resize(&mut self, mode: OutputMode) -> Result<(), ViewerError> {
        let sent = self.control().resize(mode).await;
        sent.map_err(|e| self.explain(e))
    }

    /// A handle for control requests (resize, keyframe) from another task.
    pub fn control(&self) -> ControlSender {
        ControlSender {
            control: self.control.clone(),
        }
    }

    /// Asks for a full frame.
    pub async fn request_keyframe(&mut self) -> Result<(), ViewerError> {
        self.send_control(ControlMessage::KeyframeRequest)
    }

    fn send_control(&self, msg: ControlMessage) -> Result<(), ViewerError> {
        self.control
            .send(msg)
            .map_err(|_| self.explain(ViewerError::Stream("the control stream is closed".into())))
    }

    /// Waits for the next display message, applies it, acknowledges frames; returns the
    /// rectangles that changed (empty for cursor updates).
    pub async fn next_update(&mut self) -> Result<Vec<Rect>, ViewerError> {
        loop {
            let (msg, len, stream) = match self.display.recv().await {
                Some(result) => result.map_err(|e| self.explain(e))?,
                None => {
                    let stopped = ViewerError::Stream("the display receiver stopped".into());
                    return Err(self.explain(stopped));
                }
            };
            self.bytes += len as u64;
            self.stats.received(len, Instant::now());
            let update = match msg {
                DisplayMessage::FrameUpdate(update) => update,
                cursor @ (DisplayMessage::CursorImage(_) | DisplayMessage::CursorShape(_)) => {
                    if self.cursor.is_none() || stream > self.cursor_stream {
                        self.cursor = Some(cursor);
                        self.cursor_stream = stream;
                    }
                    return Ok(Vec::new());
                }
            };
            // Frames arrive on separate streams and can overtake each other: a frame older than
            // what is already shown is stale (a keyframe superseded it) and must not block the
            // ones after it.
            if self
                .framebuffer
                .last_sequence()
                .is_some_and(|last| update.sequence <= last)
            {
                continue;
            }
            if update.keyframe {
                self.pending.retain(|seq, _| *seq > update.sequence);
            }
            self.pending.insert(update.sequence, update);
            let mut changed = Vec::new();
            while let Some((&seq, next)) = self.pending.first_key_value() {
                let ready = next.keyframe
                    || self
                        .framebuffer
                        .last_sequence()
                        .is_some_and(|last| seq == last + 1);
                if !ready {
                    break;
                }
                let update = self.pending.remove(&seq).expect("present");
                let applied = self.framebuffer.apply(&update).map_err(ViewerError::from);
                changed.extend(applied.map_err(|e| self.explain(e))?);
                self.stats.applied(&update, Instant::now());
                self.frames += 1;
                let ack = ControlMessage::FrameAck(FrameAck {
                    sequence: update.sequence,
                });
                self.send_control(ack)?;
            }
            if self.pending.len() > MAX_PENDING {
                self.pending.clear();
                self.request_keyframe().await?;
            }
            if !changed.is_empty() {
                return Ok(changed);
            }
        }
    }

    /// Applies updates until none arrives for `quiet` (or `deadline` passes).
    pub async fn settle(&mut self, quiet: Duration, deadline: Instant) -> Result<(), ViewerError> {
        while Instant::now() < deadline {
            match tokio::time::timeout(quiet, self.next_update()).await {
                Ok(result) => {
                    result?;
                }
                Err(_) => return Ok(()),
            }
        }
        Ok(())
    }

    /// Leaves the session politely.
    pub async fn disconnect(mut self) {
        let msg = ControlMessage::Disconnect(wayray_protocol::messages::control::Disconnect {
            reason: DisconnectReason::Normal,
            message: "viewer closed".into(),
        });
        let _ = self.send_control(msg);
        // Closing the channel lets the writer finish the stream after the last message.
        let (closed, _) = mpsc::unbounded_channel();
        self.control = closed;
        if let Some(writer) = self.control_writer.take() {
            let _ = tokio::time::timeout(Duration::from_secs(1), writer).await;
        }
        self.conn
            .close(quinn::VarInt::from_u32(0), b"viewer closed");
    }

    /// The median of the recent round-trip times to the server (pinged once a second).
    pub fn rtt(&self) -> Option<Duration> {
        self.rtt.median()
    }

    /// The cursor shape asked for, if it is a named shape.
    pub fn cursor_shape(&self) -> Option<CursorShape> {
        match &self.cursor {
            Some(DisplayMessage::CursorShape(shape)) => Some(*shape),
            _ => None,
        }
    }
}
