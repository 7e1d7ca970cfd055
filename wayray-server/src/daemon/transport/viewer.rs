//! One viewer connection, driven by the sans-IO [`ServerConnection`]: this file only moves
//! bytes and timers. The handshake (hello, attach, the resolver's verdict on the token) is
//! here; the attached relay is in [`super::relay`].

use std::sync::Arc;
use std::time::{Duration, Instant};

use quinn::{Connection, RecvStream};
use tracing::Instrument;
use wayray_protocol::messages::control::{Attach, DisconnectReason, Login, Redirect};
use wayray_protocol::messages::link::LinkAttach;
use wayray_protocol::quic::MessageReader;
use wayray_protocol::session::{ServerConfig, ServerConnection, ServerEvent};
use wayray_protocol::{Capabilities, Channel, ControlMessage};

use super::control::{Control, close_code};
use super::limits::{Admission, PENDING_DEADLINE, Pending, Verdict, grant_attached};
use super::relay::relay;
use super::resolver::{AttachRequest, Presented, Resolver};
use crate::daemon::session_link::attach_viewer;

pub async fn accept_loop(endpoint: quinn::Endpoint, resolver: Arc<dyn Resolver>) {
    let pending = Pending::default();
    while let Some(incoming) = endpoint.accept().await {
        let resolver = resolver.clone();
        let remote = incoming.remote_address();
        let admission = match pending.admit(remote.ip(), incoming.remote_address_validated()) {
            Verdict::Admit(admission) => admission,
            Verdict::Retry => {
                if let Err(err) = incoming.retry() {
                    err.into_incoming().refuse();
                }
                continue;
            }
            Verdict::Refuse => {
                tracing::debug!(%remote, "too many connections pending: refused");
                incoming.refuse();
                continue;
            }
        };
        let span = tracing::info_span!("viewer", %remote, session = tracing::field::Empty);
        tokio::spawn(
            async move {
                let conn = match tokio::time::timeout(PENDING_DEADLINE, incoming).await {
                    Ok(Ok(conn)) => conn,
                    Ok(Err(err)) => {
                        tracing::debug!(%err, "handshake failed");
                        return;
                    }
                    Err(_) => {
                        tracing::debug!("TLS handshake did not finish in time");
                        return;
                    }
                };
                serve(conn, resolver, admission).await;
                tracing::info!("viewer left");
            }
            .instrument(span),
        );
    }
}

/// The connection's rules: login offered only where the resolver takes it, the clipboard only
/// where its policy allows a direction, audio only where sessions have sound.
fn server_config(resolver: &dyn Resolver) -> ServerConfig {
    let mut config = ServerConfig {
        max_output: resolver.max_output(),
        ..ServerConfig::default()
    };
    let mut withheld = Capabilities::empty();
    if !resolver.offers_login() {
        withheld = withheld | Capabilities::LOGIN;
    }
    if !resolver.clipboard().enabled() {
        withheld = withheld | Capabilities::CLIPBOARD;
    }
    if !resolver.audio() {
        withheld = withheld | Capabilities::AUDIO;
    }
    if !resolver.microphone() {
        withheld = withheld | Capabilities::MICROPHONE;
    }
    config.capabilities = config
        .capabilities
        .intersect(Capabilities::from_bits(!withheld.bits()));
    config
}

async fn serve(conn: Connection, resolver: Arc<dyn Resolver>, admission: Admission) {
    let machine = ServerConnection::new(Instant::now(), server_config(resolver.as_ref()));
    let deadline = machine.poll_timeout().map(tokio::time::Instant::from_std);
    let accepted = match deadline {
        Some(deadline) => tokio::time::timeout_at(deadline, conn.accept_bi()).await,
        None => Ok(conn.accept_bi().await),
    };
    let (send, recv) = match accepted {
        Ok(Ok(streams)) => streams,
        Ok(Err(err)) => return tracing::debug!(%err, "no control stream"),
        Err(_) => {
            let secs = ServerConfig::default().handshake_timeout.as_secs();
            let text = format!("no hello and attach within {secs} s");
            return conn.close(close_code(DisconnectReason::Timeout), text.as_bytes());
        }
    };
    let mut control = Control {
        machine,
        send,
        conn: conn.clone(),
    };
    let Some((asked, reader)) = handshake(&mut control, recv).await else {
        return;
    };
    let (presented, preferred_mode) = match asked {
        Asked::Attach(attach) => (Presented::Token(attach.token), attach.preferred_mode),
        Asked::Login(login) => {
            let presented = Presented::Login {
                user: login.user,
                password: login.password,
            };
            (presented, login.preferred_mode)
        }
    };
    let verdict = resolver
        .attach(AttachRequest {
            presented,
            viewer: conn.remote_address(),
            connection: conn.clone(),
        })
        .await;
    // Attached or refused, the connection is no longer pending.
    drop(admission);
    let mut attachment = match verdict {
        Ok(attachment) => attachment,
        Err(refusal) => match refusal.redirect {
            Some(to) => return redirect(&mut control, to, refusal.message).await,
            None => return refuse(&mut control, refusal.reason, refusal.message).await,
        },
    };
    tracing::Span::current().record("session", attachment.session_id.as_str());
    let request = LinkAttach {
        capabilities: control.machine.capabilities(),
        viewer: conn.remote_address().to_string(),
        preferred_mode,
    };
    let linked = attach_viewer(&attachment.link, request).await;
    // The session has this viewer (or failed to take it): the next attach may go on.
    drop(attachment.until_linked.take());
    let (mode, link) = match linked {
        Ok(linked) => linked,
        Err(err) => {
            resolver.detached(&attachment.session_id, &conn);
            tracing::warn!(%err, "session link failed");
            let text = "the session is not running any more; connect again to start a new one";
            return refuse(&mut control, DisconnectReason::SessionEnded, text.into()).await;
        }
    };
    let desk_token = attachment.desk_token.clone();
    grant_attached(&conn);
    control
        .machine
        .accept(attachment.session_id.clone(), mode, desk_token);
    if let Some(notice) = attachment.notice.take() {
        control.machine.notice(notice);
    }
    control.flush().await;
    tracing::info!("viewer attached");
    relay(
        &mut control,
        reader,
        link,
        resolver.clipboard(),
        resolver.video_rate(),
    )
    .await;
    resolver.detached(&attachment.session_id, &conn);
}

