//! smithay's X11 window manager events, turned into the session's window management:
//! ordinary X11 windows are managed like Wayland toplevels (placed, stacked, focused, moved,
//! resized, maximised by the same policy); override-redirect windows (menus, tooltips) are
//! shown where their client put them, above everything, and are not managed.

use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::utils::{Logical, Rectangle};
use smithay::wayland::xwayland_shell::{XWaylandShellHandler, XWaylandShellState};
use smithay::xwayland::xwm::{Reorder, ResizeEdge, XwmId};
use smithay::xwayland::{X11Surface, X11Wm, XwmHandler};
use smithay::{delegate_xwayland_shell, desktop::space::SpaceElement};

use crate::session::state::State;
use crate::session::window::AppWindow;
use crate::session::wm::ResizeEdges;

impl XWaylandShellHandler for State {
    fn xwayland_shell_state(&mut self) -> &mut XWaylandShellState {
        &mut self.core.xwayland_shell
    }

    fn surface_associated(&mut self, _xwm: XwmId, _surface: WlSurface, window: X11Surface) {
        self.x11_window_shown(window);
    }
}

delegate_xwayland_shell!(State);

impl State {
    /// An X11 window's surface is known: it can be drawn, and a managed one may get focus.
    pub(crate) fn x11_window_shown(&mut self, window: X11Surface) {
        let app = AppWindow::X11(window);
        if let Some(geometry) = self.space.element_geometry(&app) {
            app.output_enter(&self.output, geometry);
        }
        if self.wm.geometry(&app).is_some() {
            // X11 has no configure acknowledgement: a window with pixels is ready for focus.
            self.wm_configure_acked(&app);
        }
        self.schedule_render();
    }

    fn x11_mapped(&mut self, window: &X11Surface) {
        if let Some(x11) = self.x11.as_mut() {
            x11.associations.mapped(window);
        }
        self.x11_resolve();
    }

    fn x11_unmapped(&mut self, window: &X11Surface) {
        if let Some(x11) = self.x11.as_mut() {
            x11.associations.unmapped(window);
        }
        let app = AppWindow::X11(window.clone());
        if self.wm.geometry(&app).is_some() {
            self.wm_remove_window(&app);
        } else {
            self.space.unmap_elem(&app);
        }
        self.schedule_render();
    }
}

impl XwmHandler for State {
    fn xwm_state(&mut self, xwm: XwmId) -> &mut X11Wm {
        // smithay delivers events only of window managers it started, and each is kept
        // (current or retired) until it reported its end.
        self.x11
            .as_mut()
            .and_then(|x11| x11.wm_with_id(xwm))
            .expect("a window manager is kept until its connection ends")
    }

    fn new_window(&mut self, _xwm: XwmId, _window: X11Surface) {}

    fn new_override_redirect_window(&mut self, _xwm: XwmId, _window: X11Surface) {}

    fn map_window_request(&mut self, _xwm: XwmId, window: X11Surface) {
        if let Err(err) = window.set_mapped(true) {
            tracing::debug!(%err, "cannot map an X11 window");
            return;
        }
        self.wm_add_window(AppWindow::X11(window.clone()));
        self.x11_mapped(&window);
    }

    fn mapped_override_redirect_window(&mut self, _xwm: XwmId, window: X11Surface) {
        let loc = window.geometry().loc;
        self.space
            .map_element(AppWindow::X11(window.clone()), loc, false);
        self.x11_mapped(&window);
        self.schedule_render();
    }

    fn unmapped_window(&mut self, _xwm: XwmId, window: X11Surface) {
        self.x11_unmapped(&window);
        if !window.is_override_redirect()
            && let Err(err) = window.set_mapped(false)
        {
            tracing::debug!(%err, "cannot unmap an X11 window");
        }
    }

    fn destroyed_window(&mut self, _xwm: XwmId, window: X11Surface) {
        self.x11_unmapped(&window);
    }

