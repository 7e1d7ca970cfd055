//! Subsurfaces for tests: a surface drawn inside a window (wl_subcompositor), filled with one
//! colour.

use wayland_client::protocol::{wl_subcompositor, wl_subsurface, wl_surface};

use super::{ShmBuffer, WlClient};

/// A subsurface and its buffer.
pub struct Subsurface {
    /// Its wl_surface.
    pub surface: wl_surface::WlSurface,
    /// Its role object (position, stacking, sync).
    pub role: wl_subsurface::WlSubsurface,
    buffer: Option<ShmBuffer>,
}

impl WlClient {
    /// A subsurface of `parent` at `at`, `size` large, filled with `argb` and committed;
    /// desynchronized (its commits show at once) when `desync`. It shows once the parent
    /// commits.
    pub fn subsurface(
        &mut self,
        parent: &wl_surface::WlSurface,
        at: (i32, i32),
        size: (i32, i32),
        argb: u32,
        desync: bool,
    ) -> Subsurface {
        let subcompositor: wl_subcompositor::WlSubcompositor = self
            .globals
            .bind(&self.qh, 1..=1, ())
            .expect("wl_subcompositor");
        let surface = self.compositor.create_surface(&self.qh, ());
        let role = subcompositor.get_subsurface(&surface, parent, &self.qh, ());
        role.set_position(at.0, at.1);
        if desync {
            role.set_desync();
        }
        let mut sub = Subsurface {
            surface,
            role,
            buffer: None,
        };
        self.redraw_subsurface(&mut sub, size, argb);
        sub
    }

    /// Fills `sub` (`size` large) with `argb` and commits it, asking for a frame callback.
    pub fn redraw_subsurface(&mut self, sub: &mut Subsurface, size: (i32, i32), argb: u32) {
        self.fill(&sub.surface, &mut sub.buffer, size, argb);
        sub.surface.frame(&self.qh, ());
        self.events.frames_requested += 1;
        sub.surface.commit();
    }
}
