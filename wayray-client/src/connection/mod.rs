//! A viewer's connection to a server, driven by the sans-IO [`ViewerConnection`]: this module
//! only moves messages and timers. Pinned TLS ([`dial`]), the handshake, then frames in
//! (handed out in sequence by the machine, applied to the [`Framebuffer`], acknowledged) and
//! input out on its own stream.

mod audio;
mod dial;
mod display;
mod errors;
mod redirect;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use quinn::{Connection, SendStream};
use tokio::sync::mpsc;
use wayray_protocol::framing::encode_frame_to_vec;
use wayray_protocol::messages::control::OutputMode;
use wayray_protocol::messages::display::{CursorShape, FrameUpdate};
use wayray_protocol::messages::input::KeymapLayout;
use wayray_protocol::quic::{MessageReader, ReadError, write_message};
use wayray_protocol::secret::Token;
use wayray_protocol::session::{Close, Credentials, ViewerConfig, ViewerConnection, ViewerEvent};
use wayray_protocol::{Capabilities, ControlMessage, DisplayMessage, InputMessage, Rect};

pub use dial::PinPolicy;
use display::{Received, receive_display};
use errors::closed_error;
pub use errors::{ConnectError, ViewerError};

use crate::framebuffer::Framebuffer;
use crate::stats::Stats;

/// ALPN protocol id.
pub const ALPN: &[u8] = b"wayray/1";
/// Display messages received and not yet handed to the machine. The server keeps only a few
/// frames in flight, so this bounds memory without ever filling in normal operation.
const DISPLAY_QUEUE: usize = 32;
/// Control messages waiting to be written: acknowledgements (one per frame, at most a window
/// of them), a ping a second, requests. A server that stops reading fills it and ends the
/// connection instead of growing it.
const CONTROL_QUEUE: usize = 256;
/// How long a frame's acknowledgement may wait to leave with the next key or pointer event
/// (`wayray_protocol::session::ack_hold`): longer than the gap between two keys of a typist.
const ACK_HOLD: Duration = Duration::from_millis(250);

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
    /// A session token, or a user name and password where the server offers login.
    pub credentials: Credentials,
    /// Output mode to ask for.
    pub preferred_mode: Option<OutputMode>,
    /// Keyboard layout of this desk.
    pub keymap: KeymapLayout,
    /// How long to wait for the server.
    pub timeout: Duration,
    /// What this viewer announces (normally `Capabilities::implemented()`; the clipboard is
    /// announced only with a desk clipboard to share).
    pub capabilities: Capabilities,
    /// The desk's clipboard, shared with the session where the server allows it.
    pub clipboard: Option<std::sync::Arc<crate::clipboard::desk::DeskClipboard>>,
    /// The desk display's refresh rate in millihertz, told to a server that paces the
    /// session to it (`None`: the server's default, 60 Hz).
    pub refresh_millihertz: Option<u32>,
    /// Where the session's sound plays; `None`: audio is not announced.
    pub audio: Option<std::sync::Arc<crate::audio::AudioPlayer>>,
    /// The desk's microphone, sent to the session; `None`: the microphone is not announced.
    pub microphone: Option<std::sync::Arc<crate::audio::microphone::Microphone>>,
}

/// A viewer attached to a session.
pub struct Viewer {
    conn: Connection,
    _endpoint: quinn::Endpoint,
    machine: ViewerConnection,
    control_out: mpsc::Sender<ControlMessage>,
    control_writer: Option<tokio::task::JoinHandle<()>>,
    control_in: mpsc::Receiver<Result<ControlMessage, ViewerError>>,
    display: mpsc::Receiver<Received>,
    input: SendStream,
    /// The clipboard stream's task, when the clipboard is shared.
    clipboard: Option<tokio::task::AbortHandle>,
    /// The session's sound and the desk's microphone, where negotiated.
    sound: audio::Sound,
    /// The session output as this viewer has it.
    pub framebuffer: Framebuffer,
    /// The session's id.
    pub session_id: String,
    /// The session output's mode when attaching.
    pub mode: OutputMode,
    /// Frames applied.
    pub frames: u64,
    /// Of those, frames applied ahead of video frames before them (capability `overtake`).
    pub frames_ahead: u64,
    /// Display bytes received.
    pub bytes: u64,
    /// The cursor the session wants (client-side cursor).
    pub cursor: Option<DisplayMessage>,
    /// The server's fingerprint.
    pub fingerprint: String,
    /// After a login: the hot-desk token of the session (reconnects present it instead of the
    /// password; `--save-token` keeps it).
    pub desk_token: Option<Token>,
    /// Rates, codec mix and keystroke latency (overlay and report).
    pub stats: Stats,
    /// The newest notice from the server (e.g. the session was lost and this one is new).
    pub notice: Option<String>,
}

