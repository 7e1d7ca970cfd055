//! A session on a thread of its own, for tests, benchmarks and `session --listen`.

use std::sync::mpsc;

use smithay::reexports::calloop::channel::SyncSender as Sender;
use wayray_protocol::messages::input::InputMessage;

use super::{RenderStats, Screenshot, Session, SessionCommand, SessionConfig, SessionError};

/// A session running on its own thread.
#[derive(Debug)]
pub struct SessionHandle {
    socket_name: String,
    x11_display: Option<String>,
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
                        let names = (session.socket_name().to_owned(), session.x11_display());
                        let _ = ready_tx.send(Ok((names, sender)));
                        session.run();
                    }
                    Err(err) => {
                        let _ = ready_tx.send(Err(err));
                    }
                }
            })
            .map_err(|e| SessionError::Display(e.to_string()))?;
        let ((socket_name, x11_display), sender) = ready_rx
            .recv()
            .map_err(|_| SessionError::Display("session thread died during setup".into()))??;
        Ok(Self {
            socket_name,
            x11_display,
            sender,
            thread: Some(thread),
        })
    }

    /// `WAYLAND_DISPLAY` for clients of this session.
    pub fn socket_name(&self) -> &str {
        &self.socket_name
    }

    /// `DISPLAY` for X11 clients of this session, when it runs Xwayland.
    pub fn x11_display(&self) -> Option<&str> {
        self.x11_display.as_deref()
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
