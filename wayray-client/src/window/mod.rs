//! The viewer window (winit + wgpu). The network runs on one tokio task that owns the
//! [`Viewer`]: it applies frames to the framebuffer and copies the changed rectangles into a
//! shared buffer, waking the window once (however many frames arrive before it redraws: no
//! queue of frames), sends the window's input and settled window sizes, and resumes the session
//! when the connection drops. Only changed rectangles are uploaded to the GPU.

mod cursor;
mod gpu;
pub mod grab;
pub mod input;
pub mod overlay;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use wayray_protocol::Rect;
use wayray_protocol::messages::control::OutputMode;
use wayray_protocol::messages::display::DisplayMessage;
use winit::application::ApplicationHandler;
use winit::event::{ElementState, WindowEvent};
use winit::event_loop::{ActiveEventLoop, EventLoop, EventLoopProxy};
use winit::keyboard::ModifiersState;
use winit::window::{Fullscreen, Window, WindowId};

use crate::connection::{ConnectOptions, Viewer};
use input::Shortcut;

/// Wakes the window thread.
#[derive(Debug)]
enum Wake {
    /// New pixels, a new cursor or new stats are in the shared state.
    Frame,
    /// The connection dropped and is being resumed, or was resumed.
    Status,
    /// The connection ended for good.
    Closed,
}

#[derive(Debug, Default)]
struct Shared {
    pixels: Vec<u8>,
    width: u32,
    height: u32,
    dirty: Vec<Rect>,
    wake_pending: bool,
    /// Why the connection ended for good, and what to do next.
    closed: Option<(String, String)>,
    /// The session's cursor, when it changed since the window last looked.
    cursor: Option<DisplayMessage>,
    /// The overlay's text, refreshed twice a second while it is shown.
    stats: Vec<String>,
    /// Whether the stats overlay is shown (the window toggles it).
    stats_shown: bool,
    /// Whether the connection is being resumed.
    reconnecting: bool,
}

