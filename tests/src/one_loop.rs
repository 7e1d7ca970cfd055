//! A session compositor and its test clients on one thread: a client's round trip turns the
//! compositor's event loop itself, so protocol-level tests need no threads, sleeps or
//! deadlines and every run sees the same order of events (the model is niri's test fixture).

use std::cell::RefCell;
use std::os::unix::net::UnixStream;
use std::rc::Rc;
use std::time::Duration;

use wayray_protocol::InputMessage;
use wayray_server::session::{Screenshot, Session, SessionCommand};

use crate::fixture::config;
use crate::runtime_dir::RuntimeDir;
use crate::wl_client::{Connected, WlClient};

/// A session on the test's own thread.
pub struct OneLoop {
    session: Rc<RefCell<Session>>,
    /// Private `XDG_RUNTIME_DIR` of this session.
    pub dir: RuntimeDir,
}

impl OneLoop {
    /// A `width` × `height` session at scale 1.
    pub fn new(label: &str, width: u32, height: u32) -> Self {
        let dir = RuntimeDir::new(label).expect("private runtime dir");
        let session = Session::new(&config(&dir, width, height)).expect("session starts");
        Self {
            session: Rc::new(RefCell::new(session)),
            dir,
        }
    }

    /// Runs the compositor's loop once, without waiting.
    pub fn dispatch(&self) {
        self.session.borrow_mut().dispatch(Some(Duration::ZERO));
    }

    /// A client connected over a socket pair whose round trips turn this loop.
    pub fn client(&self) -> WlClient {
        let (client, server) = UnixStream::pair().expect("socket pair");
        self.command(SessionCommand::InsertClient(server));
        // Connecting reads the globals with a blocking round trip of wayland-client's own:
        // it runs on a helper thread while this one turns the loop; everything after it runs
        // here.
        let connecting = std::thread::spawn(move || Connected::new(client));
        while !connecting.is_finished() {
            self.session
                .borrow_mut()
                .dispatch(Some(Duration::from_millis(5)));
        }
        let connected = connecting.join().expect("client connects");
        let mut client = WlClient::from_connected(connected, self.dir.path());
        let session = self.session.clone();
        client.set_pump(Box::new(move || {
            session.borrow_mut().dispatch(Some(Duration::ZERO));
        }));
        client
    }

    /// Handles `command` now.
    pub fn command(&self, command: SessionCommand) {
        self.session.borrow_mut().command(command);
    }

    /// Applies an input event now.
    pub fn input(&self, event: InputMessage) {
        self.command(SessionCommand::Input(event));
    }

    /// The output as it is now.
    pub fn screenshot(&self) -> Screenshot {
        let (tx, rx) = std::sync::mpsc::channel();
        self.command(SessionCommand::Screenshot(tx));
        rx.try_recv().expect("a screenshot is taken at once")
    }
}
