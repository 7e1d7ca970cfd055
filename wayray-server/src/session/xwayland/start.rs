//! Starting the session's Xwayland: a free display number, a socket only the session's user
//! can connect to, the window manager once Xwayland is ready, and a new Xwayland on the same
//! display when the old one dies (so `DISPLAY` stays right for the session's apps).
//!
//! Xwayland starts with the session rather than on the first X11 connection: smithay binds
//! the X11 sockets and launches Xwayland in one call and its window manager needs that
//! launch's client, so a lazy start would mean a hand-written X server launcher.

use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use smithay::reexports::calloop::timer::{TimeoutAction, Timer};
use smithay::reexports::wayland_server::{Client, DisplayHandle};
use smithay::xwayland::{X11Wm, XWayland, XWaylandEvent};

use super::X11;
use super::association::Associations;
use crate::session::state::State;
use crate::session::window::AppWindow;
use crate::x11_socket_dir as socket_dir;

/// Display numbers tried, from 0 up; taken ones (a lock file of a live X server) are skipped.
const MAX_DISPLAY: u32 = 1023;
/// Times a dead Xwayland is started again before X11 apps are given up for the session.
const MAX_RESTARTS: u32 = 3;
/// How often surfaces of newly mapped X11 windows are looked for while some have none (for
/// at most `association::LOOK_FOR` after each window's mapping).
const RESOLVE_INTERVAL: Duration = Duration::from_millis(5);

/// Environment variables Xwayland gets (it starts with an empty environment otherwise).
const PASSED: [&str; 3] = ["LANG", "LANGUAGE", "LC_ALL"];

/// Sets a private umask while alive: the sockets smithay binds are the user's alone from the
/// first moment, not only after the chmod that follows.
struct PrivateUmask(libc::mode_t);

impl PrivateUmask {
    fn set() -> Self {
        // SAFETY: umask(2) cannot fail.
        Self(unsafe { libc::umask(0o077) })
    }
}

impl Drop for PrivateUmask {
    fn drop(&mut self) {
        // SAFETY: as above.
        unsafe { libc::umask(self.0) };
    }
}

fn spawn_on_free_display(
    dh: &DisplayHandle,
    wanted: Option<u32>,
) -> std::io::Result<(XWayland, Client)> {
    let envs: Vec<(String, String)> = std::env::vars()
        .filter(|(key, _)| PASSED.contains(&key.as_str()) || key.starts_with("LC_"))
        .collect();
    let candidates: Vec<u32> = match wanted {
        Some(number) => vec![number],
        None => (0..=MAX_DISPLAY).collect(),
    };
    let _umask = PrivateUmask::set();
    for number in candidates {
        match XWayland::spawn(
            dh,
            Some(number),
            envs.clone(),
            false,
            Stdio::null(),
            Stdio::null(),
            |_| {},
        ) {
            Ok(spawned) => return Ok(spawned),
            Err(err) if err.kind() == std::io::ErrorKind::AddrInUse => continue,
            Err(err) => return Err(err),
        }
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::AddrInUse,
        "every X11 display number is taken",
    ))
}

impl State {
    /// Starts the session's X server (on display `wanted`, or the first free one) and returns
    /// its number; applications started from now on get `DISPLAY`.
    pub fn start_x11(&mut self, wanted: Option<u32>) -> Result<u32, String> {
        socket_dir::prepare(Path::new(socket_dir::DIR)).map_err(|e| e.to_string())?;
        let (xwayland, client) = spawn_on_free_display(&self.display_handle, wanted)
            .map_err(|e| format!("cannot start Xwayland: {e}"))?;
        let number = xwayland.display_number();
        let socket = Path::new(socket_dir::DIR).join(format!("X{number}"));
        if let Err(err) =
            std::fs::set_permissions(&socket, std::os::unix::fs::PermissionsExt::from_mode(0o700))
        {
            tracing::warn!(%err, socket = %socket.display(), "cannot make the X11 socket private");
        }
        let source = self
            .loop_handle
            .insert_source(xwayland, |event, _, state| match event {
                XWaylandEvent::Ready {
                    x11_socket,
                    display_number: number,
                } => state.x11_ready(x11_socket, number),
                XWaylandEvent::Error => tracing::warn!("Xwayland exited while starting"),
            })
            .map_err(|e| format!("cannot watch Xwayland: {e}"))?;
        self.x11 = Some(X11 {
            display: number,
            client,
            wm: None,
            associations: Associations::default(),
            resolving: false,
            source: Some(source),
            restarts: 0,
            retired: Vec::new(),
            gone: false,
        });
        self.apps.set_x11_display(Some(number));
        tracing::info!(x11_display = number, "Xwayland started");
        Ok(number)
    }