/// Running the window failed.
#[derive(Debug, thiserror::Error)]
pub enum WindowError {
    /// No window could be opened (no display).
    #[error("cannot open a window: {0}")]
    EventLoop(String),
    /// The GPU could not be used.
    #[error(transparent)]
    Gpu(#[from] gpu::GpuError),
    /// The connection ended for good.
    #[error("{message}")]
    Disconnected {
        /// Why.
        message: String,
        /// What the person can do next.
        help: String,
    },
    /// The window was open and the desk's window system went away.
    #[error("lost the desk's display: {0}")]
    DeskLost(String),
}

/// How the window behaves.
#[derive(Debug, Clone)]
pub struct WindowOptions {
    /// The window title.
    pub title: String,
    /// Resume a dropped connection with these options for at most this long.
    pub resume: Option<(ConnectOptions, Duration)>,
    /// Show the stats overlay from the start (Ctrl+Alt+S toggles it).
    pub stats: bool,
    /// Grab the keyboard from the start (Ctrl+Alt+G toggles it).
    pub grab_keyboard: bool,
}

/// Shows `viewer`'s session in a window until it is closed or the connection ends for good.
pub fn run(
    viewer: Viewer,
    runtime: &tokio::runtime::Runtime,
    options: WindowOptions,
) -> Result<(), WindowError> {
    let event_loop = EventLoop::<Wake>::with_user_event()
        .build()
        .map_err(|e| WindowError::EventLoop(e.to_string()))?;
    let proxy = event_loop.create_proxy();
    let shared = Arc::new(Mutex::new(Shared {
        stats_shown: options.stats,
        ..Shared::default()
    }));
    // Input events are a handful of bytes each and the task sends them as they come; the
    // window never waits for the network.
    let (input_tx, input_rx) = tokio::sync::mpsc::unbounded_channel();
    let (resize_tx, resize_rx) = tokio::sync::watch::channel(None);
    let (settled_tx, settled_rx) = tokio::sync::watch::channel(None);
    runtime.spawn(debounce_resizes(resize_rx, settled_tx));
    let initial = (viewer.mode.width, viewer.mode.height);
    runtime.spawn(drive(
        viewer,
        Channels {
            input: input_rx,
            modes: settled_rx,
            shared: shared.clone(),
            proxy,
        },
        options.resume.clone(),
    ));
    let mut app = App {
        title: options.title,
        initial,
        window: None,
        gpu: None,
        shared,
        input: input_tx,
        resize: resize_tx,
        started: Instant::now(),
        error: None,
        modifiers: ModifiersState::empty(),
        overlay_shown: Vec::new(),
        grab: grab::KeyboardGrab::default(),
        grab_wanted: options.grab_keyboard,
        title_shown: String::new(),
        reconnecting: false,
        swallowed: std::collections::HashSet::new(),
    };
    event_loop
        .run_app(&mut app)
        .map_err(|e| WindowError::DeskLost(e.to_string()))?;
    match app.error {
        Some(err) => Err(err),
        None => Ok(()),
    }
}

/// How long the window size must stay still before the session is resized (a drag of the
/// window border produces a stream of sizes).
const RESIZE_DEBOUNCE: Duration = Duration::from_millis(150);
/// How often the overlay's figures are refreshed.
const STATS_INTERVAL: Duration = Duration::from_millis(500);

/// Passes on the latest requested mode once it has been stable for [`RESIZE_DEBOUNCE`].
async fn debounce_resizes(
    mut modes: tokio::sync::watch::Receiver<Option<OutputMode>>,
    settled: tokio::sync::watch::Sender<Option<OutputMode>>,
) {
    while modes.changed().await.is_ok() {
        while let Ok(Ok(())) = tokio::time::timeout(RESIZE_DEBOUNCE, modes.changed()).await {}
        let mode = *modes.borrow_and_update();
        if mode.is_some() {
            settled.send_if_modified(|current| {
                let changed = *current != mode;
                *current = mode;
                changed
            });
        }
    }
}

/// What the network task talks to the window through.
struct Channels {
    input: tokio::sync::mpsc::UnboundedReceiver<wayray_protocol::InputMessage>,
    modes: tokio::sync::watch::Receiver<Option<OutputMode>>,
    shared: Arc<Mutex<Shared>>,
    proxy: EventLoopProxy<Wake>,
}

impl Channels {
    /// Runs `change` on the shared state and wakes the window once.
    fn publish(&self, change: impl FnOnce(&mut Shared)) -> bool {
        let Ok(mut s) = self.shared.lock() else {
            return false;
        };
        change(&mut s);
        if !s.wake_pending {
            s.wake_pending = true;
            let _ = self.proxy.send_event(Wake::Frame);
        }
        true
    }

    /// Hands the overlay new text; wakes the window only when the overlay is shown and its
    /// text changed. `false` once the window is gone.
    fn publish_stats(&self, lines: impl FnOnce() -> Vec<String>) -> bool {
        let Ok(s) = self.shared.lock() else {
            return false;
        };
        if !s.stats_shown {
            return true;
        }
        let lines = lines();
        if lines == s.stats {
            return true;
        }
        drop(s);
        self.publish(|s| s.stats = lines)
    }

