//! The compositor's side of the pipeline: each capture goes into the staging frame, and its
//! damage into the pending list of dirty rectangles.
//!
//! The staging frame mirrors the output image, except where it is `stale`: right after the
//! encoder swapped it for its own older copy, it lacks what that frame changed. The output
//! image holds the newest pixels everywhere, so the next capture copies those rectangles too,
//! less what its own damage covers (a scrolling terminal's damage covers all of them).

use smithay::utils::{Physical, Rectangle};
use wayray_protocol::Rect;

use super::{MAX_PENDING_RECTS, Pending};
use crate::session::capture::CapturedFrame;

type Area = Rectangle<i32, Physical>;

impl Pending {
    /// Takes a capture of the staging frame's size.
    pub(super) fn capture(&mut self, frame: &CapturedFrame<'_>) {
        let damage: Vec<Area> = frame.damage().collect();
        let stale = std::mem::take(&mut self.stale).into_iter().map(area);
        let behind = Area::subtract_rects_many(stale, damage.iter().copied());
        for r in damage.iter().chain(&behind) {
            copy_rows(&mut self.staging, frame, rect(*r));
        }
        self.dirty.extend(damage.into_iter().map(rect));
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
    pub(super) fn take_beside(&mut self, region: Rect, current: &mut [u8]) -> Vec<Rect> {
        let video = area(region);
        let dirty = std::mem::take(&mut self.dirty);
        let beside = Area::subtract_rects_many(dirty.iter().map(|r| area(*r)), [video]);
        self.dirty = dirty
            .iter()
            .filter_map(|r| area(*r).intersection(video))
            .map(rect)
            .collect();
        let width = self.width as usize;
        for r in &beside {
            let r = rect(*r);
            for y in r.y..r.y + r.height {
                let start = (y as usize * width + r.x as usize) * 4;
                let span = start..start + r.width as usize * 4;
                current[span.clone()].copy_from_slice(&self.staging[span]);
            }
        }
        beside.into_iter().map(rect).collect()
    }
}

fn area(r: Rect) -> Area {
    Area::new(
        (r.x as i32, r.y as i32).into(),
        (r.width as i32, r.height as i32).into(),
    )
}

fn rect(r: Area) -> Rect {
    Rect::new(
        r.loc.x as u32,
        r.loc.y as u32,
        r.size.w as u32,
        r.size.h as u32,
    )
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
