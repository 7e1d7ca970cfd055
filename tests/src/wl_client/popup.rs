//! Popups for tests: xdg_popups of a window (or of a layer surface, `layer.rs`) placed by a
//! positioner that grows them down-right from an anchor rectangle, and moved again.

use wayland_protocols::xdg::shell::client::{xdg_popup, xdg_positioner, xdg_surface};

use super::{ShmSurface, WlClient};

impl WlClient {
    /// Creates a popup of `parent` anchored at `anchor` (in the parent's window geometry),
    /// `size` large, and commits it.
    pub fn popup(
        &mut self,
        parent: &ShmSurface,
        anchor: (i32, i32),
        size: (i32, i32),
    ) -> ShmSurface {
        self.popup_of(Some(&parent.xdg), (anchor.0, anchor.1, 1, 1), size, |_| {})
    }

    /// Creates a popup anchored at the point `at` of `parent` (an anchor rectangle of no size,
    /// as a menu opened at the pointer), growing down-right, `size` large, and commits it.
    pub fn point_popup(
        &mut self,
        parent: &ShmSurface,
        at: (i32, i32),
        size: (i32, i32),
    ) -> ShmSurface {
        self.popup_of(Some(&parent.xdg), (at.0, at.1, 0, 0), size, |_| {})
    }

    /// Asks for `popup` to be placed again at the point `at` of its parent (`reposition`,
    /// answered by `popup N: repositioned TOKEN` and a configure).
    pub fn reposition_at_point(
        &mut self,
        popup: &ShmSurface,
        at: (i32, i32),
        size: (i32, i32),
        token: u32,
    ) {
        let positioner = self.positioner((at.0, at.1, 0, 0), size);
        popup
            .popup
            .as_ref()
            .expect("a popup")
            .reposition(&positioner, token);
        positioner.destroy();
    }

    /// A positioner for an anchor rectangle `anchor` (x, y, width, height) growing down-right
    /// (sliding back inside the output, then shortened or narrowed to fit, as GTK's menus
    /// allow), `size` large.
    fn positioner(
        &mut self,
        anchor: (i32, i32, i32, i32),
        size: (i32, i32),
    ) -> xdg_positioner::XdgPositioner {
        let positioner = self.wm_base.create_positioner(&self.qh, ());
        positioner.set_size(size.0, size.1);
        positioner.set_anchor_rect(anchor.0, anchor.1, anchor.2, anchor.3);
        positioner.set_anchor(xdg_positioner::Anchor::BottomRight);
        positioner.set_gravity(xdg_positioner::Gravity::BottomRight);
        positioner.set_constraint_adjustment(
            xdg_positioner::ConstraintAdjustment::SlideX
                | xdg_positioner::ConstraintAdjustment::SlideY
                | xdg_positioner::ConstraintAdjustment::ResizeX
                | xdg_positioner::ConstraintAdjustment::ResizeY,
        );
        positioner
    }

    /// Creates a popup at the anchor rectangle `anchor` (x, y, width, height) growing
    /// down-right, `size` large, with `parent` (or none: `adopt` gives it one), and commits it.
    pub(super) fn popup_of(
        &mut self,
        parent: Option<&xdg_surface::XdgSurface>,
        anchor: (i32, i32, i32, i32),
        size: (i32, i32),
        adopt: impl FnOnce(&xdg_popup::XdgPopup),
    ) -> ShmSurface {
        let index = self.events.serials.len();
        self.events.serials.push(None);
        let positioner = self.positioner(anchor, size);
        let surface = self.compositor.create_surface(&self.qh, ());
        let xdg = self.wm_base.get_xdg_surface(&surface, &self.qh, index);
        let popup = xdg.get_popup(parent, &positioner, &self.qh, index);
        adopt(&popup);
        surface.commit();
        ShmSurface {
            surface,
            xdg,
            toplevel: None,
            popup: Some(popup),
            buffer: None,
        }
    }
}
