//! One viewer connection: handshake, token check, then three concurrent flows — input into the
//! session, control (acks, keyframe and resize requests, pings), and frames out with at most
//! `frames_in_flight` unacknowledged.

use std::sync::{Arc, Mutex};

use quinn::{Connection, SendStream};
use smithay::reexports::calloop::channel::Sender;
use tokio::sync::{mpsc, watch};
use wayray_protocol::framing::encode_frame_to_vec;
use wayray_protocol::messages::control::{Attached, Disconnect, DisconnectReason, PeerInfo};
use wayray_protocol::messages::display::CursorShape;
use wayray_protocol::{Capabilities, ControlMessage, DisplayMessage, InputMessage, WireMessage};

use super::TransportConfig;
use crate::encode::pipeline::{Encoded, Pipeline};
use crate::output::OutputConfig;
use crate::session::SessionCommand;
use wayray_protocol::quic::{MessageReader, ReadError, write_message};

/// QUIC application close codes (the `DisconnectReason` tag).
fn close_code(reason: DisconnectReason) -> quinn::VarInt {
    quinn::VarInt::from_u32(reason.code())
}

/// State shared by all connections of this transport.
pub struct Shared {
    config: TransportConfig,
    frames: tokio::sync::Mutex<mpsc::Receiver<Encoded>>,
    pipeline: Arc<Pipeline>,
    session: Sender<SessionCommand>,
    current: Mutex<Option<Connection>>,
    stats: Arc<super::TransportStats>,
    cursor: Arc<watch::Sender<CursorShape>>,
    /// The output mode now in effect (a viewer may have changed it).
    mode: Mutex<wayray_protocol::messages::control::OutputMode>,
}

impl Shared {
    pub fn new(
        config: TransportConfig,
        frames: mpsc::Receiver<Encoded>,
        pipeline: Arc<Pipeline>,
        session: Sender<SessionCommand>,
        stats: Arc<super::TransportStats>,
        cursor: Arc<watch::Sender<CursorShape>>,
    ) -> Self {
        let mode = config.mode;
        Self {
            config,
            frames: tokio::sync::Mutex::new(frames),
            pipeline,
            session,
            current: Mutex::new(None),
            stats,
            cursor,
            mode: Mutex::new(mode),
        }
    }
}

