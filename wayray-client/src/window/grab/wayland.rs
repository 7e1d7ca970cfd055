//! The keyboard grab on a Wayland desk: the window asks the desk's compositor, through
//! keyboard-shortcuts-inhibit, to send it the keys of the compositor's own shortcuts while it
//! has focus. This runs on winit's connection to the desk (its display and surface, from the
//! raw handles) with an event queue of its own, so winit's event handling is not touched.

use std::sync::Arc;

use wayland_backend::client::{Backend, ObjectId};
use wayland_client::globals::{GlobalListContents, registry_queue_init};
use wayland_client::protocol::{wl_registry, wl_seat::WlSeat, wl_surface::WlSurface};
use wayland_client::{Connection, Dispatch, EventQueue, Proxy, QueueHandle};
use wayland_protocols::wp::keyboard_shortcuts_inhibit::zv1::client::{
    zwp_keyboard_shortcuts_inhibit_manager_v1::ZwpKeyboardShortcutsInhibitManagerV1,
    zwp_keyboard_shortcuts_inhibitor_v1::{self, ZwpKeyboardShortcutsInhibitorV1},
};
use winit::raw_window_handle::{
    HasDisplayHandle, HasWindowHandle, RawDisplayHandle, RawWindowHandle,
};
use winit::window::Window;

use super::GrabError;

/// What the desk's compositor said about the inhibitor.
#[derive(Debug, Default)]
struct Events {
    active: bool,
}

/// The inhibitor of one window's surface, created on request and destroyed on release.
pub(super) struct WaylandInhibit {
    queue: EventQueue<Events>,
    events: Events,
    manager: ZwpKeyboardShortcutsInhibitManagerV1,
    seat: WlSeat,
    surface: WlSurface,
    inhibitor: Option<ZwpKeyboardShortcutsInhibitorV1>,
    /// winit's window, which keeps winit's connection to the desk open: declared last, so it
    /// is dropped after every object above that lives on that connection.
    _window: Arc<Window>,
}

impl WaylandInhibit {
    /// Binds the desk's inhibit manager and seat for `window`'s surface.
    pub(super) fn new(window: &Arc<Window>) -> Result<Self, GrabError> {
        let display = match window.display_handle().map(|h| h.as_raw()) {
            Ok(RawDisplayHandle::Wayland(handle)) => handle.display,
            _ => return Err(GrabError::Unsupported),
        };
        let surface = match window.window_handle().map(|h| h.as_raw()) {
            Ok(RawWindowHandle::Wayland(handle)) => handle.surface,
            _ => return Err(GrabError::Unsupported),
        };
        // SAFETY: `display` is winit's live wl_display, kept connected by `window`, which this
        // value holds until everything made on this connection is gone (field order).
        let backend = unsafe { Backend::from_foreign_display(display.as_ptr().cast()) };
        let connection = Connection::from_backend(backend);
        // SAFETY: `surface` is the window's live wl_surface proxy, alive as long as `window`.
        let surface_id =
            unsafe { ObjectId::from_ptr(WlSurface::interface(), surface.as_ptr().cast()) }
                .map_err(|_| GrabError::Unsupported)?;
        let surface =
            WlSurface::from_id(&connection, surface_id).map_err(|_| GrabError::Unsupported)?;
        let unsupported = |_| GrabError::Unsupported;
        let (globals, queue) = registry_queue_init::<Events>(&connection).map_err(|e| {
            tracing::debug!(%e, "cannot list the desk's globals");
            GrabError::Unsupported
        })?;
        let handle = queue.handle();
        let manager = globals
            .bind::<ZwpKeyboardShortcutsInhibitManagerV1, _, _>(&handle, 1..=1, ())
            .map_err(unsupported)?;
        let seat = globals
            .bind::<WlSeat, _, _>(&handle, 1..=1, ())
            .map_err(unsupported)?;
        Ok(Self {
            queue,
            events: Events::default(),
            manager,
            seat,
            surface,
            inhibitor: None,
            _window: window.clone(),
        })
    }

    /// Whether a request stands (granted or not yet).
    pub(super) fn requested(&self) -> bool {
        self.inhibitor.is_some()
    }

    /// Asks for the shortcuts (once; the request stands until released) and waits for the
    /// compositor's first answer.
    pub(super) fn grab(&mut self) -> Result<(), GrabError> {
        if self.inhibitor.is_some() {
            return Ok(());
        }
        let handle = self.queue.handle();
        let inhibitor = self
            .manager
            .inhibit_shortcuts(&self.surface, &self.seat, &handle, ());
        self.inhibitor = Some(inhibitor);
        self.queue
            .roundtrip(&mut self.events)
            .map_err(|e| GrabError::Refused(format!("the desk's connection failed: {e}")))?;
        Ok(())
    }

    /// Whether the compositor has the shortcuts inhibited for this window now.
    pub(super) fn active(&mut self) -> bool {
        let _ = self.queue.dispatch_pending(&mut self.events);
        self.inhibitor.is_some() && self.events.active
    }

    /// Gives the shortcuts back to the desk's compositor.
    pub(super) fn release(&mut self) {
        if let Some(inhibitor) = self.inhibitor.take() {
            inhibitor.destroy();
            self.events.active = false;
            let _ = self.queue.flush();
        }
    }
}

impl Dispatch<wl_registry::WlRegistry, GlobalListContents> for Events {
    fn event(
        _: &mut Self,
        _: &wl_registry::WlRegistry,
        _: wl_registry::Event,
        _: &GlobalListContents,
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
    }
}

impl Dispatch<WlSeat, ()> for Events {
    fn event(
        _: &mut Self,
        _: &WlSeat,
        _: <WlSeat as Proxy>::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
    }
}

impl Dispatch<ZwpKeyboardShortcutsInhibitManagerV1, ()> for Events {
    fn event(
        _: &mut Self,
        _: &ZwpKeyboardShortcutsInhibitManagerV1,
        _: <ZwpKeyboardShortcutsInhibitManagerV1 as Proxy>::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
    }
}

impl Dispatch<ZwpKeyboardShortcutsInhibitorV1, ()> for Events {
    fn event(
        events: &mut Self,
        _: &ZwpKeyboardShortcutsInhibitorV1,
        event: zwp_keyboard_shortcuts_inhibitor_v1::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        match event {
            zwp_keyboard_shortcuts_inhibitor_v1::Event::Active => events.active = true,
            zwp_keyboard_shortcuts_inhibitor_v1::Event::Inactive => events.active = false,
            _ => {}
        }
    }
}
