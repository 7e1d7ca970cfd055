//! An attached viewer's frame loop's flow control: what the viewer acknowledged and asked
//! for, the frames in flight, and whether the session was told that frames wait (its clients
//! then get no frame callbacks).

use std::sync::atomic::Ordering;
use std::time::Instant;

use tokio::sync::watch;
use wayray_protocol::session::FrameWindow;

use super::{Shared, send_command};
use crate::session::SessionCommand;
use crate::session::encode::pipeline::Pipeline;

/// What the viewer said about frames: its newest acknowledgement and how many keyframes it
/// asked for (each one restarts the in-flight window).
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Flow {
    pub acked: Option<u64>,
    pub restarts: u64,
}

/// The frame loop's flow control: the viewer's acknowledgements and keyframe requests, the
/// frames in flight, and whether the session was told that frames wait.
pub(super) struct Gate {
    pub flow: watch::Receiver<Flow>,
    pub restarts: u64,
    pub window: FrameWindow,
    pub backlogged: Backlog,
}

impl Gate {
    /// Applies the viewer's newest acknowledgement and keyframe requests to the window until
    /// `ready` holds, telling the session meanwhile that frames wait (its clients then get no
    /// frame callbacks); false when the viewer or the session is gone.
    pub(super) async fn wait_for(
        &mut self,
        shared: &Shared,
        ready: impl Fn(&FrameWindow) -> bool,
    ) -> bool {
        loop {
            let now = *self.flow.borrow_and_update();
            if now.restarts != self.restarts {
                self.restarts = now.restarts;
                self.window.restart();
            }
            self.window.set_interval(refresh_interval(shared));
            if let Some(acked) = now.acked
                && let Err(err) = self.window.ack_at(Some(Instant::now()), acked)
            {
                tracing::debug!(%err, "acknowledgement ignored");
            }
            if ready(&self.window) {
                break;
            }
            if !self.backlogged.set(shared, true).await || self.flow.changed().await.is_err() {
                return false;
            }
        }
        // Frames wait while there is no room for a whole one (a frame beside the window
        // does not count).
        self.backlogged.set(shared, !self.window.has_room()).await
    }
}

/// One refresh of the desk the session paces its clients to.
pub(super) fn refresh_interval(shared: &Shared) -> std::time::Duration {
    let millihertz = u64::from(shared.refresh_mhz.load(Ordering::SeqCst).max(1));
    std::time::Duration::from_nanos(1_000_000_000_000 / millihertz)
}

/// Lets the pipeline encode freely again when this viewer's frame loop ends.
pub(super) struct Ungate<'a>(pub &'a Pipeline);

impl Drop for Ungate<'_> {
    fn drop(&mut self) {
        self.0.set_gated(false);
    }
}

/// Whether this viewer's frames wait for room, as last told to the session.
#[derive(Debug, Default)]
pub(super) struct Backlog(bool);

impl Backlog {
    /// Tells the session when the state changes; false if the session is gone.
    async fn set(&mut self, shared: &Shared, backlogged: bool) -> bool {
        if self.0 == backlogged {
            return true;
        }
        self.0 = backlogged;
        send_command(&shared.session, SessionCommand::Backlogged(backlogged))
            .await
            .is_ok()
    }
}
