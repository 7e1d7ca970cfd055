//! Applies the window manager's decisions to smithay: configures, positions, stacking, focus
//! and close requests, for xdg toplevels and X11 windows alike. The policy itself is in
//! `crate::session::wm`; this file must not make decisions.

use smithay::reexports::wayland_protocols::xdg::shell::server::xdg_toplevel;
use smithay::utils::{Rectangle, SERIAL_COUNTER};
use smithay::xwayland::X11Surface;

use crate::session::focus::KeyboardFocus;
use crate::session::state::State;
use crate::session::window::AppWindow;
use crate::session::wm::{Action, ResizeEdges, Size, WmWindow};
use crate::session::xwayland::association::surface_of;

impl WmWindow for AppWindow {
    fn min_size(&self) -> Size {
        let min = match self {
            AppWindow::Wayland(window) => window
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
                .unwrap_or_default(),
            AppWindow::X11(window) => window.min_size().unwrap_or_default(),
        };
        Size::new(min.w.max(1), min.h.max(1))
    }
}

impl State {
    /// A new toplevel: the WM places it; it is shown from its first commit on.
    pub(crate) fn wm_add_window(&mut self, window: AppWindow) {
        self.space.map_element(window.clone(), (0, 0), false);
        let preferred = match &window {
            // An X11 window asked for its size when it was created.
            AppWindow::X11(x11) => {
                let size = x11.geometry().size;
                Size::new(size.w.max(0), size.h.max(0))
            }
            AppWindow::Wayland(_) => Size::new(0, 0),
        };
        self.wm.add_window(window, preferred);
        self.apply_wm_actions();
    }

    pub(crate) fn wm_remove_window(&mut self, window: &AppWindow) {
        self.space.unmap_elem(window);
        self.wm.remove_window(window);
        self.apply_wm_actions();
    }

    pub(crate) fn wm_configure_acked(&mut self, window: &AppWindow) {
        self.wm.configure_acked(window);
        self.apply_wm_actions();
    }

    /// The client drew a new buffer: the WM learns its real size. A window showing pixels may
    /// take the keyboard even where it never acked its first configure (xdg-shell asks it to
    /// ack before its first buffer; some clients, the conformance suite's among them, do not).
    pub(crate) fn wm_committed(&mut self, window: &AppWindow) {
        let size = window.geometry().size;
        if size.w > 0 && size.h > 0 {
            self.wm.commit_size(window, Size::new(size.w, size.h));
            self.wm.configure_acked(window);
            self.apply_wm_actions();
        }
    }

    pub(crate) fn wm_request_maximize(&mut self, window: &AppWindow, maximized: bool) {
        self.wm.request_maximize(window, maximized);
        self.apply_wm_actions();
    }

    pub(crate) fn wm_request_fullscreen(&mut self, window: &AppWindow, fullscreen: bool) {
        self.wm.request_fullscreen(window, fullscreen);
        self.apply_wm_actions();
    }

    /// A client asked to be raised and focused (xdg-activation).
    pub(crate) fn wm_activate(&mut self, window: &AppWindow) {
        self.wm.activate(window);
        self.apply_wm_actions();
    }

