//! A small Wayland client for protocol-level tests and benchmarks: connects over a socket
//! pair, creates xdg toplevels and popups with shm buffers, and records every configure it gets
//! as a line of text (for insta snapshots).

use std::fs::File;
use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;

mod content_type;
mod dispatch;
mod ime;
mod layer;
mod pointer_lock;
mod popup;
mod roles;
mod subsurface;

pub use ime::ImeEvents;
pub use layer::Panel;
pub use pointer_lock::{Constraint, HeldPointer};
pub use roles::BareSurface;
pub use subsurface::Subsurface;

use memmap2::MmapMut;
use wayland_client::globals::{GlobalList, registry_queue_init};
use wayland_client::protocol::{wl_buffer, wl_compositor, wl_seat, wl_shm, wl_surface};
use wayland_client::{Connection, EventQueue, QueueHandle};
use wayland_protocols::wp::cursor_shape::v1::client::{
    wp_cursor_shape_device_v1, wp_cursor_shape_manager_v1,
};
use wayland_protocols::wp::keyboard_shortcuts_inhibit::zv1::client::zwp_keyboard_shortcuts_inhibit_manager_v1;
use wayland_protocols::wp::security_context::v1::client::wp_security_context_manager_v1;
use wayland_protocols::xdg::shell::client::{xdg_popup, xdg_surface, xdg_toplevel, xdg_wm_base};

/// What the client has seen.
#[derive(Debug, Default)]
pub struct Events {
    /// One line per configure-related event, in order.
    pub log: Vec<String>,
    /// Last xdg_surface configure serial per surface index.
    pub serials: Vec<Option<u32>>,
    /// Frame callbacks requested.
    pub frames_requested: u64,
    /// Frame callbacks completed.
    pub frames_done: u64,
    /// The compositor asked a toplevel to close.
    pub closed: bool,
    /// Key events received (evdev code, pressed), with `record_keys`.
    pub keys: Vec<(u32, bool)>,
    /// The compositor said the shortcuts inhibitor is active.
    pub shortcuts_inhibited: bool,
    /// Cursor shape to set whenever the pointer enters one of our surfaces.
    pub cursor_on_enter: Option<(
        wp_cursor_shape_device_v1::WpCursorShapeDeviceV1,
        wp_cursor_shape_device_v1::Shape,
    )>,
    /// `wl_display.sync` answers received (one-loop round trips).
    pub synced: u64,
    /// The last configure of a layer surface (`panel`): serial, width, height.
    pub layer_configure: Option<(u32, u32, u32)>,
    /// The input method's and text field's events (`input_method`, `text_input`).
    pub ime: ImeEvents,
    /// Pointer positions go to the log (`hold_pointer`).
    pub log_pointer: bool,
    /// The serial of the last pointer button event (to grab a popup with).
    pub button_serial: Option<u32>,
}

/// The user data of a `wl_display.sync` callback.
#[derive(Debug)]
pub struct Synced;

/// Runs the compositor's event loop once, for a client driven on the compositor's own thread.
pub type Pump = Box<dyn FnMut()>;

/// Round trips of one-loop clients give up after this many turns of the loop.
const PUMP_TURNS: usize = 10_000;

/// A window or popup of this client.
#[derive(Debug)]
pub struct ShmSurface {
    /// The wl_surface.
    pub surface: wl_surface::WlSurface,
    /// Its xdg_surface.
    pub xdg: xdg_surface::XdgSurface,
    /// Set for toplevels.
    pub toplevel: Option<xdg_toplevel::XdgToplevel>,
    /// Set for popups.
    pub popup: Option<xdg_popup::XdgPopup>,
    buffer: Option<ShmBuffer>,
}

/// An shm buffer, its mapping and its size.
type ShmBuffer = (wl_buffer::WlBuffer, MmapMut, i32, i32);

