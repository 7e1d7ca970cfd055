//! A window of the session: an xdg toplevel (smithay's `Window`) or an X11 window from
//! Xwayland. The space, the window manager, rendering and input all handle this one type.
//!
//! An X11 window is drawn from the Wayland surface Xwayland made for it; until that surface
//! is known (see [`crate::session::xwayland::association`]) it has no pixels and takes no
//! input. Must never block or panic on a window whose client went away.

use std::time::Duration;

use smithay::backend::renderer::element::surface::{
    WaylandSurfaceRenderElement, render_elements_from_surface_tree,
};
use smithay::backend::renderer::element::{AsRenderElements, Kind};
use smithay::backend::renderer::{ImportAll, Renderer};
use smithay::desktop::space::SpaceElement;
use smithay::desktop::utils::{
    OutputPresentationFeedback, output_update, send_frames_surface_tree,
    take_presentation_feedback_surface_tree, under_from_surface_tree,
};
use smithay::desktop::{Window, WindowSurfaceType};
use smithay::output::Output;
use smithay::reexports::wayland_protocols::wp::presentation_time::server::wp_presentation_feedback;
use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::utils::{IsAlive, Logical, Physical, Point, Rectangle, Scale};
use smithay::wayland::compositor::SurfaceData;
use smithay::wayland::shell::xdg::ToplevelSurface;
use smithay::xwayland::X11Surface;

use crate::session::xwayland::association::surface_of;

/// One window of the session.
// smithay's X11 window handle is large (it carries the X atoms) but cheap to copy; boxing it
// would allocate on every clone of a window.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum AppWindow {
    /// An xdg toplevel of a Wayland client.
    Wayland(Window),
    /// A window of an X11 client (managed, or an override-redirect menu or tooltip).
    X11(X11Surface),
}

impl AppWindow {
    /// The xdg toplevel, for a Wayland window.
    pub fn toplevel(&self) -> Option<&ToplevelSurface> {
        match self {
            Self::Wayland(window) => window.toplevel(),
            Self::X11(_) => None,
        }
    }

    /// The X11 window, for an X11 window.
    pub fn x11(&self) -> Option<&X11Surface> {
        match self {
            Self::Wayland(_) => None,
            Self::X11(window) => Some(window),
        }
    }

    /// The surface the window is drawn from (an X11 window's once Xwayland made it).
    pub fn wl_surface(&self) -> Option<WlSurface> {
        match self {
            Self::Wayland(window) => window.toplevel().map(|t| t.wl_surface().clone()),
            Self::X11(window) => surface_of(window),
        }
    }

    /// The window's geometry relative to where it is placed (its visible part).
    pub fn geometry(&self) -> Rectangle<i32, Logical> {
        match self {
            Self::Wayland(window) => window.geometry(),
            Self::X11(window) => Rectangle::from_size(window.geometry().size),
        }
    }

    /// Whether this is an X11 override-redirect window (a menu or tooltip no WM manages).
    pub fn is_override_redirect(&self) -> bool {
        self.x11().is_some_and(X11Surface::is_override_redirect)
    }

    /// A commit on the window's surface tree (smithay's `Window` caches its geometry).
    pub fn on_commit(&self) {
        if let Self::Wayland(window) = self {
            window.on_commit();
        }
    }

    /// The surface under `point` (window coordinates) and its position.
    pub fn surface_under(
        &self,
        point: Point<f64, Logical>,
        kind: WindowSurfaceType,
    ) -> Option<(WlSurface, Point<i32, Logical>)> {
        match self {
            Self::Wayland(window) => window.surface_under(point, kind),
            Self::X11(window) => {
                let surface = surface_of(window)?;
                under_from_surface_tree(&surface, point, (0, 0), kind)
            }
        }
    }

