//! The session's sound towards the attached viewer, where it negotiated audio: packets
//! from the capture's queue go out as they come, each as one link reply the daemon sends
//! as a QUIC datagram. Sound that waited too long (no viewer was attached, or this one fell
//! behind) is dropped: late sound is worse than none.

use std::time::Duration;

use std::sync::atomic::Ordering;

use tokio::sync::mpsc;
use wayray_protocol::messages::link::LinkReply;

use super::{LinkError, Shared};

/// Packets older than this are not sent.
const STALE: Duration = Duration::from_millis(60);

/// Sends the session's sound until the viewer goes; never returns for a session without
/// sound or a viewer without audio.
pub(super) async fn send(
    replies: &mpsc::Sender<LinkReply>,
    shared: &Shared,
    wanted: bool,
) -> Result<(), LinkError> {
    let Some(feed) = shared.config.audio.as_ref().filter(|_| wanted) else {
        return std::future::pending().await;
    };
    // A viewer that replaced this one takes the queue once this one lets go of it.
    let mut packets = feed.0.lock().await;
    while let Ok(stale) = packets.try_recv() {
        drop(stale);
    }
    while let Some(chunk) = packets.recv().await {
        if chunk.captured.elapsed() > STALE {
            continue;
        }
        replies
            .send(LinkReply::Audio(chunk.datagram))
            .await
            .map_err(|_| LinkError::Closed)?;
        let now = shared.stats.now_ms();
        shared.stats.sound_sent_ms.store(now, Ordering::Relaxed);
    }
    // The capture stopped (its sound server died): the viewer stays, without sound.
    tracing::warn!("the session's sound stopped; the viewer stays attached without it");
    std::future::pending().await
}
