//! Render on commit: a commit schedules one render at the loop's next idle point; the Pixman
//! renderer draws only the damage into the output image, the damage goes to capture, and only
//! then do clients get their frame callbacks and presentation feedback. No timer is involved,
//! so an idle session does not wake up.

use smithay::backend::renderer::Color32F;
use smithay::backend::renderer::damage::OutputDamageTracker;
use smithay::backend::renderer::pixman::PixmanRenderer;
use smithay::output::Output;
use smithay::reexports::pixman::{FormatCode, Image};

use crate::session::capture::{CapturedFrame, FrameSink};

/// The colour behind all windows, as 8-bit RGB (exact in the 8-bit output).
pub const BACKGROUND: [u8; 3] = [0x1a, 0x1e, 0x26];

pub(super) fn background() -> Color32F {
    let [r, g, b] = BACKGROUND.map(|c| f32::from(c) / 255.0);
    Color32F::new(r, g, b, 1.0)
}

/// The image the output is rendered into, its damage tracker, and where captured frames go.
pub struct RenderTarget {
    pub(super) renderer: PixmanRenderer,
    pub(super) image: Image<'static, 'static>,
    pub(super) damage_tracker: OutputDamageTracker,
    /// 0 until the first frame: the image holds nothing yet, so the first frame is full.
    pub(super) age: usize,
    pub(super) sink: Box<dyn FrameSink>,
}

impl std::fmt::Debug for RenderTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RenderTarget")
            .field("width", &self.image.width())
            .field("height", &self.image.height())
            .finish_non_exhaustive()
    }
}

/// Rendering failed; the frame is skipped and the next commit tries again.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// Pixman could not be set up or could not allocate the output image.
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

fn new_image(width: u32, height: u32) -> Result<Image<'static, 'static>, RenderError> {
    Image::new(FormatCode::A8R8G8B8, width as usize, height as usize, true)
        .map_err(|_| RenderError::Image { width, height })
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
            image: new_image(width, height)?,
            damage_tracker: OutputDamageTracker::from_output(output),
            age: 0,
            sink,
        })
    }

    /// Reallocates the image for a new output size; the next frame is full.
    pub fn resize(&mut self, output: &Output, width: u32, height: u32) {
        match new_image(width, height) {
            Ok(image) => {
                self.image = image;
                self.damage_tracker = OutputDamageTracker::from_output(output);
                self.age = 0;
            }
            Err(err) => tracing::error!(%err, "output resize failed; keeping the old size"),
        }
    }

    /// Read access to the current output pixels (ARGB8888 little-endian, i.e. BGRA bytes).
    pub fn frame(&self) -> CapturedFrame<'_> {
        CapturedFrame::new(&self.image, &[])
    }

    /// Makes the next render a full frame, so the sink receives the whole output once more
    /// (a sink that gave its copy of the output away).
    pub fn damage_all(&mut self) {
        self.age = 0;
    }

    /// Replaces the frame sink. The next render is a full frame, so a new sink starts with the
    /// whole output even if nothing changes.
    pub fn set_sink(&mut self, sink: Box<dyn FrameSink>) {
        self.sink = sink;
        self.age = 0;
    }
}
