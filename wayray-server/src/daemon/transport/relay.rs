//! The attached viewer's relay: one loop that feeds the [`ServerConnection`] what arrives
//! (control and input from the viewer, display messages from the session's link, timers)
//! and carries out what it decides. Writes to the viewer's display streams and to the link
//! run in their own tasks behind small queues, so a slow peer slows its own direction only.

use std::time::Instant;

use quinn::Connection;
use tokio::io::AsyncWriteExt;
use tokio::sync::{mpsc, watch};
use wayray_protocol::messages::control::DisconnectReason;
use wayray_protocol::messages::link::{LinkDisplay, LinkReply, LinkRequest};
use wayray_protocol::quic::{MessageReader, ReadError};
use wayray_protocol::session::rate::{RateController, RateLimits, TICK, TransportSample};
use wayray_protocol::session::{ClipboardGate, ClipboardPolicy, Routed, ServerEvent};
use wayray_protocol::{Capabilities, ClipboardMessage, ControlMessage, InputMessage, WireMessage};

use super::control::Control;
use super::display::{Outgoing, write_display};
use crate::daemon::session_link::ViewerLink;
use crate::link_io::{LinkError, write_link};

/// Display messages queued for the viewer's streams: the session sends at most its in-flight
/// window of frames plus cursor changes, so this never fills in normal operation.
const DISPLAY_QUEUE: usize = 8;
/// Requests queued for the session.
const LINK_QUEUE: usize = 64;
/// Input events read ahead from the viewer.
const INPUT_QUEUE: usize = 64;

