//! The viewer window (winit + wgpu). The network runs on tokio tasks: one applies frames to the
//! framebuffer and copies the changed rectangles into a shared buffer, waking the window once
//! (however many frames arrive before it redraws: no queue of frames); the other sends the
//! window's input. Only changed rectangles are uploaded to the GPU.

mod gpu;
pub mod input;

use std::sync::{Arc, Mutex};
use std::time::Instant;

use wayray_protocol::Rect;
use winit::application::ApplicationHandler;
use winit::event::{ElementState, WindowEvent};
use winit::event_loop::{ActiveEventLoop, EventLoop, EventLoopProxy};
use winit::keyboard::{KeyCode, PhysicalKey};
use winit::window::{Fullscreen, Window, WindowId};

use std::str::FromStr;

use wayray_protocol::messages::control::OutputMode;
use wayray_protocol::messages::display::CursorShape;
use winit::window::CursorIcon;

use crate::connection::{ControlSender, Viewer};

/// Wakes the window thread.
#[derive(Debug)]
enum Wake {
    /// New pixels are in the shared buffer.
    Frame,
    /// The connection ended.
    Closed,
}

#[derive(Debug, Default)]
struct Shared {
    pixels: Vec<u8>,
    width: u32,
    height: u32,
    dirty: Vec<Rect>,
    wake_pending: bool,
    closed: Option<String>,
    /// The session's cursor, when it changed since the window last looked.
    cursor: Option<CursorShape>,
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
    /// The connection ended.
    #[error("{0}")]
    Disconnected(String),
}

/// Shows `viewer`'s session in a window until it is closed or the connection ends.
pub fn run(
    mut viewer: Viewer,
    runtime: &tokio::runtime::Runtime,
    title: String,
) -> Result<(), WindowError> {
    let event_loop = EventLoop::<Wake>::with_user_event()
        .build()
        .map_err(|e| WindowError::EventLoop(e.to_string()))?;
    let proxy = event_loop.create_proxy();
    let shared = Arc::new(Mutex::new(Shared::default()));
    let (input_tx, mut input_rx) = tokio::sync::mpsc::unbounded_channel();
    if let Some(mut input) = viewer.take_input() {
        runtime.spawn(async move {
            while let Some(event) = input_rx.recv().await {
                if input.send(&event).await.is_err() {
                    return;
                }
            }
        });
    }
    let control = viewer.control();
    let viewer_mode = viewer.mode;
    let (resize_tx, resize_rx) = tokio::sync::watch::channel(None);
    runtime.spawn(resize_requests(control, resize_rx));
    runtime.spawn(receive(viewer, shared.clone(), proxy));
    let initial = (viewer_mode.width, viewer_mode.height);
    let mut app = App {
        title,
        initial,
        window: None,
        gpu: None,
        shared,
        input: input_tx,
        resize: resize_tx,
        started: Instant::now(),
        error: None,
    };
    event_loop
        .run_app(&mut app)
        .map_err(|e| WindowError::EventLoop(e.to_string()))?;
    match app.error {
        Some(err) => Err(err),
        None => Ok(()),
    }
}

/// How long the window size must stay still before the session is resized (a drag of the
/// window border produces a stream of sizes).
const RESIZE_DEBOUNCE: std::time::Duration = std::time::Duration::from_millis(150);

/// Sends the latest requested mode once it has been stable for [`RESIZE_DEBOUNCE`].
async fn resize_requests(
    control: ControlSender,
    mut modes: tokio::sync::watch::Receiver<Option<OutputMode>>,
) {
    let mut sent = None;
    while modes.changed().await.is_ok() {
        // Debounce: wait until no newer size arrives for a while.
        while let Ok(Ok(())) = tokio::time::timeout(RESIZE_DEBOUNCE, modes.changed()).await {}
        let mode = *modes.borrow_and_update();
        if mode.is_some() && mode != sent {
            if let Some(mode) = mode
                && control.resize(mode).await.is_err()
            {
                return;
            }
            sent = mode;
        }
    }
}