    fn status(&self, reconnecting: bool) {
        if let Ok(mut s) = self.shared.lock() {
            s.reconnecting = reconnecting;
        }
        let _ = self.proxy.send_event(Wake::Status);
    }
}

/// Copies the rectangles `rects` of the viewer's framebuffer into the shared buffer.
fn copy_changed(s: &mut Shared, viewer: &Viewer, rects: Vec<Rect>) {
    let fb = &viewer.framebuffer;
    if (s.width, s.height) != (fb.width(), fb.height()) {
        s.width = fb.width();
        s.height = fb.height();
        s.pixels = fb.pixels().to_vec();
        s.dirty = vec![Rect::new(0, 0, fb.width(), fb.height())];
        return;
    }
    let row = fb.width() as usize * 4;
    for r in &rects {
        for y in r.y..r.y + r.height {
            let start = y as usize * row + r.x as usize * 4;
            let end = start + r.width as usize * 4;
            s.pixels[start..end].copy_from_slice(&fb.pixels()[start..end]);
        }
    }
    s.dirty.extend(rects);
    if s.dirty.len() > MAX_DIRTY {
        // The window has not drawn for a while (hidden): upload everything once instead.
        s.dirty = vec![Rect::new(0, 0, fb.width(), fb.height())];
    }
}

/// More rectangles than this waiting for the window become one full upload.
const MAX_DIRTY: usize = 64;

/// Runs one connection until it ends; returns why.
async fn serve_connection(
    viewer: &mut Viewer,
    io: &mut Channels,
) -> Result<(), crate::connection::ViewerError> {
    let mut stats_tick = tokio::time::interval(STATS_INTERVAL);
    loop {
        tokio::select! {
            update = viewer.next_update() => {
                let rects = update?;
                let published = if rects.is_empty() {
                    // A cursor change: the window shows it as its own cursor, with no latency.
                    let cursor = viewer.cursor.clone();
                    io.publish(|s| s.cursor = cursor)
                } else {
                    io.publish(|s| copy_changed(s, viewer, rects))
                };
                if !published {
                    return Ok(());
                }
            }
            event = io.input.recv() => match event {
                Some(event) => viewer.send_input(&event).await?,
                // The window is gone.
                None => return Ok(()),
            },
            changed = io.modes.changed() => {
                if changed.is_err() {
                    return Ok(());
                }
                let mode = *io.modes.borrow_and_update();
                if let Some(mode) = mode {
                    viewer.resize(mode).await?;
                }
            }
            _ = stats_tick.tick() => {
                let lines = || overlay::lines(&viewer.stats.summary(Instant::now()), viewer.rtt());
                if !io.publish_stats(lines) {
                    return Ok(());
                }
            }
        }
    }
}

/// Drives the session for the window, resuming it after a dropped connection.
async fn drive(mut viewer: Viewer, mut io: Channels, resume: Option<(ConnectOptions, Duration)>) {
    let mut resumer = resume
        .as_ref()
        .map(|(_, limit)| crate::resume::Resumer::new(*limit));
    loop {
        let err = match serve_connection(&mut viewer, &mut io).await {
            Ok(()) => {
                viewer.disconnect().await;
                return;
            }
            Err(err) => err,
        };
        let resumed = match (&resume, resumer.as_mut()) {
            (Some((options, _)), Some(resumer)) if crate::resume::resumable(&err) => {
                tracing::warn!(%err, "connection lost; resuming the session");
                io.status(true);
                let mut options = options.clone();
                // Ask for the size the window has now.
                options.preferred_mode = (*io.modes.borrow()).or(options.preferred_mode);
                let attempt = resumer.resume(&options, |e| {
                    tracing::info!(%e, "resuming failed; trying again");
                });
                tokio::pin!(attempt);
                loop {
                    tokio::select! {
                        result = &mut attempt => break result.map_err(|e| {
                            (e.to_string(), crate::advice::after_connect(&e))
                        }),
                        // Input while the connection is down is dropped, not replayed later.
                        event = io.input.recv() => if event.is_none() {
                            return; // the window is gone
                        },
                    }
                }
            }
            _ => Err((err.to_string(), crate::advice::after_end(&err).to_owned())),
        };
        match resumed {
            Ok(next) => {
                viewer = next;
                io.status(false);
            }
            Err(reason) => {
                if let Ok(mut s) = io.shared.lock() {
                    s.closed = Some(reason);
                }
                let _ = io.proxy.send_event(Wake::Closed);
                return;
            }
        }
    }
}

struct App {
    title: String,
    /// The session's size when attaching: the window opens at it.
    initial: (u32, u32),
    window: Option<Arc<Window>>,
    gpu: Option<gpu::Gpu>,
    shared: Arc<Mutex<Shared>>,
    input: tokio::sync::mpsc::UnboundedSender<wayray_protocol::InputMessage>,
    resize: tokio::sync::watch::Sender<Option<OutputMode>>,
    started: Instant,
    error: Option<WindowError>,
    modifiers: ModifiersState,
    /// The text the overlay texture shows now (empty: no overlay).
    overlay_shown: Vec<String>,
    grab: grab::KeyboardGrab,
    grab_wanted: bool,
    /// The title the window has now (set only when it changes).
    title_shown: String,
    reconnecting: bool,
    /// Keys whose press was a viewer shortcut: their release is not sent either.
    swallowed: std::collections::HashSet<winit::keyboard::PhysicalKey>,
}

impl ApplicationHandler<Wake> for App {
    fn resumed(&mut self, event_loop: &ActiveEventLoop) {
        if self.window.is_some() {
            return;
        }
        let (width, height) = self.initial;
        let attributes = Window::default_attributes()
            .with_title(self.title.clone())
            .with_inner_size(winit::dpi::PhysicalSize::new(width, height));
        let window = match event_loop.create_window(attributes) {
            Ok(window) => Arc::new(window),
            Err(err) => {
                self.error = Some(WindowError::EventLoop(err.to_string()));
                event_loop.exit();
                return;
            }
        };
        match gpu::Gpu::new(window.clone()) {
            Ok(gpu) => self.gpu = Some(gpu),
            Err(err) => {
                self.error = Some(err.into());
                event_loop.exit();
                return;
            }
        }
        window.request_redraw();
        self.window = Some(window);
        self.update_grab();
    }

