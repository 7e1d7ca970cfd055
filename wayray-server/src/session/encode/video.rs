//! Video regions: an area whose tiles change continuously is sent as H.264 instead of tile by
//! tile, and refreshed losslessly once its motion stops, so text never stays blurred.
//!
//! Thresholds (docs/adr/0009-video-regions.md): a tile is "hot" when it changed at least
//! [`HOT_CHANGES`] times in the last [`WINDOW`] (10 updates/s for 0.5 s), each change costing
//! at least [`COSTLY_BYTES`] losslessly; a video region is the
//! bounding box of the hot tiles when there are at least [`MIN_HOT_TILES`] of them; it ends
//! [`IDLE_REFRESH`] after its last change.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use wayray_protocol::Rect;
use wayray_protocol::codec::{Chroma, H264Encoder, PixelView, h264_available};

/// How far back tile changes count.
pub const WINDOW: Duration = Duration::from_millis(500);
/// Changes within [`WINDOW`] that make a tile hot (10 per second).
pub const HOT_CHANGES: usize = 5;
/// A change counts towards motion only when its lossless encoding cost at least this many
/// bytes: a dragged window's exposed background or typed text changes often but costs little,
/// and must not turn into video.
pub const COSTLY_BYTES: usize = 1024;
/// Hot tiles needed to start a video region (six 64×64 tiles: a small video, not a cursor).
pub const MIN_HOT_TILES: usize = 6;
/// Quiet time after which a video region is refreshed losslessly.
pub const IDLE_REFRESH: Duration = Duration::from_millis(300);
/// The rate cap before the daemon's first estimate of the link, kbit/s.
pub const START_KBPS: u32 = wayray_protocol::session::rate::START_KBPS;
/// The least rate cap at which a stream keeps full chroma (4:4:4) where the viewer decodes
/// it: below it, 4:2:0 spends the bits better (docs/adr/0040-full-chroma-video.md).
pub const FULL_CHROMA_KBPS: u32 = 2_000;

/// How many changes a frame's costly tiles count for: one per captured frame merged into
/// it, and at once enough to be hot when sending them losslessly would take the link (at the
/// video's cap of `kbps`) more than a fifth of a second — on a slow link a second lossless
/// frame of motion would queue for seconds, while the stream sends it at the link's rate.
pub fn weight(bytes: usize, captures: u64, kbps: u32) -> u64 {
    let budget = u64::from(kbps) * 1000 / 8 / 5;
    if bytes as u64 > budget {
        HOT_CHANGES as u64
    } else {
        captures
    }
}

/// The video region in progress.
#[derive(Debug)]
pub struct Region {
    /// Where the stream is, grid-aligned, even-sized.
    pub rect: Rect,
    encoder: H264Encoder,
    last_change: Instant,
    /// When the stream began: its timestamps count from here.
    started: Instant,
}

/// Per-tile change history and the current video region.
#[derive(Debug)]
pub struct Motion {
    enabled: bool,
    tile: u32,
    cols: u32,
    rows: u32,
    history: Vec<VecDeque<Instant>>,
    /// Tiles whose content on the viewer came from the lossy stream.
    lossy: Vec<bool>,
    /// For tiles next to the region: how many of its latest frames they changed with it.
    along: Vec<u8>,
    region: Option<Region>,
    /// The stream's rate cap, kbit/s.
    rate_kbps: u32,
    /// The viewer decodes 4:4:4 streams (`h264-444`).
    full_chroma: bool,
}

impl Motion {
    /// Tracking for a `width` × `height` output; video only when `enabled` and FFmpeg can.
    pub fn new(width: u32, height: u32, tile: u32, enabled: bool) -> Self {
        let cols = width.div_ceil(tile);
        let rows = height.div_ceil(tile);
        let tiles = (cols * rows) as usize;
        Self {
            enabled: enabled && h264_available(),
            tile,
            cols,
            rows,
            history: vec![VecDeque::new(); tiles],
            lossy: vec![false; tiles],
            along: vec![0; tiles],
            region: None,
            rate_kbps: START_KBPS,
            full_chroma: false,
        }
    }

