//! The window's side of the network: the shared [`Driver`] runs the connection on a tokio
//! task and hands what changed to [`WindowFrontend`], which copies the changed rectangles into
//! one shared buffer and wakes the window once (however many frames arrive before it redraws:
//! no queue of frames). Window sizes are passed on once they stop changing.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use wayray_protocol::Rect;
use wayray_protocol::messages::control::OutputMode;
use winit::event_loop::EventLoopProxy;

use super::{Shared, Wake, overlay};
use crate::connection::Viewer;
use crate::driver::{Driver, Frontend, Request, Step};

/// How long the window size must stay still before the session is resized (a drag of the
/// window border produces a stream of sizes).
const RESIZE_DEBOUNCE: Duration = Duration::from_millis(150);
/// How often the overlay's figures are refreshed.
const STATS_INTERVAL: Duration = Duration::from_millis(500);
/// More rectangles than this waiting for the window become one full upload.
const MAX_DIRTY: usize = 64;

/// Passes on the latest requested mode once it has been stable for [`RESIZE_DEBOUNCE`].
pub(super) async fn debounce_resizes(
    mut modes: watch::Receiver<Option<OutputMode>>,
    requests: mpsc::Sender<Request>,
) {
    let mut settled = None;
    while modes.changed().await.is_ok() {
        while let Ok(Ok(())) = tokio::time::timeout(RESIZE_DEBOUNCE, modes.changed()).await {}
        let mode = *modes.borrow_and_update();
        if let Some(mode) = mode
            && settled != Some(mode)
        {
            settled = Some(mode);
            if requests.send(Request::Resize(mode)).await.is_err() {
                return;
            }
        }
    }
}

/// What the network task shows in the window.
pub(super) struct WindowFrontend {
    pub shared: Arc<Mutex<Shared>>,
    pub proxy: EventLoopProxy<Wake>,
}

impl WindowFrontend {
    /// Runs `change` on the shared state and wakes the window once.
    fn publish(&self, change: impl FnOnce(&mut Shared)) -> bool {
        let Ok(mut s) = self.shared.lock() else {
            return false;
        };
        change(&mut s);
        if !s.wake_pending {
            s.wake_pending = true;
            let _ = self.proxy.send_event(Wake::Frame);
        }
        true
    }

    /// A new notice from the server goes to the window's title.
    fn show_notice(&self, viewer: &Viewer) {
        let Ok(mut s) = self.shared.lock() else {
            return;
        };
        if s.notice != viewer.notice {
            s.notice = viewer.notice.clone();
            let _ = self.proxy.send_event(Wake::Status);
        }
    }

    fn step(published: bool) -> Step {
        match published {
            true => Step::Continue(Vec::new()),
            false => Step::Stop, // the window is gone
        }
    }
}

impl Frontend for WindowFrontend {
    fn changed(&mut self, viewer: &Viewer, rects: Vec<Rect>) -> Step {
        self.show_notice(viewer);
        let published = if rects.is_empty() {
            // A cursor change: the window shows it as its own cursor, with no latency.
            let cursor = viewer.cursor.clone();
            self.publish(|s| s.cursor = cursor)
        } else {
            self.publish(|s| copy_changed(s, viewer, rects))
        };
        Self::step(published)
    }

    /// Hands the overlay new text; wakes the window only when the overlay is shown and its
    /// text changed.
    fn tick(&mut self, viewer: &Viewer) -> Step {
        let Ok(s) = self.shared.lock() else {
            return Step::Stop;
        };
        if !s.stats_shown {
            return Step::Continue(Vec::new());
        }
        let lines = overlay::lines(
            &viewer.stats.summary(std::time::Instant::now()),
            viewer.rtt(),
            viewer.audio().map(|player| player.as_ref()),
        );
        if lines == s.stats {
            return Step::Continue(Vec::new());
        }
        drop(s);
        Self::step(self.publish(|s| s.stats = lines))
    }

    fn tick_interval(&self) -> Duration {
        STATS_INTERVAL
    }

    fn resuming(&mut self, resuming: bool) {
        if let Ok(mut s) = self.shared.lock() {
            s.reconnecting = resuming;
        }
        let _ = self.proxy.send_event(Wake::Status);
    }
}

/// Copies the rectangles `rects` of the viewer's framebuffer into the shared buffer.
fn copy_changed(s: &mut Shared, viewer: &Viewer, rects: Vec<Rect>) {
    let fb = &viewer.framebuffer;
    if (s.width, s.height) != (fb.width(), fb.height()) {
        s.width = fb.width();
        s.height = fb.height();
        s.pixels = fb.pixels().to_vec();
        s.dirty = vec![Rect::new(0, 0, fb.width(), fb.height())];
        return;
    }
    let row = fb.width() as usize * 4;
    for r in &rects {
        for y in r.y..r.y + r.height {
            let start = y as usize * row + r.x as usize * 4;
            let end = start + r.width as usize * 4;
            s.pixels[start..end].copy_from_slice(&fb.pixels()[start..end]);
        }
    }
    s.dirty.extend(rects);
    if s.dirty.len() > MAX_DIRTY {
        // The window has not drawn for a while (hidden): upload everything once instead.
        s.dirty = vec![Rect::new(0, 0, fb.width(), fb.height())];
    }
}

/// Drives the session for the window until the window closes or the connection ends for
/// good; then tells the window why.
pub(super) async fn drive(
    mut driver: Driver,
    mut requests: mpsc::Receiver<Request>,
    mut frontend: WindowFrontend,
) {
    match driver.run(&mut requests, &mut frontend).await {
        Ok(()) => driver.disconnect().await,
        Err(err) => {
            if let Ok(mut s) = frontend.shared.lock() {
                s.closed = Some((err.to_string(), err.help()));
            }
            let _ = frontend.proxy.send_event(Wake::Closed);
        }
    }
}
