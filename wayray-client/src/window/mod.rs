//! The viewer window (winit + wgpu; cargo feature `window`). The network runs on one tokio
//! task, the shared [`crate::driver::Driver`] with [`network::WindowFrontend`]; the window
//! thread ([`app`]) draws what changed, sends its input and sizes, and never waits for the
//! network. Only changed rectangles are uploaded to the GPU.

mod app;
mod cursor;
mod gpu;
pub mod grab;
pub mod input;
pub mod login;
mod network;
pub mod overlay;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use wayray_protocol::Rect;
use wayray_protocol::messages::display::DisplayMessage;
use winit::event_loop::EventLoop;

use crate::connection::{ConnectOptions, Viewer};
use crate::driver::Driver;
use app::App;
use network::{WindowFrontend, debounce_resizes, drive};

/// Input events and sizes waiting for the network task. The window never waits for the
/// network: an event that finds the queue full (the connection is stuck) is dropped.
const REQUEST_QUEUE: usize = 1024;

/// Wakes the window thread.
#[derive(Debug)]
pub enum Wake {
    /// New pixels, a new cursor or new stats are in the shared state.
    Frame,
    /// The connection dropped and is being resumed, or was resumed.
    Status,
    /// The connection ended for good.
    Closed,
    /// A login from the login screen finished.
    Login,
}

#[derive(Debug, Default)]
pub(crate) struct Shared {
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
    /// The server's newest notice (shown in the title).
    notice: Option<String>,
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
    /// The session's sound (for the mute and volume keys) and the desk's microphone (for
    /// the title's indicator).
    pub sound: Sound,
}

/// The session's sound and the desk's microphone, as a window shows and controls them.
pub type Sound = (
    Option<std::sync::Arc<crate::audio::AudioPlayer>>,
    Option<std::sync::Arc<crate::audio::microphone::Microphone>>,
);

/// What the window starts with.
#[derive(Debug)]
pub enum Start {
    /// A viewer already attached (a token, or `--user` with `--password-file`).
    Attached(Box<Viewer>),
    /// The login screen: the session is shown once a login succeeds.
    Login(Box<login::LoginOptions>),
}

impl Start {
    /// The sound the window controls: the attached viewer's, or what the login will use.
    pub fn sound(&self) -> Sound {
        match self {
            Self::Attached(viewer) => (viewer.audio().cloned(), viewer.microphone().cloned()),
            Self::Login(login) => (
                login.connect.audio.clone(),
                login.connect.microphone.clone(),
            ),
        }
    }
}

/// The session's network task, started once there is a viewer.
pub(crate) struct Starter {
    runtime: tokio::runtime::Handle,
    requests: tokio::sync::mpsc::Receiver<crate::driver::Request>,
    frontend: WindowFrontend,
    resume: Option<(ConnectOptions, Duration)>,
}

impl Starter {
    /// Runs the network side for `viewer`. A login's viewer resumes with its desk token,
    /// never with the password.
    pub(crate) fn start(self, viewer: Viewer) {
        let mut resume = self.resume;
        if let (Some((options, _)), Some(token)) = (&mut resume, &viewer.desk_token) {
            options.credentials = wayray_protocol::session::Credentials::Token(token.clone());
        }
        let driver = Driver::new(viewer, resume, None);
        self.runtime
            .spawn(drive(driver, self.requests, self.frontend));
    }
}

/// The login screen's window size before the session's is known.
const LOGIN_SIZE: (u32, u32) = (520, 380);

/// Shows the session in a window (after the login screen, when `start` asks for it) until it
/// is closed or the connection ends for good.
pub fn run(
    start: Start,
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
    let (requests_tx, requests_rx) = tokio::sync::mpsc::channel(REQUEST_QUEUE);
    let (resize_tx, resize_rx) = tokio::sync::watch::channel(None);
    runtime.spawn(debounce_resizes(resize_rx, requests_tx.clone()));
    let frontend = WindowFrontend {
        shared: shared.clone(),
        proxy: proxy.clone(),
    };
    let starter = Starter {
        runtime: runtime.handle().clone(),
        requests: requests_rx,
        frontend,
        resume: options.resume.clone(),
    };
    let (initial, login, starter) = match start {
        Start::Attached(viewer) => {
            let initial = (viewer.mode.width, viewer.mode.height);
            starter.start(*viewer);
            (initial, None, None)
        }
        Start::Login(login) => {
            let screen = login::LoginScreen::new(*login, runtime.handle().clone(), proxy);
            (LOGIN_SIZE, Some(screen), Some(starter))
        }
    };
    let mut app = App::new(
        options.title,
        initial,
        shared,
        requests_tx,
        resize_tx,
        options.grab_keyboard,
    );
    app.login = login;
    app.starter = starter;
    (app.audio, app.microphone) = options.sound;
    event_loop
        .run_app(&mut app)
        .map_err(|e| WindowError::DeskLost(e.to_string()))?;
    match app.error {
        Some(err) => Err(err),
        None => Ok(()),
    }
}