    /// Lets new streams keep full chroma (the viewer announced `h264-444`) or not; a 4:4:4
    /// stream running when it is no longer allowed starts again in 4:2:0.
    pub fn set_full_chroma(&mut self, allowed: bool) {
        self.full_chroma = allowed;
        self.restart_if_too_rich();
    }

    /// The chroma format for a stream starting now.
    fn chroma(&self) -> Chroma {
        if self.full_chroma && self.rate_kbps >= FULL_CHROMA_KBPS {
            Chroma::Full
        } else {
            Chroma::Half
        }
    }

    /// Caps the video stream at `kbps`, the current one from its next frame on. A 4:4:4
    /// stream whose cap falls under [`FULL_CHROMA_KBPS`] starts again in 4:2:0 (the viewer
    /// takes the new stream's first picture in the same rectangle); one the other way keeps
    /// 4:2:0 until the next region.
    pub fn set_rate(&mut self, kbps: u32) {
        if kbps == self.rate_kbps {
            return;
        }
        self.rate_kbps = kbps;
        if let Some(region) = &mut self.region {
            region.encoder.set_max_rate(kbps);
        }
        self.restart_if_too_rich();
    }

    /// Starts the running stream again in 4:2:0 where it is 4:4:4 and that is no longer
    /// allowed (the viewer, or the rate).
    fn restart_if_too_rich(&mut self) {
        let (chroma, kbps) = (self.chroma(), self.rate_kbps);
        let Some(region) = &mut self.region else {
            return;
        };
        if region.encoder.chroma() == Chroma::Full && chroma == Chroma::Half {
            let (w, h) = (region.rect.width, region.rect.height);
            match H264Encoder::with_chroma(w, h, kbps, Chroma::Half) {
                Ok(encoder) => region.encoder = encoder,
                Err(err) => {
                    tracing::warn!(%err, "cannot restart the video stream; ending its region");
                    self.region = None;
                }
            }
        }
    }

    fn index(&self, tile: Rect) -> usize {
        ((tile.y / self.tile) * self.cols + tile.x / self.tile) as usize
    }

    /// Records that `tiles` changed expensively at `now` (see [`COSTLY_BYTES`]), `times`
    /// times (the captured frames merged into this one).
    pub fn record(&mut self, tiles: impl IntoIterator<Item = Rect>, now: Instant, times: u64) {
        let times = times.clamp(1, HOT_CHANGES as u64) as usize;
        for tile in tiles {
            let i = self.index(tile);
            let history = &mut self.history[i];
            history.extend(std::iter::repeat_n(now, times));
            while history
                .front()
                .is_some_and(|t| now.duration_since(*t) > WINDOW)
                || history.len() > 2 * HOT_CHANGES
            {
                history.pop_front();
            }
        }
    }

    fn is_hot(&self, i: usize, now: Instant) -> bool {
        self.history[i]
            .iter()
            .filter(|t| now.duration_since(**t) <= WINDOW)
            .count()
            >= HOT_CHANGES
    }

    /// The region to stream this frame, if any: the current one, or a new one over hot tiles,
    /// or over a window said to show video (`video`) as soon as it changes.
    pub fn update_region(
        &mut self,
        changed: &[Rect],
        video: &[Rect],
        width: u32,
        height: u32,
        now: Instant,
    ) -> Option<Rect> {
        if !self.enabled {
            return None;
        }
        if let Some(region) = &mut self.region {
            let moving = changed.iter().any(|t| contains(region.rect, *t));
            if moving {
                region.last_change = now;
            }
            let rect = region.rect;
            if moving && let Some(grown) = self.grown(rect, changed, width, height) {
                self.grow_to(grown);
            }
            return self.active();
        }
        let cells = match self.video_window(changed, video, width, height) {
            Some(cells) => cells,
            None => self.hot_cells(now)?,
        };
        let rect = self.cells_rect(cells, width, height)?;
        match H264Encoder::with_chroma(rect.width, rect.height, self.rate_kbps, self.chroma()) {
            Ok(encoder) => {
                self.region = Some(Region {
                    rect,
                    encoder,
                    last_change: now,
                    started: now,
                });
                Some(rect)
            }
            Err(err) => {
                tracing::warn!(%err, "cannot start a video stream; sending motion losslessly");
                self.enabled = false;
                None
            }
        }
    }

