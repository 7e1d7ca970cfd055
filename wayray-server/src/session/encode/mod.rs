//! The frame encoder: damage → tiles → per-tile codec, with scroll/move detection. It keeps a
//! shadow copy of what the viewer has, so every codec can be lossless against it (delta) and
//! unchanged tiles are skipped by comparing with it.
//!
//! `Encoder` is synchronous and owns no thread; `pipeline` runs it off the compositor thread.

mod bands;
mod cached;
mod choose;
mod copies;
mod input;
pub mod pipeline;
mod runs;
mod scroll;
mod stream;
mod tiles;
pub mod video;

use std::time::Instant;

use wayray_protocol::Rect;

use wayray_protocol::codec::{PixelView, PixelViewMut, ZstdContext};
use wayray_protocol::messages::display::{Codec, FrameUpdate, RegionUpdate};

pub use cached::CacheUse;
pub use input::{FrameInput, FrameStats};
pub use tiles::TILE;

/// Encodes output frames into `FrameUpdate`s against a shadow of what the viewer shows.
pub struct Encoder {
    width: u32,
    height: u32,
    shadow: Vec<u8>,
    sequence: u64,
    /// Below this many tiles, encoding on one thread beats the cost of fanning out.
    parallel_threshold: usize,
    video_enabled: bool,
    motion: video::Motion,
    /// The video's rate cap, kbit/s (kept across new motion trackers).
    video_kbps: u32,
    /// The viewer decodes 4:4:4 video (`h264-444`).
    full_chroma: bool,
    tile: u32,
    /// What the viewer's content cache holds, where it keeps one.
    cache: Option<cached::KeyCache>,
    /// The scroll search's row hashes of the viewer's copy.
    rows: scroll::RowMemo,
    /// The viewer takes a zstd stream (`zstd-stream`).
    zstd_stream: bool,
    /// That stream (none where zstd could not make one: regions then go one by one, which a
    /// stream's reader takes as whole zstd frames from a keyframe on).
    stream: Option<stream::Stream>,
}

impl std::fmt::Debug for Encoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Encoder")
            .field("width", &self.width)
            .field("height", &self.height)
            .field("sequence", &self.sequence)
            .finish_non_exhaustive()
    }
}

thread_local! {
    static ZSTD: std::cell::RefCell<Option<ZstdContext>> = const { std::cell::RefCell::new(None) };
}

/// Runs `f` with this thread's reusable zstd context.
fn with_zstd<T>(f: impl FnOnce(&mut ZstdContext) -> T) -> T {
    ZSTD.with(|cell| {
        let mut slot = cell.borrow_mut();
        let ctx = slot.get_or_insert_with(|| ZstdContext::new().expect("zstd context"));
        f(ctx)
    })
}

impl Encoder {
    /// An encoder for a `width` × `height` output; its first frame is a keyframe.
    pub fn new(width: u32, height: u32) -> Self {
        Self {
            width,
            height,
            shadow: Vec::new(),
            sequence: 0,
            parallel_threshold: 8,
            video_enabled: true,
            motion: video::Motion::new(width, height, TILE, false),
            video_kbps: video::START_KBPS,
            full_chroma: false,
            tile: TILE,
            cache: None,
            rows: scroll::RowMemo::default(),
            zstd_stream: false,
            stream: None,
        }
    }

    /// Sends zstd-coded regions as the parts of one stream from each keyframe on (the
    /// viewer's `zstd-stream`) or each on its own. A change makes the next frame a keyframe.
    pub fn set_zstd_stream(&mut self, enabled: bool) {
        if enabled != self.zstd_stream {
            self.zstd_stream = enabled;
            self.stream = enabled.then(stream::Stream::new).flatten();
            self.shadow.clear();
        }
    }

    /// Uses the content cache (the viewer's capabilities) or not. Takes effect with the next
    /// keyframe, which empties the viewer's cache too: call it before the frame a new viewer
    /// starts with.
    pub fn set_cache(&mut self, usage: CacheUse) {
        let now = self.cache.as_ref().map_or(CacheUse::Off, |c| c.usage());
        if usage != now {
            self.cache = cached::KeyCache::new(usage);
            // Whatever the viewer holds, it starts again from the next keyframe.
            self.shadow.clear();
        }
    }

    /// Uses `tile` × `tile` tiles instead of [`TILE`] (measurements; 16 to 256).
    pub fn with_tile_size(mut self, tile: u32) -> Self {
        self.tile = tile.clamp(16, 256);
        self.motion = self.fresh_motion(self.width, self.height, self.video_enabled);
        self
    }

    /// Allows or forbids H.264 video regions (the viewer's capability; FFmpeg must be there too).
    pub fn set_video(&mut self, enabled: bool) {
        self.video_enabled = enabled;
        self.motion = self.fresh_motion(self.width, self.height, enabled);
    }

    /// Lets video regions keep full chroma where the rate allows (the viewer's `h264-444`),
    /// from the next region on.
    pub fn set_full_chroma(&mut self, allowed: bool) {
        self.full_chroma = allowed;
        self.motion.set_full_chroma(allowed);
    }

