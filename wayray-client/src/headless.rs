//! The headless viewer's front end: decodes into memory with no window, types text one key at
//! a time (each key timed to the frame that shows it), and stops after a number of frames.
//! The shared [`crate::driver::Driver`] runs the connection and resumes it; the counts here
//! span resumed connections.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use wayray_protocol::Rect;

use crate::connection::Viewer;
use crate::driver::{Frontend, Step};
use crate::keys::{self, Stroke};

/// How often a typing viewer looks whether the previous key has shown.
const TYPING_TICK: Duration = Duration::from_millis(50);

/// The headless front end.
#[derive(Debug)]
pub struct Headless {
    started: Instant,
    exit_after_frames: Option<u64>,
    to_type: VecDeque<Stroke>,
    /// When the first frame was applied, in milliseconds since the start.
    pub first_frame_ms: Option<f64>,
    /// Frames applied on connections that were replaced by resumed ones.
    pub earlier_frames: u64,
    /// Display bytes received on connections that were replaced by resumed ones.
    pub earlier_bytes: u64,
}

impl Headless {
    /// Started at `started`; stops after `exit_after_frames` frames; types `to_type` after
    /// the first frame.
    pub fn new(started: Instant, exit_after_frames: Option<u64>, to_type: Vec<Stroke>) -> Self {
        Self {
            started,
            exit_after_frames,
            to_type: to_type.into(),
            first_frame_ms: None,
            earlier_frames: 0,
            earlier_bytes: 0,
        }
    }

    /// The next key to type once the previous one has shown (or was given up on).
    fn next(&mut self, viewer: &Viewer) -> Step {
        if self
            .exit_after_frames
            .is_some_and(|n| self.earlier_frames + viewer.frames >= n)
        {
            return Step::Stop;
        }
        if viewer.frames > 0 && !viewer.stats.key_in_flight(Instant::now()) {
            if let Some(stroke) = self.to_type.pop_front() {
                return Step::Continue(keys::stroke_events(stroke));
            }
        }
        Step::Continue(Vec::new())
    }
}

impl Frontend for Headless {
    fn changed(&mut self, viewer: &Viewer, _rects: Vec<Rect>) -> Step {
        if self.first_frame_ms.is_none() && viewer.frames > 0 {
            self.first_frame_ms = Some(self.started.elapsed().as_secs_f64() * 1000.0);
        }
        self.next(viewer)
    }

    fn tick(&mut self, viewer: &Viewer) -> Step {
        self.next(viewer)
    }

    fn tick_interval(&self) -> Duration {
        match self.to_type.is_empty() {
            true => Duration::from_secs(1),
            false => TYPING_TICK,
        }
    }

    fn resuming(&mut self, _resuming: bool) {}

    fn replaced(&mut self, old: &Viewer) {
        self.earlier_frames += old.frames;
        self.earlier_bytes += old.bytes;
    }
}