/// A connected client.
pub struct WlClient {
    _conn: Connection,
    queue: EventQueue<Events>,
    qh: QueueHandle<Events>,
    /// Recorded events.
    pub events: Events,
    compositor: wl_compositor::WlCompositor,
    shm: wl_shm::WlShm,
    wm_base: xdg_wm_base::XdgWmBase,
    globals: GlobalList,
    dir: std::path::PathBuf,
    /// Set for a client that runs on the compositor's thread (`one_loop`).
    pump: Option<Pump>,
}

/// The part of connecting that blocks on the compositor: reading its globals. It can run on
/// another thread than the client (see `one_loop`).
pub struct Connected {
    conn: Connection,
    queue: EventQueue<Events>,
    events: Events,
    globals: GlobalList,
}

impl Connected {
    /// Connects over `stream` and reads the compositor's globals.
    pub fn new(stream: UnixStream) -> Self {
        let conn = Connection::from_socket(stream).expect("wayland connection");
        let (globals, mut queue): (GlobalList, EventQueue<Events>) =
            registry_queue_init(&conn).expect("registry");
        let mut events = Events::default();
        queue.roundtrip(&mut events).expect("roundtrip");
        Self {
            conn,
            queue,
            events,
            globals,
        }
    }
}

impl WlClient {
    /// Connects over `stream`; `dir` holds the shm files (a private runtime dir).
    pub fn connect(stream: UnixStream, dir: &std::path::Path) -> Self {
        Self::from_connected(Connected::new(stream), dir)
    }

    /// A client from a connection made elsewhere (on another thread).
    pub fn from_connected(connected: Connected, dir: &std::path::Path) -> Self {
        let Connected {
            conn,
            queue,
            events,
            globals,
        } = connected;
        let qh = queue.handle();
        let compositor = globals.bind(&qh, 4..=6, ()).expect("wl_compositor");
        let shm = globals.bind(&qh, 1..=1, ()).expect("wl_shm");
        let wm_base = globals.bind(&qh, 1..=6, ()).expect("xdg_wm_base");
        let client = Self {
            _conn: conn,
            queue,
            qh,
            events,
            compositor,
            shm,
            wm_base,
            globals,
            dir: dir.to_owned(),
            pump: None,
        };
        // The binds above reach the compositor with the next round trip.
        client
    }

    /// From now on this client and the compositor run on one thread: a round trip turns the
    /// compositor's loop with `pump` instead of waiting for another thread.
    pub fn set_pump(&mut self, pump: Pump) {
        self.pump = Some(pump);
    }

    /// Asks for `shape` as the cursor whenever the pointer enters this client's surfaces
    /// (wp_cursor_shape_v1).
    pub fn use_cursor_shape(&mut self, shape: wp_cursor_shape_device_v1::Shape) {
        let seat: wl_seat::WlSeat = self.globals.bind(&self.qh, 1..=7, ()).expect("wl_seat");
        let pointer = seat.get_pointer(&self.qh, ());
        let manager: wp_cursor_shape_manager_v1::WpCursorShapeManagerV1 = self
            .globals
            .bind(&self.qh, 1..=1, ())
            .expect("cursor shape manager");
        let device = manager.get_pointer(&pointer, &self.qh, ());
        self.events.cursor_on_enter = Some((device, shape));
        self.roundtrip();
    }

    /// Records the key events this client receives in `events.keys`.
    pub fn record_keys(&mut self) -> wl_seat::WlSeat {
        let seat: wl_seat::WlSeat = self.globals.bind(&self.qh, 1..=7, ()).expect("wl_seat");
        seat.get_keyboard(&self.qh, ());
        self.roundtrip();
        seat
    }

    /// Asks the compositor to send the keys of its shortcuts to `surface`
    /// (keyboard-shortcuts-inhibit); `events.shortcuts_inhibited` follows its answer.
    pub fn inhibit_shortcuts(&mut self, surface: &ShmSurface, seat: &wl_seat::WlSeat) {
        let manager: zwp_keyboard_shortcuts_inhibit_manager_v1::ZwpKeyboardShortcutsInhibitManagerV1 =
            self.globals.bind(&self.qh, 1..=1, ()).expect("shortcuts inhibit manager");
        manager.inhibit_shortcuts(&surface.surface, seat, &self.qh, ());
        self.roundtrip();
    }