    /// Frame callbacks for everything the window shows.
    pub fn send_frame(&self, output: &Output, time: Duration) {
        let pick = |_: &WlSurface, _: &SurfaceData| Some(output.clone());
        match self {
            Self::Wayland(window) => window.send_frame(output, time, Some(Duration::ZERO), pick),
            Self::X11(window) => {
                if let Some(surface) = surface_of(window) {
                    send_frames_surface_tree(&surface, output, time, Some(Duration::ZERO), pick);
                }
            }
        }
    }

    /// Presentation feedback of everything the window shows.
    pub fn take_presentation_feedback(&self, feedback: &mut OutputPresentationFeedback) {
        let primary = smithay::desktop::utils::surface_primary_scanout_output;
        let kind = |_: &WlSurface, _: &SurfaceData| wp_presentation_feedback::Kind::empty();
        match self {
            Self::Wayland(window) => window.take_presentation_feedback(feedback, primary, kind),
            Self::X11(window) => {
                if let Some(surface) = surface_of(window) {
                    take_presentation_feedback_surface_tree(&surface, feedback, primary, kind);
                }
            }
        }
    }
}

impl IsAlive for AppWindow {
    fn alive(&self) -> bool {
        match self {
            Self::Wayland(window) => window.alive(),
            Self::X11(window) => window.alive(),
        }
    }
}

impl SpaceElement for AppWindow {
    fn geometry(&self) -> Rectangle<i32, Logical> {
        AppWindow::geometry(self)
    }

    fn bbox(&self) -> Rectangle<i32, Logical> {
        match self {
            Self::Wayland(window) => SpaceElement::bbox(window),
            Self::X11(window) => Rectangle::from_size(window.geometry().size),
        }
    }

    fn is_in_input_region(&self, point: &Point<f64, Logical>) -> bool {
        self.surface_under(*point, WindowSurfaceType::ALL).is_some()
    }

    fn z_index(&self) -> u8 {
        match self {
            Self::Wayland(window) => SpaceElement::z_index(window),
            // Menus and tooltips above every managed window.
            Self::X11(window) if window.is_override_redirect() => {
                smithay::desktop::space::RenderZindex::Overlay as u8
            }
            Self::X11(_) => smithay::desktop::space::RenderZindex::Shell as u8,
        }
    }

    fn set_activate(&self, activated: bool) {
        match self {
            Self::Wayland(window) => SpaceElement::set_activate(window, activated),
            Self::X11(window) => {
                if !window.is_override_redirect()
                    && let Err(err) = window.set_activated(activated)
                {
                    tracing::debug!(%err, "cannot (de)activate an X11 window");
                }
            }
        }
    }

    fn output_enter(&self, output: &Output, overlap: Rectangle<i32, Logical>) {
        match self {
            Self::Wayland(window) => SpaceElement::output_enter(window, output, overlap),
            Self::X11(window) => {
                if let Some(surface) = surface_of(window) {
                    output_update(output, Some(overlap), &surface);
                }
            }
        }
    }

    fn output_leave(&self, output: &Output) {
        match self {
            Self::Wayland(window) => SpaceElement::output_leave(window, output),
            Self::X11(window) => {
                if let Some(surface) = surface_of(window) {
                    output_update(output, None, &surface);
                }
            }
        }
    }

    fn refresh(&self) {
        if let Self::Wayland(window) = self {
            SpaceElement::refresh(window);
        }
    }
}

impl<R> AsRenderElements<R> for AppWindow
where
    R: Renderer + ImportAll,
    R::TextureId: Clone + 'static,
{
    type RenderElement = WaylandSurfaceRenderElement<R>;

    fn render_elements<C: From<WaylandSurfaceRenderElement<R>>>(
        &self,
        renderer: &mut R,
        location: Point<i32, Physical>,
        scale: Scale<f64>,
        alpha: f32,
    ) -> Vec<C> {
        match self {
            Self::Wayland(window) => window.render_elements(renderer, location, scale, alpha),
            Self::X11(window) => match surface_of(window) {
                Some(surface) => render_elements_from_surface_tree(
                    renderer,
                    &surface,
                    location,
                    scale,
                    alpha,
                    Kind::Unspecified,
                ),
                None => Vec::new(),
            },
        }
    }
}
