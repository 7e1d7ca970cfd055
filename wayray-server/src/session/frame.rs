//! When and how the session renders a frame: a commit schedules one render at the loop's
//! next idle point, the damage is drawn into the output picture and handed to capture, and only
//! then do clients get their frame callbacks and presentation feedback — at most once per
//! refresh of the output (60 Hz unless the viewer reports another), so an application that
//! redraws continuously draws at the desk's rate, not as fast as the CPU allows. A commit
//! still renders at once: pacing delays only the invitation to draw the next frame.

use std::time::{Duration, Instant};

use smithay::reexports::calloop::timer::{TimeoutAction, Timer};

use smithay::desktop::utils::OutputPresentationFeedback;
use smithay::reexports::wayland_protocols::wp::presentation_time::server::wp_presentation_feedback;
use smithay::reexports::wayland_server::Resource;

use super::capture::MoveHint;
use super::layers::{self, layer_elements};
use super::render::RenderError;
use super::state::State;

impl State {
    /// One refresh of the output.
    fn refresh_interval(&self) -> Duration {
        Duration::from_nanos(1_000_000_000_000 / u64::from(self.output_config.refresh_mhz.max(1)))
    }

    /// Frame callbacks now if a refresh has passed since the last ones, else when it has;
    /// while the viewer's link is backlogged, when it no longer is.
    fn pace_frame_done(&mut self) {
        if self.frame_pacing.waiting {
            return;
        }
        if self.frame_pacing.backlogged {
            self.frame_pacing.held = true;
            return;
        }
        let now = Instant::now();
        let due = self
            .frame_pacing
            .last
            .map_or(now, |last| last + self.refresh_interval());
        if due <= now {
            self.frame_pacing.last = Some(now);
            return self.frame_done();
        }
        self.frame_pacing.waiting = true;
        let timer = self
            .loop_handle
            .insert_source(Timer::from_deadline(due), |_, _, state| {
                state.frame_pacing.waiting = false;
                if state.frame_pacing.backlogged {
                    state.frame_pacing.held = true;
                } else {
                    state.frame_pacing.last = Some(Instant::now());
                    state.frame_done();
                }
                TimeoutAction::Drop
            });
        if let Err(err) = timer {
            tracing::warn!(%err, "no frame timer: frame callbacks now");
            self.frame_pacing.waiting = false;
            self.frame_done();
        }
    }

    /// The viewer's link is (or is no longer) waiting for room for a frame; callbacks held
    /// meanwhile go out once it is not.
    pub(crate) fn set_backlogged(&mut self, backlogged: bool) {
        self.frame_pacing.backlogged = backlogged;
        if !backlogged && std::mem::take(&mut self.frame_pacing.held) {
            self.pace_frame_done();
        }
    }

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
        let video = self.video_windows();
        let target = &mut self.target;
        // Layers above the windows, the windows, layers below, frontmost first.
        let mut elements = layer_elements(target.renderer(), &self.output, &layers::ABOVE);
        if let Some(region) = self.space.output_geometry(&self.output) {
            let scale = self.output.current_scale().fractional_scale();
            elements.extend(self.space.render_elements_for_region(
                target.renderer(),
                &region,
                scale,
                1.0,
            ));
        }
        elements.extend(layer_elements(
            target.renderer(),
            &self.output,
            &layers::BELOW,
        ));
        let damage = target.draw(&elements)?;
        if let Some(damage) = damage.filter(|d| !d.is_empty()) {
            self.frames += 1;
            target.capture(&damage, self.frames, &moves, &video);
        }
        self.render_time += started.elapsed();
        self.pace_frame_done();
        Ok(())
    }

    /// Windows whose position changed since the last render (same size), in physical pixels.
    fn window_moves(&mut self) -> Vec<MoveHint> {
        let scale = self.output_config.scale();
        let mut now = std::collections::HashMap::new();
        for window in self.space.elements() {
            let (Some(surface), Some(loc)) =
                (window.wl_surface(), self.space.element_location(window))
            else {
                continue;
            };
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            std::hash::Hash::hash(&surface.id(), &mut hasher);
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
            window.send_frame(&output, now);
            window.take_presentation_feedback(&mut feedback);
        }
        self.layers_frame_done(now, &mut feedback);
        let refresh = self.refresh_interval();
        feedback.presented::<_, smithay::utils::Monotonic>(
            self.clock.now(),
            smithay::wayland::presentation::Refresh::Fixed(refresh),
            self.frames,
            wp_presentation_feedback::Kind::empty(),
        );
        self.popups.cleanup();
        self.space.refresh();
        self.refresh_pointer_focus();
    }
}