async fn refuse(control: &mut Control, reason: DisconnectReason, message: String) {
    tracing::info!(?reason, %message, "viewer refused");
    control.machine.refuse(reason, message);
    finish(control).await;
}

/// Sends the viewer to the pool's server that holds its session. A viewer that follows
/// closes the connection itself once it has read where to go; it gets 2 s before this side
/// closes (closing at once could drop the redirect still in flight).
async fn redirect(control: &mut Control, to: Redirect, message: String) {
    tracing::info!(server = %to.address, "viewer redirected");
    control.machine.redirect(to, message);
    control.flush().await;
    let _ = tokio::time::timeout(Duration::from_secs(2), control.conn.closed()).await;
    finish(control).await;
}

/// Writes the machine's last messages and closes with its reason.
async fn finish(control: &mut Control) {
    control.flush().await;
    while let Some(event) = control.machine.poll_event() {
        if let ServerEvent::Closed(close) = event {
            control.close_transport(&close);
        }
    }
}

/// What a viewer asked for after its hello.
enum Asked {
    Attach(Attach),
    Login(Login),
}

/// Hello (read raw, so that a hello from any version gets a precise answer) and attach or
/// login. Returns the request and the control stream's reader, or `None` when the connection
/// ended.
async fn handshake(
    control: &mut Control,
    mut recv: RecvStream,
) -> Option<(Asked, MessageReader<ControlMessage>)> {
    let step = async {
        let mut prefix = [0u8; 4];
        recv.read_exact(&mut prefix).await.ok()?;
        let len = u32::from_le_bytes(prefix) as usize;
        if len > Channel::Control.max_message_size() {
            return Some(Err("hello too large"));
        }
        let mut body = vec![0u8; len];
        recv.read_exact(&mut body).await.ok()?;
        Some(Ok(body))
    };
    let deadline = control.machine.poll_timeout()?;
    let hello = tokio::time::timeout_at(deadline.into(), step).await;
    match hello {
        Ok(Some(Ok(body))) => control.machine.handle_hello(Instant::now(), &body),
        Ok(Some(Err(what))) => control.machine.close(DisconnectReason::ProtocolError, what),
        Ok(None) => control.machine.close(
            DisconnectReason::ProtocolError,
            "the control stream ended before a complete hello",
        ),
        Err(_) => control.machine.handle_timeout(Instant::now()),
    }
    let mut reader = MessageReader::<ControlMessage>::new(recv);
    loop {
        control.flush().await;
        while let Some(event) = control.machine.poll_event() {
            match event {
                ServerEvent::AttachRequested(attach) => {
                    return Some((Asked::Attach(attach), reader));
                }
                ServerEvent::LoginRequested(login) => return Some((Asked::Login(login), reader)),
                ServerEvent::Closed(close) => {
                    control.close_transport(&close);
                    return None;
                }
                _ => {}
            }
        }
        let deadline = control.machine.poll_timeout()?;
        match tokio::time::timeout_at(deadline.into(), reader.next()).await {
            Ok(Ok(Some(msg))) => control.machine.handle_message(Instant::now(), msg),
            Ok(Ok(None)) => control.machine.close(
                DisconnectReason::ProtocolError,
                "the control stream ended before the attach",
            ),
            Ok(Err(err)) => control
                .machine
                .close(DisconnectReason::ProtocolError, err.to_string()),
            Err(_) => control.machine.handle_timeout(Instant::now()),
        }
    }
}
