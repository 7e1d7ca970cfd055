//! Render on commit: a commit schedules one render at the loop's next idle point; the Pixman
//! renderer draws only the damage into the output picture, the damage goes to capture, and only
//! then do clients get their frame callbacks and presentation feedback. No timer is involved,
//! so an idle session does not wake up.
//!
//! A sink may keep the picture a frame was drawn into (the encoder's pipeline does, instead of
//! copying what changed) and give back an older one: the next frame is drawn into that, and
//! what it still lacks outside the new frame's damage is copied from the kept newest picture.
//! A terminal that scrolls damages the whole output every frame, so nothing is copied at all.

use std::sync::Arc;

use smithay::backend::renderer::damage::OutputDamageTracker;
use smithay::backend::renderer::element::RenderElement;
use smithay::backend::renderer::pixman::PixmanRenderer;
use smithay::backend::renderer::{Bind, Color32F};
use smithay::output::Output;
use smithay::utils::{Physical, Rectangle};
use wayray_protocol::Rect;

use crate::session::capture::{CapturedFrame, FrameSink, Keep, MoveHint, area, rect};
use crate::session::picture::Picture;

type Area = Rectangle<i32, Physical>;

/// The colour behind all windows, as 8-bit RGB (exact in the 8-bit output).
pub const BACKGROUND: [u8; 3] = [0x1a, 0x1e, 0x26];

pub(super) fn background() -> Color32F {
    let [r, g, b] = BACKGROUND.map(|c| f32::from(c) / 255.0);
    Color32F::new(r, g, b, 1.0)
}

/// The picture the output is drawn into, its damage tracker, and where captured frames go.
pub struct RenderTarget {
    renderer: PixmanRenderer,
    width: u32,
    height: u32,
    /// What the next frame is drawn into; `None` after the sink kept it and gave none back
    /// (the next frame is drawn whole into a new picture).
    drawing: Option<Picture>,
    /// Where `drawing` lacks the newest frame: the sink gave it back older.
    behind: Vec<Rect>,
    /// The newest frame, while the sink keeps it and `drawing` may be behind it.
    newest: Option<Arc<Picture>>,
    damage_tracker: OutputDamageTracker,
    /// 0 until the first frame: the picture holds nothing yet, so the first frame is full.
    age: usize,
    sink: Box<dyn FrameSink>,
}

impl std::fmt::Debug for RenderTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RenderTarget")
            .field("width", &self.width)
            .field("height", &self.height)
            .finish_non_exhaustive()
    }
}

/// Rendering failed; the frame is skipped and the next commit tries again.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// Pixman could not be set up or could not allocate the output picture.
    #[error("cannot create the {width}x{height} output image")]
    Image {
        /// Width.
        width: u32,
        /// Height.
        height: u32,
    },
    /// The renderer failed.
    #[error("rendering failed: {0}")]
    Render(String),
}

fn new_picture(width: u32, height: u32) -> Result<Picture, RenderError> {
    Picture::new(width, height).map_err(|_| RenderError::Image { width, height })
}

impl RenderTarget {
    /// A target for `output`, sending captured frames to `sink`.
    pub fn new(
        output: &Output,
        width: u32,
        height: u32,
        sink: Box<dyn FrameSink>,
    ) -> Result<Self, RenderError> {
        let renderer = PixmanRenderer::new().map_err(|e| RenderError::Render(e.to_string()))?;
        Ok(Self {
            renderer,
            width,
            height,
            drawing: Some(new_picture(width, height)?),
            behind: Vec::new(),
            newest: None,
            damage_tracker: OutputDamageTracker::from_output(output),
            age: 0,
            sink,
        })
    }

    /// The renderer, to make render elements with.
    pub fn renderer(&mut self) -> &mut PixmanRenderer {
        &mut self.renderer
    }

    /// Reallocates the picture for a new output size; the next frame is full.
    pub fn resize(&mut self, output: &Output, width: u32, height: u32) {
        match new_picture(width, height) {
            Ok(picture) => {
                (self.width, self.height) = (width, height);
                self.drawing = Some(picture);
                self.behind.clear();
                self.newest = None;
                self.damage_tracker = OutputDamageTracker::from_output(output);
                self.age = 0;
            }
            Err(err) => tracing::error!(%err, "output resize failed; keeping the old size"),
        }
    }