    /// Client-initiated move (`edges` none) or resize from its own title bar or border. Only
    /// while a button press holds the pointer (for Wayland clients: the press whose `serial`
    /// the client names; X11 has no serial); the WM decides whether the window may move. A
    /// request that does not qualify is ignored, which xdg_shell and EWMH allow.
    pub(crate) fn wm_begin_interactive(
        &mut self,
        window: &AppWindow,
        serial: Option<smithay::utils::Serial>,
        edges: Option<ResizeEdges>,
    ) {
        let Some(pointer) = self.seat.get_pointer() else {
            return;
        };
        let held = match serial {
            Some(serial) => pointer.has_grab(serial),
            None => pointer.is_grabbed(),
        };
        if !held {
            return;
        }
        let began = match edges {
            None => self.wm.begin_client_move(window),
            Some(edges) => self.wm.begin_client_resize(window, edges),
        };
        if began {
            // The window follows the pointer now, not the client: the surface gets a leave
            // (the click's implicit grab would keep it focused until the button goes up).
            let time = self.now().as_millis() as u32;
            let serial = SERIAL_COUNTER.next_serial();
            pointer.unset_grab(self, serial, time);
            let location = pointer.current_location();
            pointer.motion(
                self,
                None,
                &smithay::input::pointer::MotionEvent {
                    location,
                    serial,
                    time,
                },
            );
            pointer.frame(self);
            self.pointer_origin = None;
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
                    resizing,
                } => {
                    let flags = Flags {
                        maximized,
                        fullscreen,
                        activated,
                        resizing,
                    };
                    match &window {
                        AppWindow::Wayland(_) => {
                            let bounds = self.output_config.logical_size();
                            configure_toplevel(&window, size, (bounds.w, bounds.h), flags);
                        }
                        AppWindow::X11(x11) => {
                            let loc = self.space.element_location(&window).unwrap_or_default();
                            let mut geometry = Rectangle::new(loc, x11.geometry().size);
                            if size.w > 0 && size.h > 0 {
                                geometry.size = (size.w, size.h).into();
                            }
                            configure_x11(x11, flags);
                            self.x11_configure(x11, geometry);
                        }
                    }
                }
                Action::Move { window, loc } => {
                    if let AppWindow::X11(x11) = &window {
                        let size = x11.geometry().size;
                        self.x11_configure(x11, Rectangle::new((loc.x, loc.y).into(), size));
                    }
                    self.space.map_element(window, (loc.x, loc.y), false);
                }
                Action::Raise(window) => {
                    self.space.raise_element(&window, true);
                    self.x11_raise(&window);
                }
                Action::Close(window) => match &window {
                    AppWindow::Wayland(_) => {
                        if let Some(toplevel) = window.toplevel() {
                            toplevel.send_close();
                        }
                    }
                    AppWindow::X11(x11) => {
                        if let Err(err) = x11.close() {
                            tracing::debug!(%err, "cannot close an X11 window");
                        }
                    }
                },
                Action::FocusChanged(window) => self.focus_window(window),
            }
        }
        self.schedule_render();
    }

    /// Gives the keyboard to `window` (or to nothing).
    fn focus_window(&mut self, window: Option<AppWindow>) {
        if self.keyboard_held_by_layer() {
            // The window manager's focus moves; the keyboard stays with the lock screen or
            // launcher until it goes (`layer_gone` gives it back).
            return;
        }
        let focus = window.and_then(|w| match w {
            AppWindow::Wayland(_) => w.wl_surface().map(KeyboardFocus::Surface),
            AppWindow::X11(x11) => surface_of(&x11).map(|surface| KeyboardFocus::X11 {
                window: x11,
                surface,
            }),
        });
        self.dismiss_grabbed_popups(focus.as_ref().map(|f| f.surface()));
        if let Some(keyboard) = self.seat.get_keyboard() {
            keyboard.set_focus(self, focus, SERIAL_COUNTER.next_serial());
        }
    }

    /// The window manager's focused window gets the keyboard back (a launcher closed).
    pub(crate) fn refocus_window(&mut self) {
        let window = self.wm.keyboard_focus().cloned();
        self.focus_window(window);
    }

    /// Keeps the X server's stacking order like the session's, so X11 clients that look at
    /// it (and Xwayland's own pointer picking) agree with what is shown.
    fn x11_raise(&mut self, window: &AppWindow) {
        let (AppWindow::X11(x11), Some(wm)) =
            (window, self.x11.as_mut().and_then(|x11| x11.wm.as_mut()))
        else {
            return;
        };
        if let Err(err) = wm.raise_window(x11) {
            tracing::debug!(%err, "cannot raise an X11 window");
        }
    }
}

/// The state flags of a configure.
#[derive(Clone, Copy)]
struct Flags {
    maximized: bool,
    fullscreen: bool,
    activated: bool,
    /// xdg only: X11 has no such state.
    resizing: bool,
}

fn configure_toplevel(window: &AppWindow, size: Size, bounds: (i32, i32), flags: Flags) {
    let Some(toplevel) = window.toplevel() else {
        return;
    };
    toplevel.with_pending_state(|state| {
        state.size = (size.w > 0 && size.h > 0).then(|| (size.w, size.h).into());
        // The largest size that fits the output, so clients pick a sensible first size.
        state.bounds = Some(bounds.into());
        for (flag, on) in [
            (xdg_toplevel::State::Maximized, flags.maximized),
            (xdg_toplevel::State::Fullscreen, flags.fullscreen),
            (xdg_toplevel::State::Activated, flags.activated),
            (xdg_toplevel::State::Resizing, flags.resizing),
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

fn configure_x11(window: &X11Surface, flags: Flags) {
    let results = [
        window.set_maximized(flags.maximized),
        window.set_fullscreen(flags.fullscreen),
        window.set_activated(flags.activated),
    ];
    for result in results {
        if let Err(err) = result {
            tracing::debug!(%err, "cannot set an X11 window's state");
        }
    }
}