    fn user_event(&mut self, event_loop: &ActiveEventLoop, event: Wake) {
        match event {
            Wake::Frame => {
                let cursor = self.shared.lock().ok().and_then(|mut s| s.cursor.take());
                if let (Some(cursor), Some(window)) = (cursor, &self.window) {
                    cursor::show(event_loop, window, &cursor);
                }
                if let Some(window) = &self.window {
                    window.request_redraw();
                }
            }
            Wake::Status => {
                self.reconnecting = self.shared.lock().is_ok_and(|s| s.reconnecting);
                self.refresh_title();
            }
            Wake::Closed => {
                let reason = self
                    .shared
                    .lock()
                    .ok()
                    .and_then(|s| s.closed.clone())
                    .unwrap_or_default();
                let (message, help) = reason;
                self.error = Some(WindowError::Disconnected { message, help });
                event_loop.exit();
            }
        }
    }

    fn window_event(&mut self, event_loop: &ActiveEventLoop, _id: WindowId, event: WindowEvent) {
        if let WindowEvent::ModifiersChanged(modifiers) = &event {
            self.modifiers = modifiers.state();
        }
        // The viewer's own keys: acted on when pressed, and neither the press nor its release
        // is sent to the session (whatever the modifiers are by the time it is released).
        if let WindowEvent::KeyboardInput { event: key, .. } = &event {
            if key.state == ElementState::Pressed
                && let Some(shortcut) = input::shortcut(&event, self.modifiers)
            {
                if !key.repeat {
                    self.act(shortcut);
                }
                self.swallowed.insert(key.physical_key);
                return;
            }
            if key.state == ElementState::Released && self.swallowed.remove(&key.physical_key) {
                return;
            }
        }
        match &event {
            WindowEvent::CloseRequested => event_loop.exit(),
            WindowEvent::Resized(size) => {
                if let Some(gpu) = &mut self.gpu {
                    gpu.resize(size.width, size.height);
                }
                self.request_mode();
            }
            WindowEvent::ScaleFactorChanged { .. } => self.request_mode(),
            WindowEvent::RedrawRequested => {
                // A grab asked for before the window was on screen is taken now; a Wayland
                // compositor's late answer shows in the title.
                if self.grab_wanted && self.grab.needs_attempt() {
                    self.update_grab();
                } else {
                    self.refresh_title();
                }
                self.redraw();
            }
            WindowEvent::Focused(true) if self.grab_wanted && self.grab.needs_attempt() => {
                self.update_grab();
            }
            // X drops a grab when its window is unmapped; take it again when it is shown.
            WindowEvent::Occluded(occluded) => {
                if *occluded {
                    self.grab.forget();
                } else if self.grab_wanted {
                    self.update_grab();
                }
                self.refresh_title();
            }
            _ => {
                let time_ms = self.started.elapsed().as_millis() as u32;
                for message in input::translate(&event, time_ms) {
                    let _ = self.input.send(message);
                }
            }
        }
    }
}

impl App {
    fn act(&mut self, shortcut: Shortcut) {
        let Some(window) = &self.window else { return };
        match shortcut {
            Shortcut::Fullscreen => {
                let next = match window.fullscreen() {
                    Some(_) => None,
                    None => Some(Fullscreen::Borderless(None)),
                };
                window.set_fullscreen(next);
            }
            Shortcut::Stats => {
                if let Ok(mut s) = self.shared.lock() {
                    s.stats_shown = !s.stats_shown;
                }
                window.request_redraw();
            }
            Shortcut::Grab => {
                self.grab_wanted = !self.grab_wanted;
                self.update_grab();
            }
        }
    }

