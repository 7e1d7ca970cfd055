//! A headless session: the compositor with no display and no GPU, one output, a Wayland
//! socket, and the session's applications. The daemon spawns one process per session running
//! this; tests and benchmarks run it on a thread through [`SessionHandle`].
//!
//! The event loop blocks until a client, a command or a child event needs it: no timer runs, so
//! an idle session uses no CPU.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Instant;

use smithay::desktop::{PopupManager, Space};
use smithay::input::keyboard::XkbConfig;
use smithay::reexports::calloop::channel::{Channel, Event as ChannelEvent, Sender, channel};
use smithay::reexports::calloop::generic::Generic;
use smithay::reexports::calloop::{EventLoop, Interest, Mode, PostAction};
use smithay::reexports::wayland_server::Display;
use smithay::reexports::wayland_server::ListeningSocket;
use smithay::utils::Clock;
use wayray_protocol::messages::input::InputMessage;

use crate::capture::{FrameSink, NullSink};
use crate::output::OutputConfig;
use crate::render::RenderTarget;
use crate::state::{Core, State, new_client_data};
use crate::wm::{Size, WindowManager};

/// What a session runs with.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// Output size, scale and refresh.
    pub output: OutputConfig,
    /// Wayland socket name in the runtime dir; `None` picks a free `wayland-N`.
    pub socket_name: Option<String>,
    /// Where the socket goes; `None` means `$XDG_RUNTIME_DIR`.
    pub runtime_dir: Option<PathBuf>,
    /// The application to start inside the session, with its arguments (may be empty).
    pub command: Vec<String>,
    /// xkb layout name, e.g. `us` or `de`.
    pub keyboard_layout: String,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            output: OutputConfig::default(),
            socket_name: None,
            runtime_dir: None,
            command: Vec::new(),
            keyboard_layout: "us".into(),
        }
    }
}

/// A request to a running session from another thread.
pub enum SessionCommand {
    /// Apply an input event.
    Input(InputMessage),
    /// Reply with a copy of the current output.
    Screenshot(mpsc::Sender<Screenshot>),
    /// Change the output's size or scale.
    SetOutput(OutputConfig),
    /// Send captured frames here from now on.
    SetSink(Box<dyn FrameSink + Send>),
    /// Render and capture the whole output once, even if nothing changed.
    CaptureAll,
    /// Accept a Wayland client connected through this socket (tests and benchmarks use a
    /// socket pair instead of the listening socket).
    InsertClient(std::os::unix::net::UnixStream),
    /// Reply with render statistics.
    Stats(mpsc::Sender<RenderStats>),
    /// Send cursor shape changes here (the viewer shows the cursor itself).
    SetCursorSink(crate::cursor::CursorSink),
    /// Start an application inside the session; reply with its process id.
    Run(Vec<String>, mpsc::Sender<Result<u32, String>>),
    /// Stop the session (its applications are terminated).
    Stop,
}

/// Render statistics of a session.
#[derive(Debug, Clone, Copy)]
pub struct RenderStats {
    /// Frames rendered with damage.
    pub frames: u64,
    /// Time spent rendering and capturing, all frames together.
    pub render_time: std::time::Duration,
    /// Mapped windows.
    pub windows: usize,
    /// The output in effect.
    pub output: OutputConfig,
}

impl std::fmt::Debug for SessionCommand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Input(i) => f.debug_tuple("Input").field(i).finish(),
            Self::Screenshot(_) => f.write_str("Screenshot"),
            Self::SetOutput(o) => f.debug_tuple("SetOutput").field(o).finish(),
            Self::SetSink(_) => f.write_str("SetSink"),
            Self::CaptureAll => f.write_str("CaptureAll"),
            Self::InsertClient(_) => f.write_str("InsertClient"),
            Self::Stats(_) => f.write_str("Stats"),
            Self::SetCursorSink(_) => f.write_str("SetCursorSink"),
            Self::Run(command, _) => f.debug_tuple("Run").field(command).finish(),
            Self::Stop => f.write_str("Stop"),
        }
    }
}

/// A copy of the output at one moment.
#[derive(Debug, Clone)]
pub struct Screenshot {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Tightly packed BGRA.
    pub bgra: Vec<u8>,
    /// Frames rendered so far.
    pub frames: u64,
    /// Number of mapped windows.
    pub windows: usize,
}

