//! X11 applications through Xwayland: one rootless X server per session, started with the
//! session when `[session] x11` is on, with smithay's X11 window manager.
//!
//! - `start`: finds a free display, spawns Xwayland on a private socket, starts the WM, and
//!   starts Xwayland again on the same display if it dies.
//! - `crate::x11_socket_dir`: checks (or creates) `/tmp/.X11-unix` so no other user can take
//!   the session's socket.
//! - `association`: which Wayland surface shows which X11 window.
//! - `wm`: X11 windows handed to the session's window manager; override-redirect menus and
//!   tooltips placed where the client put them.
//! - `selection`: the X11 clipboard and primary selection bridged to the Wayland ones.
//!
//! X11 apps see `DISPLAY=:N`; nothing listens on an abstract socket, and the socket is the
//! session user's alone (mode 0700), so another user's program cannot connect.

pub mod association;
mod selection;
pub mod start;
mod wm;

use smithay::reexports::calloop::RegistrationToken;
use smithay::reexports::wayland_server::Client;
use smithay::xwayland::X11Wm;

use association::Associations;

/// The session's X server, once started.
#[derive(Debug)]
pub struct X11 {
    /// The display number (`DISPLAY=:N`).
    pub display: u32,
    /// Xwayland's Wayland connection.
    pub client: Client,
    /// The window manager, once Xwayland is ready.
    pub wm: Option<X11Wm>,
    /// Which surface shows which window.
    pub associations: Associations,
    /// A timer looks for surfaces of windows that have none.
    pub resolving: bool,
    /// The Xwayland instance's event source (it holds the display's lock).
    pub(crate) source: Option<RegistrationToken>,
    /// Times Xwayland was started again after it died.
    pub(crate) restarts: u32,
    /// Window managers of earlier Xwayland instances whose connection has not reported its
    /// end yet (smithay may still deliver their last events).
    pub(crate) retired: Vec<X11Wm>,
    /// This instance died and was not replaced: X11 apps cannot start any more.
    pub(crate) gone: bool,
}

impl X11 {
    /// The window manager with id `xwm`: the current one or a retired one.
    pub(crate) fn wm_with_id(&mut self, xwm: smithay::xwayland::xwm::XwmId) -> Option<&mut X11Wm> {
        if self.wm.as_ref().is_some_and(|wm| wm.id() == xwm) {
            return self.wm.as_mut();
        }
        self.retired.iter_mut().find(|wm| wm.id() == xwm)
    }
}
