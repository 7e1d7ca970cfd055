//! Runs the encoder off the compositor thread. The compositor's sink only keeps the rendered
//! picture as the staging frame, giving the renderer the one it replaces (or copies the
//! damaged rows, for a frame it only reads), and adds the rectangles to a pending list (never
//! a wait); the encoder thread takes everything pending at once, by swapping the staging
//! frame with its own copy: the older copy then goes back to the renderer with the next
//! capture, which brings it up to date where that capture's damage does not. When the
//! encoder or the consumer is slow, damage keeps accumulating in the single staging frame, so
//! newer frames replace older unsent ones instead of queueing. The only queue is the bounded
//! output channel.

use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU32, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Instant;

use wayray_protocol::Rect;
use wayray_protocol::messages::display::FrameUpdate;
use wayray_protocol::session::rate::{MAX_KBPS, MIN_KBPS, START_KBPS};

use super::{CacheUse, Encoder, FrameInput, FrameStats};
use crate::session::capture::MoveHint;
use crate::session::picture::Picture;

/// More pending rectangles than this are merged into their bounding box.
const MAX_PENDING_RECTS: usize = 256;

#[derive(Debug, Default)]
struct Pending {
    width: u32,
    height: u32,
    staging: staging::Shot,
    dirty: Vec<Rect>,
    /// Where the staging frame lacks the newest capture (it was the encoder's older copy,
    /// swapped in): the next capture gives them back to the renderer with the frame, or
    /// copies them as well (a frame only read).
    stale: Vec<Rect>,
    moves: Vec<MoveHint>,
    /// Windows showing video, as of the newest frame captured.
    video: Vec<Rect>,
    keyframe: bool,
    stop: bool,
    /// Frames captured since the encoder last took the pending damage.
    coalesced: u64,
    /// While gated: the consumer can send one frame at once (see [`Pipeline::grant`]).
    credit: bool,
    /// The credit is for a frame away from the video only ([`Pipeline::grant_beside`]).
    beside_only: bool,
}

#[derive(Debug)]
struct Shared {
    pending: Mutex<Pending>,
    wake: Condvar,
    /// Whether anybody takes encoded frames; while not, the encoder holds no frame buffers.
    active: AtomicBool,
    /// The encoder is waiting with its buffers freed.
    parked: AtomicBool,
    /// The attached viewer decodes H.264 (a viewer without it gets lossless frames only).
    viewer_video: AtomicBool,
    /// How the attached viewer's content cache is used (a [`CacheUse`] as `u8`).
    viewer_cache: AtomicU8,
    /// The attached viewer takes each frame's zstd-coded regions as one stream.
    viewer_stream: AtomicBool,
    /// The attached viewer decodes 4:4:4 video (`h264-444`).
    viewer_full_chroma: AtomicBool,
    /// The most the video may use, kbit/s (the daemon's estimate of the viewer's link).
    video_kbps: AtomicU32,
    /// Frame loops holding the gate: while any does, frames are encoded only when the
    /// consumer can send them at once.
    gates: AtomicUsize,
}

impl Default for Shared {
    fn default() -> Self {
        Self {
            pending: Mutex::default(),
            wake: Condvar::new(),
            active: AtomicBool::new(true),
            parked: AtomicBool::new(false),
            viewer_video: AtomicBool::new(true),
            viewer_cache: AtomicU8::new(CacheUse::Off as u8),
            viewer_stream: AtomicBool::new(false),
            viewer_full_chroma: AtomicBool::new(false),
            video_kbps: AtomicU32::new(START_KBPS),
            gates: AtomicUsize::new(0),
        }
    }
}

/// An encoded frame and what it cost.
#[derive(Debug)]
pub struct Encoded {
    /// The frame update to send.
    pub update: FrameUpdate,
    /// Tile and byte counts.
    pub stats: FrameStats,
    /// Encoding time in microseconds.
    pub encode_us: u64,
    /// Captured frames merged into this update (1 = none coalesced).
    pub frames: u64,
}