impl Screenshot {
    /// The pixel at `(x, y)` as `[b, g, r, a]`.
    pub fn pixel(&self, x: u32, y: u32) -> [u8; 4] {
        let i = (y as usize * self.width as usize + x as usize) * 4;
        [
            self.bgra[i],
            self.bgra[i + 1],
            self.bgra[i + 2],
            self.bgra[i + 3],
        ]
    }

    /// Writes the screenshot as a PNG file.
    pub fn write_png(&self, path: &std::path::Path) -> Result<(), crate::capture::ScreenshotError> {
        crate::capture::write_png(path, self.width, self.height, &self.bgra)
    }
}

/// Starting a session failed.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The Wayland display or event loop could not be created.
    #[error("cannot create the Wayland display: {0}")]
    Display(String),
    /// The socket could not be bound (name taken, no XDG_RUNTIME_DIR).
    #[error("cannot create the Wayland socket: {0}")]
    Socket(String),
    /// The output image could not be set up.
    #[error(transparent)]
    Render(#[from] crate::render::RenderError),
    /// The session command could not be started.
    #[error("cannot start {command}: {source}")]
    Spawn {
        /// The program.
        command: String,
        /// Why.
        source: std::io::Error,
    },
}

/// A session being set up: the loop, the state, and the socket name clients use.
pub struct Session {
    event_loop: EventLoop<'static, State>,
    state: State,
    socket_name: String,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("socket_name", &self.socket_name)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// Creates the compositor and binds its socket; starts no application yet.
    pub fn new(config: &SessionConfig) -> Result<Self, SessionError> {
        let event_loop: EventLoop<'static, State> =
            EventLoop::try_new().map_err(|e| SessionError::Display(e.to_string()))?;
        let display: Display<State> =
            Display::new().map_err(|e| SessionError::Display(e.to_string()))?;
        let dh = display.handle();
        let handle = event_loop.handle();

        let runtime_dir = match &config.runtime_dir {
            Some(dir) => dir.clone(),
            None => std::env::var_os("XDG_RUNTIME_DIR")
                .map(PathBuf::from)
                .ok_or_else(|| SessionError::Socket("XDG_RUNTIME_DIR is not set".into()))?,
        };
        let (socket, socket_name) = bind_socket(&runtime_dir, config.socket_name.as_deref())?;
        handle
            .insert_source(
                Generic::new(socket, Interest::READ, Mode::Level),
                |_, socket, state| {
                    loop {
                        match socket.accept() {
                            Ok(Some(stream)) => {
                                if let Err(err) = state
                                    .display_handle
                                    .insert_client(stream, new_client_data())
                                {
                                    tracing::warn!(%err, "cannot accept a Wayland client");
                                }
                            }
                            Ok(None) => break,
                            Err(err) => {
                                tracing::warn!(%err, "accepting a Wayland client failed");
                                break;
                            }
                        }
                    }
                    Ok(PostAction::Continue)
                },
            )
            .map_err(|e| SessionError::Socket(e.to_string()))?;
        handle
            .insert_source(
                Generic::new(display, Interest::READ, Mode::Level),
                |_, display, state| {
                    // SAFETY: the display is owned by this source and never dropped while the
                    // loop dispatches it.
                    let display = unsafe { display.get_mut() };
                    if let Err(err) = display.dispatch_clients(state) {
                        // Misbehaving clients are disconnected by wayland-server itself; an
                        // error here is about the socket, which must not end the session.
                        tracing::warn!(%err, "dispatching clients failed");
                    }
                    Ok(PostAction::Continue)
                },
            )
            .map_err(|e| SessionError::Display(e.to_string()))?;

        let mut core = Core::new(&dh);
        let output = config.output.create_output();
        let _global = output.create_global::<State>(&dh);
        let mut space = Space::default();
        space.map_output(&output, (0, 0));
        let target = RenderTarget::new(
            &output,
            config.output.width,
            config.output.height,
            Box::new(NullSink),
        )?;
        let mut seat = core.seat_state.new_wl_seat(&dh, "seat0");
        let xkb = XkbConfig {
            layout: &config.keyboard_layout,
            ..XkbConfig::default()
        };
        if seat.add_keyboard(xkb, 400, 30).is_err() {
            tracing::warn!(layout = %config.keyboard_layout, "unknown keyboard layout, using us");
            seat.add_keyboard(XkbConfig::default(), 400, 30)
                .map_err(|e| SessionError::Display(format!("no usable keymap: {e:?}")))?;
        }
        seat.add_pointer();
        seat.add_touch();
        let logical = config.output.logical_size();
        let state = State {
            core,
            display_handle: dh,
            loop_handle: handle,
            seat,
            space,
            popups: PopupManager::default(),
            wm: WindowManager::new(Size::new(logical.w, logical.h)),
            output,
            output_config: config.output,
            target,
            render_scheduled: false,
            start: Instant::now(),
            clock: Clock::new(),
            frames: 0,
            window_rects: std::collections::HashMap::new(),
            render_time: std::time::Duration::ZERO,
            running: true,
            cursor: smithay::input::pointer::CursorImageStatus::default_named(),
            cursor_sink: None,
            cursor_sent: None,
            intercepted_keys: std::collections::HashSet::new(),
            apps: crate::apps::Apps::new(socket_name.clone(), runtime_dir.clone()),
        };
        Ok(Self {
            event_loop,
            state,
            socket_name,
        })
    }

