//! The session's event loop: the compositor with no display and no GPU, one output, a Wayland
//! socket, and the session's applications.
//!
//! The event loop blocks until a client, a command or a child event needs it: no timer runs, so
//! an idle session uses no CPU.

use std::path::{Path, PathBuf};

use smithay::reexports::calloop::channel::{
    Channel, Event as ChannelEvent, SyncSender, sync_channel,
};
use smithay::reexports::calloop::generic::Generic;
use smithay::reexports::calloop::timer::{TimeoutAction, Timer};
use smithay::reexports::calloop::{EventLoop, Interest, Mode, PostAction};
use smithay::reexports::wayland_server::Display;
use smithay::reexports::wayland_server::ListeningSocket;

use crate::session::capture::FrameSink;
use crate::session::state::{State, new_client_data};

use super::{RenderStats, Screenshot, SessionCommand, SessionConfig, SessionError};

/// Commands waiting for the compositor, at most.
pub const COMMAND_QUEUE: usize = 256;
/// How often exited applications are reaped.
const REAP_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);

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

        // Exited applications (and detached jobs) are reaped at once and then every second,
        // so none stays a zombie. A session whose runtime dir is gone (its user logged out
        // everywhere, the system cleaned up) can never be reached again: it stops.
        let watched = runtime_dir.clone();
        handle
            .insert_source(Timer::immediate(), move |_, _, state| {
                state.apps.reap();
                state.x11_check_alive();
                if !watched.is_dir() {
                    tracing::warn!(dir = %watched.display(), "the runtime dir is gone: stopping");
                    state.running = false;
                }
                TimeoutAction::ToDuration(REAP_INTERVAL)
            })
            .map_err(|e| SessionError::Display(e.to_string()))?;
        let mut apps = crate::session::apps::Apps::new(socket_name.clone(), runtime_dir.clone());
        apps.set_pulse_server(config.pulse_server.clone());
        let mut state = State::new(dh, handle, config, apps)?;
        if config.x11 {
            // Without Xwayland the session still runs; only X11 apps cannot start.
            if let Err(err) = state.start_x11(None) {
                tracing::warn!(%err, "X11 apps cannot start in this session");
            }
        }
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

    /// `DISPLAY` for X11 clients, when the session runs Xwayland.
    pub fn x11_display(&self) -> Option<String> {
        self.state.apps.x11_display()
    }

    /// The Wayland socket name (`WAYLAND_DISPLAY`) of this session.
    pub fn socket_name(&self) -> &str {
        &self.socket_name
    }

    /// Accepts commands from another thread, at most [`COMMAND_QUEUE`] waiting: a sender
    /// that runs ahead of the compositor waits for it.
    pub fn command_channel(&mut self) -> SyncSender<SessionCommand> {
        let (sender, receiver): (SyncSender<SessionCommand>, Channel<SessionCommand>) =
            sync_channel(COMMAND_QUEUE);
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

    /// Handles one command at once, on the caller's thread (tests that drive the session and
    /// their clients on one loop).
    pub fn command(&mut self, command: SessionCommand) {
        self.state.handle_command(command);
    }

    /// Runs the event loop once: what is ready (clients' requests, commands, idle renders),
    /// waiting at most `timeout` for something to become ready; then flushes the clients.
    pub fn dispatch(&mut self, timeout: Option<std::time::Duration>) {
        if let Err(err) = self.event_loop.dispatch(timeout, &mut self.state) {
            tracing::error!(%err, "session event loop failed");
        }
        if let Err(err) = self.state.display_handle.flush_clients() {
            tracing::debug!(%err, "flushing clients");
        }
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
            SessionCommand::ReleaseFrames => self.target.settle(),
            SessionCommand::InsertClient(stream) => {
                if let Err(err) = self.display_handle.insert_client(stream, new_client_data()) {
                    tracing::warn!(%err, "cannot insert a client");
                }
            }
            SessionCommand::InsertTaggedClient(stream, tag) => {
                self.insert_tagged_client(stream, tag)
            }
            SessionCommand::PlaceSurface {
                tag,
                surface_id,
                x,
                y,
            } => self.place_surface(tag, surface_id, (x, y)),
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
            SessionCommand::Backlogged(backlogged) => self.set_backlogged(backlogged),
            SessionCommand::SetClipboardSink(sink) => self.clipboard = Some(sink),
            SessionCommand::DeskOffer(selection, mime_types) => {
                self.desk_offer(selection, mime_types);
            }
            SessionCommand::ReadSelection {
                selection,
                mime_type,
                fd,
            } => self.read_selection_for_desk(selection, mime_type, fd),
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