/// Relays until either side ends.
pub(super) async fn relay(
    control: &mut Control,
    mut reader: MessageReader<ControlMessage>,
    link: ViewerLink,
    clipboard: ClipboardPolicy,
    video_rate: RateLimits,
) {
    let ViewerLink {
        reader: mut link_reader,
        writer,
    } = link;
    let (to_session, mut outgoing) = mpsc::channel::<LinkRequest>(LINK_QUEUE);
    let link_writer = tokio::spawn(async move {
        let mut writer = writer;
        while let Some(request) = outgoing.recv().await {
            if write_link(&mut writer, &request).await.is_err() {
                return;
            }
        }
        let _ = writer.shutdown().await;
    });
    let (display_tx, display_rx) = mpsc::channel::<Outgoing>(DISPLAY_QUEUE);
    // Frames that only play video are paced for a viewer that lets frames overtake them.
    let paced = control
        .machine
        .capabilities()
        .contains(Capabilities::OVERTAKE);
    let mut rate = RateController::new(video_rate);
    if paced {
        rate = rate.paced();
    }
    let (cap_tx, cap_rx) = watch::channel(rate.target_kbps());
    let display_writer = tokio::spawn(write_display(control.conn.clone(), display_rx, cap_rx));
    let (input_tx, mut input_rx) = mpsc::channel::<Result<InputMessage, ReadError>>(INPUT_QUEUE);
    let input_reader = tokio::spawn(read_input(control.conn.clone(), input_tx));
    let mut gate = ClipboardGate::new(clipboard);
    let audio = control.machine.capabilities().contains(Capabilities::AUDIO);
    let microphone = control
        .machine
        .capabilities()
        .contains(Capabilities::MICROPHONE);
    let (mic_tx, mut mic_rx) = mpsc::channel(super::microphone::QUEUE);
    let mut mic_open = true;
    let mic_reader = tokio::spawn(super::microphone::read(
        control.conn.clone(),
        microphone,
        mic_tx,
    ));
    let (clip_in_tx, mut clip_in) = mpsc::channel(super::clipboard::QUEUE);
    let (clip_out, clip_out_rx) = mpsc::channel::<ClipboardMessage>(super::clipboard::QUEUE);
    let mut clip_open = clipboard.enabled()
        && control
            .machine
            .capabilities()
            .contains(Capabilities::CLIPBOARD);
    // The video's rate follows the link, only for a viewer that gets video.
    let video = control.machine.capabilities().contains(Capabilities::H264);
    let mut rate_tick = tokio::time::interval(TICK);
    rate_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    if video {
        // The session starts each viewer at the default cap; this server's may differ.
        let _ = to_session.try_send(LinkRequest::VideoRate(rate.target_kbps()));
    }
    let clip_task = clip_open.then(|| {
        tokio::spawn(super::clipboard::serve(
            control.conn.clone(),
            clip_in_tx,
            clip_out_rx,
        ))
    });

    loop {
        control.flush().await;
        let mut ended = None;
        while let Some(event) = control.machine.poll_event() {
            let request = match event {
                ServerEvent::Input(event) => LinkRequest::Input(event),
                ServerEvent::FrameAcked(sequence) => {
                    let ack = wayray_protocol::messages::control::FrameAck { sequence };
                    LinkRequest::Control(ControlMessage::FrameAck(ack))
                }
                ServerEvent::KeyframeRequested => {
                    LinkRequest::Control(ControlMessage::KeyframeRequest)
                }
                ServerEvent::Resize(mode) => {
                    LinkRequest::Control(ControlMessage::ResizeRequest(mode))
                }
                ServerEvent::Refresh(millihertz) => {
                    LinkRequest::Control(ControlMessage::RefreshRate(millihertz))
                }
                ServerEvent::Closed(close) => {
                    ended = Some(close);
                    continue;
                }
                ServerEvent::AttachRequested(_) | ServerEvent::LoginRequested(_) => continue,
            };
            if to_session.send(request).await.is_err() {
                control
                    .machine
                    .close(DisconnectReason::SessionEnded, "the session ended");
            }
        }
        if let Some(close) = ended {
            control.flush().await;
            control.close_transport(&close);
            break;
        }
        let timer = control.machine.poll_timeout();
        let now = Instant::now();
        tokio::select! {
            msg = reader.next() => match msg {
                Ok(Some(msg)) => control.machine.handle_message(now, msg),
                Ok(None) => break,
                Err(err) if is_closed(&err) => break,
                Err(err) => control.machine.close(DisconnectReason::ProtocolError, err.to_string()),
            },
            input = input_rx.recv() => match input {
                Some(Ok(event)) => control.machine.handle_input(now, event),
                Some(Err(err)) => {
                    control.machine.close(DisconnectReason::ProtocolError, err.to_string());
                }
                None => break,
            },
            reply = link_reader.next() => match reply {
                Ok(Some(LinkReply::Display(display))) => {
                    if !forward(control, &display_tx, now, display, false).await {
                        break;
                    }
                }
                Ok(Some(LinkReply::PacedDisplay(display))) => {
                    if !forward(control, &display_tx, now, display, true).await {
                        break;
                    }
                }
                Ok(Some(LinkReply::Clipboard(msg))) => {
                    let routed = gate.session_sent(msg);
                    if !deliver(routed, &clip_out, &to_session).await {
                        control.machine.close(DisconnectReason::SessionEnded, "the session ended");
                    }
                }
                Ok(Some(LinkReply::Audio(datagram))) => send_audio(&control.conn, audio, datagram),
                Ok(Some(LinkReply::ViewerDetached)) => control.machine.close(
                    DisconnectReason::Normal,
                    "the viewer was detached from the session",
                ),
                Ok(Some(other)) => {
                    tracing::debug!(reply = other.name(), "link reply ignored by the relay");
                }
                Ok(None) | Err(LinkError::Io(_)) | Err(LinkError::Closed) => {
                    control.machine.close(DisconnectReason::SessionEnded, "the session ended");
                }
                Err(err) => {
                    tracing::warn!(%err, "bad message from the session");
                    control.machine.close(
                        DisconnectReason::InternalError,
                        "the session sent a bad message",
                    );
                }
            },
            mic = mic_rx.recv(), if mic_open => match mic {
                Some(Ok(datagram)) => {
                    // Sound that cannot go at once is dropped, never queued behind input.
                    let _ = to_session.try_send(LinkRequest::Microphone(datagram));
                }
                Some(Err(reason)) => control.machine.close(DisconnectReason::ProtocolError, reason),
                None => mic_open = false,
            },
            clip = clip_in.recv(), if clip_open => match clip {
                Some(Ok(msg)) => {
                    let routed = gate.viewer_sent(msg);
                    if !deliver(routed, &clip_out, &to_session).await {
                        control.machine.close(DisconnectReason::SessionEnded, "the session ended");
                    }
                }
                Some(Err(err)) => {
                    control.machine.close(DisconnectReason::ProtocolError, err.to_string());
                }
                None => clip_open = false,
            },
            _ = rate_tick.tick(), if video => {
                let kbps = rate.sample(Instant::now(), transport_sample(&control.conn));
                cap_tx.send_replace(rate.target_kbps());
                if let Some(kbps) = kbps {
                    tracing::debug!(kbps, queue_ms = rate.queue().as_millis() as u64, "video rate");
                    // A full queue skips one estimate; the next tick sends a newer one.
                    let _ = to_session.try_send(LinkRequest::VideoRate(kbps));
                }
            }
            () = sleep_until(timer) => control.machine.handle_timeout(Instant::now()),
            _ = control.conn.closed() => break,
        }
    }
    if let Some(task) = clip_task {
        task.abort();
    }
    input_reader.abort();
    mic_reader.abort();
    drop(display_tx);
    let _ = display_writer.await;
    drop(to_session);
    let _ = link_writer.await;
}

