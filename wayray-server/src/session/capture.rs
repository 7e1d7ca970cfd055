//! Capture: after each render the damaged rectangles and read access to the output image go to
//! a [`FrameSink`] (the encoder, a test, a benchmark). Nothing here copies or compares the whole
//! frame: a sink reads only the rectangles it is given, or keeps the picture itself and gives
//! an older one back ([`FrameSink::keep`]). A PNG screenshot of the whole output can be taken
//! at any time.

use std::path::Path;
use std::sync::Arc;

use smithay::reexports::pixman::Image;
use smithay::utils::{Physical, Rectangle};

use crate::session::picture::Picture;

/// Receives each rendered frame. Called on the compositor thread: it must return quickly and
/// never wait on the network (hand work to a bounded queue or coalesce instead).
pub trait FrameSink {
    /// A frame was rendered; `frame.damage()` lists what changed since the previous one.
    fn frame(&mut self, frame: &CapturedFrame<'_>);

    /// The same frame, drawn in `picture`, which the sink may keep (a share of it, read
    /// only) instead of copying what changed. Read by [`FrameSink::frame`] and kept nowhere
    /// unless a sink says otherwise.
    fn keep(&mut self, frame: &CapturedFrame<'_>, picture: &Arc<Picture>) -> Keep {
        let _ = picture;
        self.frame(frame);
        Keep::Read
    }
}

/// What a sink did with a frame's picture ([`FrameSink::keep`]).
#[derive(Debug)]
pub enum Keep {
    /// Read it and kept no share: the next frame is drawn into the same picture.
    Read,
    /// Kept a share. The next frame is drawn into the picture given back, which lacks the
    /// kept frame in the rectangles given with it, or into a new one where none comes back.
    Kept(Option<(Arc<Picture>, Vec<wayray_protocol::Rect>)>),
}

/// A sink that drops frames (a session with no viewer attached).
#[derive(Debug, Default)]
pub struct NullSink;

impl FrameSink for NullSink {
    fn frame(&mut self, _frame: &CapturedFrame<'_>) {}
}

impl<F: FnMut(&CapturedFrame<'_>)> FrameSink for F {
    fn frame(&mut self, frame: &CapturedFrame<'_>) {
        self(frame)
    }
}

/// A window that moved between two frames, as the compositor knows it: a candidate for a
/// copy instead of re-encoding the window (the encoder verifies it pixel by pixel).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MoveHint {
    /// Identifies the window, so hints of coalesced frames can be merged.
    pub id: u64,
    /// Where the window was, in physical output pixels.
    pub from: wayray_protocol::Rect,
    /// Where it is now.
    pub to: wayray_protocol::Rect,
}

/// Read-only view of the output image plus the damage of the frame that produced it.
#[derive(Debug)]
pub struct CapturedFrame<'a> {
    pixels: &'a [u8],
    width: u32,
    height: u32,
    stride: usize,
    damage: &'a [Rectangle<i32, Physical>],
    moves: &'a [MoveHint],
    video: &'a [wayray_protocol::Rect],
    sequence: u64,
}

impl<'a> CapturedFrame<'a> {
    pub(crate) fn new(
        image: &'a Image<'static, 'static>,
        damage: &'a [Rectangle<i32, Physical>],
    ) -> Self {
        let stride = image.stride();
        let height = image.height();
        // SAFETY: pixman owns `stride * height` bytes of pixel data for the image's lifetime;
        // the shared borrow of `image` keeps it alive and the renderer is not drawing into it
        // while this view exists (rendering needs `&mut` to the image).
        let pixels =
            unsafe { std::slice::from_raw_parts(image.data() as *const u8, stride * height) };
        Self {
            pixels,
            width: image.width() as u32,
            height: height as u32,
            stride,
            damage,
            moves: &[],
            video: &[],
            sequence: 0,
        }
    }

    /// A frame of no pixels (an output that could not be allocated).
    pub(crate) fn empty() -> Self {
        Self {
            pixels: &[],
            width: 0,
            height: 0,
            stride: 0,
            damage: &[],
            moves: &[],
            video: &[],
            sequence: 0,
        }
    }

    pub(crate) fn with_moves(mut self, moves: &'a [MoveHint]) -> Self {
        self.moves = moves;
        self
    }