#[derive(Debug, thiserror::Error)]
enum ViewerError {
    #[error("connection: {0}")]
    Connection(#[from] quinn::ConnectionError),
    #[error("read: {0}")]
    Read(#[from] ReadError),
    #[error("read: {0}")]
    ReadExact(#[from] quinn::ReadExactError),
    #[error("write: {0}")]
    Write(#[from] quinn::WriteError),
    #[error("{1}")]
    Refused(DisconnectReason, String),
}

pub async fn accept_loop(endpoint: quinn::Endpoint, shared: Arc<Shared>) {
    while let Some(incoming) = endpoint.accept().await {
        let shared = shared.clone();
        tokio::spawn(async move {
            let conn = match incoming.await {
                Ok(conn) => conn,
                Err(err) => {
                    tracing::debug!(%err, "handshake failed");
                    return;
                }
            };
            let remote = conn.remote_address();
            match serve(&conn, &shared).await {
                Ok(()) => tracing::info!(%remote, "viewer left"),
                Err(ViewerError::Refused(reason, text)) => {
                    tracing::info!(%remote, ?reason, %text, "viewer refused");
                    conn.close(close_code(reason), text.as_bytes());
                }
                Err(err) => {
                    tracing::info!(%remote, %err, "viewer disconnected");
                    conn.close(
                        close_code(DisconnectReason::ProtocolError),
                        err.to_string().as_bytes(),
                    );
                }
            }
        });
    }
}

async fn send(stream: &mut SendStream, msg: &impl WireMessage) -> Result<(), ViewerError> {
    write_message(stream, msg)
        .await
        .map_err(|e| ViewerError::Refused(DisconnectReason::InternalError, e.to_string()))
}

/// Sends one display message on its own unidirectional stream.
async fn send_display(conn: &Connection, msg: &DisplayMessage) -> Result<(), ViewerError> {
    let bytes = encode_frame_to_vec(msg)
        .map_err(|e| ViewerError::Refused(DisconnectReason::InternalError, e.to_string()))?;
    let mut stream = conn.open_uni().await?;
    stream.write_all(&bytes).await?;
    let _ = stream.finish();
    Ok(())
}

/// Answers with a `Disconnect` on the control stream, then refuses.
async fn refuse(control: &mut SendStream, reason: DisconnectReason, text: String) -> ViewerError {
    let msg = ControlMessage::Disconnect(Disconnect {
        reason,
        message: text.clone(),
    });
    let _ = send(control, &msg).await;
    let _ = control.finish();
    ViewerError::Refused(reason, text)
}

/// Compares two secrets in time that does not depend on where they differ.
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn serve(conn: &Connection, shared: &Shared) -> Result<(), ViewerError> {
    let (mut control_send, mut control_recv) = conn.accept_bi().await?;

    // Hello, read raw so that a hello from any version gets a precise answer.
    let mut prefix = [0u8; 4];
    control_recv.read_exact(&mut prefix).await?;
    let len = u32::from_le_bytes(prefix) as usize;
    if len > wayray_protocol::Channel::Control.max_message_size() {
        return Err(refuse(
            &mut control_send,
            DisconnectReason::ProtocolError,
            "hello too large".into(),
        )
        .await);
    }
    let mut body = vec![0u8; len];
    control_recv.read_exact(&mut body).await?;
    let server = PeerInfo {
        name: "wayray-server".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    };
    let ours = Capabilities::CURSOR
        | Capabilities::COPY_RECT
        | Capabilities::FRACTIONAL_SCALE
        | Capabilities::TOUCH;
    let ours = if wayray_protocol::codec::h264_available() {
        ours | Capabilities::H264
    } else {
        ours
    };
    let (hello, reply) = match wayray_protocol::version::accept_hello(&body, ours, server) {
        Ok(ok) => ok,
        Err(err) => {
            let reason = match err {
                wayray_protocol::version::HandshakeError::Negotiate(
                    wayray_protocol::NegotiateError::UnsupportedVersion { .. },
                ) => DisconnectReason::UnsupportedVersion,
                _ => DisconnectReason::ProtocolError,
            };
            return Err(refuse(&mut control_send, reason, err.to_string()).await);
        }
    };
    tracing::info!(client = %hello.client.name, version = %hello.client.version, "viewer hello");
    send(&mut control_send, &ControlMessage::ServerHello(reply)).await?;

    let mut control = MessageReader::<ControlMessage>::new(control_recv);
    let attach = match control.next().await? {
        Some(ControlMessage::Attach(attach)) => attach,
        other => {
            let got = other.as_ref().map_or("end of stream", |m| m.name());
            return Err(refuse(
                &mut control_send,
                DisconnectReason::ProtocolError,
                format!("expected Attach, got {got}"),
            )
            .await);
        }
    };
    if !same_secret(
        attach.token.expose().as_bytes(),
        shared.config.token.expose().as_bytes(),
    ) {
        return Err(refuse(
            &mut control_send,
            DisconnectReason::AuthenticationFailed,
            "the session token is not valid for this server".into(),
        )
        .await);
    }
    if let Some(mode) = attach.preferred_mode {
        set_mode(shared, mode);
    }
    let mode = shared.mode.lock().map(|m| *m).unwrap_or(shared.config.mode);
    send(
        &mut control_send,
        &ControlMessage::Attached(Attached {
            session_id: shared.config.session_id.clone(),
            mode,
        }),
    )
    .await?;

    // Hot-desking: the newest viewer wins; the previous one is told why.
    let previous = shared
        .current
        .lock()
        .ok()
        .and_then(|mut c| c.replace(conn.clone()));
    if let Some(previous) = previous {
        previous.close(
            close_code(DisconnectReason::SessionMoved),
            b"session moved to another viewer",
        );
    }
    shared.pipeline.request_keyframe();

    let (acked_tx, acked_rx) = watch::channel(0u64);
    let input = tokio::spawn(input_loop(conn.clone(), shared.session.clone()));
    let result = tokio::select! {
        r = control_loop(&mut control, &mut control_send, shared, acked_tx) => r,
        r = display_loop(conn, shared, acked_rx) => r,
    };
    // A viewer that closes the connection itself has simply left.
    let result = match result {
        Err(ViewerError::Read(ReadError::Stream(quinn::ReadError::ConnectionLost(
            quinn::ConnectionError::ApplicationClosed(_) | quinn::ConnectionError::LocallyClosed,
        )))) => Ok(()),
        other => other,
    };
    input.abort();
    let _ = shared
        .session
        .send(SessionCommand::Input(InputMessage::ReleaseAll {
            time_ms: 0,
        }));
    if let Ok(mut current) = shared.current.lock()
        && current
            .as_ref()
            .is_some_and(|c| c.stable_id() == conn.stable_id())
    {
        *current = None;
    }
    result
}

/// Changes the session output and remembers it for the next viewer's `Attached`.
fn set_mode(shared: &Shared, mode: wayray_protocol::messages::control::OutputMode) {
    if let Ok(mut current) = shared.mode.lock() {
        *current = mode;
    }
    let _ = shared
        .session
        .send(SessionCommand::SetOutput(output_config(mode)));
}

fn output_config(mode: wayray_protocol::messages::control::OutputMode) -> OutputConfig {
    OutputConfig {
        width: mode.width,
        height: mode.height,
        scale_120: mode.scale_120,
        ..OutputConfig::default()
    }
}

async fn input_loop(conn: Connection, session: Sender<SessionCommand>) {
    while let Ok(recv) = conn.accept_uni().await {
        let mut reader = MessageReader::<InputMessage>::new(recv);
        loop {
            match reader.next().await {
                Ok(Some(event)) => {
                    if session.send(SessionCommand::Input(event)).is_err() {
                        return;
                    }
                }
                Ok(None) => break,
                Err(err) => {
                    tracing::info!(%err, "bad input stream; closing the connection");
                    conn.close(
                        close_code(DisconnectReason::ProtocolError),
                        err.to_string().as_bytes(),
                    );
                    return;
                }
            }
        }
    }
}

async fn control_loop(
    control: &mut MessageReader<ControlMessage>,
    send_half: &mut SendStream,
    shared: &Shared,
    acked: watch::Sender<u64>,
) -> Result<(), ViewerError> {
    while let Some(msg) = control.next().await? {
        match msg {
            ControlMessage::FrameAck(ack) => {
                acked.send_if_modified(|last| {
                    let newer = ack.sequence > *last;
                    if newer {
                        *last = ack.sequence;
                    }
                    newer
                });
            }
            ControlMessage::KeyframeRequest => shared.pipeline.request_keyframe(),
            ControlMessage::Ping(ping) => send(send_half, &ControlMessage::Pong(ping)).await?,
            ControlMessage::ResizeRequest(mode) => set_mode(shared, mode),
            ControlMessage::Disconnect(d) => {
                tracing::info!(reason = ?d.reason, message = %d.message, "viewer disconnects");
                return Ok(());
            }
            ControlMessage::Pong(_) => {}
            other => {
                return Err(ViewerError::Refused(
                    DisconnectReason::ProtocolError,
                    format!("unexpected {} on the control stream", other.name()),
                ));
            }
        }
    }
    Ok(())
}

async fn display_loop(
    conn: &Connection,
    shared: &Shared,
    mut acked: watch::Receiver<u64>,
) -> Result<(), ViewerError> {
    let mut frames = shared.frames.lock().await;
    let limit = shared.config.frames_in_flight.max(1) as u64;
    let mut keyframe_seen = false;
    let mut in_flight: std::collections::VecDeque<u64> = std::collections::VecDeque::new();
    // The viewer shows the session's cursor itself: the current one now, then every change.
    let mut cursor = shared.cursor.subscribe();
    let shape = *cursor.borrow_and_update();
    send_display(conn, &DisplayMessage::CursorShape(shape)).await?;
    loop {
        let encoded = tokio::select! {
            frame = frames.recv() => match frame {
                Some(frame) => frame,
                None => return Ok(()),
            },
            changed = cursor.changed() => {
                if changed.is_err() {
                    return Ok(());
                }
                let shape = *cursor.borrow_and_update();
                send_display(conn, &DisplayMessage::CursorShape(shape)).await?;
                continue;
            }
            _ = conn.closed() => return Ok(()),
        };
        // Frames before the keyframe this viewer asked for build on state it does not have.
        keyframe_seen |= encoded.update.keyframe;
        if !keyframe_seen {
            continue;
        }
        let sequence = encoded.update.sequence;
        // Backpressure: at most `limit` frames sent and not acknowledged; meanwhile the encoder
        // coalesces newer damage. (An ack covers every frame up to its sequence.)
        loop {
            let acked_up_to = *acked.borrow_and_update();
            in_flight.retain(|s| *s > acked_up_to);
            if (in_flight.len() as u64) < limit {
                break;
            }
            if acked.changed().await.is_err() {
                return Ok(());
            }
        }
        send_display(conn, &DisplayMessage::FrameUpdate(encoded.update)).await?;
        in_flight.push_back(sequence);
        let in_flight_now = in_flight.len() as u64;
        shared
            .stats
            .frames_sent
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        shared
            .stats
            .max_in_flight
            .fetch_max(in_flight_now, std::sync::atomic::Ordering::Relaxed);
    }
}
