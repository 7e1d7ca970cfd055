//! One viewer connection: handshake, the resolver's verdict on the token, then the relay
//! between the viewer's streams and its session's link — control (acks, keyframe and resize
//! requests; pings answered here), input, and display messages out, one per stream.

use std::sync::Arc;

use quinn::{Connection, SendStream};
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;
use wayray_protocol::messages::control::{Attached, Disconnect, DisconnectReason, PeerInfo};
use wayray_protocol::messages::link::{LinkAttach, LinkReply, LinkRequest};
use wayray_protocol::quic::{MessageReader, ReadError, write_message};
use wayray_protocol::{Capabilities, ControlMessage, InputMessage, WireMessage};

use super::resolver::{AttachRequest, Resolver};
use crate::link::client::{ViewerLink, attach_viewer};
use crate::link::{LinkError, write_link};

/// QUIC application close codes (the `DisconnectReason` tag).
fn close_code(reason: DisconnectReason) -> quinn::VarInt {
    quinn::VarInt::from_u32(reason.code())
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
    #[error("no hello and attach within {} s", HANDSHAKE_TIMEOUT.as_secs())]
    HandshakeTimeout,
}

/// How long a new connection may take to say hello and present its token; a peer that says
/// nothing does not get to hold a connection open with keep-alives.
const HANDSHAKE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// `step` of the handshake, given until `deadline`.
async fn within<T>(
    deadline: tokio::time::Instant,
    step: impl std::future::Future<Output = Result<T, ViewerError>>,
) -> Result<T, ViewerError> {
    tokio::time::timeout_at(deadline, step)
        .await
        .unwrap_or(Err(ViewerError::HandshakeTimeout))
}

