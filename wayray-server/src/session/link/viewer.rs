//! A link connection that carries a viewer: the viewer's control and input messages come in,
//! display messages go out with at most `frames_in_flight` unacknowledged. A newer viewer
//! connection replaces this one ("newest viewer wins").

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use tokio::io::AsyncRead;
use tokio::sync::{Notify, mpsc, watch};
use wayray_protocol::framing::encode_frame_to_vec;
use wayray_protocol::messages::control::OutputMode;
use wayray_protocol::messages::link::{LinkAttach, LinkDisplay, LinkFrame, LinkReply, LinkRequest};
use wayray_protocol::session::FrameWindow;
use wayray_protocol::{ControlMessage, DisplayMessage, InputMessage, WireMessage};

use super::clipboard::ClipboardLink;
use super::gate::{Backlog, Flow, Gate, Ungate, refresh_interval};
use super::overtake::Overtaking;
use super::{LinkError, LinkReader, MAX_IN_FLIGHT, Shared, send_command};
use crate::session::SessionCommand;
use crate::session::encode::CacheUse;
use crate::session::output::OutputConfig;

/// An overtaking frame at most this large goes beside the in-flight window (it neither waits
/// for room nor takes any); a larger one counts like any other.
const BESIDE_MAX_BYTES: u64 = 4 * 1024;

/// How long a session without a viewer keeps its encoder ready before freeing its buffers.
const IDLE_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

pub(super) async fn serve<R: AsyncRead + Unpin>(
    id: u64,
    reader: &mut LinkReader<LinkRequest, R>,
    replies: &mpsc::Sender<LinkReply>,
    shared: &Arc<Shared>,
    attach: LinkAttach,
) -> Result<(), LinkError> {
    let replaced = Arc::new(Notify::new());
    // Only what this viewer decodes: without H.264, motion goes losslessly.
    let h264 = attach
        .capabilities
        .contains(wayray_protocol::Capabilities::H264);
    shared.pipeline.set_viewer_video(h264);
    shared.pipeline.set_viewer_full_chroma(
        h264 && attach
            .capabilities
            .contains(wayray_protocol::Capabilities::H264_444),
    );
    // Its link is not known yet: the daemon's estimate starts again.
    shared
        .pipeline
        .set_video_rate(wayray_protocol::session::rate::START_KBPS);
    shared
        .pipeline
        .set_viewer_cache(cache_use(attach.capabilities));
    shared.pipeline.set_viewer_zstd_stream(
        attach
            .capabilities
            .contains(wayray_protocol::Capabilities::ZSTD_STREAM),
    );
    let mut capture = false;
    let previous = shared.viewer.lock().ok().and_then(|mut v| {
        // The idle encoder gave its frames back: the keyframe needs a fresh capture.
        capture = shared.pipeline.set_active(true);
        v.replace((id, replaced.clone()))
    });
    if capture {
        let _ = send_command(&shared.session, SessionCommand::CaptureAll).await;
    }
    if let Some((_, previous)) = previous {
        previous.notify_one();
    }
    tracing::info!(viewer = %attach.viewer, "viewer attached");
    // A desk that reports no refresh rate gets the default; one that does reports it next.
    set_refresh(shared, crate::session::output::DEFAULT_REFRESH_MHZ).await;
    if let Some(mode) = attach.preferred_mode {
        set_mode(shared, mode).await;
    }
    let mode = shared.mode.lock().map(|m| *m).unwrap_or(shared.config.mode);
    replies
        .send(LinkReply::Attached(mode))
        .await
        .map_err(|_| LinkError::Closed)?;
    // Asked at once, so that the keyframe is encoded while the viewer's relay gets ready. The
    // replaced viewer or a drain may still take it: `display` asks again if that happened.
    let keyframes_taken = shared.keyframes_taken.load(Ordering::SeqCst);
    shared.pipeline.request_keyframe();

    let (flow_tx, flow_rx) = watch::channel(Flow::default());
    let clipboard_on = attach
        .capabilities
        .contains(wayray_protocol::Capabilities::CLIPBOARD);
    let mut clipboard = ClipboardLink::new(shared, replies.clone(), clipboard_on);
    let audio_on = attach
        .capabilities
        .contains(wayray_protocol::Capabilities::AUDIO);
    let microphone_on = attach
        .capabilities
        .contains(wayray_protocol::Capabilities::MICROPHONE);
    let packed_cursor = attach
        .capabilities
        .contains(wayray_protocol::Capabilities::CURSOR_ZSTD);
    let overtake = attach
        .capabilities
        .contains(wayray_protocol::Capabilities::OVERTAKE);
    if let Some(feed) = shared.config.microphone.as_ref().filter(|_| microphone_on) {
        feed.reset();
    }
    let result = tokio::select! {
        r = requests(reader, replies, shared, flow_tx, &mut clipboard, microphone_on) => r,
        r = display(replies, shared, flow_rx, keyframes_taken, packed_cursor, overtake) => r,
        r = super::audio::send(replies, shared, audio_on) => r,
        () = replaced.notified() => {
            tracing::info!(viewer = %attach.viewer, "viewer replaced or detached");
            let _ = replies.send(LinkReply::ViewerDetached).await;
            Ok(())
        }
    };
    clipboard.detach(shared).await;
    // No stuck keys: whatever the viewer held is released when it goes.
    let release = SessionCommand::Input(InputMessage::ReleaseAll { time_ms: 0 });
    let _ = send_command(&shared.session, release).await;
    // Nor held frame callbacks: a viewer that went away waits for nothing.
    let _ = send_command(&shared.session, SessionCommand::Backlogged(false)).await;
    let last = match shared.viewer.lock() {
        Ok(mut viewer) if viewer.as_ref().is_some_and(|(current, _)| *current == id) => {
            *viewer = None;
            true
        }
        _ => false,
    };
    if last {
        // A viewer that comes back soon (hot-desking, a reconnect) finds the encoder ready;
        // a session left alone gives its frame buffers back.
        let shared = shared.clone();
        tokio::spawn(async move {
            tokio::time::sleep(IDLE_GRACE).await;
            let alone = match shared.viewer.lock() {
                Ok(viewer) if viewer.is_none() => {
                    let _ = shared.pipeline.set_active(false);
                    true
                }
                _ => false,
            };
            if alone {
                drain(&shared).await;
                // The compositor lets go of its share of the newest frame (if the encoder has
                // not parked yet, it only catches up sooner than it would have).
                let _ = send_command(&shared.session, SessionCommand::ReleaseFrames).await;
            }
        });
    }
    tracing::info!(viewer = %attach.viewer, "viewer left");
    result
}