/// Applies frames and hands the changed pixels to the window.
async fn receive(mut viewer: Viewer, shared: Arc<Mutex<Shared>>, proxy: EventLoopProxy<Wake>) {
    loop {
        match viewer.next_update().await {
            Ok(rects) if rects.is_empty() => {
                // A cursor change: the window shows it as its own cursor, with no latency.
                let Some(shape) = viewer.cursor_shape() else {
                    continue;
                };
                let Ok(mut s) = shared.lock() else { return };
                s.cursor = Some(shape);
                if !s.wake_pending {
                    s.wake_pending = true;
                    let _ = proxy.send_event(Wake::Frame);
                }
            }
            Ok(rects) => {
                let fb = &viewer.framebuffer;
                let Ok(mut s) = shared.lock() else { return };
                if (s.width, s.height) != (fb.width(), fb.height()) {
                    s.width = fb.width();
                    s.height = fb.height();
                    s.pixels = fb.pixels().to_vec();
                    s.dirty = vec![Rect::new(0, 0, fb.width(), fb.height())];
                } else {
                    let row = fb.width() as usize * 4;
                    for r in &rects {
                        for y in r.y..r.y + r.height {
                            let start = y as usize * row + r.x as usize * 4;
                            let end = start + r.width as usize * 4;
                            s.pixels[start..end].copy_from_slice(&fb.pixels()[start..end]);
                        }
                    }
                    s.dirty.extend(rects);
                }
                if !s.wake_pending {
                    s.wake_pending = true;
                    let _ = proxy.send_event(Wake::Frame);
                }
            }
            Err(err) => {
                if let Ok(mut s) = shared.lock() {
                    s.closed = Some(err.to_string());
                }
                let _ = proxy.send_event(Wake::Closed);
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
    }

    fn user_event(&mut self, event_loop: &ActiveEventLoop, event: Wake) {
        match event {
            Wake::Frame => {
                if let Some(window) = &self.window {
                    window.request_redraw();
                }
            }
            Wake::Closed => {
                let reason = self
                    .shared
                    .lock()
                    .ok()
                    .and_then(|s| s.closed.clone())
                    .unwrap_or_default();
                self.error = Some(WindowError::Disconnected(reason));
                event_loop.exit();
            }
        }
    }

    fn window_event(&mut self, event_loop: &ActiveEventLoop, _id: WindowId, event: WindowEvent) {
        match &event {
            WindowEvent::CloseRequested => event_loop.exit(),
            WindowEvent::Resized(size) => {
                if let Some(gpu) = &mut self.gpu {
                    gpu.resize(size.width, size.height);
                }
                self.request_mode();
            }
            WindowEvent::ScaleFactorChanged { .. } => self.request_mode(),
            WindowEvent::RedrawRequested => self.redraw(),
            // F11 is the viewer's own: full screen on and off.
            WindowEvent::KeyboardInput { event: key, .. }
                if key.physical_key == PhysicalKey::Code(KeyCode::F11) =>
            {
                if key.state == ElementState::Pressed
                    && let Some(window) = &self.window
                {
                    let next = match window.fullscreen() {
                        Some(_) => None,
                        None => Some(Fullscreen::Borderless(None)),
                    };
                    window.set_fullscreen(next);
                }
            }
            _ => {
                let time_ms = self.started.elapsed().as_millis() as u32;
                if let Some(message) = input::translate(&event, time_ms) {
                    let _ = self.input.send(message);
                }
            }
        }
    }
}

impl App {
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
            if let (Some(shape), Some(window)) = (s.cursor.take(), &self.window) {
                match shape {
                    CursorShape::Hidden => window.set_cursor_visible(false),
                    shape => {
                        window.set_cursor_visible(true);
                        let icon = CursorIcon::from_str(shape.name()).unwrap_or_default();
                        window.set_cursor(icon);
                    }
                }
            }
            if s.width > 0 {
                let dirty = std::mem::take(&mut s.dirty);
                gpu.upload(&s.pixels, s.width, s.height, &dirty);
            }
        }
        gpu.present();
    }
}