    /// The event loop, for backends that add their own event sources.
    pub fn loop_handle(&self) -> smithay::reexports::calloop::LoopHandle<'static, State> {
        self.event_loop.handle()
    }

    /// The Wayland socket name (`WAYLAND_DISPLAY`) of this session.
    pub fn socket_name(&self) -> &str {
        &self.socket_name
    }

    /// Accepts commands from another thread.
    pub fn command_channel(&mut self) -> Sender<SessionCommand> {
        let (sender, receiver): (Sender<SessionCommand>, Channel<SessionCommand>) = channel();
        let inserted = self
            .event_loop
            .handle()
            .insert_source(receiver, |event, _, state| match event {
                ChannelEvent::Msg(command) => state.handle_command(command),
                // Every sender is gone: nobody can stop us any more, so stop now.
                ChannelEvent::Closed => state.running = false,
            });
        if let Err(err) = inserted {
            tracing::error!(%err, "cannot listen for session commands");
        }
        sender
    }

    /// Starts an application inside the session.
    pub fn spawn(&mut self, command: &[String]) -> Result<(), SessionError> {
        if command.is_empty() {
            return Ok(());
        }
        self.state
            .apps
            .start(command)
            .map(drop)
            .map_err(|source| SessionError::Spawn {
                command: command[0].clone(),
                source,
            })
    }

    /// Sends captured frames to `sink`.
    pub fn set_sink(&mut self, sink: Box<dyn FrameSink>) {
        self.state.target.set_sink(sink);
    }

    /// Runs until stopped; then terminates the applications it started.
    pub fn run(mut self) -> State {
        let signal = self.event_loop.get_signal();
        let result = self.event_loop.run(None, &mut self.state, |state| {
            if let Err(err) = state.display_handle.flush_clients() {
                tracing::debug!(%err, "flushing clients");
            }
            if !state.running {
                signal.stop();
            }
        });
        if let Err(err) = result {
            tracing::error!(%err, "session event loop failed");
        }
        self.state.apps.stop_all();
        self.state
    }
}

impl State {
    fn handle_command(&mut self, command: SessionCommand) {
        match command {
            SessionCommand::Input(event) => self.handle_input(event),
            SessionCommand::Screenshot(reply) => {
                let frame = self.target.frame();
                let _ = reply.send(Screenshot {
                    width: frame.width(),
                    height: frame.height(),
                    bgra: frame.to_bgra(),
                    frames: self.frames,
                    windows: self.space.elements().count(),
                });
            }
            SessionCommand::SetOutput(config) => self.set_output_config(config),
            SessionCommand::SetSink(sink) => {
                self.target.set_sink(sink);
                self.schedule_render();
            }
            SessionCommand::CaptureAll => {
                self.target.damage_all();
                self.schedule_render();
            }
            SessionCommand::InsertClient(stream) => {
                if let Err(err) = self.display_handle.insert_client(stream, new_client_data()) {
                    tracing::warn!(%err, "cannot insert a client");
                }
            }
            SessionCommand::Stats(reply) => {
                let _ = reply.send(RenderStats {
                    frames: self.frames,
                    render_time: self.render_time,
                    windows: self.space.elements().count(),
                    output: self.output_config,
                });
            }
            SessionCommand::SetCursorSink(sink) => {
                self.cursor_sink = Some(sink);
                self.cursor_sent = None;
                self.send_cursor();
            }
            SessionCommand::Run(command, reply) => {
                let _ = reply.send(self.apps.start(&command).map_err(|e| e.to_string()));
            }
            SessionCommand::Stop => self.running = false,
        }
    }
}

