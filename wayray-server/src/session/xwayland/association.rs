//! Which Wayland surface shows which X11 window.
//!
//! Xwayland draws every mapped X11 window into a `wl_surface` of its own Wayland connection
//! and tells the window manager which one. Xwayland ≥ 23.1 does so through xwayland-shell and
//! smithay resolves it itself; Debian 12's Xwayland 22.1 only sends the surface's protocol id
//! in a `WL_SURFACE_ID` client message, which smithay records without resolving. This module
//! resolves such ids to the client's live surfaces.
//!
//! An id can be stale for a moment (a window unmapped and mapped again before its new id
//! arrives, and protocol ids are reused), so an association holds only while the window's
//! recorded id is still the surface's id, and a surface is never given to two windows. Must
//! never panic on a window or surface that went away.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::reexports::wayland_server::{Client, DisplayHandle, Resource};
use smithay::utils::IsAlive;
use smithay::xwayland::X11Surface;

/// How long after its mapping a window's surface is looked for actively. A window that never
/// gets one (an input-only window has no pixels) stops costing anything after that; it is
/// still resolved if its surface turns up on a later commit.
pub const LOOK_FOR: Duration = Duration::from_secs(5);

/// The surface this module found for a window, kept in the window's user data.
#[derive(Debug, Default)]
struct Found(Mutex<Option<WlSurface>>);

/// The recorded `WL_SURFACE_ID` of an old Xwayland (smithay marks the call deprecated because
/// new Xwayland versions do not send it).
#[allow(deprecated)]
fn recorded_id(window: &X11Surface) -> Option<u32> {
    window.wl_surface_id()
}

/// The surface `window` is drawn into, if known and still valid.
pub fn surface_of(window: &X11Surface) -> Option<WlSurface> {
    if let Some(surface) = window.wl_surface() {
        return Some(surface);
    }
    let found = window.user_data().get::<Found>()?;
    let surface = found.0.lock().ok()?.clone()?;
    (surface.alive() && recorded_id(window) == Some(surface.id().protocol_id())).then_some(surface)
}

fn set_found(window: &X11Surface, surface: Option<WlSurface>) {
    window
        .user_data()
        .insert_if_missing_threadsafe(Found::default);
    if let Some(found) = window.user_data().get::<Found>()
        && let Ok(mut slot) = found.0.lock()
    {
        *slot = surface;
    }
}

/// The mapped X11 windows (with when they were mapped) and their surfaces.
#[derive(Debug, Default)]
pub struct Associations {
    mapped: Vec<(X11Surface, Instant)>,
}

impl Associations {
    /// `window` is mapped (again): its surface is looked for from now on.
    pub fn mapped(&mut self, window: &X11Surface) {
        set_found(window, None);
        self.mapped.retain(|(w, _)| w != window);
        self.mapped.push((window.clone(), Instant::now()));
    }

    /// `window` is unmapped or destroyed: Xwayland destroys its surface.
    pub fn unmapped(&mut self, window: &X11Surface) {
        set_found(window, None);
        self.mapped.retain(|(w, _)| w != window && w.alive());
    }

    /// Whether a window mapped less than [`LOOK_FOR`] ago has no surface yet.
    pub fn unresolved(&self) -> bool {
        self.mapped
            .iter()
            .any(|(w, at)| at.elapsed() < LOOK_FOR && surface_of(w).is_none())
    }

    /// Looks up the surfaces of the windows that have none; returns the windows that got one.
    pub fn resolve(&mut self, client: &Client, dh: &DisplayHandle) -> Vec<X11Surface> {
        self.mapped.retain(|(w, _)| w.alive());
        let mut resolved = Vec::new();
        for index in 0..self.mapped.len() {
            let window = &self.mapped[index].0;
            if surface_of(window).is_some() {
                continue;
            }
            let Some(id) = recorded_id(window) else {
                continue;
            };
            let Ok(surface) = client.object_from_protocol_id::<WlSurface>(dh, id) else {
                continue;
            };
            let taken = self
                .mapped
                .iter()
                .any(|(other, _)| other != window && surface_of(other).as_ref() == Some(&surface));
            if taken || !surface.alive() {
                continue;
            }
            set_found(window, Some(surface));
            resolved.push(window.clone());
        }
        resolved
    }
}
