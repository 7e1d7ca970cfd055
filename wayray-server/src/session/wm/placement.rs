//! Pure placement rules: initial size, centring, cascading, and keeping
//! floating windows reachable.
//!
//! Owns the numbers behind "where does a window go". Must never touch the
//! window stack, focus or actions: every function here is a pure function of
//! its arguments so the rules can be read (and changed) in one place.

use super::geometry::{Point, Rect, Size};

/// Offset between cascaded windows.
pub(super) const CASCADE_STEP: i32 = 32;

/// How much of a floating window (per axis, capped by its size) must stay on
/// the output so the user can still Alt+drag it back.
pub(super) const MIN_VISIBLE: i32 = 32;

/// Size assumed for placing a window whose client picks its own size.
pub(super) fn default_size(output: Size) -> Size {
    Size::new(output.w * 2 / 3, output.h * 2 / 3).at_least(Size::new(1, 1))
}

/// Floating size for a new window: the preferred size where given, the
/// default where 0, shrunk to the output but never below `min`.
pub(super) fn initial_size(preferred: Size, min: Size, output: Size) -> Size {
    let default = default_size(output);
    let w = if preferred.w > 0 {
        preferred.w
    } else {
        default.w
    };
    let h = if preferred.h > 0 {
        preferred.h
    } else {
        default.h
    };
    Size::new(w, h).at_most(output).at_least(min)
}

/// Top-left corner that centres `size` on `centre`.
pub(super) fn centred(centre: Point, size: Size) -> Point {
    centre - Point::new(size.w / 2, size.h / 2)
}

/// A window larger than the output on an axis starts at the output's edge on that axis, so
/// its title bar and the start of its content are on screen.
pub(super) fn origin_visible(loc: Point, size: Size, output: Rect) -> Point {
    let x = if size.w >= output.size.w {
        output.loc.x
    } else {
        loc.x
    };
    let y = if size.h >= output.size.h {
        output.loc.y
    } else {
        loc.y
    };
    Point::new(x, y)
}

/// Starting at `start`, steps by `CASCADE_STEP` diagonally while `occupied`
/// says another window already sits there, wrapping to the output's corner
/// when the next step would leave the output. Gives up after `max_steps`
/// (the number of existing windows bounds how many spots can be taken).
pub(super) fn cascade(
    output: Rect,
    size: Size,
    start: Point,
    max_steps: usize,
    occupied: impl Fn(Point) -> bool,
) -> Point {
    let mut loc = start;
    for _ in 0..max_steps {
        if !occupied(loc) {
            break;
        }
        let next = loc + Point::new(CASCADE_STEP, CASCADE_STEP);
        loc = if output.contains_rect(&Rect::from_parts(next, size)) {
            next
        } else {
            output.loc
        };
    }
    loc
}

/// Moves `rect` (never resizes it) so at least `MIN_VISIBLE` pixels of it,
/// or all of it if smaller, overlap `output` on each axis.
pub(super) fn keep_visible(rect: Rect, output: Rect) -> Rect {
    let x = keep_span(rect.loc.x, rect.size.w, output.loc.x, output.size.w);
    let y = keep_span(rect.loc.y, rect.size.h, output.loc.y, output.size.h);
    Rect::from_parts(Point::new(x, y), rect.size)
}

fn keep_span(pos: i32, len: i32, start: i32, avail: i32) -> i32 {
    let keep = MIN_VISIBLE.min(len).min(avail).max(1);
    let lo = start.saturating_sub(len.saturating_sub(keep));
    let hi = start.saturating_add(avail).saturating_sub(keep);
    pos.clamp(lo.min(hi), hi)
}
