//! A small Wayland client for protocol-level tests and benchmarks: connects over a socket
//! pair, creates xdg toplevels and popups with shm buffers, and records every configure it gets
//! as a line of text (for insta snapshots).

use std::fs::File;
use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;

use memmap2::MmapMut;
use wayland_client::globals::{GlobalList, GlobalListContents, registry_queue_init};
use wayland_client::protocol::{
    wl_buffer, wl_callback, wl_compositor, wl_keyboard, wl_pointer, wl_registry, wl_seat, wl_shm,
    wl_shm_pool, wl_surface,
};
use wayland_client::{Connection, Dispatch, EventQueue, QueueHandle};
use wayland_protocols::wp::cursor_shape::v1::client::{
    wp_cursor_shape_device_v1, wp_cursor_shape_manager_v1,
};
use wayland_protocols::wp::keyboard_shortcuts_inhibit::zv1::client::{
    zwp_keyboard_shortcuts_inhibit_manager_v1, zwp_keyboard_shortcuts_inhibitor_v1,
};
use wayland_protocols::xdg::shell::client::{
    xdg_popup, xdg_positioner, xdg_surface, xdg_toplevel, xdg_wm_base,
};

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
}

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
    buffer: Option<(wl_buffer::WlBuffer, MmapMut, i32, i32)>,
}

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
}