    /// The rectangle of tiles from (`c0`, `r0`) to (`c1`, `r1`), even-sized for x264 (at an
    /// odd output edge the last pixel column or row is left to the lossless tiles).
    fn cells_rect(&self, cells: (u32, u32, u32, u32), width: u32, height: u32) -> Option<Rect> {
        let (c0, r0, c1, r1) = cells;
        let (x, y) = (c0 * self.tile, r0 * self.tile);
        let w = ((c1 + 1) * self.tile).min(width).checked_sub(x)?;
        let h = ((r1 + 1) * self.tile).min(height).checked_sub(y)?;
        let rect = Rect::new(x, y, w & !1, h & !1);
        (rect.width > 0 && rect.height > 0).then_some(rect)
    }

    /// The region grown over the tiles next to it that changed with it in each of its last
    /// [`HOT_CHANGES`] frames: a video not aligned to the tiles only partly covers its edge
    /// tiles, which then cost too little to be hot and would stay lossless (a stream over
    /// part of a video, its edges sent tile by tile every frame). `None` while it stays.
    fn grown(&mut self, rect: Rect, changed: &[Rect], width: u32, height: u32) -> Option<Rect> {
        let t = self.tile;
        let (c0, r0) = (rect.x / t, rect.y / t);
        let c1 = (rect.x + rect.width).div_ceil(t).checked_sub(1)?;
        let r1 = (rect.y + rect.height).div_ceil(t).checked_sub(1)?;
        let changed: std::collections::HashSet<usize> =
            changed.iter().map(|tile| self.index(*tile)).collect();
        let mut cells = (c0, r0, c1, r1);
        for r in r0.saturating_sub(1)..=(r1 + 1).min(self.rows - 1) {
            for c in c0.saturating_sub(1)..=(c1 + 1).min(self.cols - 1) {
                if (c0..=c1).contains(&c) && (r0..=r1).contains(&r) {
                    continue;
                }
                let i = (r * self.cols + c) as usize;
                self.along[i] = match changed.contains(&i) {
                    true => self.along[i].saturating_add(1),
                    false => 0,
                };
                if usize::from(self.along[i]) >= HOT_CHANGES {
                    cells = (
                        cells.0.min(c),
                        cells.1.min(r),
                        cells.2.max(c),
                        cells.3.max(r),
                    );
                }
            }
        }
        self.cells_rect(cells, width, height)
            .filter(|grown| *grown != rect)
    }

    /// Streams over `rect` (containing the region) from now on, with a new stream; the
    /// region's tiles stay lossy and inside it.
    fn grow_to(&mut self, rect: Rect) {
        let chroma = self.chroma();
        let Some(region) = &mut self.region else {
            return;
        };
        match H264Encoder::with_chroma(rect.width, rect.height, self.rate_kbps, chroma) {
            Ok(encoder) => {
                region.rect = rect;
                region.encoder = encoder;
                self.along.fill(0);
            }
            Err(err) => tracing::warn!(%err, "cannot grow the video stream; it stays"),
        }
    }

    /// The tiles (first and last column and row) of hot tiles, when there are enough.
    fn hot_cells(&self, now: Instant) -> Option<(u32, u32, u32, u32)> {
        let hot: Vec<usize> = (0..self.history.len())
            .filter(|&i| self.is_hot(i, now))
            .collect();
        if hot.len() < MIN_HOT_TILES {
            return None;
        }
        let (mut c0, mut r0, mut c1, mut r1) = (u32::MAX, u32::MAX, 0, 0);
        for i in hot {
            let (c, r) = (i as u32 % self.cols, i as u32 / self.cols);
            (c0, r0, c1, r1) = (c0.min(c), r0.min(r), c1.max(c), r1.max(r));
        }
        Some((c0, r0, c1, r1))
    }