    fn x11_ready(&mut self, socket: UnixStream, number: u32) {
        let Some(x11) = self.x11.as_mut() else {
            return;
        };
        match X11Wm::start_wm(self.loop_handle.clone(), socket, x11.client.clone()) {
            Ok(wm) => {
                x11.wm = Some(wm);
                tracing::info!(x11_display = number, "X11 apps can connect");
            }
            Err(err) => tracing::warn!(%err, "cannot start the X11 window manager"),
        }
    }

    /// Called every second: an Xwayland that died (also while starting, when no window
    /// manager connection exists yet to notice) is replaced.
    pub(crate) fn x11_check_alive(&mut self) {
        let dead = self.x11.as_ref().is_some_and(|x11| {
            !x11.gone && x11.client.get_credentials(&self.display_handle).is_err()
        });
        if dead {
            self.x11_lost(None);
        }
    }

    /// Xwayland died or its window manager connection `xwm` ended: its windows are gone; a
    /// new Xwayland takes the same display, a few times at most. An `xwm` that is not the
    /// current one's (an earlier Xwayland's) changes nothing.
    pub(crate) fn x11_lost(&mut self, xwm: Option<smithay::xwayland::xwm::XwmId>) {
        let Some(x11) = self.x11.as_mut() else {
            return;
        };
        let current = !x11.gone && (xwm.is_none() || x11.wm.as_ref().map(X11Wm::id) == xwm);
        if !current {
            // An earlier instance's window manager has delivered its last event.
            if let Some(xwm) = xwm {
                x11.retired.retain(|wm| wm.id() != xwm);
            }
            return;
        }
        x11.gone = true;
        // Kept until its connection reports its end (unless that is what this call is).
        if let Some(wm) = x11.wm.take().filter(|wm| Some(wm.id()) != xwm) {
            x11.retired.push(wm);
        }
        let source = x11.source.take();
        let (number, restarts) = (x11.display, x11.restarts);
        let gone: Vec<AppWindow> = self
            .space
            .elements()
            .filter(|w| w.x11().is_some())
            .cloned()
            .collect();
        for window in &gone {
            self.space.unmap_elem(window);
            self.wm.remove_window(window);
        }
        self.apply_wm_actions();
        if let Some(source) = source {
            // Drops the instance: its display lock is released and its client disconnected.
            self.loop_handle.remove(source);
        }
        if !self.running || restarts >= MAX_RESTARTS {
            tracing::warn!(
                x11_display = number,
                "Xwayland is gone; X11 apps cannot start"
            );
            self.apps.set_x11_display(None);
            return;
        }
        tracing::warn!(x11_display = number, "Xwayland died; starting it again");
        let old = self.x11.take();
        match self.start_x11(Some(number)) {
            Ok(_) => {
                if let (Some(new), Some(old)) = (self.x11.as_mut(), old) {
                    new.restarts = restarts + 1;
                    new.retired = old.retired;
                }
            }
            Err(err) => {
                tracing::warn!(%err, "X11 apps cannot start");
                self.x11 = old;
                self.apps.set_x11_display(None);
            }
        }
    }

    /// Looks for the surfaces of mapped X11 windows that have none; keeps looking for a
    /// while on a timer if some are still missing.
    pub(crate) fn x11_resolve(&mut self) {
        let Some(x11) = self.x11.as_mut() else {
            return;
        };
        let resolved = x11.associations.resolve(&x11.client, &self.display_handle);
        let arm = x11.associations.unresolved() && !x11.resolving;
        x11.resolving |= arm;
        for window in resolved {
            self.x11_window_shown(window);
        }
        if !arm {
            return;
        }
        let timer = Timer::from_duration(RESOLVE_INTERVAL);
        let inserted = self.loop_handle.insert_source(timer, move |_, _, state| {
            let Some(x11) = state.x11.as_mut() else {
                return TimeoutAction::Drop;
            };
            let resolved = x11.associations.resolve(&x11.client, &state.display_handle);
            let more = x11.associations.unresolved();
            x11.resolving = more;
            for window in resolved {
                state.x11_window_shown(window);
            }
            if more {
                TimeoutAction::ToDuration(RESOLVE_INTERVAL)
            } else {
                TimeoutAction::Drop
            }
        });
        if let Err(err) = inserted {
            tracing::warn!(%err, "cannot look for X11 surfaces");
        }
    }
}