/// The encoder thread and its input side.
#[derive(Debug)]
pub struct Pipeline {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

/// The capture side: give it to the session as its frame sink.
#[derive(Debug)]
pub struct PipelineSink {
    shared: Arc<Shared>,
}

impl Pipeline {
    /// Starts the encoder thread. Encoded frames go to the returned receiver, which holds at
    /// most `capacity` frames; when it is full the encoder waits and damage coalesces. `video`
    /// allows H.264 regions (the viewer must support them). Fails where no thread can be
    /// started (the user's process limit reached).
    pub fn start(
        capacity: usize,
        video: bool,
    ) -> std::io::Result<(Self, PipelineSink, Receiver<Encoded>)> {
        let shared = Arc::new(Shared::default());
        let (tx, rx) = sync_channel(capacity.max(1));
        let worker = shared.clone();
        let thread = std::thread::Builder::new()
            .name("wayray-encoder".into())
            .spawn(move || run(&worker, &tx, video))?;
        Ok((
            Self {
                shared: shared.clone(),
                thread: Some(thread),
            },
            PipelineSink { shared },
            rx,
        ))
    }

    /// Whether encoded frames are wanted (a viewer is attached). While not, the encoder frees
    /// its copies of the frame and the staging frame, and waits; captured frames are dropped
    /// meanwhile. A new pipeline is active.
    ///
    /// Returns whether the pipeline holds no frame to encode from: then the compositor must
    /// capture a whole frame (the next keyframe waits for it). Once this returned after
    /// activation, the pipeline can no longer park on its own.
    pub fn set_active(&self, active: bool) -> bool {
        self.shared.active.store(active, Ordering::SeqCst);
        let pending = lock(&self.shared);
        self.shared.wake.notify_one();
        pending.width == 0
    }

    /// Whether the encoder is inactive and has freed its buffers.
    pub fn is_parked(&self) -> bool {
        self.shared.parked.load(Ordering::SeqCst)
    }

    /// Whether the attached viewer decodes H.264: without it, motion is sent losslessly (H.264
    /// still needs the pipeline's own `video` to be on).
    pub fn set_viewer_video(&self, decodes: bool) {
        self.shared.viewer_video.store(decodes, Ordering::SeqCst);
    }

    /// How the attached viewer's content cache is used (changing it makes the next frame a
    /// keyframe).
    pub fn set_viewer_cache(&self, usage: CacheUse) {
        self.shared
            .viewer_cache
            .store(usage as u8, Ordering::SeqCst);
    }

    /// Whether the attached viewer takes each frame's zstd-coded regions as one stream
    /// (`zstd-stream`; changing it makes the next frame a keyframe).
    pub fn set_viewer_zstd_stream(&self, enabled: bool) {
        self.shared.viewer_stream.store(enabled, Ordering::SeqCst);
    }

    /// Whether the attached viewer decodes 4:4:4 video (`h264-444`; from the next video
    /// region on).
    pub fn set_viewer_full_chroma(&self, decodes: bool) {
        self.shared
            .viewer_full_chroma
            .store(decodes, Ordering::SeqCst);
    }

    /// Caps the video at `kbps` (from the next frame on); a new viewer starts at the
    /// controller's starting rate.
    pub fn set_video_rate(&self, kbps: u32) {
        let kbps = kbps.clamp(MIN_KBPS, MAX_KBPS);
        self.shared.video_kbps.store(kbps, Ordering::SeqCst);
    }

    /// Encodes a frame only after [`Pipeline::grant`] while a frame loop holds the gate
    /// (`true` takes it, `false` gives it back; counted, so a viewer's loop that ends after
    /// its successor's began does not open it), or whenever there is damage (nobody holds
    /// it, the default). A viewer's link gates the pipeline while it is attached, so that a
    /// frame is encoded when it can go: the damage meanwhile (a keystroke's echo included)
    /// goes in that frame instead of waiting behind frames encoded earlier.
    pub fn set_gated(&self, gated: bool) {
        if gated {
            self.shared.gates.fetch_add(1, Ordering::SeqCst);
        } else {
            let _ = self
                .shared
                .gates
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
        }
        // A credit left over is harmless: at most one frame is encoded for it. Ungated, a
        // credit for a frame beside the video alone would hold frames back: it ends.
        let mut pending = lock(&self.shared);
        if self.shared.gates.load(Ordering::SeqCst) == 0 {
            pending.beside_only = false;
        }
        self.shared.wake.notify_one();
    }