    /// Caps the video regions at `kbps` (the viewer's link, as the daemon estimates it).
    pub fn set_video_rate(&mut self, kbps: u32) {
        self.video_kbps = kbps;
        self.motion.set_rate(kbps);
    }

    /// A motion tracker for a `width` × `height` output at the current rate cap.
    fn fresh_motion(&self, width: u32, height: u32, video: bool) -> video::Motion {
        let mut motion = video::Motion::new(width, height, self.tile, video);
        motion.set_rate(self.video_kbps);
        motion.set_full_chroma(self.full_chroma);
        motion
    }

    /// Frees the shadow of the viewer's pixels (no viewer is attached); the next frame is then
    /// a keyframe. The sequence numbers carry on.
    pub fn release(&mut self) {
        self.shadow = Vec::new();
        self.motion = self.fresh_motion(self.width, self.height, self.video_enabled);
    }

    /// Where video plays now (H.264 regions go there), if anywhere.
    pub fn video_region(&self) -> Option<Rect> {
        self.motion.active()
    }

    /// Video damage waits while a frame beside the video is encoded: the region still plays
    /// (it is not refreshed as idle meanwhile).
    pub fn video_pending(&mut self, now: Instant) {
        self.motion.touch(now);
    }

    /// When the current video region is due for its lossless refresh: call
    /// [`Encoder::encode`] with no damage at that time.
    pub fn refresh_due(&self) -> Option<Instant> {
        self.motion.refresh_due()
    }

    /// Encodes what changed in `current` (the whole output, tightly packed BGRA) inside
    /// `damage`. With `keyframe`, or after a size change, the whole output is sent losslessly
    /// and depends on nothing earlier. `now` drives motion detection and video refresh.
    pub fn encode(&mut self, input: &FrameInput<'_>) -> (FrameUpdate, FrameStats) {
        let FrameInput {
            pixels: current,
            width,
            height,
            damage,
            moves,
            video: video_windows,
            keyframe,
            now,
            captures,
        } = *input;
        let full = Rect::new(0, 0, width, height);
        let keyframe =
            keyframe || width != self.width || height != self.height || self.shadow.is_empty();
        if keyframe {
            if let Some(cache) = self.cache.as_mut() {
                cache.clear();
            }
            self.width = width;
            self.height = height;
            self.shadow.clear();
            self.shadow.resize(width as usize * height as usize * 4, 0);
            self.motion = self.fresh_motion(width, height, self.video_enabled);
        }
        let Some(src) = PixelView::packed(current, width, height) else {
            // A frame of the wrong size is a caller bug; send nothing rather than garbage.
            tracing::error!(
                len = current.len(),
                width,
                height,
                "frame buffer size mismatch"
            );
            return (self.empty_update(), FrameStats::default());
        };
        let damage: Vec<Rect> = if keyframe {
            vec![full]
        } else {
            damage.iter().filter_map(|r| clip(*r, full)).collect()
        };
        let mut stats = FrameStats::default();
        let mut regions = Vec::new();

        let tiles = tiles::cover(&damage, width, height, self.tile);
        stats.tiles_damaged = tiles.len();
        let mut parts = if keyframe || self.motion.active().is_some() {
            // Copies move what the viewer shows; with lossy video on screen that could spread
            // blur outside the stream, so scroll detection waits until the video is refreshed.
            self.rows.forget();
            self.compare_tiles(&src, &tiles, keyframe)
        } else {
            self.copies_then_changes(&src, &damage, &tiles, moves, &mut regions, &mut stats)
        };
        let shadow = PixelView::packed(&self.shadow, width, height).expect("shadow size");
        let changed: Vec<Rect> = parts.iter().map(|(t, _)| *t).collect();
        stats.tiles_unchanged = stats.tiles_damaged - changed.len();

        if !keyframe
            && let Some(rect) =
                self.motion
                    .update_region(&changed, video_windows, width, height, now)
            && changed.iter().any(|t| video::contains(rect, *t))
            && let Some((rect, payload)) = self.motion.encode(&src, now)
        {
            stats.video_bytes = payload.len();
            regions.push(RegionUpdate {
                rect,
                codec: Codec::H264,
                payload,
            });
            parts.retain(|(t, _)| !video::contains(rect, *t));
            // The region keeps counting as motion while it streams.
            let in_region: Vec<Rect> = changed
                .iter()
                .copied()
                .filter(|t| video::contains(rect, *t))
                .collect();
            self.motion.record(in_region, now, captures);
        }
        // Lossy tiles are resent absolutely: the viewer's pixels are not the shadow's.
        let mut changed: Vec<(Rect, bool)> = parts
            .into_iter()
            .map(|(t, part)| {
                let absolute = keyframe || self.motion.is_lossy(t);
                (if absolute { t } else { part }, absolute)
            })
            .collect();
        if !keyframe {
            for tile in self.motion.end_if_idle(now) {
                let Some(tile) = clip(tile, full) else {
                    continue;
                };
                match changed.iter_mut().find(|(t, _)| video::contains(tile, *t)) {
                    Some((part, absolute)) => (*part, *absolute) = (tile, true),
                    None => {
                        changed.push((tile, true));
                        stats.refreshed += 1;
                    }
                }
            }
        }
        if self.cache.is_some() {
            changed = tiles::join_split_parts(
                changed,
                self.tile,
                wayray_protocol::codec::cache::MAX_AREA,
            );
        }
        let changed = bands::split(changed, &src, &shadow, self.tile);
        let rules = stream::rules(self.stream.as_ref());
        let encode = |&(tile, absolute): &(Rect, bool)| {
            with_zstd(|ctx| choose::encode_tile(ctx, &src, &shadow, tile, absolute, rules))
        };
        let encoded = cached::encode_parts(
            self.cache.as_mut(),
            &src,
            &changed,
            self.parallel_threshold,
            encode,
        );
        // Lossy tiles were resent whole and absolutely; other parts belong to exact tiles.
        for region in &encoded {
            self.motion.clear_lossy(region.rect);
        }
        if !keyframe {
            let costly: Vec<&RegionUpdate> = encoded
                .iter()
                .filter(|r| r.payload.len() >= video::COSTLY_BYTES)
                .collect();
            let bytes: usize = costly.iter().map(|r| r.payload.len()).sum();
            let times = video::weight(bytes, captures, self.video_kbps);
            let tiles = costly.iter().map(|r| tiles::tile_of(r.rect, self.tile));
            self.motion.record(tiles, now, times);
        }
        let mut encoded = runs::merge_solid_runs(encoded);
        if let Some(stream) = self.stream.as_mut()
            && let Err(err) = stream.compress(keyframe, &src, &shadow, &mut encoded)
        {
            // Cannot happen with in-memory buffers. The viewer could not read this frame:
            // this one goes as a keyframe of whole zstd frames instead, and so do the
            // frames after it (a stream's reader takes whole frames from a keyframe on).
            tracing::error!(%err, "zstd stream failed: regions go one by one from a keyframe");
            self.stream = None;
            return self.encode(&FrameInput {
                keyframe: true,
                ..*input
            });
        }
        let mut shadow =
            PixelViewMut::packed(&mut self.shadow, width, height).expect("shadow size");
        for region in regions
            .iter()
            .filter(|r| r.codec == Codec::H264)
            .chain(&encoded)
        {
            // For video the shadow holds what the viewer should converge to; the lossy flags
            // remember that it does not have it yet.
            shadow.copy_from(&src, region.rect);
        }
        regions.extend(encoded);
        stats.bytes = regions.iter().map(|r| r.payload.len()).sum();
        // An empty update is not sent, so it must not use up a sequence number.
        if keyframe || !regions.is_empty() {
            self.sequence += 1;
        }
        (
            FrameUpdate {
                sequence: self.sequence,
                output_width: width,
                output_height: height,
                keyframe,
                regions,
            },
            stats,
        )
    }

