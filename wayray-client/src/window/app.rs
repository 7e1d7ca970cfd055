//! The window thread: a winit application that draws what the network task shared, sends the
//! window's input and sizes, and acts on the viewer's own shortcuts.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::sync::mpsc;
use wayray_protocol::messages::control::OutputMode;
use winit::application::ApplicationHandler;
use winit::event::{ElementState, WindowEvent};
use winit::event_loop::ActiveEventLoop;
use winit::keyboard::ModifiersState;
use winit::window::{Fullscreen, Window, WindowId};

use super::input::{self, Shortcut};
use super::login::LoginScreen;
use super::{Shared, Starter, Wake, WindowError, cursor, gpu, grab, overlay};
use crate::driver::Request;

pub(super) struct App {
    title: String,
    /// The session's size when attaching: the window opens at it.
    initial: (u32, u32),
    window: Option<Arc<Window>>,
    gpu: Option<gpu::Gpu>,
    shared: Arc<Mutex<Shared>>,
    requests: mpsc::Sender<Request>,
    resize: tokio::sync::watch::Sender<Option<OutputMode>>,
    started: Instant,
    pub error: Option<WindowError>,
    modifiers: ModifiersState,
    /// The text the overlay texture shows now (empty: no overlay).
    overlay_shown: Vec<String>,
    grab: grab::KeyboardGrab,
    grab_wanted: bool,
    /// The title the window has now (set only when it changes).
    title_shown: String,
    reconnecting: bool,
    notice: Option<String>,
    /// Keys whose press was a viewer shortcut: their release is not sent either.
    swallowed: std::collections::HashSet<winit::keyboard::PhysicalKey>,
    /// The refresh rate of the window's monitor last told to the session.
    refresh_told: Option<u32>,
    /// The login screen, shown until a login succeeds.
    pub login: Option<LoginScreen>,
    /// Starts the session's network task once the login has given a viewer.
    pub starter: Option<Starter>,
    /// The session's sound (mute and volume keys).
    pub audio: Option<Arc<crate::audio::AudioPlayer>>,
    /// The desk's microphone, for the title's indicator while it is live.
    pub microphone: Option<Arc<crate::audio::microphone::Microphone>>,
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
        let drawing = match &mut self.login {
            Some(login) => login.attach(window.clone()),
            None => gpu::Gpu::new(window.clone()).map(|gpu| self.gpu = Some(gpu)),
        };
        if let Err(err) = drawing {
            self.error = Some(err.into());
            event_loop.exit();
            return;
        }
        window.request_redraw();
        self.window = Some(window);
        if self.login.is_none() {
            self.update_grab();
        }
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
                if let Ok(s) = self.shared.lock() {
                    self.reconnecting = s.reconnecting;
                    self.notice = s.notice.clone();
                }
                self.refresh_title();
            }
            Wake::Login => self.logged_in(event_loop),
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
        if let (Some(login), Some(window)) = (&mut self.login, &self.window) {
            match event {
                WindowEvent::CloseRequested => event_loop.exit(),
                event => login.window_event(window, &event),
            }
            return;
        }
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
            WindowEvent::Moved(_) => self.report_refresh(),
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
                    if self.requests.try_send(Request::Input(message)).is_err() {
                        tracing::debug!("input dropped: the connection is not keeping up");
                    }
                }
            }
        }
    }
}

impl App {
    pub fn new(
        title: String,
        initial: (u32, u32),
        shared: Arc<Mutex<Shared>>,
        requests: mpsc::Sender<Request>,
        resize: tokio::sync::watch::Sender<Option<OutputMode>>,
        grab_wanted: bool,
    ) -> Self {
        Self {
            title,
            initial,
            window: None,
            gpu: None,
            shared,
            requests,
            resize,
            started: Instant::now(),
            error: None,
            modifiers: ModifiersState::empty(),
            overlay_shown: Vec::new(),
            grab: grab::KeyboardGrab::default(),
            grab_wanted,
            title_shown: String::new(),
            reconnecting: false,
            notice: None,
            swallowed: std::collections::HashSet::new(),
            refresh_told: None,
            login: None,
            starter: None,
            audio: None,
            microphone: None,
        }
    }

    /// A login finished: on success the window becomes the session's.
    fn logged_in(&mut self, event_loop: &ActiveEventLoop) {
        let (Some(login), Some(window)) = (&mut self.login, self.window.clone()) else {
            return;
        };
        let Some(viewer) = login.finish(&window) else {
            return;
        };
        // The login screen's surface goes before the session's is made on the same window.
        self.login = None;
        self.title = format!("{} — session {}", self.title, viewer.session_id);
        match gpu::Gpu::new(window.clone()) {
            Ok(gpu) => self.gpu = Some(gpu),
            Err(err) => {
                self.error = Some(err.into());
                event_loop.exit();
                return;
            }
        }
        let size = winit::dpi::PhysicalSize::new(viewer.mode.width, viewer.mode.height);
        let _ = window.request_inner_size(size);
        if let Some(starter) = self.starter.take() {
            starter.start(viewer);
        }
        self.refresh_title();
        self.update_grab();
        window.request_redraw();
    }

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
            Shortcut::Mute => {
                if let Some(audio) = &self.audio {
                    audio.toggle_mute();
                }
                self.refresh_title();
            }
            Shortcut::VolumeUp | Shortcut::VolumeDown => {
                let step = if shortcut == Shortcut::VolumeUp {
                    10
                } else {
                    -10
                };
                if let Some(audio) = &self.audio {
                    audio.change_volume(step);
                }
                self.refresh_title();
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
        if let Some(notice) = &self.notice {
            title.push_str(" — ");
            title.push_str(notice);
        }
        if self.grab.active() {
            title.push_str(" — keyboard grabbed (Ctrl+Alt+G releases)");
        }
        if self.microphone.as_ref().is_some_and(|m| m.live()) {
            title.push_str(" — microphone on");
        }
        if let Some(audio) = &self.audio {
            if audio.muted() {
                title.push_str(" — sound muted (Ctrl+Alt+M)");
            } else if audio.volume() != 100 {
                title.push_str(&format!(" — sound {}%", audio.volume()));
            }
        }
        if title != self.title_shown {
            window.set_title(&title);
            self.title_shown = title;
        }
    }

    /// The session output follows the window: its size in physical pixels and its scale.
    fn request_mode(&mut self) {
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
        self.report_refresh();
    }

    /// Tells the session the refresh rate of the monitor the window is on, when it changed:
    /// the session's applications then draw at the rate this desk shows.
    fn report_refresh(&mut self) {
        let Some(window) = &self.window else { return };
        let rate = window
            .current_monitor()
            .and_then(|monitor| monitor.refresh_rate_millihertz());
        if let Some(rate) = rate
            && self.refresh_told != Some(rate)
            && self.requests.try_send(Request::Refresh(rate)).is_ok()
        {
            self.refresh_told = Some(rate);
        }
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