impl std::fmt::Debug for Viewer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Viewer")
            .field("session_id", &self.session_id)
            .field("frames", &self.frames)
            .finish_non_exhaustive()
    }
}

impl Drop for Viewer {
    fn drop(&mut self) {
        if let Some(clipboard) = self.clipboard.take() {
            clipboard.abort();
        }
    }
}

impl Viewer {
    /// One server: connects, verifies its identity, says hello and attaches with the token
    /// (a redirect comes back as [`ConnectError::Redirected`]).
    async fn connect_once(opts: &ConnectOptions) -> Result<Self, ConnectError> {
        let (endpoint, conn, fingerprint) = dial::dial(opts).await?;
        let server = opts.label.clone();
        let proto = |detail: String| ConnectError::Protocol {
            server: server.clone(),
            detail,
        };
        let refused = |close: Close| ConnectError::Refused {
            server: opts.label.clone(),
            reason: close.reason,
            message: close.message,
        };
        let (mut control_send, control_recv) =
            conn.open_bi().await.map_err(|e| proto(e.to_string()))?;
        let mut control = MessageReader::<ControlMessage>::new(control_recv);
        let mut config = ViewerConfig::with_credentials(opts.credentials.clone());
        config.preferred_mode = opts.preferred_mode;
        config.ping_interval = None;
        config.ack_hold = Some(ACK_HOLD);
        config.refresh_millihertz = opts.refresh_millihertz;
        let mut unused = Capabilities::empty();
        if opts.clipboard.is_none() {
            unused = unused | Capabilities::CLIPBOARD;
        }
        if opts.audio.is_none() {
            unused = unused | Capabilities::AUDIO;
        }
        if opts.microphone.is_none() {
            unused = unused | Capabilities::MICROPHONE;
        }
        config.capabilities = opts
            .capabilities
            .intersect(Capabilities::from_bits(!unused.bits()));
        let mut machine = ViewerConnection::new(Instant::now(), config);
        let attached = loop {
            while let Some(msg) = machine.poll_transmit() {
                let written = write_message(&mut control_send, &msg).await;
                written.map_err(|e| proto(e.to_string()))?;
            }
            match machine.poll_event() {
                Some(ViewerEvent::Attached(attached)) => break attached,
                Some(ViewerEvent::Redirected(to)) => return Err(redirect::redirected(opts, to)),
                Some(ViewerEvent::Closed(close)) => return Err(refused(close)),
                Some(_) => continue,
                None => {}
            }
            // A server that refuses sends a Disconnect and closes the connection with the
            // same reason; whichever arrives first tells the user why.
            match control.next().await {
                Ok(Some(msg)) => machine.handle_message(Instant::now(), msg),
                Ok(None) => return Err(proto("the server closed the control stream".into())),
                Err(ReadError::Stream(quinn::ReadError::ConnectionLost(
                    quinn::ConnectionError::ApplicationClosed(close),
                ))) => {
                    return Err(ConnectError::Refused {
                        server: opts.label.clone(),
                        reason: wayray_protocol::messages::control::DisconnectReason::from_code(
                            close.error_code.into_inner(),
                        )
                        .unwrap_or(
                            wayray_protocol::messages::control::DisconnectReason::ProtocolError,
                        ),
                        message: String::from_utf8_lossy(&close.reason).into_owned(),
                    });
                }
                Err(e) => return Err(proto(e.to_string())),
            }
        };
        let mut input = conn.open_uni().await.map_err(|e| proto(e.to_string()))?;
        let keymap = InputMessage::Keymap(opts.keymap.clone());
        write_message(&mut input, &keymap)
            .await
            .map_err(|e| proto(e.to_string()))?;
        // Writes and reads run in their own tasks, so that a caller that gives up waiting (a
        // timeout around next_update) never cuts a message or a frame in half.
        let (control_out, mut outgoing) = mpsc::channel::<ControlMessage>(CONTROL_QUEUE);
        let control_writer = tokio::spawn(async move {
            while let Some(msg) = outgoing.recv().await {
                if write_message(&mut control_send, &msg).await.is_err() {
                    return;
                }
            }
            let _ = control_send.finish();
        });
        let (incoming, control_in) = mpsc::channel(DISPLAY_QUEUE);
        tokio::spawn(async move {
            loop {
                let next = match control.next().await {
                    Ok(Some(msg)) => Ok(msg),
                    Ok(None) => Err(ViewerError::Stream("the control stream ended".into())),
                    Err(ReadError::Stream(quinn::ReadError::ConnectionLost(e))) => {
                        Err(closed_error(e))
                    }
                    Err(e) => Err(ViewerError::Stream(e.to_string())),
                };
                let end = next.is_err();
                if incoming.send(next).await.is_err() || end {
                    return;
                }
            }
        });
        let (display_tx, display) = mpsc::channel(DISPLAY_QUEUE);
        tokio::spawn(receive_display(conn.clone(), display_tx));
        let clipboard = match &opts.clipboard {
            Some(desk) if machine.capabilities().contains(Capabilities::CLIPBOARD) => {
                Some(tokio::spawn(crate::clipboard::run(conn.clone(), desk.clone())).abort_handle())
            }
            _ => None,
        };
        let sound = audio::Sound::start(&conn, machine.capabilities(), opts);
        let mut viewer = Self {
            conn,
            _endpoint: endpoint,
            machine,
            control_out,
            control_writer: Some(control_writer),
            control_in,
            display,
            input,
            clipboard,
            sound,
            framebuffer: Framebuffer::new().map_err(|e| proto(e.to_string()))?,
            session_id: attached.session_id,
            mode: attached.mode,
            frames: 0,
            frames_ahead: 0,
            bytes: 0,
            cursor: None,
            fingerprint,
            desk_token: attached.desk_token,
            stats: Stats::default(),
            notice: None,
        };
        viewer.framebuffer.set_content_cache(
            viewer
                .machine
                .capabilities()
                .contains(Capabilities::CONTENT_CACHE),
        );
        viewer
            .framebuffer
            .set_zstd_stream(
                viewer
                    .machine
                    .capabilities()
                    .contains(Capabilities::ZSTD_STREAM),
            )
            .map_err(|e| proto(e.to_string()))?;
        viewer.flush().map_err(|e| proto(e.to_string()))?;
        Ok(viewer)
    }

