//! Where layer surfaces go and what size they are configured with (wlr-layer-shell), as a pure
//! function of the output and each surface's anchors, size, margins and exclusive zone.
//!
//! Surfaces with an exclusive zone are placed first (topmost layer first, then in the order
//! they were mapped), each inside what the ones before left free, and each takes its zone and
//! the margin on its edge off that area; the others are placed after them, inside the area left
//! (an exclusive zone of 0) or the whole output (-1). So a panel mapped after a window-like
//! layer surface still pushes it aside, as in sway. A size is stretched over the space between
//! two opposite anchors only where the client left it 0; a given size is centred there.

use smithay::utils::{Logical, Point, Rectangle, Size};
use smithay::wayland::shell::wlr_layer::{Anchor, ExclusiveZone, Layer, Margins};

/// What a layer surface asks for.
#[derive(Clone, Copy, Debug)]
pub struct Request {
    /// Its layer.
    pub layer: Layer,
    /// The edges it is anchored to.
    pub anchor: Anchor,
    /// Its size; 0 on an axis: as wide (high) as the space between its anchors.
    pub size: Size<i32, Logical>,
    /// Distances from the anchored edges.
    pub margin: Margins,
    /// The zone it keeps other surfaces out of.
    pub exclusive: ExclusiveZone,
    /// A place given by the harness embedding the compositor (the conformance suite's
    /// `move_surface_to`), kept over the one its anchors give.
    pub pinned: Option<Point<i32, Logical>>,
}

/// Where one layer surface goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Placement {
    /// Its top-left corner on the output.
    pub location: Point<i32, Logical>,
    /// The size it is configured with.
    pub size: Size<i32, Logical>,
}

/// The layers from the topmost down: exclusive zones of higher layers are taken first.
const ORDER: [Layer; 4] = [Layer::Overlay, Layer::Top, Layer::Bottom, Layer::Background];

/// Places `requests` (in the order they were mapped) on an output of `output`; returns each
/// one's placement, in the same order, and the area no exclusive zone covers.
pub fn arrange(
    output: Rectangle<i32, Logical>,
    requests: &[Request],
) -> (Vec<Placement>, Rectangle<i32, Logical>) {
    let mut placements = vec![None; requests.len()];
    let mut free = output;
    for exclusive_pass in [true, false] {
        for layer in ORDER {
            for (i, request) in requests.iter().enumerate() {
                if request.layer != layer || takes_zone(request) != exclusive_pass {
                    continue;
                }
                let bounds = match request.exclusive {
                    ExclusiveZone::DontCare => output,
                    ExclusiveZone::Neutral | ExclusiveZone::Exclusive(_) => free,
                };
                let mut placement = place(bounds, request);
                if let Some(pinned) = request.pinned {
                    placement.location = pinned;
                }
                if let ExclusiveZone::Exclusive(amount) = request.exclusive {
                    free = take_zone(free, request, amount);
                }
                placements[i] = Some(placement);
            }
        }
    }
    let placements = placements
        .into_iter()
        .map(|p| p.expect("every request has a layer of ORDER"))
        .collect();
    (placements, free)
}

/// Whether a request keeps others out of a zone.
fn takes_zone(request: &Request) -> bool {
    matches!(request.exclusive, ExclusiveZone::Exclusive(n) if n > 0)
}

/// Size and place inside `bounds`.
fn place(bounds: Rectangle<i32, Logical>, request: &Request) -> Placement {
    let (anchor, margin) = (request.anchor, request.margin);
    let horizontal = axis(
        bounds.loc.x,
        bounds.size.w,
        request.size.w,
        (anchor.contains(Anchor::LEFT), margin.left),
        (anchor.contains(Anchor::RIGHT), margin.right),
    );
    let vertical = axis(
        bounds.loc.y,
        bounds.size.h,
        request.size.h,
        (anchor.contains(Anchor::TOP), margin.top),
        (anchor.contains(Anchor::BOTTOM), margin.bottom),
    );
    Placement {
        location: (horizontal.0, vertical.0).into(),
        size: (horizontal.1, vertical.1).into(),
    }
}

/// Start and length on one axis of `length` at `start`, for a requested `size` anchored to
/// the low and high ends (each with its margin). Margins are the client's own numbers (any
/// `i32`, negative too): the arithmetic saturates.
fn axis(start: i32, length: i32, size: i32, low: (bool, i32), high: (bool, i32)) -> (i32, i32) {
    let low_margin = if low.0 { low.1 } else { 0 };
    let high_margin = if high.0 { high.1 } else { 0 };
    let space = length
        .saturating_sub(low_margin.saturating_add(high_margin))
        .max(1);
    let size = if size <= 0 { space } else { size.min(space) };
    let at = match (low.0, high.0) {
        (true, true) => start
            .saturating_add(low.1)
            .saturating_add((space - size) / 2),
        (true, false) => start.saturating_add(low.1),
        (false, true) => start
            .saturating_add(length)
            .saturating_sub(size)
            .saturating_sub(high.1),
        (false, false) => start.saturating_add((length - size) / 2),
    };
    (at, size)
}

/// The edge a surface is attached to, if its exclusive zone counts: anchored to one edge, or
/// to one edge and both edges across it.
fn attached_edge(anchor: Anchor) -> Option<Anchor> {
    let (left, right) = (
        anchor.contains(Anchor::LEFT),
        anchor.contains(Anchor::RIGHT),
    );
    let (top, bottom) = (
        anchor.contains(Anchor::TOP),
        anchor.contains(Anchor::BOTTOM),
    );
    match (left, right, top, bottom) {
        (true, false, t, b) if t == b => Some(Anchor::LEFT),
        (false, true, t, b) if t == b => Some(Anchor::RIGHT),
        (l, r, true, false) if l == r => Some(Anchor::TOP),
        (l, r, false, true) if l == r => Some(Anchor::BOTTOM),
        _ => None,
    }
}

/// `free` less the zone of `request` (`amount` and the margin on its edge).
fn take_zone(
    mut free: Rectangle<i32, Logical>,
    request: &Request,
    amount: u32,
) -> Rectangle<i32, Logical> {
    let amount = i32::try_from(amount).unwrap_or(i32::MAX);
    let margin = request.margin;
    let Some(edge) = attached_edge(request.anchor) else {
        return free;
    };
    if edge == Anchor::LEFT {
        let cut = amount.saturating_add(margin.left).clamp(0, free.size.w);
        free.loc.x += cut;
        free.size.w -= cut;
    } else if edge == Anchor::RIGHT {
        free.size.w -= amount.saturating_add(margin.right).clamp(0, free.size.w);
    } else if edge == Anchor::TOP {
        let cut = amount.saturating_add(margin.top).clamp(0, free.size.h);
        free.loc.y += cut;
        free.size.h -= cut;
    } else {
        free.size.h -= amount.saturating_add(margin.bottom).clamp(0, free.size.h);
    }
    free
}

#[cfg(test)]
#[path = "arrange_tests.rs"]
mod tests;