    fn configure_request(
        &mut self,
        _xwm: XwmId,
        window: X11Surface,
        x: Option<i32>,
        y: Option<i32>,
        w: Option<u32>,
        h: Option<u32>,
        _reorder: Option<Reorder>,
    ) {
        let app = AppWindow::X11(window.clone());
        let mut geometry = window.geometry();
        let managed = self.wm.geometry(&app);
        if let Some(w) = w {
            geometry.size.w = i32::try_from(w).unwrap_or(i32::MAX).max(1);
        }
        if let Some(h) = h {
            geometry.size.h = i32::try_from(h).unwrap_or(i32::MAX).max(1);
        }
        match managed {
            // The window manager places managed windows; their size is the client's choice.
            Some(placed) => {
                geometry.loc = (placed.loc.x, placed.loc.y).into();
                self.x11_configure(&window, geometry);
                self.wm.commit_size(
                    &app,
                    crate::session::wm::Size::new(geometry.size.w, geometry.size.h),
                );
                self.apply_wm_actions();
            }
            None => {
                if let Some(x) = x {
                    geometry.loc.x = x;
                }
                if let Some(y) = y {
                    geometry.loc.y = y;
                }
                self.x11_configure(&window, geometry);
            }
        }
    }

    fn configure_notify(
        &mut self,
        _xwm: XwmId,
        window: X11Surface,
        geometry: Rectangle<i32, Logical>,
        _above: Option<u32>,
    ) {
        // Override-redirect windows move themselves.
        if window.is_override_redirect() {
            let app = AppWindow::X11(window);
            if self.space.element_location(&app).is_some() {
                self.space.map_element(app, geometry.loc, false);
            }
        }
        self.schedule_render();
    }

    fn maximize_request(&mut self, _xwm: XwmId, window: X11Surface) {
        self.wm_request_maximize(&AppWindow::X11(window), true);
    }

    fn unmaximize_request(&mut self, _xwm: XwmId, window: X11Surface) {
        self.wm_request_maximize(&AppWindow::X11(window), false);
    }

    fn fullscreen_request(&mut self, _xwm: XwmId, window: X11Surface) {
        self.wm_request_fullscreen(&AppWindow::X11(window), true);
    }

    fn unfullscreen_request(&mut self, _xwm: XwmId, window: X11Surface) {
        self.wm_request_fullscreen(&AppWindow::X11(window), false);
    }

    fn resize_request(&mut self, _xwm: XwmId, window: X11Surface, _button: u32, edge: ResizeEdge) {
        let (left, right, top, bottom) = match edge {
            ResizeEdge::Left => (true, false, false, false),
            ResizeEdge::Right => (false, true, false, false),
            ResizeEdge::Top => (false, false, true, false),
            ResizeEdge::Bottom => (false, false, false, true),
            ResizeEdge::TopLeft => (true, false, true, false),
            ResizeEdge::TopRight => (false, true, true, false),
            ResizeEdge::BottomLeft => (true, false, false, true),
            ResizeEdge::BottomRight => (false, true, false, true),
        };
        let edges = ResizeEdges {
            left,
            right,
            top,
            bottom,
        };
        self.wm_begin_interactive(&AppWindow::X11(window), None, Some(edges));
    }

    fn move_request(&mut self, _xwm: XwmId, window: X11Surface, _button: u32) {
        self.wm_begin_interactive(&AppWindow::X11(window), None, None);
    }

    fn allow_selection_access(
        &mut self,
        xwm: XwmId,
        selection: smithay::wayland::selection::SelectionTarget,
    ) -> bool {
        self.x11_may_read_selection(xwm, selection)
    }

    fn send_selection(
        &mut self,
        _xwm: XwmId,
        selection: smithay::wayland::selection::SelectionTarget,
        mime_type: String,
        fd: std::os::fd::OwnedFd,
    ) {
        self.x11_reads_selection(selection, mime_type, fd);
    }

    fn new_selection(
        &mut self,
        _xwm: XwmId,
        selection: smithay::wayland::selection::SelectionTarget,
        mime_types: Vec<String>,
    ) {
        self.x11_selection_set(selection, mime_types);
    }

    fn cleared_selection(
        &mut self,
        _xwm: XwmId,
        selection: smithay::wayland::selection::SelectionTarget,
    ) {
        self.x11_selection_cleared(selection);
    }

    fn disconnected(&mut self, xwm: XwmId) {
        self.x11_lost(Some(xwm));
    }
}

impl State {
    /// Moves and sizes an X11 window in the X server (root coordinates are the output's).
    pub(crate) fn x11_configure(&self, window: &X11Surface, geometry: Rectangle<i32, Logical>) {
        if let Err(err) = window.configure(geometry) {
            tracing::debug!(%err, "cannot configure an X11 window");
        }
    }
}