    /// Takes or gives back the keyboard as wanted, and says so in the title.
    fn update_grab(&mut self) {
        let Some(window) = &self.window else { return };
        if self.grab_wanted && self.grab.needs_attempt() {
            match self.grab.grab(window) {
                Ok(()) | Err(grab::GrabError::NotViewable) => {}
                Err(err) => {
                    tracing::warn!(%err, "cannot grab the keyboard");
                    self.grab_wanted = false;
                }
            }
        } else if !self.grab_wanted {
            self.grab.release(window);
        }
        self.refresh_title();
    }

    fn refresh_title(&mut self) {
        let Some(window) = &self.window else { return };
        let mut title = self.title.clone();
        if self.reconnecting {
            title.push_str(" — reconnecting…");
        }
        if self.grab.active() {
            title.push_str(" — keyboard grabbed (Ctrl+Alt+G releases)");
        }
        if title != self.title_shown {
            window.set_title(&title);
            self.title_shown = title;
        }
    }

    /// The session output follows the window: its size in physical pixels and its scale.
    fn request_mode(&self) {
        let Some(window) = &self.window else { return };
        let size = window.inner_size();
        if size.width == 0 || size.height == 0 {
            return;
        }
        let mode = OutputMode {
            width: size.width,
            height: size.height,
            scale_120: (window.scale_factor() * 120.0).round().clamp(60.0, 960.0) as u32,
        };
        self.resize.send_replace(Some(mode));
    }

    fn redraw(&mut self) {
        let Some(gpu) = &mut self.gpu else { return };
        if let Ok(mut s) = self.shared.lock() {
            s.wake_pending = false;
            if s.width > 0 {
                let dirty = std::mem::take(&mut s.dirty);
                gpu.upload(&s.pixels, s.width, s.height, &dirty);
            }
            // The overlay is drawn and uploaded when its text changes (twice a second at
            // most), not on every frame.
            let wanted = if s.stats_shown {
                s.stats.as_slice()
            } else {
                &[]
            };
            if wanted != self.overlay_shown.as_slice() {
                if wanted.is_empty() {
                    gpu.set_overlay(None);
                } else {
                    let (pixels, width, height) = overlay::render(wanted);
                    gpu.set_overlay(Some((&pixels, width, height)));
                }
                self.overlay_shown = wanted.to_vec();
            }
        }
        gpu.present();
    }
}