/// Binds `dir/name`, or the first free `dir/wayland-N`.
fn bind_socket(dir: &Path, name: Option<&str>) -> Result<(ListeningSocket, String), SessionError> {
    let bind = |name: &str| ListeningSocket::bind_absolute(dir.join(name));
    match name {
        Some(name) => bind(name)
            .map(|s| (s, name.to_owned()))
            .map_err(|e| SessionError::Socket(format!("{}: {e}", dir.join(name).display()))),
        None => (1..64)
            .map(|n| format!("wayland-{n}"))
            .find_map(|name| bind(&name).ok().map(|s| (s, name)))
            .ok_or_else(|| {
                SessionError::Socket(format!("no free wayland-N socket in {}", dir.display()))
            }),
    }
}

/// A session running on its own thread.
#[derive(Debug)]
pub struct SessionHandle {
    socket_name: String,
    sender: Sender<SessionCommand>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl SessionHandle {
    /// Starts a session on a new thread and its command, if any.
    pub fn spawn(config: SessionConfig) -> Result<Self, SessionError> {
        let (ready_tx, ready_rx) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("wayray-session".into())
            .spawn(move || {
                let setup = Session::new(&config).and_then(|mut session| {
                    let sender = session.command_channel();
                    session.spawn(&config.command)?;
                    Ok((session, sender))
                });
                match setup {
                    Ok((session, sender)) => {
                        let _ = ready_tx.send(Ok((session.socket_name().to_owned(), sender)));
                        session.run();
                    }
                    Err(err) => {
                        let _ = ready_tx.send(Err(err));
                    }
                }
            })
            .map_err(|e| SessionError::Display(e.to_string()))?;
        let (socket_name, sender) = ready_rx
            .recv()
            .map_err(|_| SessionError::Display("session thread died during setup".into()))??;
        Ok(Self {
            socket_name,
            sender,
            thread: Some(thread),
        })
    }

    /// `WAYLAND_DISPLAY` for clients of this session.
    pub fn socket_name(&self) -> &str {
        &self.socket_name
    }

    /// Sends a command; false if the session has stopped.
    pub fn send(&self, command: SessionCommand) -> bool {
        self.sender.send(command).is_ok()
    }

    /// A copy of the current output, or `None` if the session has stopped.
    pub fn screenshot(&self) -> Option<Screenshot> {
        let (tx, rx) = mpsc::channel();
        self.send(SessionCommand::Screenshot(tx));
        rx.recv_timeout(std::time::Duration::from_secs(10)).ok()
    }

    /// A sender of commands, for other components (the transport).
    pub fn command_sender(&self) -> Sender<SessionCommand> {
        self.sender.clone()
    }

    /// Render statistics, or `None` if the session has stopped.
    pub fn stats(&self) -> Option<RenderStats> {
        let (tx, rx) = mpsc::channel();
        self.send(SessionCommand::Stats(tx));
        rx.recv_timeout(std::time::Duration::from_secs(10)).ok()
    }

    /// Connects a client through a socket pair; returns the client's end.
    pub fn connect_client(&self) -> std::io::Result<std::os::unix::net::UnixStream> {
        let (client, server) = std::os::unix::net::UnixStream::pair()?;
        self.send(SessionCommand::InsertClient(server));
        Ok(client)
    }

    /// Applies an input event.
    pub fn input(&self, event: InputMessage) {
        self.send(SessionCommand::Input(event));
    }

    /// Waits until the session has stopped (a `Stop` command, e.g. from the daemon).
    pub fn wait(&mut self) {
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for SessionHandle {
    fn drop(&mut self) {
        self.send(SessionCommand::Stop);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
