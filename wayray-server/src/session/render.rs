//! Render on commit: a commit schedules one render at the loop's next idle point; the Pixman
//! renderer draws only the damage into the output image, the damage goes to capture, and only
//! then do clients get their frame callbacks and presentation feedback. No timer is involved,
//! so an idle session does not wake up.

use std::time::Duration;

use smithay::backend::renderer::damage::OutputDamageTracker;
use smithay::backend::renderer::pixman::PixmanRenderer;
use smithay::backend::renderer::{Bind, Color32F};
use smithay::desktop::space::space_render_elements;
use smithay::desktop::utils::{OutputPresentationFeedback, surface_primary_scanout_output};
use smithay::output::Output;
use smithay::reexports::pixman::{FormatCode, Image};
use smithay::reexports::wayland_protocols::wp::presentation_time::server::wp_presentation_feedback;

use smithay::reexports::wayland_server::Resource;

use crate::session::capture::{CapturedFrame, FrameSink, MoveHint};
use crate::session::state::State;

/// The colour behind all windows, as 8-bit RGB (exact in the 8-bit output).
pub const BACKGROUND: [u8; 3] = [0x1a, 0x1e, 0x26];

fn background() -> Color32F {
    let [r, g, b] = BACKGROUND.map(|c| f32::from(c) / 255.0);
    Color32F::new(r, g, b, 1.0)
}

/// The image the output is rendered into, its damage tracker, and where captured frames go.
pub struct RenderTarget {
    renderer: PixmanRenderer,
    image: Image<'static, 'static>,
    damage_tracker: OutputDamageTracker,
    /// 0 until the first frame: the image holds nothing yet, so the first frame is full.
    age: usize,
    sink: Box<dyn FrameSink>,
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

impl State {
    /// Queues one render for the next idle point of the event loop (once, however many
    /// commits arrive before it runs).
    pub fn schedule_render(&mut self) {
        if self.render_scheduled {
            return;
        }
        self.render_scheduled = true;
        self.loop_handle.insert_idle(|state| {
            state.render_scheduled = false;
            if let Err(err) = state.render_frame() {
                tracing::warn!(%err, "frame skipped");
            }
        });
    }

    /// Renders the damaged part of the output, hands it to capture, then tells clients.
    pub fn render_frame(&mut self) -> Result<(), RenderError> {
        let started = std::time::Instant::now();
        let moves = self.window_moves();
        let target = &mut self.target;
        let elements =
            space_render_elements(&mut target.renderer, [&self.space], &self.output, 1.0)
                .map_err(|e| RenderError::Render(e.to_string()))?;
        let damage = {
            let mut framebuffer = target
                .renderer
                .bind(&mut target.image)
                .map_err(|e| RenderError::Render(e.to_string()))?;
            let result = target
                .damage_tracker
                .render_output(
                    &mut target.renderer,
                    &mut framebuffer,
                    target.age,
                    &elements,
                    background(),
                )
                .map_err(|e| RenderError::Render(format!("{e:?}")))?;
            result.damage.cloned()
        };
        target.age = 1;
        if let Some(damage) = damage.filter(|d| !d.is_empty()) {
            self.frames += 1;
            let frame = CapturedFrame::new(&target.image, &damage)
                .with_sequence(self.frames)
                .with_moves(&moves);
            target.sink.frame(&frame);
        }
        self.render_time += started.elapsed();
        self.frame_done();
        Ok(())
    }

    /// Windows whose position changed since the last render (same size), in physical pixels.
    fn window_moves(&mut self) -> Vec<MoveHint> {
        let scale = self.output_config.scale();
        let mut now = std::collections::HashMap::new();
        for window in self.space.elements() {
            let (Some(toplevel), Some(loc)) =
                (window.toplevel(), self.space.element_location(window))
            else {
                continue;
            };
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            std::hash::Hash::hash(&toplevel.wl_surface().id(), &mut hasher);
            let id = std::hash::Hasher::finish(&hasher);
            let size = window.geometry().size;
            let physical = |v: i32| (f64::from(v.max(0)) * scale).round() as u32;
            let rect = wayray_protocol::Rect::new(
                physical(loc.x),
                physical(loc.y),
                physical(size.w),
                physical(size.h),
            );
            now.insert(id, rect);
        }
        let moves = now
            .iter()
            .filter_map(|(id, to)| {
                let from = self.window_rects.get(id)?;
                (from != to && (from.width, from.height) == (to.width, to.height)).then_some(
                    MoveHint {
                        id: *id,
                        from: *from,
                        to: *to,
                    },
                )
            })
            .collect();
        self.window_rects = now;
        moves
    }

    /// Frame callbacks and presentation feedback, after capture.
    fn frame_done(&mut self) {
        let now = self.now();
        let output = self.output.clone();
        let mut feedback = OutputPresentationFeedback::new(&output);
        for window in self.space.elements() {
            window.send_frame(&output, now, Some(Duration::ZERO), |_, _| {
                Some(output.clone())
            });
            window.take_presentation_feedback(
                &mut feedback,
                surface_primary_scanout_output,
                |_, _| wp_presentation_feedback::Kind::empty(),
            );
        }
        let refresh = Duration::from_nanos(
            1_000_000_000_000 / u64::from(self.output_config.refresh_mhz.max(1)),
        );
        feedback.presented::<_, smithay::utils::Monotonic>(
            self.clock.now(),
            smithay::wayland::presentation::Refresh::Fixed(refresh),
            self.frames,
            wp_presentation_feedback::Kind::empty(),
        );
        self.popups.cleanup();
        self.space.refresh();
    }
}
