//! Answers to the daemon's management requests: status, screenshot, starting an application,
//! stopping the session. Waiting for the compositor happens on tokio's blocking pool, never on
//! the compositor thread.

use std::sync::mpsc;
use std::time::Duration;
use wayray_protocol::admin::SessionSound;

use wayray_protocol::messages::link::{LinkReply, LinkRequest, LinkStatus};

use super::Shared;
use crate::session::SessionCommand;

const COMPOSITOR_TIMEOUT: Duration = Duration::from_secs(10);

pub(super) async fn answer(shared: &Shared, request: LinkRequest) -> LinkReply {
    match request {
        LinkRequest::Status => status(shared).await,
        LinkRequest::Screenshot => screenshot(shared).await,
        LinkRequest::Run(command) => run(shared, command).await,
        LinkRequest::Stop => {
            tracing::info!("stop requested over the link");
            let _ = super::send_command(&shared.session, SessionCommand::Stop).await;
            LinkReply::Stopping
        }
        LinkRequest::DetachViewer => {
            let viewer = shared.viewer.lock().ok().and_then(|v| v.clone());
            if let Some((_, replaced)) = viewer {
                replaced.notify_one();
            }
            LinkReply::Done
        }
        other => LinkReply::Error(format!(
            "{} needs an attached viewer on this connection",
            wayray_protocol::WireMessage::name(&other)
        )),
    }
}

/// Sends a command with a reply channel and waits for the answer off the runtime's workers.
async fn ask<T: Send + 'static>(
    shared: &Shared,
    command: impl FnOnce(mpsc::Sender<T>) -> SessionCommand,
) -> Option<T> {
    let (tx, rx) = mpsc::channel();
    super::send_command(&shared.session, command(tx))
        .await
        .ok()?;
    tokio::task::spawn_blocking(move || rx.recv_timeout(COMPOSITOR_TIMEOUT).ok())
        .await
        .ok()
        .flatten()
}

async fn status(shared: &Shared) -> LinkReply {
    let Some(stats) = ask(shared, SessionCommand::Stats).await else {
        return LinkReply::Error("the compositor does not answer".into());
    };
    let mode = shared.mode.lock().map(|m| *m).unwrap_or(shared.config.mode);
    let attached = shared.viewer.lock().is_ok_and(|v| v.is_some());
    LinkReply::Status(LinkStatus {
        pid: std::process::id(),
        wayland_display: shared.config.wayland_display.clone(),
        mode,
        frames: stats.frames,
        windows: stats.windows as u32,
        viewer_attached: attached,
        sound: shared.config.audio.as_ref().map(|_| SessionSound {
            playing: shared.stats.recent(&shared.stats.sound_sent_ms),
            microphone: shared.stats.recent(&shared.stats.microphone_ms),
        }),
        video_kbps: attached.then(|| shared.pipeline.video_rate()),
    })
}

async fn screenshot(shared: &Shared) -> LinkReply {
    let Some(shot) = ask(shared, SessionCommand::Screenshot).await else {
        return LinkReply::Error("the compositor does not answer".into());
    };
    let encoded = tokio::task::spawn_blocking(move || {
        crate::session::capture::png_bytes(shot.width, shot.height, &shot.bgra)
    })
    .await;
    match encoded {
        Ok(Ok(png)) => LinkReply::Screenshot(png),
        Ok(Err(err)) => LinkReply::Error(err.to_string()),
        Err(err) => LinkReply::Error(err.to_string()),
    }
}

async fn run(shared: &Shared, command: Vec<String>) -> LinkReply {
    match ask(shared, |reply| SessionCommand::Run(command, reply)).await {
        Some(Ok(pid)) => LinkReply::Started(pid),
        Some(Err(err)) => LinkReply::Error(err),
        None => LinkReply::Error("the compositor does not answer".into()),
    }
}