    /// The tiles (first and last column and row) wholly inside the first video window that
    /// changed this frame.
    fn video_window(
        &self,
        changed: &[Rect],
        video: &[Rect],
        width: u32,
        height: u32,
    ) -> Option<(u32, u32, u32, u32)> {
        video.iter().find_map(|window| {
            let right = (window.x + window.width).min(width);
            let bottom = (window.y + window.height).min(height);
            let (c0, r0) = (window.x.div_ceil(self.tile), window.y.div_ceil(self.tile));
            let (c1, r1) = (
                (right / self.tile).checked_sub(1)?,
                (bottom / self.tile).checked_sub(1)?,
            );
            if c0 > c1 || r0 > r1 {
                return None;
            }
            let inner = Rect::new(
                c0 * self.tile,
                r0 * self.tile,
                (c1 - c0 + 1) * self.tile,
                (r1 - r0 + 1) * self.tile,
            );
            changed
                .iter()
                .any(|t| contains(inner, *t))
                .then_some((c0, r0, c1, r1))
        })
    }

    /// Encodes the region's content captured at `now`; marks its tiles lossy.
    pub fn encode(&mut self, src: &PixelView<'_>, now: Instant) -> Option<(Rect, Vec<u8>)> {
        let region = self.region.as_mut()?;
        let rect = region.rect;
        let at = now.saturating_duration_since(region.started);
        match region.encoder.encode(src, rect, at) {
            Ok(payload) => {
                for ty in rect.y / self.tile..(rect.y + rect.height).div_ceil(self.tile) {
                    for tx in rect.x / self.tile..(rect.x + rect.width).div_ceil(self.tile) {
                        let i = (ty * self.cols + tx) as usize;
                        if let Some(flag) = self.lossy.get_mut(i) {
                            *flag = true;
                        }
                    }
                }
                Some((rect, payload))
            }
            Err(err) => {
                tracing::warn!(%err, "video encoding failed; ending the video region");
                self.region = None;
                None
            }
        }
    }

    /// Whether `tile` shows lossy content on the viewer.
    pub fn is_lossy(&self, tile: Rect) -> bool {
        self.lossy.get(self.index(tile)).copied().unwrap_or(false)
    }

    /// Forgets that `tile` was lossy (it has just been sent losslessly).
    pub fn clear_lossy(&mut self, tile: Rect) {
        let i = self.index(tile);
        if let Some(flag) = self.lossy.get_mut(i) {
            *flag = false;
        }
    }

    /// When the current video region is due for its lossless refresh.
    pub fn refresh_due(&self) -> Option<Instant> {
        self.region.as_ref().map(|r| r.last_change + IDLE_REFRESH)
    }

    /// Ends the video region if its motion stopped; returns the lossy tiles to resend.
    pub fn end_if_idle(&mut self, now: Instant) -> Vec<Rect> {
        if self.refresh_due().is_some_and(|due| now >= due) {
            self.region = None;
        }
        if self.region.is_some() {
            return Vec::new();
        }
        self.take_lossy()
    }

    /// All lossy tiles, cleared.
    fn take_lossy(&mut self) -> Vec<Rect> {
        let mut out = Vec::new();
        for (i, flag) in self.lossy.iter_mut().enumerate() {
            if std::mem::take(flag) {
                let (c, r) = (i as u32 % self.cols, i as u32 / self.cols);
                out.push(Rect::new(
                    c * self.tile,
                    r * self.tile,
                    self.tile,
                    self.tile,
                ));
            }
        }
        out
    }

    /// The region's video changed at `now`, though not in this frame (its damage waits).
    pub fn touch(&mut self, now: Instant) {
        if let Some(region) = &mut self.region {
            region.last_change = now;
        }
    }

    /// Whether a video region is active.
    pub fn active(&self) -> Option<Rect> {
        self.region.as_ref().map(|r| r.rect)
    }

    /// The chroma format of the video stream in progress, if any.
    pub fn chroma_now(&self) -> Option<Chroma> {
        self.region.as_ref().map(|r| r.encoder.chroma())
    }

    /// Output size in tiles.
    pub fn grid(&self) -> (u32, u32) {
        (self.cols, self.rows)
    }
}

/// Whether `outer` fully contains `inner`.
pub fn contains(outer: Rect, inner: Rect) -> bool {
    inner.x >= outer.x
        && inner.y >= outer.y
        && inner.x + inner.width <= outer.x + outer.width
        && inner.y + inner.height <= outer.y + outer.height
}

#[cfg(test)]
#[path = "video_tests.rs"]
mod tests;