    /// Each of `tiles` that differs from the viewer's copy, with the part that differs (the
    /// whole tile in a keyframe or where the viewer's copy is lossy).
    fn compare_tiles(
        &self,
        src: &PixelView<'_>,
        tiles: &[Rect],
        keyframe: bool,
    ) -> Vec<(Rect, Rect)> {
        let shadow = self.shadow_view();
        tiles
            .iter()
            .filter_map(|&t| {
                if keyframe || self.motion.is_lossy(t) {
                    Some((t, t))
                } else {
                    tiles::changed_bounds(src, &shadow, t).map(|part| (t, part))
                }
            })
            .collect()
    }

    /// What the viewer shows, as far as the encoder knows (tests compare it with decoders).
    pub fn shadow(&self) -> &[u8] {
        &self.shadow
    }

    fn shadow_view(&self) -> PixelView<'_> {
        PixelView::packed(&self.shadow, self.width, self.height).expect("shadow size")
    }

    fn empty_update(&self) -> FrameUpdate {
        FrameUpdate {
            sequence: self.sequence,
            output_width: self.width.max(1),
            output_height: self.height.max(1),
            keyframe: false,
            regions: Vec::new(),
        }
    }
}

/// `rect` clipped to `bounds`, or `None` when nothing is left.
pub(crate) fn clip(rect: Rect, bounds: Rect) -> Option<Rect> {
    let x0 = rect.x.max(bounds.x);
    let y0 = rect.y.max(bounds.y);
    let x1 = (u64::from(rect.x) + u64::from(rect.width))
        .min(u64::from(bounds.x) + u64::from(bounds.width)) as u32;
    let y1 = (u64::from(rect.y) + u64::from(rect.height))
        .min(u64::from(bounds.y) + u64::from(bounds.height)) as u32;
    (x1 > x0 && y1 > y0).then(|| Rect::new(x0, y0, x1 - x0, y1 - y0))
}

#[cfg(test)]
mod tests;