    /// Draws what changed since the last frame; returns the damage (`None` or empty when
    /// nothing changed).
    pub(super) fn draw<E: RenderElement<PixmanRenderer>>(
        &mut self,
        elements: &[E],
    ) -> Result<Option<Vec<Area>>, RenderError> {
        let picture = match &mut self.drawing {
            Some(picture) => picture,
            empty => {
                // Drawn whole: nothing of the newest frame is needed.
                self.behind.clear();
                self.age = 0;
                empty.insert(new_picture(self.width, self.height)?)
            }
        };
        let mut framebuffer = self
            .renderer
            .bind(picture.image_mut())
            .map_err(|e| RenderError::Render(e.to_string()))?;
        let result = self
            .damage_tracker
            .render_output(
                &mut self.renderer,
                &mut framebuffer,
                self.age,
                elements,
                background(),
            )
            .map_err(|e| RenderError::Render(format!("{e:?}")))?;
        let damage = result.damage.cloned();
        drop(framebuffer);
        self.age = 1;
        if let Some(damage) = damage.as_ref().filter(|d| !d.is_empty()) {
            self.catch_up(damage);
        }
        Ok(damage)
    }

    /// After drawing `damage`: copies what the picture still lacks of the newest frame
    /// elsewhere from the kept newest picture, so that it holds the new frame everywhere.
    fn catch_up(&mut self, damage: &[Area]) {
        let (Some(newest), Some(picture)) = (self.newest.take(), self.drawing.as_mut()) else {
            return;
        };
        let behind = std::mem::take(&mut self.behind).into_iter().map(area);
        for r in Area::subtract_rects_many(behind, damage.iter().copied()) {
            picture.copy_rect(&newest, rect(r));
        }
    }

    /// Hands the frame just drawn to the sink, with what the compositor knows about it: its
    /// number, the windows that moved and the windows showing video.
    pub(super) fn capture(
        &mut self,
        damage: &[Area],
        sequence: u64,
        moves: &[MoveHint],
        video: &[Rect],
    ) {
        let Some(picture) = self.drawing.take() else {
            return;
        };
        let picture = Arc::new(picture);
        let keep = {
            let frame = CapturedFrame::new(picture.image(), damage)
                .with_sequence(sequence)
                .with_moves(moves)
                .with_video(video);
            self.sink.keep(&frame, &picture)
        };
        match keep {
            Keep::Read => match Arc::try_unwrap(picture) {
                Ok(picture) => self.drawing = Some(picture),
                // The sink kept a share after all: it stays the newest; a new picture next.
                Err(shared) => self.newest = Some(shared),
            },
            Keep::Kept(back) => {
                self.newest = Some(picture);
                let bounds = area(Rect::new(0, 0, self.width, self.height));
                let back = back.and_then(|(picture, lacks)| {
                    let picture = Arc::try_unwrap(picture).ok()?;
                    let fits = (picture.width(), picture.height()) == (self.width, self.height);
                    // Clipped: a sink's rectangles are not trusted to lie inside.
                    let lacks = lacks
                        .into_iter()
                        .filter_map(|r| area(r).intersection(bounds).map(rect))
                        .collect();
                    fits.then_some((picture, lacks))
                });
                if let Some((picture, lacks)) = back {
                    self.drawing = Some(picture);
                    self.behind = lacks;
                }
            }
        }
    }

    /// Lets go of the newest picture the sink kept (a sink that gave its pictures back):
    /// the picture drawn into catches up with it now.
    pub fn settle(&mut self) {
        let Some(newest) = self.newest.take() else {
            return;
        };
        match self.drawing.as_mut() {
            Some(picture) => {
                for r in std::mem::take(&mut self.behind) {
                    picture.copy_rect(&newest, r);
                }
                drop(newest);
            }
            None => match Arc::try_unwrap(newest) {
                Ok(picture) => self.drawing = Some(picture),
                Err(shared) => match shared.try_clone() {
                    Some(picture) => self.drawing = Some(picture),
                    // No memory for a copy: the share stays, and the next frame is drawn
                    // whole into a new picture.
                    None => {
                        self.newest = Some(shared);
                        return;
                    }
                },
            },
        }
        self.behind.clear();
        // The sink's pictures are gone too (a parked encoder): their memory goes back.
        crate::session::picture::give_back_memory();
    }

    /// Read access to the current output pixels (ARGB8888 little-endian, i.e. BGRA bytes).
    pub fn frame(&self) -> CapturedFrame<'_> {
        match self.newest.as_deref().or(self.drawing.as_ref()) {
            Some(picture) => CapturedFrame::new(picture.image(), &[]),
            None => CapturedFrame::empty(),
        }
    }

    /// Makes the next render a full frame, so the sink receives the whole output once more
    /// (a sink that gave its copy of the output away).
    pub fn damage_all(&mut self) {
        self.age = 0;
    }

    /// Replaces the frame sink. The next render is a full frame, so a new sink starts with the
    /// whole output even if nothing changes.
    pub fn set_sink(&mut self, sink: Box<dyn FrameSink>) {
        self.settle();
        self.sink = sink;
        self.age = 0;
    }
}

#[cfg(test)]
#[path = "render_tests.rs"]
mod tests;
