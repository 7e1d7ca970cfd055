//! The compositor's side of the pipeline: each capture's picture becomes the staging frame
//! (the renderer lends it; see `session/render.rs`) or is copied into it where it changed, and
//! its damage goes into the pending list of dirty rectangles.
//!
//! The staging frame is the newest capture, except where it is `stale`: right after the
//! encoder swapped it for its own older copy, it lacks what that frame changed. A capture
//! whose picture is lent replaces it and gets it back with what it lacks (the renderer draws
//! the next frame into it and copies the rest from the newest); a capture that is only read
//! copies its damage and the stale rectangles it does not cover.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use smithay::utils::{Physical, Rectangle};
use wayray_protocol::Rect;

use super::{MAX_PENDING_RECTS, Pending, PipelineSink, lock};
use crate::session::capture::{CapturedFrame, FrameSink, Keep, area, rect};
use crate::session::picture::Picture;

type Area = Rectangle<i32, Physical>;

/// A frame shared with the compositor (or not yet captured).
pub(super) type Shot = Option<Arc<Picture>>;

/// The size of a frame, `None` before the first.
pub(super) fn size(shot: &Shot) -> Option<(u32, u32)> {
    shot.as_ref().map(|p| (p.width(), p.height()))
}

/// Makes `into` a copy of `from` (the encoder's own, for a keyframe), in place where it is
/// an unshared picture of the same size.
pub(super) fn copy(from: &Shot, into: &mut Shot) {
    let Some(from) = from else {
        *into = None;
        return;
    };
    let size = (from.width(), from.height());
    match into.as_mut().and_then(Arc::get_mut) {
        Some(picture) if (picture.width(), picture.height()) == size => {
            picture.bytes_mut().copy_from_slice(from.bytes());
        }
        _ => *into = Some(Arc::new(Picture::clone(from))),
    }
}

impl FrameSink for PipelineSink {
    fn frame(&mut self, frame: &CapturedFrame<'_>) {
        self.take(frame, None);
    }

    fn keep(&mut self, frame: &CapturedFrame<'_>, picture: &Arc<Picture>) -> Keep {
        self.take(frame, Some(picture))
    }
}

impl PipelineSink {
    fn take(&self, frame: &CapturedFrame<'_>, lent: Option<&Arc<Picture>>) -> Keep {
        let mut pending = lock(&self.shared);
        let (width, height) = (frame.width(), frame.height());
        if pending.width == 0 && !self.shared.active.load(Ordering::SeqCst) {
            // Parked without a viewer: the next viewer's keyframe starts from a fresh capture.
            return Keep::Read;
        }
        let keep = if pending.width != width || pending.height != height {
            // A first frame or a new size: the staging frame is this one, whole.
            let (staging, keep) = match lent {
                // The renderer draws on in a copy of it (or, without memory for one, in a new
                // picture it draws whole).
                Some(picture) => {
                    let copy = picture.try_clone().map(|c| (Arc::new(c), Vec::new()));
                    (Some(picture.clone()), Keep::Kept(copy))
                }
                None => (whole(frame).map(Arc::new), Keep::Read),
            };
            let Some(staging) = staging else {
                tracing::error!(width, height, "no memory for the staging frame");
                return Keep::Read;
            };
            (pending.width, pending.height) = (width, height);
            pending.staging = Some(staging);
            pending.dirty.clear();
            pending.stale.clear();
            pending.moves.clear();
            pending.keyframe = true;
            keep
        } else {
            let keep = match lent {
                Some(picture) => pending.replace(frame, picture),
                None => {
                    pending.capture(frame);
                    Keep::Read
                }
            };
            pending.video.clear();
            pending.video.extend_from_slice(frame.video());
            for hint in frame.moves() {
                // Coalesced frames: the window moved from where the viewer last saw it to
                // where it is now.
                match pending.moves.iter_mut().find(|m| m.id == hint.id) {
                    Some(known) => known.to = hint.to,
                    None => pending.moves.push(*hint),
                }
            }
            keep
        };
        pending.coalesced += 1;
        self.shared.wake.notify_one();
        keep
    }
}

/// The whole frame as a picture of its own.
fn whole(frame: &CapturedFrame<'_>) -> Option<Picture> {
    let mut picture = Picture::new(frame.width(), frame.height()).ok()?;
    let rect = Rect::new(0, 0, frame.width(), frame.height());
    copy_rows(picture.bytes_mut(), frame, rect);
    Some(picture)
}

