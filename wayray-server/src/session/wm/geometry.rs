//! Plain integer geometry in logical output coordinates.
//!
//! Owns `Point`, `Size`, `Rect` and the little arithmetic the policy needs.
//! Must never know about windows, outputs or Wayland types: converting to
//! smithay's geometry is the compositor's job, which keeps this testable.
//!
//! All arithmetic saturates, because sizes and positions can originate from
//! clients and the window manager must never panic on hostile input.

use std::ops::{Add, Sub};

/// A position (or a delta) in logical pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Point {
    /// Horizontal coordinate, growing to the right.
    pub x: i32,
    /// Vertical coordinate, growing downwards.
    pub y: i32,
}

impl Point {
    /// Builds a point.
    pub const fn new(x: i32, y: i32) -> Self {
        Self { x, y }
    }
}

impl Add for Point {
    type Output = Point;
    fn add(self, rhs: Point) -> Point {
        Point::new(self.x.saturating_add(rhs.x), self.y.saturating_add(rhs.y))
    }
}

impl Sub for Point {
    type Output = Point;
    fn sub(self, rhs: Point) -> Point {
        Point::new(self.x.saturating_sub(rhs.x), self.y.saturating_sub(rhs.y))
    }
}

/// A width and height in logical pixels. Zero means "unspecified" where an
/// API says so (as in xdg_toplevel.configure).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Size {
    /// Width.
    pub w: i32,
    /// Height.
    pub h: i32,
}

impl Size {
    /// Builds a size.
    pub const fn new(w: i32, h: i32) -> Self {
        Self { w, h }
    }

    /// True when both dimensions are at least 1.
    pub const fn is_positive(self) -> bool {
        self.w > 0 && self.h > 0
    }

    /// Component-wise maximum with `min`.
    pub fn at_least(self, min: Size) -> Size {
        Size::new(self.w.max(min.w), self.h.max(min.h))
    }

    /// Component-wise minimum with `max`.
    pub fn at_most(self, max: Size) -> Size {
        Size::new(self.w.min(max.w), self.h.min(max.h))
    }
}

/// An axis-aligned rectangle: top-left corner plus size. The right and
/// bottom edges are exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Rect {
    /// Top-left corner.
    pub loc: Point,
    /// Extent.
    pub size: Size,
}

impl Rect {
    /// Builds a rectangle from its corner and extent.
    pub const fn new(x: i32, y: i32, w: i32, h: i32) -> Self {
        Self {
            loc: Point::new(x, y),
            size: Size::new(w, h),
        }
    }

    /// Builds a rectangle from a corner and a size.
    pub const fn from_parts(loc: Point, size: Size) -> Self {
        Self { loc, size }
    }

    /// Exclusive right edge.
    pub fn right(&self) -> i32 {
        self.loc.x.saturating_add(self.size.w)
    }

    /// Exclusive bottom edge.
    pub fn bottom(&self) -> i32 {
        self.loc.y.saturating_add(self.size.h)
    }

    /// The centre point (rounded towards the top-left).
    pub fn centre(&self) -> Point {
        self.loc + Point::new(self.size.w / 2, self.size.h / 2)
    }

    /// Whether `p` lies inside (top/left inclusive, bottom/right exclusive).
    pub fn contains(&self, p: Point) -> bool {
        p.x >= self.loc.x && p.y >= self.loc.y && p.x < self.right() && p.y < self.bottom()
    }

    /// Whether the two rectangles share at least one pixel.
    pub fn intersects(&self, other: &Rect) -> bool {
        self.size.is_positive()
            && other.size.is_positive()
            && self.loc.x < other.right()
            && other.loc.x < self.right()
            && self.loc.y < other.bottom()
            && other.loc.y < self.bottom()
    }

    /// The pixels both rectangles share, if any.
    pub fn intersection(&self, other: &Rect) -> Option<Rect> {
        if !self.intersects(other) {
            return None;
        }
        let (x, y) = (self.loc.x.max(other.loc.x), self.loc.y.max(other.loc.y));
        let (r, b) = (
            self.right().min(other.right()),
            self.bottom().min(other.bottom()),
        );
        Some(Rect::new(x, y, r - x, b - y))
    }

    /// Whether `other` lies entirely inside `self`.
    pub fn contains_rect(&self, other: &Rect) -> bool {
        other.loc.x >= self.loc.x
            && other.loc.y >= self.loc.y
            && other.right() <= self.right()
            && other.bottom() <= self.bottom()
    }

    /// Moves, then if still necessary shrinks, `self` so it lies inside
    /// `bounds` — the order xdg_positioner's constraint adjustment uses
    /// (slide first, resize only what cannot be slid). Degenerate sizes are
    /// treated as 1 so the result is always a visible rectangle.
    pub fn clamp_inside(&self, bounds: &Rect) -> Rect {
        let bounds_size = bounds.size.at_least(Size::new(1, 1));
        let size = self.size.at_least(Size::new(1, 1)).at_most(bounds_size);
        let x = slide(self.loc.x, size.w, bounds.loc.x, bounds_size.w);
        let y = slide(self.loc.y, size.h, bounds.loc.y, bounds_size.h);
        Rect::new(x, y, size.w, size.h)
    }
}

/// Slides a span `[pos, pos + len)` into `[start, start + avail)`; the caller
/// guarantees `len <= avail`.
fn slide(pos: i32, len: i32, start: i32, avail: i32) -> i32 {
    let max = start.saturating_add(avail).saturating_sub(len);
    pos.clamp(start, max.max(start))
}
