//! Surfaces for the compositor's refusals and for roles given again: a surface with no role
//! that has a buffer, and an xdg toplevel made for a surface that exists already.

use wayland_client::protocol::wl_surface;
use wayland_protocols::xdg::shell::client::xdg_surface;

use super::{ShmBuffer, ShmSurface, WlClient};

/// A surface with no role and a buffer.
pub struct BareSurface {
    /// Its wl_surface.
    pub surface: wl_surface::WlSurface,
    buffer: Option<ShmBuffer>,
}

impl WlClient {
    /// A surface with no role, `size` large, `argb` attached, and committed when `commit`.
    pub fn bare_surface(&mut self, size: (i32, i32), argb: u32, commit: bool) -> BareSurface {
        let surface = self.compositor.create_surface(&self.qh, ());
        let mut bare = BareSurface {
            surface,
            buffer: None,
        };
        self.fill(&bare.surface, &mut bare.buffer, size, argb);
        if commit {
            bare.surface.commit();
        }
        bare
    }

    /// Asks for an xdg_surface for `surface` (and nothing else yet).
    pub fn xdg_surface_for(&mut self, surface: &wl_surface::WlSurface) -> xdg_surface::XdgSurface {
        let index = self.events.serials.len();
        self.events.serials.push(None);
        self.wm_base.get_xdg_surface(surface, &self.qh, index)
    }

    /// Makes `surface` an xdg toplevel titled `title` and commits it, asking for its first
    /// configure (an application showing a window again on the surface it had).
    pub fn toplevel_for(&mut self, surface: &wl_surface::WlSurface, title: &str) -> ShmSurface {
        let index = self.events.serials.len();
        let xdg = self.xdg_surface_for(surface);
        let toplevel = xdg.get_toplevel(&self.qh, index);
        toplevel.set_title(title.into());
        surface.commit();
        ShmSurface {
            surface: surface.clone(),
            xdg,
            toplevel: Some(toplevel),
            popup: None,
            buffer: None,
        }
    }
}