impl Pending {
    /// Takes a lent capture of the staging frame's size: it becomes the staging frame, and
    /// the one it replaces goes back, lacking its stale rectangles and this frame's damage.
    fn replace(&mut self, frame: &CapturedFrame<'_>, picture: &Arc<Picture>) -> Keep {
        let damage: Vec<Rect> = frame.damage().map(rect).collect();
        let mut lacks = std::mem::take(&mut self.stale);
        lacks.extend_from_slice(&damage);
        let back = self.staging.replace(picture.clone());
        self.add_dirty(damage);
        Keep::Kept(back.map(|older| (older, lacks)))
    }

    /// Takes a capture of the staging frame's size that is only read: copies what changed.
    fn capture(&mut self, frame: &CapturedFrame<'_>) {
        let damage: Vec<Area> = frame.damage().collect();
        let stale = std::mem::take(&mut self.stale).into_iter().map(area);
        let behind = Area::subtract_rects_many(stale, damage.iter().copied());
        if let Some(staging) = self.staging.as_mut() {
            let staging = Arc::make_mut(staging).bytes_mut();
            for r in damage.iter().chain(&behind) {
                copy_rows(staging, frame, rect(*r));
            }
        }
        self.add_dirty(damage.into_iter().map(rect).collect());
    }

    fn add_dirty(&mut self, damage: Vec<Rect>) {
        self.dirty.extend(damage);
        if self.dirty.len() > MAX_PENDING_RECTS {
            let bounds = bounding_box(&self.dirty);
            self.dirty = vec![bounds];
        }
    }
}

impl Pending {
    /// Whether damage away from the video `region` waits (and no window move, which goes
    /// with a whole frame).
    pub(super) fn has_beside(&self, region: Rect) -> bool {
        self.moves.is_empty()
            && !Area::subtract_rects_many(self.dirty.iter().map(|r| area(*r)), [area(region)])
                .is_empty()
    }

    /// Takes the damage away from the video `region` for a frame of its own, copying it from
    /// the staging frame into `current` (the encoder's copy, which the frame is encoded
    /// from); the damage inside the region stays pending. The staging frame stays the
    /// newest and nothing in it becomes stale: the next whole frame swaps the two as usual,
    /// and what the older copy then lacks is that frame's damage (this frame's is in both).
    pub(super) fn take_beside(&mut self, region: Rect, current: &mut Shot) -> Vec<Rect> {
        let video = area(region);
        let dirty = std::mem::take(&mut self.dirty);
        let beside = Area::subtract_rects_many(dirty.iter().map(|r| area(*r)), [video]);
        self.dirty = dirty
            .iter()
            .filter_map(|r| area(*r).intersection(video))
            .map(rect)
            .collect();
        if let (Some(current), Some(staging)) = (current.as_mut(), self.staging.as_ref()) {
            // The compositor's share is of the staging frame: the encoder's copy is written
            // in place (`make_mut` would copy it were it shared).
            let current = Arc::make_mut(current);
            for r in &beside {
                current.copy_rect(staging, rect(*r));
            }
        }
        beside.into_iter().map(rect).collect()
    }
}

/// Where row `y` of `rect` lies in the staging frame (tightly packed, as wide as the frame).
fn span(frame: &CapturedFrame<'_>, rect: Rect, y: u32) -> std::ops::Range<usize> {
    let start = (y as usize * frame.width() as usize + rect.x as usize) * 4;
    start..start + rect.width as usize * 4
}

/// Copies `rect` of the captured frame into `staging`.
fn copy_rows(staging: &mut [u8], frame: &CapturedFrame<'_>, rect: Rect) {
    for y in rect.y..rect.y + rect.height {
        staging[span(frame, rect, y)].copy_from_slice(frame.row(rect.x, y, rect.width));
    }
}

pub(super) fn bounding_box(rects: &[Rect]) -> Rect {
    let x0 = rects.iter().map(|r| r.x).min().unwrap_or(0);
    let y0 = rects.iter().map(|r| r.y).min().unwrap_or(0);
    let x1 = rects.iter().map(|r| r.x + r.width).max().unwrap_or(0);
    let y1 = rects.iter().map(|r| r.y + r.height).max().unwrap_or(0);
    Rect::new(x0, y0, x1 - x0, y1 - y0)
}