impl WlClient {
    /// Connects over `stream`; `dir` holds the shm files (a private runtime dir).
    pub fn connect(stream: UnixStream, dir: &std::path::Path) -> Self {
        let conn = Connection::from_socket(stream).expect("wayland connection");
        let (globals, mut queue): (GlobalList, EventQueue<Events>) =
            registry_queue_init(&conn).expect("registry");
        let qh = queue.handle();
        let compositor = globals.bind(&qh, 4..=6, ()).expect("wl_compositor");
        let shm = globals.bind(&qh, 1..=1, ()).expect("wl_shm");
        let wm_base = globals.bind(&qh, 1..=6, ()).expect("xdg_wm_base");
        let mut events = Events::default();
        queue.roundtrip(&mut events).expect("roundtrip");
        Self {
            _conn: conn,
            queue,
            qh,
            events,
            compositor,
            shm,
            wm_base,
            globals,
            dir: dir.to_owned(),
        }
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

    /// Dispatches events for up to `timeout` (pointer enters, configures).
    pub fn dispatch_for(&mut self, timeout: std::time::Duration) {
        let deadline = std::time::Instant::now() + timeout;
        while std::time::Instant::now() < deadline {
            self.roundtrip();
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    /// Sends pending requests and waits until the compositor has handled them.
    pub fn roundtrip(&mut self) {
        self.queue.roundtrip(&mut self.events).expect("roundtrip");
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

    /// Creates a popup of `parent` anchored at `anchor` (in the parent's window geometry),
    /// `size` large, and commits it.
    pub fn popup(
        &mut self,
        parent: &ShmSurface,
        anchor: (i32, i32),
        size: (i32, i32),
    ) -> ShmSurface {
        let index = self.events.serials.len();
        self.events.serials.push(None);
        let positioner = self.wm_base.create_positioner(&self.qh, ());
        positioner.set_size(size.0, size.1);
        positioner.set_anchor_rect(anchor.0, anchor.1, 1, 1);
        positioner.set_anchor(xdg_positioner::Anchor::BottomRight);
        positioner.set_gravity(xdg_positioner::Gravity::BottomRight);
        positioner.set_constraint_adjustment(
            xdg_positioner::ConstraintAdjustment::SlideX
                | xdg_positioner::ConstraintAdjustment::SlideY,
        );
        let surface = self.compositor.create_surface(&self.qh, ());
        let xdg = self.wm_base.get_xdg_surface(&surface, &self.qh, index);
        let popup = xdg.get_popup(Some(&parent.xdg), &positioner, &self.qh, index);
        surface.commit();
        ShmSurface {
            surface,
            xdg,
            toplevel: None,
            popup: Some(popup),
            buffer: None,
        }
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
        self.ensure_buffer(s, width, height);
        let Some((buffer, map, _, _)) = s.buffer.as_mut() else {
            return;
        };
        for px in map.chunks_exact_mut(4) {
            px.copy_from_slice(&argb.to_le_bytes());
        }
        s.surface.attach(Some(buffer), 0, 0);
        s.surface.damage_buffer(0, 0, width, height);
        s.surface.frame(&self.qh, ());
        self.events.frames_requested += 1;
        s.surface.commit();
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
        while self.events.frames_done < self.events.frames_requested {
            self.queue
                .blocking_dispatch(&mut self.events)
                .expect("dispatch");
        }
    }

    fn ensure_buffer(&mut self, s: &mut ShmSurface, width: i32, height: i32) {
        if matches!(s.buffer, Some((_, _, w, h)) if w == width && h == height) {
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
        s.buffer = Some((buffer, map, width, height));
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

impl Dispatch<xdg_wm_base::XdgWmBase, ()> for Events {
    fn event(
        _: &mut Self,
        wm: &xdg_wm_base::XdgWmBase,
        event: xdg_wm_base::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        if let xdg_wm_base::Event::Ping { serial } = event {
            wm.pong(serial);
        }
    }
}

impl Dispatch<xdg_surface::XdgSurface, usize> for Events {
    fn event(
        state: &mut Self,
        _: &xdg_surface::XdgSurface,
        event: xdg_surface::Event,
        index: &usize,
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        if let xdg_surface::Event::Configure { serial } = event {
            state.serials[*index] = Some(serial);
            state.log.push(format!("surface {index}: configure"));
        }
    }
}

impl Dispatch<xdg_toplevel::XdgToplevel, usize> for Events {
    fn event(
        state: &mut Self,
        _: &xdg_toplevel::XdgToplevel,
        event: xdg_toplevel::Event,
        index: &usize,
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        match event {
            xdg_toplevel::Event::Configure {
                width,
                height,
                states,
            } => {
                let names: Vec<String> = states
                    .chunks_exact(4)
                    .map(|b| u32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
                    .map(|v| match xdg_toplevel::State::try_from(v) {
                        Ok(s) => format!("{s:?}"),
                        Err(_) => format!("state{v}"),
                    })
                    .collect();
                state.log.push(format!(
                    "toplevel {index}: {width}x{height} [{}]",
                    names.join(", ")
                ));
            }
            xdg_toplevel::Event::Close => {
                state.closed = true;
                state.log.push(format!("toplevel {index}: close"));
            }
            xdg_toplevel::Event::ConfigureBounds { width, height } => {
                state
                    .log
                    .push(format!("toplevel {index}: bounds {width}x{height}"));
            }
            _ => {}
        }
    }
}

impl Dispatch<xdg_popup::XdgPopup, usize> for Events {
    fn event(
        state: &mut Self,
        _: &xdg_popup::XdgPopup,
        event: xdg_popup::Event,
        index: &usize,
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        match event {
            xdg_popup::Event::Configure {
                x,
                y,
                width,
                height,
            } => {
                state
                    .log
                    .push(format!("popup {index}: at {x},{y} size {width}x{height}"));
            }
            xdg_popup::Event::PopupDone => state.log.push(format!("popup {index}: done")),
            xdg_popup::Event::Repositioned { token } => {
                state
                    .log
                    .push(format!("popup {index}: repositioned {token}"));
            }
            _ => {}
        }
    }
}

impl Dispatch<wl_callback::WlCallback, ()> for Events {
    fn event(
        state: &mut Self,
        _: &wl_callback::WlCallback,
        event: wl_callback::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        if let wl_callback::Event::Done { .. } = event {
            state.frames_done += 1;
        }
    }
}

impl Dispatch<wl_pointer::WlPointer, ()> for Events {
    fn event(
        state: &mut Self,
        _: &wl_pointer::WlPointer,
        event: wl_pointer::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        if let wl_pointer::Event::Enter { serial, .. } = event
            && let Some((device, shape)) = &state.cursor_on_enter
        {
            device.set_shape(serial, *shape);
            state.log.push(format!("pointer enter, cursor {shape:?}"));
        }
    }
}

impl Dispatch<wl_keyboard::WlKeyboard, ()> for Events {
    fn event(
        state: &mut Self,
        _: &wl_keyboard::WlKeyboard,
        event: wl_keyboard::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        if let wl_keyboard::Event::Key {
            key,
            state: wayland_client::WEnum::Value(key_state),
            ..
        } = event
        {
            state
                .keys
                .push((key, key_state == wl_keyboard::KeyState::Pressed));
        }
    }
}

impl Dispatch<zwp_keyboard_shortcuts_inhibitor_v1::ZwpKeyboardShortcutsInhibitorV1, ()> for Events {
    fn event(
        state: &mut Self,
        _: &zwp_keyboard_shortcuts_inhibitor_v1::ZwpKeyboardShortcutsInhibitorV1,
        event: zwp_keyboard_shortcuts_inhibitor_v1::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        match event {
            zwp_keyboard_shortcuts_inhibitor_v1::Event::Active => state.shortcuts_inhibited = true,
            zwp_keyboard_shortcuts_inhibitor_v1::Event::Inactive => {
                state.shortcuts_inhibited = false;
            }
            _ => {}
        }
    }
}

macro_rules! ignore_events {
    ($($t:ty),*) => {$(
        impl Dispatch<$t, ()> for Events {
            fn event(_: &mut Self, _: &$t, _: <$t as wayland_client::Proxy>::Event, _: &(), _: &Connection, _: &QueueHandle<Self>) {}
        }
    )*};
}

ignore_events!(
    wl_compositor::WlCompositor,
    wl_surface::WlSurface,
    wl_shm::WlShm,
    wl_shm_pool::WlShmPool,
    wl_buffer::WlBuffer,
    xdg_positioner::XdgPositioner,
    wl_seat::WlSeat,
    wp_cursor_shape_manager_v1::WpCursorShapeManagerV1,
    wp_cursor_shape_device_v1::WpCursorShapeDeviceV1,
    zwp_keyboard_shortcuts_inhibit_manager_v1::ZwpKeyboardShortcutsInhibitManagerV1
);