    /// Sends an input event.
    pub async fn send_input(&mut self, event: &InputMessage) -> Result<(), ViewerError> {
        if let InputMessage::Key(key) = event {
            let pressed = key.state == wayray_protocol::messages::input::ButtonState::Pressed;
            self.stats.key_sent(key.code, pressed, Instant::now());
        }
        let bytes = encode_frame_to_vec(event).map_err(|e| ViewerError::Stream(e.to_string()))?;
        // A held frame acknowledgement leaves with the input, in the same packet.
        self.machine.sending_input();
        self.flush()?;
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

    /// Tells the server the desk display's refresh rate (the window moved to a monitor with
    /// another one).
    pub fn report_refresh(&mut self, millihertz: u32) -> Result<(), ViewerError> {
        self.machine.report_refresh(millihertz);
        self.flush()
    }

    /// Asks the server to change the session output (the window's size and scale).
    pub async fn resize(&mut self, mode: OutputMode) -> Result<(), ViewerError> {
        self.machine.resize(Instant::now(), mode);
        self.flush()
    }

    /// Asks for a full frame.
    pub async fn request_keyframe(&mut self) -> Result<(), ViewerError> {
        self.machine.request_keyframe(Instant::now());
        self.flush()
    }

    /// Hands what the machine wants sent to the control writer.
    fn flush(&mut self) -> Result<(), ViewerError> {
        while let Some(msg) = self.machine.poll_transmit() {
            if self.control_out.try_send(msg).is_err() {
                let stalled = ViewerError::Stream("the control stream is stalled or closed".into());
                return Err(self.explain(stalled));
            }
        }
        Ok(())
    }

    /// Waits for the next display message, applies it, acknowledges frames; returns the
    /// rectangles that changed (empty for cursor updates). Cancel-safe.
    pub async fn next_update(&mut self) -> Result<Vec<Rect>, ViewerError> {
        loop {
            let mut changed = Vec::new();
            let mut cursor = false;
            while let Some(event) = self.machine.poll_event() {
                match event {
                    ViewerEvent::Frame(update) => changed.extend(self.apply(update, false)),
                    ViewerEvent::FrameAhead(update) => changed.extend(self.apply(update, true)),
                    ViewerEvent::Cursor(msg) => {
                        self.cursor = Some(msg);
                        cursor = true;
                    }
                    ViewerEvent::Closed(close) => {
                        let _ = self.flush();
                        return Err(match close.by_peer {
                            true => ViewerError::Disconnected {
                                reason: Some(close.reason),
                                message: close.message,
                            },
                            false => ViewerError::Protocol(close.message),
                        });
                    }
                    ViewerEvent::Notice(text) => {
                        tracing::warn!(notice = %text, "the server says");
                        self.notice = Some(text);
                    }
                    ViewerEvent::Connected(_)
                    | ViewerEvent::Attached(_)
                    | ViewerEvent::Redirected(_) => {}
                }
            }
            self.flush()?;
            if !changed.is_empty() || cursor {
                return Ok(changed);
            }
            let timer = self.machine.poll_timeout();
            tokio::select! {
                received = self.display.recv() => {
                    let (msg, len, stream, _share) = match received {
                        Some(result) => result.map_err(|e| self.explain(e))?,
                        None => {
                            let stopped = ViewerError::Stream("the display receiver stopped".into());
                            return Err(self.explain(stopped));
                        }
                    };
                    self.bytes += len as u64;
                    self.stats.received(len, Instant::now());
                    // Round trips come from QUIC's acknowledgements, not from pings.
                    self.machine.transport_rtt(self.conn.rtt());
                    self.machine.handle_display(Instant::now(), msg, stream);
                }
                msg = self.control_in.recv() => match msg {
                    Some(Ok(msg)) => self.machine.handle_message(Instant::now(), msg),
                    Some(Err(err)) => return Err(self.explain(err)),
                    None => {
                        let stopped = ViewerError::Stream("the control reader stopped".into());
                        return Err(self.explain(stopped));
                    }
                },
                () = sleep_until(timer) => self.machine.handle_timeout(Instant::now()),
            }
        }
    }

    /// Applies one frame the machine handed out (in sequence, or `ahead` of video frames
    /// before it); a frame that does not apply (a decode error, a gap) makes the machine ask
    /// for a keyframe, and the connection goes on.
    fn apply(&mut self, update: FrameUpdate, ahead: bool) -> Vec<Rect> {
        let now = Instant::now();
        let fb = &mut self.framebuffer;
        match if ahead {
            fb.apply_ahead(&update)
        } else {
            fb.apply(&update)
        } {
            Ok(changed) => {
                self.stats.applied(&update, now);
                self.frames += 1;
                self.frames_ahead += u64::from(ahead);
                self.machine
                    .frame_applied(now, update.sequence, update.keyframe);
                changed
            }
            Err(err) => {
                tracing::warn!(%err, "frame not applied; asking for a keyframe");
                self.machine.frame_failed(now, update.sequence);
                Vec::new()
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
        self.machine.close("viewer closed");
        let _ = self.flush();
        // Closing the channel lets the writer finish the stream after the last message.
        let (closed, _) = mpsc::channel(1);
        self.control_out = closed;
        if let Some(writer) = self.control_writer.take() {
            let _ = tokio::time::timeout(Duration::from_secs(1), writer).await;
        }
        self.conn
            .close(quinn::VarInt::from_u32(0), b"viewer closed");
    }

    /// The median of the recent round-trip times to the server (pinged once a second).
    pub fn rtt(&self) -> Option<Duration> {
        self.machine.rtt()
    }

    /// The player of the session's sound, when this connection carries it.
    pub fn audio(&self) -> Option<&std::sync::Arc<crate::audio::AudioPlayer>> {
        self.sound.player.as_ref()
    }

    /// The desk's microphone, when this connection sends it.
    pub fn microphone(&self) -> Option<&std::sync::Arc<crate::audio::microphone::Microphone>> {
        self.sound.microphone.as_ref()
    }

    /// QUIC datagrams received on this connection (the audio channel's packets).
    pub fn datagrams_received(&self) -> u64 {
        self.conn.stats().frame_rx.datagram
    }

    /// The cursor shape asked for, if it is a named shape.
    pub fn cursor_shape(&self) -> Option<CursorShape> {
        match &self.cursor {
            Some(DisplayMessage::CursorShape(shape)) => Some(*shape),
            _ => None,
        }
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}
