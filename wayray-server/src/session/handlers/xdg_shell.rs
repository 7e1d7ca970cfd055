//! xdg_shell: toplevels and popups. Placement and focus decisions are the window manager's.

use smithay::desktop::{
    PopupKind, PopupManager, Window, find_popup_root_surface, get_popup_toplevel_coords,
};
use smithay::input::Seat;
use smithay::reexports::wayland_protocols::xdg::shell::server::xdg_toplevel;
use smithay::reexports::wayland_server::protocol::{
    wl_output::WlOutput, wl_seat, wl_surface::WlSurface,
};
use smithay::utils::{Rectangle, Serial};
use smithay::wayland::compositor::with_states;
use smithay::wayland::shell::xdg::{
    Configure, PopupSurface, PositionerState, ToplevelSurface, XdgShellHandler, XdgShellState,
    XdgToplevelSurfaceData,
};

use crate::session::state::State;
use crate::session::window::AppWindow;
use crate::session::wm::ResizeEdges;

impl XdgShellHandler for State {
    fn xdg_shell_state(&mut self) -> &mut XdgShellState {
        &mut self.core.xdg_shell
    }

    fn new_toplevel(&mut self, surface: ToplevelSurface) {
        let window = AppWindow::Wayland(Window::new_wayland_window(surface));
        self.wm_add_window(window);
    }

    fn toplevel_destroyed(&mut self, surface: ToplevelSurface) {
        if let Some(window) = self.window_for_surface(surface.wl_surface()) {
            self.wm_remove_window(&window);
        }
        self.schedule_render();
    }

    fn new_popup(&mut self, surface: PopupSurface, mut positioner: PositionerState) {
        self.zero_anchors.take_using().restore(&mut positioner);
        // `unconstrain_popup` places a popup that has a root; one without a parent yet (a
        // layer surface's menu, adopted next) is placed from this state later.
        surface.with_pending_state(|state| {
            state.geometry = positioner.get_geometry();
            state.positioner = positioner;
        });
        self.unconstrain_popup(&surface, &positioner);
        if let Err(err) = self.popups.track_popup(PopupKind::Xdg(surface)) {
            tracing::warn!(%err, "cannot track popup");
        }
    }

    fn popup_destroyed(&mut self, surface: PopupSurface) {
        // What it covered is drawn again even if its application commits nothing else.
        self.schedule_render();
        self.popup_gone(&surface);
        // A popup that had the pointer (a tooltip under it): what it covered gets the pointer
        // now, not at the next motion, so that a click without moving reaches it.
        self.popups_mut().cleanup();
        self.refresh_pointer_focus();
    }

    fn reposition_request(
        &mut self,
        surface: PopupSurface,
        mut positioner: PositionerState,
        token: u32,
    ) {
        self.zero_anchors.take_using().restore(&mut positioner);
        self.unconstrain_popup(&surface, &positioner);
        surface.send_repositioned(token);
        if let Err(err) = surface.send_configure() {
            tracing::debug!(%err, "popup reposition configure");
        }
    }

    fn grab(&mut self, surface: PopupSurface, seat: wl_seat::WlSeat, serial: Serial) {
        let Some(seat) = Seat::<State>::from_resource(&seat) else {
            return;
        };
        self.popup_grab(PopupKind::Xdg(surface), &seat, serial);
    }

    fn ack_configure(&mut self, surface: WlSurface, _configure: Configure) {
        if let Some(window) = self.window_for_surface(&surface) {
            self.wm_configure_acked(&window);
        }
    }

    fn maximize_request(&mut self, surface: ToplevelSurface) {
        if let Some(window) = self.window_for_surface(surface.wl_surface()) {
            self.wm_request_maximize(&window, true);
        }
    }

    fn unmaximize_request(&mut self, surface: ToplevelSurface) {
        if let Some(window) = self.window_for_surface(surface.wl_surface()) {
            self.wm_request_maximize(&window, false);
        }
    }

    fn fullscreen_request(&mut self, surface: ToplevelSurface, _output: Option<WlOutput>) {
        if let Some(window) = self.window_for_surface(surface.wl_surface()) {
            self.wm_request_fullscreen(&window, true);
        }
    }

    fn unfullscreen_request(&mut self, surface: ToplevelSurface) {
        if let Some(window) = self.window_for_surface(surface.wl_surface()) {
            self.wm_request_fullscreen(&window, false);
        }
    }

