//! Pointer constraints (zwp_pointer_constraints_v1): a game or 3D view locks the pointer in
//! place or confines it to its surface. A constraint is active while its surface has both
//! the pointer and the keyboard, and is given up (`unlocked` / `unconfined`) when either
//! goes elsewhere. The viewer keeps sending absolute positions: while locked they move
//! nothing and become relative motion only; while confined they are kept inside the surface
//! (or the constraint's region).

use smithay::desktop::utils::bbox_from_surface_tree;
use smithay::input::pointer::PointerHandle;
use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::utils::{Logical, Point, Rectangle, Size};
use smithay::wayland::compositor::get_parent;
use smithay::wayland::pointer_constraints::{PointerConstraint, with_pointer_constraint};

use crate::session::state::State;

/// What an active constraint does to the next position.
pub(crate) enum Hold {
    /// No constraint: the pointer goes where the viewer says.
    Free,
    /// Locked: the pointer stays.
    Locked,
    /// Confined to this area (output coordinates).
    Confined(Rectangle<f64, Logical>),
}

impl State {
    /// The constraint the pointer is under now.
    pub(crate) fn pointer_hold(&self, pointer: &PointerHandle<State>) -> Hold {
        let (Some(surface), Some(origin)) = (pointer.current_focus(), self.pointer_origin) else {
            return Hold::Free;
        };
        // The surface's state is locked while its constraint is looked at: its size is read
        // after.
        let held = with_pointer_constraint(&surface, pointer, |constraint| {
            match constraint.as_deref() {
                Some(c @ PointerConstraint::Locked(_)) if c.is_active() => Some(None),
                Some(c @ PointerConstraint::Confined(_)) if c.is_active() => {
                    Some(Some(c.region().and_then(region_bounds)))
                }
                _ => None,
            }
        });
        match held {
            None => Hold::Free,
            Some(None) => Hold::Locked,
            Some(Some(bounds)) => Hold::Confined(confine_area(&surface, origin, bounds)),
        }
    }

    /// After the pointer's or the keyboard's focus changed: the constraint of the surface
    /// that has both is active, the one active before (elsewhere) is given up.
    pub(crate) fn update_pointer_constraints(&mut self) {
        let Some(pointer) = self.seat.get_pointer() else {
            return;
        };
        let keyboard = self
            .seat
            .get_keyboard()
            .and_then(|k| k.current_focus())
            .map(|focus| focus.surface().clone());
        let target = pointer
            .current_focus()
            .filter(|surface| keyboard.as_ref() == Some(&root_of(surface)));
        if self.constrained != target
            && let Some(old) = self.constrained.take()
        {
            with_pointer_constraint(&old, &pointer, |constraint| {
                if let Some(constraint) = constraint.filter(|c| c.is_active()) {
                    constraint.deactivate();
                }
            });
        }
        if let Some(surface) = &target {
            with_pointer_constraint(surface, &pointer, |constraint| {
                if let Some(constraint) = constraint.filter(|c| !c.is_active()) {
                    constraint.activate();
                }
            });
        }
        self.constrained = target;
    }
}

/// The surface `surface` belongs to (itself, or the parent of its subsurface tree).
fn root_of(surface: &WlSurface) -> WlSurface {
    let mut root = surface.clone();
    while let Some(parent) = get_parent(&root) {
        root = parent;
    }
    root
}

/// Where a confined pointer may go: the surface's own area, narrowed to the bounds of the
/// constraint's region when it has one, in output coordinates (the last pixel included).
fn confine_area(
    surface: &WlSurface,
    origin: Point<f64, Logical>,
    region: Option<Rectangle<i32, Logical>>,
) -> Rectangle<f64, Logical> {
    let mut area = bbox_from_surface_tree(surface, (0, 0));
    if let Some(bounds) = region {
        area = area.intersection(bounds).unwrap_or(area);
    }
    let last = Size::<f64, Logical>::from((
        f64::from((area.size.w - 1).max(0)),
        f64::from((area.size.h - 1).max(0)),
    ));
    Rectangle::new(area.loc.to_f64() + origin, last)
}

/// The bounding box of the added rectangles of a region.
fn region_bounds(
    region: &smithay::wayland::compositor::RegionAttributes,
) -> Option<Rectangle<i32, Logical>> {
    use smithay::wayland::compositor::RectangleKind;
    region
        .rects
        .iter()
        .filter(|(kind, _)| matches!(kind, RectangleKind::Add))
        .map(|(_, rect)| *rect)
        .reduce(|a, b| a.merge(b))
}

impl Hold {
    /// Where the pointer goes when the viewer puts it at `wanted`; `None`: it stays.
    pub(crate) fn apply(&self, wanted: Point<f64, Logical>) -> Option<Point<f64, Logical>> {
        match self {
            Hold::Free => Some(wanted),
            Hold::Locked => None,
            Hold::Confined(area) => Some(Point::from((
                wanted.x.clamp(area.loc.x, area.loc.x + area.size.w),
                wanted.y.clamp(area.loc.y, area.loc.y + area.size.h),
            ))),
        }
    }
}