/// Records a frame as sent and queues its message for the viewer's streams; `false` when
/// the stream writer is gone.
async fn forward(
    control: &mut Control,
    display_tx: &mpsc::Sender<Outgoing>,
    now: Instant,
    LinkDisplay { frame, bytes }: LinkDisplay,
    paced: bool,
) -> bool {
    if let Some(frame) = frame {
        control
            .machine
            .frame_sent(now, frame.sequence, frame.keyframe);
    }
    display_tx.send(Outgoing { bytes, paced }).await.is_ok()
}

/// Carries out the gate's decision; `false` when the session is gone. Data waits for room
/// (it answers a request the viewer made on the open stream); requests and cancels for a
/// viewer that has not opened its clipboard stream (or whose queue is full) are dropped (a
/// request the session made times out on its side), and of its offers only the latest of
/// each selection is kept until the stream opens.
async fn deliver(
    routed: Routed,
    to_viewer: &mpsc::Sender<ClipboardMessage>,
    to_session: &mpsc::Sender<LinkRequest>,
) -> bool {
    if routed.too_large {
        tracing::info!("a clipboard entry over the size limit was not passed on");
    }
    for msg in routed.to_viewer {
        if matches!(msg, ClipboardMessage::Data(_)) {
            let _ = to_viewer.send(msg).await;
        } else if to_viewer.try_send(msg).is_err() {
            tracing::debug!("clipboard message for the viewer dropped");
        }
    }
    for msg in routed.to_session {
        if to_session.send(LinkRequest::Clipboard(msg)).await.is_err() {
            return false;
        }
    }
    true
}

/// One packet of the session's sound as one datagram, unchanged, only to a viewer that
/// negotiated audio; never waits (a full send buffer drops the oldest).
fn send_audio(conn: &Connection, negotiated: bool, datagram: Vec<u8>) {
    if !negotiated {
        return;
    }
    if let Err(err) = conn.send_datagram(datagram.into()) {
        tracing::debug!(%err, "audio datagram not sent");
    }
}

/// What the QUIC connection reports for the rate controller.
fn transport_sample(conn: &Connection) -> TransportSample {
    let stats = conn.stats();
    TransportSample {
        rtt: conn.rtt(),
        sent_bytes: stats.udp_tx.bytes,
        lost_packets: stats.path.lost_packets,
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}

/// A read that failed because the viewer closed the connection: it simply left.
fn is_closed(err: &ReadError) -> bool {
    matches!(
        err,
        ReadError::Stream(quinn::ReadError::ConnectionLost(
            quinn::ConnectionError::ApplicationClosed(_) | quinn::ConnectionError::LocallyClosed,
        ))
    )
}

/// The viewer's input streams, read ahead into a small queue; a stream that does not decode
/// ends the connection with the reason.
async fn read_input(conn: Connection, out: mpsc::Sender<Result<InputMessage, ReadError>>) {
    while let Ok(recv) = conn.accept_uni().await {
        let mut reader = MessageReader::<InputMessage>::new(recv);
        loop {
            match reader.next().await {
                Ok(Some(event)) => {
                    if out.send(Ok(event)).await.is_err() {
                        return;
                    }
                }
                Ok(None) => break,
                Err(err) => {
                    tracing::info!(%err, "bad input stream");
                    let _ = out.send(Err(err)).await;
                    return;
                }
            }
        }
    }
}