    fn move_request(&mut self, surface: ToplevelSurface, _seat: wl_seat::WlSeat, serial: Serial) {
        if let Some(window) = self.window_for_surface(surface.wl_surface()) {
            self.wm_begin_interactive(&window, Some(serial), None);
        }
    }

    fn resize_request(
        &mut self,
        surface: ToplevelSurface,
        _seat: wl_seat::WlSeat,
        serial: Serial,
        edges: xdg_toplevel::ResizeEdge,
    ) {
        use xdg_toplevel::ResizeEdge as E;
        let (left, right, top, bottom) = match edges {
            E::Left => (true, false, false, false),
            E::Right => (false, true, false, false),
            E::Top => (false, false, true, false),
            E::Bottom => (false, false, false, true),
            E::TopLeft => (true, false, true, false),
            E::TopRight => (false, true, true, false),
            E::BottomLeft => (true, false, false, true),
            E::BottomRight => (false, true, false, true),
            _ => return,
        };
        let edges = ResizeEdges {
            left,
            right,
            top,
            bottom,
        };
        if let Some(window) = self.window_for_surface(surface.wl_surface()) {
            self.wm_begin_interactive(&window, Some(serial), Some(edges));
        }
    }
}

// smithay's `delegate_xdg_shell!` less xdg_positioner, xdg_surface and xdg_popup, which
// `positioner.rs` dispatches, and xdg_wm_base's requests (`xdg_wm_base.rs`).
smithay::reexports::wayland_server::delegate_global_dispatch!(State: [
    smithay::reexports::wayland_protocols::xdg::shell::server::xdg_wm_base::XdgWmBase: ()
] => XdgShellState);
smithay::reexports::wayland_server::delegate_dispatch!(State: [
    xdg_toplevel::XdgToplevel: smithay::wayland::shell::xdg::XdgShellSurfaceUserData
] => XdgShellState);

impl State {
    /// The mapped window whose toplevel surface is `surface`.
    pub fn window_for_surface(&self, surface: &WlSurface) -> Option<AppWindow> {
        self.space
            .elements()
            .find(|w| w.toplevel().is_some_and(|t| t.wl_surface() == surface))
            .cloned()
    }

    /// Initial configures: a toplevel or popup gets its first configure on its first commit.
    pub(crate) fn xdg_commit(&mut self, surface: &WlSurface) {
        if let Some(window) = self.window_for_surface(surface) {
            let initial_sent = with_states(surface, |states| {
                states
                    .data_map
                    .get::<XdgToplevelSurfaceData>()
                    .and_then(|data| data.lock().ok().map(|d| d.initial_configure_sent))
                    .unwrap_or(true)
            });
            if !initial_sent && let Some(toplevel) = window.toplevel() {
                toplevel.send_configure();
            }
            self.wm_committed(&window);
        }
        if let Some(PopupKind::Xdg(popup)) = self.popups.find_popup(surface)
            && !popup.is_initial_configure_sent()
            && let Err(err) = popup.send_configure()
        {
            tracing::debug!(%err, "initial popup configure");
        }
    }

    /// Keeps a popup inside the output (slide, then resize), as xdg_positioner allows. Its
    /// root is a window or a layer surface (a panel's menu).
    pub(crate) fn unconstrain_popup(&self, popup: &PopupSurface, positioner: &PositionerState) {
        let Ok(root) = find_popup_root_surface(&PopupKind::Xdg(popup.clone())) else {
            return;
        };
        // Where the root's window geometry starts on the output.
        let root_loc = match self.window_for_surface(&root) {
            Some(window) => self.space.element_location(&window),
            None => self.layer_origin(&root),
        };
        let Some(root_loc) = root_loc else {
            return;
        };
        let output_rect = self.output_logical_rect();
        // The target rectangle in the coordinates of the popup's parent.
        let parent_offset = root_loc + get_popup_toplevel_coords(&PopupKind::Xdg(popup.clone()));
        let mut target = output_rect;
        target.loc -= parent_offset;
        let geometry = positioner.get_unconstrained_geometry(target);
        popup.with_pending_state(|state| {
            state.geometry = geometry;
            state.positioner = *positioner;
        });
    }

    /// The output's area in logical coordinates.
    pub fn output_logical_rect(&self) -> Rectangle<i32, smithay::utils::Logical> {
        self.space
            .output_geometry(&self.output)
            .unwrap_or_else(|| Rectangle::from_size(self.output_config.logical_size()))
    }

    pub(crate) fn popups_mut(&mut self) -> &mut PopupManager {
        &mut self.popups
    }
}