    /// With the pipeline gated: one frame may be encoded now (at most one is outstanding).
    pub fn grant(&self) {
        let mut pending = lock(&self.shared);
        if !pending.credit || pending.beside_only {
            pending.credit = true;
            pending.beside_only = false;
            self.shared.wake.notify_one();
        }
    }

    /// With the pipeline gated: one frame of the damage away from the playing video may be
    /// encoded now, the video's own damage staying pending (a typed character's echo that
    /// may go beside the frames in flight while the video waits for room). Nothing is encoded
    /// for it while no video plays or nothing changed away from it; [`Pipeline::grant`]
    /// turns it into a whole frame's credit.
    pub fn grant_beside(&self) {
        let mut pending = lock(&self.shared);
        if !pending.credit {
            pending.credit = true;
            pending.beside_only = true;
            self.shared.wake.notify_one();
        }
    }

    /// The video's rate cap in effect, kbit/s.
    pub fn video_rate(&self) -> u32 {
        self.shared.video_kbps.load(Ordering::SeqCst)
    }

    /// Asks for a full frame of the current output (new viewer, lost state).
    pub fn request_keyframe(&self) {
        let mut pending = lock(&self.shared);
        pending.keyframe = true;
        self.shared.wake.notify_one();
    }
}

impl Drop for Pipeline {
    fn drop(&mut self) {
        lock(&self.shared).stop = true;
        self.shared.wake.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn lock(shared: &Shared) -> std::sync::MutexGuard<'_, Pending> {
    // A panic on the other side must not take the session down with a poisoned lock.
    shared.pending.lock().unwrap_or_else(|e| e.into_inner())
}

fn run(shared: &Shared, out: &SyncSender<Encoded>, video: bool) {
    let mut encoder = Encoder::new(0, 0);
    let mut video_now = video;
    encoder.set_video(video_now);
    let mut current: staging::Shot = None;
    loop {
        let (dirty, moves, video, keyframe, width, height, frames, beside) = {
            let mut pending = lock(shared);
            loop {
                if pending.stop {
                    return;
                }
                if !shared.active.load(Ordering::SeqCst) {
                    // Nobody takes frames: hold no copies of the output meanwhile. Emptied
                    // under the lock, so `set_active` sees whether a new capture is needed.
                    // (Again if a frame was captured since: activated and deactivated while
                    // this thread slept.)
                    if !shared.parked.swap(true, Ordering::SeqCst) || pending.width != 0 {
                        encoder.release();
                        current = None;
                        pending.staging = None;
                        pending.dirty = Vec::new();
                        pending.stale = Vec::new();
                        pending.moves = Vec::new();
                        (pending.width, pending.height) = (0, 0);
                        crate::session::picture::give_back_memory();
                    }
                    pending = shared.wake.wait(pending).unwrap_or_else(|e| e.into_inner());
                    continue;
                }
                shared.parked.store(false, Ordering::SeqCst);
                if pending.width == 0 {
                    // No frame captured yet (a new or just unparked pipeline): a keyframe
                    // asked for meanwhile comes with the first frame.
                    pending = shared.wake.wait(pending).unwrap_or_else(|e| e.into_inner());
                    continue;
                }
                if shared.gates.load(Ordering::SeqCst) > 0 && !pending.credit {
                    // Nothing could go now: damage keeps accumulating until it can.
                    pending = shared.wake.wait(pending).unwrap_or_else(|e| e.into_inner());
                    continue;
                }
                if pending.beside_only {
                    // Only damage away from the video may go (never a keyframe).
                    match encoder.video_region() {
                        Some(region) if !pending.keyframe && pending.has_beside(region) => break,
                        _ => {
                            pending = shared.wake.wait(pending).unwrap_or_else(|e| e.into_inner());
                            continue;
                        }
                    }
                }
                if !pending.dirty.is_empty() || pending.keyframe {
                    break;
                }
                // A video region that went quiet is refreshed losslessly when due, even if
                // nothing else happens.
                match encoder.refresh_due() {
                    Some(due) if Instant::now() >= due => break,
                    Some(due) => {
                        let timeout = due.saturating_duration_since(Instant::now());
                        pending = shared
                            .wake
                            .wait_timeout(pending, timeout)
                            .map(|(guard, _)| guard)
                            .unwrap_or_else(|e| e.into_inner().0);
                    }
                    None => {
                        pending = shared.wake.wait(pending).unwrap_or_else(|e| e.into_inner());
                    }
                }
            }
            let (width, height) = (pending.width, pending.height);
            pending.credit = false;
            if std::mem::take(&mut pending.beside_only) {
                let Some(region) = encoder
                    .video_region()
                    .filter(|_| staging::size(&current) == staging::size(&pending.staging))
                else {
                    // Nothing may go beside the video after all: the credit stays one for a
                    // frame beside it (the loop above waits for that).
                    (pending.credit, pending.beside_only) = (true, true);
                    continue;
                };
                // The damage away from the video, brought into the encoder's copy; the rest
                // stays pending (see `Pending::take_beside`), and the video with it still
                // counts as playing.
                let dirty = pending.take_beside(region, &mut current);
                if !pending.dirty.is_empty() {
                    encoder.video_pending(Instant::now());
                }
                let video = pending.video.clone();
                (dirty, Vec::new(), video, false, width, height, 1, true)
            } else {
                let keyframe = std::mem::take(&mut pending.keyframe);
                // The viewer may have changed (one with H.264, one without); read with the frame,
                // so a new viewer's keyframe already follows it.
                let wanted = video && shared.viewer_video.load(Ordering::SeqCst);
                if wanted != video_now {
                    video_now = wanted;
                    encoder.set_video(video_now);
                }
                encoder.set_cache(CacheUse::from_u8(
                    shared.viewer_cache.load(Ordering::SeqCst),
                ));
                encoder.set_zstd_stream(shared.viewer_stream.load(Ordering::SeqCst));
                encoder.set_full_chroma(shared.viewer_full_chroma.load(Ordering::SeqCst));
                encoder.set_video_rate(shared.video_kbps.load(Ordering::SeqCst));
                let dirty = std::mem::take(&mut pending.dirty);
                let moves = std::mem::take(&mut pending.moves);
                let video = pending.video.clone();
                let same_size = staging::size(&current) == staging::size(&pending.staging);
                if !same_size || (keyframe && pending.stale.is_empty()) {
                    // A first frame, a new size or a keyframe after a capture: the staging frame
                    // is whole and the newest (nothing in it is stale).
                    staging::copy(&pending.staging, &mut current);
                } else if !dirty.is_empty() {
                    // A capture since the last frame brought the staging frame up to date: it
                    // becomes the frame to encode, and the older copy lacks what changed since.
                    std::mem::swap(&mut current, &mut pending.staging);
                    pending.stale.clone_from(&dirty);
                }
                // Else (a keyframe asked for, a video refresh due) `current` is still the newest.
                (
                    dirty,
                    moves,
                    video,
                    keyframe,
                    width,
                    height,
                    std::mem::take(&mut pending.coalesced),
                    false,
                )
            }
        };
        let started = Instant::now();
        let (update, stats) = encoder.encode(&FrameInput {
            pixels: current.as_deref().map_or(&[], Picture::bytes),
            width,
            height,
            damage: &dirty,
            moves: &moves,
            video: &video,
            keyframe,
            now: started,
            captures: frames,
        });
        let encode_us = started.elapsed().as_micros() as u64;
        if update.regions.is_empty() && !keyframe {
            // Nothing to send: the consumer still waits for a frame, of the same kind (unless
            // it granted another meanwhile).
            if shared.gates.load(Ordering::SeqCst) > 0 {
                let mut pending = lock(shared);
                if !pending.credit {
                    (pending.credit, pending.beside_only) = (true, beside);
                }
            }
            continue;
        }
        let encoded = Encoded {
            update,
            stats,
            encode_us,
            frames,
        };
        if out.send(encoded).is_err() {
            return;
        }
    }
}

#[path = "staging.rs"]
mod staging;

#[cfg(test)]
#[path = "pipeline_tests.rs"]
pub(crate) mod tests;