pub async fn accept_loop(endpoint: quinn::Endpoint, resolver: Arc<dyn Resolver>) {
    while let Some(incoming) = endpoint.accept().await {
        let resolver = resolver.clone();
        tokio::spawn(async move {
            let conn = match incoming.await {
                Ok(conn) => conn,
                Err(err) => {
                    tracing::debug!(%err, "handshake failed");
                    return;
                }
            };
            let remote = conn.remote_address();
            match serve(&conn, &resolver).await {
                Ok(()) => tracing::info!(%remote, "viewer left"),
                Err(ViewerError::Refused(reason, text)) => {
                    tracing::info!(%remote, ?reason, %text, "viewer refused or closed");
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

async fn serve(conn: &Connection, resolver: &Arc<dyn Resolver>) -> Result<(), ViewerError> {
    let deadline = tokio::time::Instant::now() + HANDSHAKE_TIMEOUT;
    let (mut control_send, mut control_recv) =
        within(deadline, async { Ok(conn.accept_bi().await?) }).await?;

    // Hello, read raw so that a hello from any version gets a precise answer.
    let mut prefix = [0u8; 4];
    within(deadline, async {
        Ok(control_recv.read_exact(&mut prefix).await?)
    })
    .await?;
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
    within(deadline, async {
        Ok(control_recv.read_exact(&mut body).await?)
    })
    .await?;
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
    let attach = match within(deadline, async { Ok(control.next().await?) }).await? {
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
    let attachment = match resolver
        .attach(AttachRequest {
            token: attach.token,
            viewer: conn.remote_address(),
            connection: conn.clone(),
        })
        .await
    {
        Ok(attachment) => attachment,
        Err(refusal) => {
            return Err(refuse(&mut control_send, refusal.reason, refusal.message).await);
        }
    };
    let linked = attach_viewer(
        &attachment.link,
        LinkAttach {
            viewer: conn.remote_address().to_string(),
            preferred_mode: attach.preferred_mode,
        },
    )
    .await;
    let (mode, link) = match linked {
        Ok(linked) => linked,
        Err(err) => {
            resolver.detached(&attachment.session_id, conn);
            tracing::warn!(session = %attachment.session_id, %err, "session link failed");
            return Err(refuse(
                &mut control_send,
                DisconnectReason::SessionEnded,
                "the session is not running any more; connect again to start a new one".into(),
            )
            .await);
        }
    };
    send(
        &mut control_send,
        &ControlMessage::Attached(Attached {
            session_id: attachment.session_id.clone(),
            mode,
        }),
    )
    .await?;
    tracing::info!(session = %attachment.session_id, viewer = %conn.remote_address(), "viewer attached");

    let result = relay(conn, &mut control, &mut control_send, link).await;
    resolver.detached(&attachment.session_id, conn);
    // A viewer that closes the connection itself has simply left.
    match result {
        Err(ViewerError::Read(ReadError::Stream(quinn::ReadError::ConnectionLost(
            quinn::ConnectionError::ApplicationClosed(_) | quinn::ConnectionError::LocallyClosed,
        ))))
        | Err(ViewerError::Connection(
            quinn::ConnectionError::ApplicationClosed(_) | quinn::ConnectionError::LocallyClosed,
        )) => Ok(()),
        other => other,
    }
}

/// Relays until either side ends. Messages towards the session go through one writer task
/// with a small queue: a session that stops reading slows the viewer's streams down, nothing
/// piles up here.
async fn relay(
    conn: &Connection,
    control: &mut MessageReader<ControlMessage>,
    control_send: &mut SendStream,
    link: ViewerLink,
) -> Result<(), ViewerError> {
    let ViewerLink { mut reader, writer } = link;
    let (to_session, mut outgoing) = mpsc::channel::<LinkRequest>(64);
    let link_writer = tokio::spawn(async move {
        let mut writer = writer;
        while let Some(request) = outgoing.recv().await {
            if write_link(&mut writer, &request).await.is_err() {
                return;
            }
        }
        let _ = writer.shutdown().await;
    });
    let input = tokio::spawn(input_loop(conn.clone(), to_session.clone()));
    let result = tokio::select! {
        r = control_loop(control, control_send, &to_session) => r,
        r = display_loop(conn, &mut reader) => r,
    };
    input.abort();
    drop(to_session);
    let _ = link_writer.await;
    result
}

async fn input_loop(conn: Connection, to_session: mpsc::Sender<LinkRequest>) {
    while let Ok(recv) = conn.accept_uni().await {
        let mut reader = MessageReader::<InputMessage>::new(recv);
        loop {
            match reader.next().await {
                Ok(Some(event)) => {
                    if to_session.send(LinkRequest::Input(event)).await.is_err() {
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
    to_session: &mpsc::Sender<LinkRequest>,
) -> Result<(), ViewerError> {
    while let Some(msg) = control.next().await? {
        match msg {
            ControlMessage::Ping(ping) => send(send_half, &ControlMessage::Pong(ping)).await?,
            ControlMessage::Pong(_) => {}
            ControlMessage::FrameAck(_)
            | ControlMessage::KeyframeRequest
            | ControlMessage::ResizeRequest(_) => {
                if to_session.send(LinkRequest::Control(msg)).await.is_err() {
                    return Err(session_ended());
                }
            }
            ControlMessage::Disconnect(d) => {
                tracing::info!(reason = ?d.reason, message = %d.message, "viewer disconnects");
                return Ok(());
            }
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

fn session_ended() -> ViewerError {
    ViewerError::Refused(DisconnectReason::SessionEnded, "the session ended".into())
}

/// Display messages from the session, each on its own unidirectional stream, bytes unchanged.
async fn display_loop<R: tokio::io::AsyncRead + Unpin>(
    conn: &Connection,
    link: &mut crate::link::LinkReader<LinkReply, R>,
) -> Result<(), ViewerError> {
    loop {
        let reply = tokio::select! {
            reply = link.next() => reply,
            _ = conn.closed() => return Ok(()),
        };
        match reply {
            Ok(Some(LinkReply::Display(bytes))) => {
                let mut stream = conn.open_uni().await?;
                stream.write_all(&bytes).await?;
                let _ = stream.finish();
            }
            Ok(Some(LinkReply::ViewerDetached)) => {
                return Err(ViewerError::Refused(
                    DisconnectReason::Normal,
                    "the viewer was detached from the session".into(),
                ));
            }
            Ok(Some(other)) => {
                tracing::debug!(reply = other.name(), "link reply ignored by the relay");
            }
            Ok(None) | Err(LinkError::Io(_)) | Err(LinkError::Closed) => {
                return Err(session_ended());
            }
            Err(err) => {
                tracing::warn!(%err, "bad message from the session");
                return Err(ViewerError::Refused(
                    DisconnectReason::InternalError,
                    "the session sent a bad message".into(),
                ));
            }
        }
    }
}
