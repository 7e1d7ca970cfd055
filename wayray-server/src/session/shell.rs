//! Applies the window manager's decisions to smithay: configures, positions, stacking, focus
//! and close requests. The policy itself is in `crate::session::wm`; this file must not make decisions.

use smithay::desktop::Window;
use smithay::reexports::wayland_protocols::xdg::shell::server::xdg_toplevel;
use smithay::utils::SERIAL_COUNTER;

use crate::session::state::State;
use crate::session::wm::{Action, ResizeEdges, Size, WmWindow};

impl WmWindow for Window {
    fn min_size(&self) -> Size {
        let min = self
            .toplevel()
            .map(|t| {
                smithay::wayland::compositor::with_states(t.wl_surface(), |states| {
                    states
                        .cached_state
                        .get::<smithay::wayland::shell::xdg::SurfaceCachedState>()
                        .current()
                        .min_size
                })
            })
            .unwrap_or_default();
        Size::new(min.w.max(1), min.h.max(1))
    }
}

impl State {
    /// A new toplevel: the WM places it; it is shown from its first commit on.
    pub(crate) fn wm_add_window(&mut self, window: Window) {
        self.space.map_element(window.clone(), (0, 0), false);
        self.wm.add_window(window, Size::new(0, 0));
        self.apply_wm_actions();
    }

    pub(crate) fn wm_remove_window(&mut self, window: &Window) {
        self.space.unmap_elem(window);
        self.wm.remove_window(window);
        self.apply_wm_actions();
    }

    pub(crate) fn wm_configure_acked(&mut self, window: &Window) {
        self.wm.configure_acked(window);
        self.apply_wm_actions();
    }

    /// The client drew a new buffer: the WM learns its real size.
    pub(crate) fn wm_committed(&mut self, window: &Window) {
        let size = window.geometry().size;
        if size.w > 0 && size.h > 0 {
            self.wm.commit_size(window, Size::new(size.w, size.h));
            self.apply_wm_actions();
        }
    }

    pub(crate) fn wm_request_maximize(&mut self, window: &Window, maximized: bool) {
        self.wm.request_maximize(window, maximized);
        self.apply_wm_actions();
    }

    pub(crate) fn wm_request_fullscreen(&mut self, window: &Window, fullscreen: bool) {
        self.wm.request_fullscreen(window, fullscreen);
        self.apply_wm_actions();
    }

    /// A client asked to be raised and focused (xdg-activation).
    pub(crate) fn wm_activate(&mut self, window: &Window) {
        self.wm.activate(window);
        self.apply_wm_actions();
    }

    /// Client-initiated move (`edges` none) or resize from its own title bar or border. Only
    /// for the press that started the pointer's current implicit grab (`serial`); the WM
    /// decides whether the window may move. A request that does not qualify is ignored, which
    /// xdg_shell allows.
    pub(crate) fn wm_begin_interactive(
        &mut self,
        window: &Window,
        serial: smithay::utils::Serial,
        edges: Option<ResizeEdges>,
    ) {
        let Some(pointer) = self.seat.get_pointer() else {
            return;
        };
        if !pointer.has_grab(serial) {
            return;
        }
        let began = match edges {
            None => self.wm.begin_client_move(window),
            Some(edges) => self.wm.begin_client_resize(window, edges),
        };
        if began {
            self.apply_wm_actions();
        }
    }

    pub(crate) fn wm_output_resized(&mut self) {
        let size = self.output_config.logical_size();
        self.wm.set_output_size(Size::new(size.w, size.h));
        self.apply_wm_actions();
    }

    /// Carries out everything the WM decided since the last call.
    pub(crate) fn apply_wm_actions(&mut self) {
        let actions = self.wm.take_actions();
        if actions.is_empty() {
            return;
        }
        for action in actions {
            match action {
                Action::Configure {
                    window,
                    size,
                    maximized,
                    fullscreen,
                    activated,
                } => {
                    let bounds = self.output_config.logical_size();
                    configure(
                        &window,
                        size,
                        (bounds.w, bounds.h),
                        maximized,
                        fullscreen,
                        activated,
                    );
                }
                Action::Move { window, loc } => {
                    self.space.map_element(window, (loc.x, loc.y), false);
                }
                Action::Raise(window) => self.space.raise_element(&window, true),
                Action::Close(window) => {
                    if let Some(toplevel) = window.toplevel() {
                        toplevel.send_close();
                    }
                }
                Action::FocusChanged(window) => {
                    let surface = window.and_then(|w| w.toplevel().map(|t| t.wl_surface().clone()));
                    if let Some(keyboard) = self.seat.get_keyboard() {
                        keyboard.set_focus(self, surface, SERIAL_COUNTER.next_serial());
                    }
                }
            }
        }
        self.schedule_render();
    }
}

fn configure(
    window: &Window,
    size: Size,
    bounds: (i32, i32),
    maximized: bool,
    fullscreen: bool,
    activated: bool,
) {
    let Some(toplevel) = window.toplevel() else {
        return;
    };
    toplevel.with_pending_state(|state| {
        state.size = (size.w > 0 && size.h > 0).then(|| (size.w, size.h).into());
        // The largest size that fits the output, so clients pick a sensible first size.
        state.bounds = Some(bounds.into());
        for (flag, on) in [
            (xdg_toplevel::State::Maximized, maximized),
            (xdg_toplevel::State::Fullscreen, fullscreen),
            (xdg_toplevel::State::Activated, activated),
        ] {
            if on {
                state.states.set(flag);
            } else {
                state.states.unset(flag);
            }
        }
    });
    // Before the first commit the initial configure is sent by the commit handler.
    if toplevel.is_initial_configure_sent() {
        toplevel.send_pending_configure();
    }
}