    /// Windows that moved since the previous frame.
    pub fn moves(&self) -> &'a [MoveHint] {
        self.moves
    }

    pub(crate) fn with_video(mut self, video: &'a [wayray_protocol::Rect]) -> Self {
        self.video = video;
        self
    }

    /// Windows whose application says they show video or a game.
    pub fn video(&self) -> &'a [wayray_protocol::Rect] {
        self.video
    }

    pub(crate) fn with_sequence(mut self, sequence: u64) -> Self {
        self.sequence = sequence;
        self
    }

    /// Output width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Output height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// Frame number (1 for the first rendered frame).
    pub fn sequence(&self) -> u64 {
        self.sequence
    }

    /// What changed, in physical pixels, clipped to the output.
    pub fn damage(&self) -> impl Iterator<Item = Rectangle<i32, Physical>> + '_ {
        let bounds =
            Rectangle::<i32, Physical>::from_size((self.width as i32, self.height as i32).into());
        self.damage
            .iter()
            .filter_map(move |r| r.intersection(bounds))
    }

    /// The same damage as protocol rectangles.
    pub fn damage_rects(&self) -> impl Iterator<Item = wayray_protocol::Rect> + '_ {
        self.damage().map(rect)
    }

    /// The BGRA bytes of row `y` from column `x`, `width` pixels long. Panics if outside the
    /// output: callers pass rectangles from [`CapturedFrame::damage`].
    pub fn row(&self, x: u32, y: u32, width: u32) -> &'a [u8] {
        let start = y as usize * self.stride + x as usize * 4;
        &self.pixels[start..start + width as usize * 4]
    }

    /// The pixel at `(x, y)` as `[b, g, r, a]`.
    pub fn pixel(&self, x: u32, y: u32) -> [u8; 4] {
        let p = self.row(x, y, 1);
        [p[0], p[1], p[2], p[3]]
    }

    /// The whole output as tightly packed BGRA without copying, when rows have no padding
    /// (always the case for the 32-bit output image).
    pub fn packed(&self) -> Option<&'a [u8]> {
        (self.stride == self.width as usize * 4).then_some(self.pixels)
    }

    /// Copies the whole output as tightly packed BGRA (screenshots, keyframes, tests).
    pub fn to_bgra(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.width as usize * self.height as usize * 4);
        for y in 0..self.height {
            out.extend_from_slice(self.row(0, y, self.width));
        }
        out
    }

    /// Writes the whole output as a PNG file.
    pub fn write_png(&self, path: &Path) -> Result<(), ScreenshotError> {
        write_png(path, self.width, self.height, &self.to_bgra())
    }
}

/// Writes tightly packed BGRA pixels as an opaque RGBA PNG file.
pub fn write_png(path: &Path, width: u32, height: u32, bgra: &[u8]) -> Result<(), ScreenshotError> {
    let bytes = png_bytes(width, height, bgra)?;
    std::fs::write(path, bytes).map_err(|source| ScreenshotError::Io {
        path: path.display().to_string(),
        source,
    })
}

/// Encodes tightly packed BGRA pixels as an opaque RGBA PNG file in memory.
pub fn png_bytes(width: u32, height: u32, bgra: &[u8]) -> Result<Vec<u8>, ScreenshotError> {
    let mut rgba = bgra.to_vec();
    for px in rgba.chunks_exact_mut(4) {
        px.swap(0, 2);
        // The output is opaque; undefined alpha from clients must not make holes in PNGs.
        px[3] = 255;
    }
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    encoder
        .write_header()
        .and_then(|mut w| w.write_image_data(&rgba))
        .map_err(|e| ScreenshotError::Png(e.to_string()))?;
    Ok(out)
}

/// A screenshot could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ScreenshotError {
    /// The file could not be created.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// PNG encoding failed.
    #[error("cannot encode PNG: {0}")]
    Png(String),
}

/// A protocol rectangle as smithay's (damage arithmetic).
pub(crate) fn area(r: wayray_protocol::Rect) -> Rectangle<i32, Physical> {
    Rectangle::new(
        (r.x as i32, r.y as i32).into(),
        (r.width as i32, r.height as i32).into(),
    )
}

/// A smithay rectangle inside the output as a protocol rectangle.
pub(crate) fn rect(r: Rectangle<i32, Physical>) -> wayray_protocol::Rect {
    wayray_protocol::Rect::new(
        r.loc.x as u32,
        r.loc.y as u32,
        r.size.w as u32,
        r.size.h as u32,
    )
}