/// With no viewer left, discards the frames still on their way until the encoder has parked
/// (and freed its buffers), or a new viewer arrives.
async fn drain(shared: &Shared) {
    let Ok(mut frames) = shared.frames.try_lock() else {
        return;
    };
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(1);
    loop {
        while let Ok(frame) = frames.try_recv() {
            if frame.update.keyframe {
                shared.keyframes_taken.fetch_add(1, Ordering::SeqCst);
            }
        }
        let viewer_back = shared.viewer.lock().is_ok_and(|v| v.is_some());
        if viewer_back || shared.pipeline.is_parked() || tokio::time::Instant::now() >= deadline {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}

/// Changes the session output and remembers it for the next viewer's `Attached`.
async fn set_mode(shared: &Shared, mode: OutputMode) {
    if let Ok(mut current) = shared.mode.lock() {
        *current = mode;
    }
    apply_output(shared).await;
}

/// Paces the session's clients to `millihertz` (the attached viewer's desk).
async fn set_refresh(shared: &Shared, millihertz: u32) {
    if shared.refresh_mhz.swap(millihertz, Ordering::SeqCst) != millihertz {
        apply_output(shared).await;
    }
}

/// Tells the compositor the output mode and refresh rate now in effect.
async fn apply_output(shared: &Shared) {
    let mode = shared.mode.lock().map(|m| *m).unwrap_or(shared.config.mode);
    let _ = send_command(
        &shared.session,
        SessionCommand::SetOutput(OutputConfig {
            width: mode.width,
            height: mode.height,
            scale_120: mode.scale_120,
            refresh_mhz: shared.refresh_mhz.load(Ordering::SeqCst),
        }),
    )
    .await;
}

async fn requests<R: AsyncRead + Unpin>(
    reader: &mut LinkReader<LinkRequest, R>,
    replies: &mpsc::Sender<LinkReply>,
    shared: &Shared,
    flow: watch::Sender<Flow>,
    clipboard: &mut ClipboardLink,
    microphone: bool,
) -> Result<(), LinkError> {
    loop {
        let request = tokio::select! {
            request = reader.next() => match request? {
                Some(request) => request,
                None => return Ok(()),
            },
            event = clipboard.next(shared) => {
                clipboard.handle(event).await?;
                continue;
            }
        };
        match request {
            LinkRequest::Clipboard(msg) => clipboard.viewer_sent(shared, msg).await?,
            LinkRequest::Microphone(datagram) => {
                if let Some(feed) = shared.config.microphone.as_ref().filter(|_| microphone) {
                    feed.push(datagram);
                    let now = shared.stats.now_ms();
                    shared.stats.microphone_ms.store(now, Ordering::Relaxed);
                }
            }
            LinkRequest::VideoRate(kbps) => shared.pipeline.set_video_rate(kbps),
            LinkRequest::Input(event) => {
                if send_command(&shared.session, SessionCommand::Input(event))
                    .await
                    .is_err()
                {
                    return Err(LinkError::Closed);
                }
            }
            LinkRequest::Control(ControlMessage::FrameAck(ack)) => {
                flow.send_if_modified(|flow| {
                    let newer = flow.acked.is_none_or(|last| ack.sequence > last);
                    if newer {
                        flow.acked = Some(ack.sequence);
                    }
                    newer
                });
            }
            LinkRequest::Control(ControlMessage::KeyframeRequest) => {
                flow.send_modify(|flow| flow.restarts += 1);
                shared.pipeline.request_keyframe();
            }
            LinkRequest::Control(ControlMessage::ResizeRequest(mode)) => {
                set_mode(shared, mode).await;
            }
            LinkRequest::Control(ControlMessage::RefreshRate(millihertz)) => {
                let range = wayray_protocol::messages::control::REFRESH_RANGE;
                set_refresh(shared, millihertz.clamp(*range.start(), *range.end())).await;
            }
            LinkRequest::Control(other) => {
                tracing::debug!(
                    message = other.name(),
                    "control message not for the session"
                );
            }
            LinkRequest::DetachViewer => {
                let _ = replies.send(LinkReply::ViewerDetached).await;
                return Ok(());
            }
            other => {
                let reply = super::manage::answer(shared, other).await;
                replies.send(reply).await.map_err(|_| LinkError::Closed)?;
            }
        }
    }
}

async fn display(
    replies: &mpsc::Sender<LinkReply>,
    shared: &Shared,
    flow: watch::Receiver<Flow>,
    keyframes_taken: u64,
    packed_cursor: bool,
    overtake: bool,
) -> Result<(), LinkError> {
    let mut frames = shared.frames.lock().await;
    // Frames are only taken while holding them, so this sees every keyframe taken since the
    // request: one of them may have been this viewer's.
    if shared.keyframes_taken.load(Ordering::SeqCst) != keyframes_taken {
        shared.pipeline.request_keyframe();
    }
    // Backpressure: at least `frames_in_flight` frames sent and not acknowledged, more while
    // the acknowledgements show a long loop and the link carries the bytes (ADR 0037);
    // meanwhile the encoder coalesces newer damage. Frames before the keyframe this viewer
    // needs build on state it does not have and are skipped.
    let restarts = flow.borrow().restarts;
    let floor = shared.config.frames_in_flight;
    let mut gate = Gate {
        flow,
        restarts,
        window: FrameWindow::adaptive(floor, floor.max(MAX_IN_FLIGHT), refresh_interval(shared)),
        backlogged: Backlog::default(),
    };
    let send = |bytes: Vec<u8>, frame: Option<LinkFrame>, paced: bool| async move {
        let len = bytes.len() as u64;
        let display = LinkDisplay { frame, bytes };
        replies
            .send(if paced {
                LinkReply::PacedDisplay(display)
            } else {
                LinkReply::Display(display)
            })
            .await
            .map_err(|_| LinkError::Closed)?;
        Ok::<u64, LinkError>(len)
    };
    let mut overtaking = Overtaking::new(overtake);
    // The viewer shows the session's cursor itself: the current one now, then every change.
    let mut cursor = shared.cursor.subscribe();
    let current = cursor.borrow_and_update().message(packed_cursor);
    send(encode_frame_to_vec(&current)?, None, false).await?;
    // Frames are encoded when they can go (see `Pipeline::set_gated`).
    shared.pipeline.set_gated(true);
    let _ungate = Ungate(&shared.pipeline);
    // Room first, then a frame: damage meanwhile goes into the frame encoded then. For a
    // viewer that takes overtaking frames, room beside the window will do: a typed
    // character's echo then goes at once, the rest of its frame waits for room.
    let ready = |w: &FrameWindow| w.has_room() || (overtake && w.has_room_beside());
    loop {
        if !gate.wait_for(shared, ready).await {
            return Ok(());
        }
        // Without room, only damage away from the video may be encoded (`grant_beside`).
        let whole = gate.window.has_room();
        if whole {
            shared.pipeline.grant();
        } else {
            shared.pipeline.grant_beside();
        }
        let encoded = tokio::select! {
            frame = frames.recv() => match frame {
                Some(frame) => frame,
                None => return Ok(()),
            },
            changed = cursor.changed() => {
                if changed.is_err() {
                    return Ok(());
                }
                let current = cursor.borrow_and_update().message(packed_cursor);
                send(encode_frame_to_vec(&current)?, None, false).await?;
                continue;
            }
            // An acknowledgement may make room for a whole frame: granted when it does.
            changed = gate.flow.changed(), if !whole => {
                if changed.is_err() {
                    return Ok(());
                }
                continue;
            }
            () = replies.closed() => return Ok(()),
        };
        let keyframe = encoded.update.keyframe;
        if keyframe {
            shared.keyframes_taken.fetch_add(1, Ordering::SeqCst);
        }
        if !gate.window.wants(keyframe) {
            continue;
        }
        let acked = gate.flow.borrow().acked;
        for out in overtaking.messages(encoded.update, acked) {
            let (bytes, frame) = (encode_frame_to_vec(&out.msg)?, out.frame);
            let overtakes = matches!(out.msg, DisplayMessage::FrameAfter(_));
            // A small frame that overtakes the frames in flight (a typed character's echo)
            // goes beside the window: acknowledged with them, it takes no room.
            let beside = overtakes
                && bytes.len() as u64 <= BESIDE_MAX_BYTES
                && gate.window.has_room_beside();
            if !beside {
                // A frame waits for the viewer: clients get no frame callbacks meanwhile.
                let go = |w: &FrameWindow| !w.wants(keyframe) || w.has_room();
                if !gate.wait_for(shared, go).await {
                    return Ok(());
                }
                if !gate.window.wants(keyframe) {
                    break;
                }
            }
            let bytes = send(bytes, Some(frame), out.paced).await?;
            let window = &mut gate.window;
            if overtakes {
                shared
                    .stats
                    .frames_overtaking
                    .fetch_add(1, Ordering::Relaxed);
            }
            if beside {
                window.sent_beside(frame.sequence);
            } else {
                window.sent_at(Instant::now(), frame.sequence, frame.keyframe, bytes);
            }
            shared.stats.frames_sent.fetch_add(1, Ordering::Relaxed);
            shared
                .stats
                .max_in_flight
                .fetch_max(window.in_flight() as u64, Ordering::Relaxed);
        }
    }
}

/// How a viewer with `capabilities` (those of the connection) keeps the content cache.
fn cache_use(capabilities: wayray_protocol::Capabilities) -> CacheUse {
    use wayray_protocol::Capabilities;
    match (
        capabilities.contains(Capabilities::CONTENT_CACHE),
        capabilities.contains(Capabilities::CACHE_ORDINALS),
    ) {
        (false, _) => CacheUse::Off,
        (true, false) => CacheUse::Keys,
        (true, true) => CacheUse::Ordinals,
    }
}

#[cfg(test)]
mod tests {
    use wayray_protocol::Capabilities;

    use super::{CacheUse, cache_use};

    #[test]
    fn the_viewers_capabilities_choose_how_references_name_entries() {
        let cache = Capabilities::CONTENT_CACHE;
        let ordinals = Capabilities::CACHE_ORDINALS;
        assert_eq!(cache_use(Capabilities::empty()), CacheUse::Off);
        assert_eq!(cache_use(ordinals), CacheUse::Off);
        assert_eq!(cache_use(cache), CacheUse::Keys);
        assert_eq!(cache_use(cache.union(ordinals)), CacheUse::Ordinals);
        assert_eq!(cache_use(Capabilities::implemented()), CacheUse::Ordinals);
    }
}