    /// Asks for a security context (as a sandbox would) whose clients connect through
    /// `listener`; it serves until `close` (the read end of a pipe) sees its other end close.
    pub fn create_security_context(
        &mut self,
        listener: &std::os::unix::net::UnixListener,
        close: std::os::fd::BorrowedFd<'_>,
    ) {
        let manager: wp_security_context_manager_v1::WpSecurityContextManagerV1 = self
            .globals
            .bind(&self.qh, 1..=1, ())
            .expect("security context manager");
        let context = manager.create_listener(listener.as_fd(), close, &self.qh, ());
        context.set_sandbox_engine("org.wayray.test".into());
        context.set_app_id("test".into());
        context.commit();
        self.roundtrip();
    }

    /// Dispatches events for up to `timeout` (pointer enters, configures). On one loop, a
    /// round trip already saw everything the compositor had to say.
    pub fn dispatch_for(&mut self, timeout: std::time::Duration) {
        if self.pump.is_some() {
            return self.roundtrip();
        }
        let deadline = std::time::Instant::now() + timeout;
        while std::time::Instant::now() < deadline {
            self.roundtrip();
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    /// Sends pending requests and waits until the compositor has handled them.
    pub fn roundtrip(&mut self) {
        if self.pump.is_none() {
            self.queue.roundtrip(&mut self.events).expect("roundtrip");
            return;
        }
        let target = self.events.synced + 1;
        self._conn.display().sync(&self.qh, Synced);
        self.pump_until(|events| events.synced >= target);
    }

    /// Lets the compositor read this client's requests; the protocol error it answered with
    /// (`interface@id: error code`), if any (the connection is then closed).
    pub fn protocol_error(&mut self) -> Option<String> {
        for _ in 0..8 {
            let _ = self._conn.flush();
            match self.pump.as_mut() {
                Some(pump) => pump(),
                None => {
                    let _ = self.queue.roundtrip(&mut self.events);
                }
            }
            if let Some(guard) = self.queue.prepare_read() {
                let _ = guard.read();
            }
            let _ = self.queue.dispatch_pending(&mut self.events);
            if let Some(error) = self._conn.protocol_error() {
                return Some(format!(
                    "{}@{}: error {}",
                    error.object_interface, error.object_id, error.code
                ));
            }
        }
        None
    }

    /// Turns the compositor's loop and reads its answers until `done`.
    fn pump_until(&mut self, done: impl Fn(&Events) -> bool) {
        for _ in 0..PUMP_TURNS {
            self._conn.flush().expect("flush");
            if let Some(pump) = self.pump.as_mut() {
                pump();
            }
            if let Some(guard) = self.queue.prepare_read() {
                // Non-blocking: nothing to read yet is not an error here.
                let _ = guard.read();
            }
            self.queue
                .dispatch_pending(&mut self.events)
                .expect("dispatch");
            if done(&self.events) {
                return;
            }
        }
        panic!("the compositor did not answer within {PUMP_TURNS} turns of its loop");
    }

    /// Creates a toplevel (no buffer yet) and commits it, asking for its first configure.
    pub fn toplevel(&mut self, title: &str) -> ShmSurface {
        let index = self.events.serials.len();
        self.events.serials.push(None);
        let surface = self.compositor.create_surface(&self.qh, ());
        let xdg = self.wm_base.get_xdg_surface(&surface, &self.qh, index);
        let toplevel = xdg.get_toplevel(&self.qh, index);
        toplevel.set_title(title.into());
        surface.commit();
        ShmSurface {
            surface,
            xdg,
            toplevel: Some(toplevel),
            popup: None,
            buffer: None,
        }
    }

    /// A toplevel that has acked its first configure (so the window manager gives it the
    /// keyboard) and shows a `width` × `height` buffer of `argb`; on an empty 1280×720 output
    /// a 400×300 one is centred at (440, 210).
    pub fn mapped_window(&mut self, title: &str, width: i32, height: i32, argb: u32) -> ShmSurface {
        let index = self.events.serials.len();
        let mut window = self.toplevel(title);
        self.roundtrip();
        self.ack(&window, index);
        self.draw(&mut window, width, height, argb);
        self.roundtrip();
        window
    }

    /// Acks the last configure of `s` (index `index` in creation order).
    pub fn ack(&mut self, s: &ShmSurface, index: usize) {
        if let Some(serial) = self.events.serials[index] {
            s.xdg.ack_configure(serial);
        }
    }

    /// Fills a `width` × `height` buffer with `argb`, attaches it, damages all of it, asks for a
    /// frame callback and commits.
    pub fn draw(&mut self, s: &mut ShmSurface, width: i32, height: i32, argb: u32) {
        self.fill(&s.surface, &mut s.buffer, (width, height), argb);
        s.surface.frame(&self.qh, ());
        self.events.frames_requested += 1;
        s.surface.commit();
    }

    /// Fills a buffer of `size` in `slot` with `argb`, attaches it to `surface` and damages
    /// all of it (no commit).
    fn fill(
        &mut self,
        surface: &wl_surface::WlSurface,
        slot: &mut Option<ShmBuffer>,
        (width, height): (i32, i32),
        argb: u32,
    ) {
        self.ensure_buffer_in(slot, width, height);
        let Some((buffer, map, _, _)) = slot.as_mut() else {
            return;
        };
        for px in map.chunks_exact_mut(4) {
            px.copy_from_slice(&argb.to_le_bytes());
        }
        surface.attach(Some(buffer), 0, 0);
        surface.damage_buffer(0, 0, width, height);
    }

    /// Fills one rectangle of the existing buffer, damages only it, and commits.
    pub fn draw_rect(&mut self, s: &mut ShmSurface, rect: (i32, i32, i32, i32), argb: u32) {
        let Some((buffer, map, width, _)) = s.buffer.as_mut() else {
            return;
        };
        let (x, y, w, h) = rect;
        for row in y..y + h {
            let start = ((row * *width + x) * 4) as usize;
            for px in map[start..start + (w * 4) as usize].chunks_exact_mut(4) {
                px.copy_from_slice(&argb.to_le_bytes());
            }
        }
        s.surface.attach(Some(buffer), 0, 0);
        s.surface.damage_buffer(x, y, w, h);
        s.surface.frame(&self.qh, ());
        self.events.frames_requested += 1;
        s.surface.commit();
    }

    /// Blocks until every frame callback requested so far has completed, i.e. the compositor
    /// has rendered and captured every commit made so far.
    pub fn wait_frames(&mut self) {
        if self.pump.is_some() {
            return self.pump_until(|e| e.frames_done >= e.frames_requested);
        }
        while self.events.frames_done < self.events.frames_requested {
            self.queue
                .blocking_dispatch(&mut self.events)
                .expect("dispatch");
        }
    }

    /// A `width` × `height` shm buffer in `slot`, reused while the size stays.
    fn ensure_buffer_in(&mut self, slot: &mut Option<ShmBuffer>, width: i32, height: i32) {
        if matches!(slot, Some((_, _, w, h)) if *w == width && *h == height) {
            return;
        }
        let size = (width * height * 4) as usize;
        let path = self.dir.join(format!("shm-{}", std::process::id()));
        let file = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .expect("shm file");
        let _ = std::fs::remove_file(&path);
        file.set_len(size as u64).expect("shm size");
        // SAFETY: the file is private to this client (unlinked) and only this mapping writes it.
        let map = unsafe { MmapMut::map_mut(&file) }.expect("mmap");
        let pool = self
            .shm
            .create_pool(file.as_fd(), size as i32, &self.qh, ());
        let buffer = pool.create_buffer(
            0,
            width,
            height,
            width * 4,
            wl_shm::Format::Argb8888,
            &self.qh,
            (),
        );
        pool.destroy();
        *slot = Some((buffer, map, width, height));
    }
}
