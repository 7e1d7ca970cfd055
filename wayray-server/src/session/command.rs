//! What a session is started with and what can be asked of it while it runs: its
//! configuration, the commands its event loop takes, and its errors.

use std::path::PathBuf;
use std::sync::mpsc;

use wayray_protocol::messages::input::InputMessage;

use super::capture::FrameSink;
use super::output::OutputConfig;

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
    /// Run an Xwayland for X11 applications (`DISPLAY` is set for the session's apps).
    pub x11: bool,
    /// `PULSE_SERVER` for the session's applications: the session's own sound server.
    pub pulse_server: Option<String>,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            output: OutputConfig::default(),
            socket_name: None,
            runtime_dir: None,
            command: Vec::new(),
            keyboard_layout: "us".into(),
            x11: false,
            pulse_server: None,
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
    /// The frame sink gave back the pictures it kept (a parked encoder): the renderer lets
    /// go of its share of the newest one too.
    ReleaseFrames,
    /// Accept a Wayland client connected through this socket (tests and benchmarks use a
    /// socket pair instead of the listening socket).
    InsertClient(std::os::unix::net::UnixStream),
    /// Accept a client like `InsertClient`, known by `tag` to the harness that embeds the
    /// compositor (the conformance suite names clients by a number of its own).
    InsertTaggedClient(std::os::unix::net::UnixStream, i32),
    /// Put the window of the surface with protocol id `surface_id` of the client tagged `tag`
    /// at (`x`, `y`) in output coordinates.
    PlaceSurface {
        /// The client's tag.
        tag: i32,
        /// The surface's protocol id in that client.
        surface_id: u32,
        /// Where its window goes.
        x: i32,
        /// Where its window goes.
        y: i32,
    },
    /// Reply with render statistics.
    Stats(mpsc::Sender<RenderStats>),
    /// Send cursor shape changes here (the viewer shows the cursor itself).
    SetCursorSink(crate::session::cursor::CursorSink),
    /// The viewer's link has a frame waiting for room in the frames in flight (`true`), or no
    /// longer (`false`): while it has, clients get no frame callbacks, so they draw no faster
    /// than the viewer takes frames.
    Backlogged(bool),
    /// Send the session's selections and pastes of the desk's here (the link).
    SetClipboardSink(crate::session::clipboard::ClipboardSink),
    /// The viewer's desk offers a selection in these MIME types (`None`: no longer).
    DeskOffer(
        wayray_protocol::messages::clipboard::Selection,
        Option<Vec<String>>,
    ),
    /// The viewer reads the session's selection: write it into the pipe.
    ReadSelection {
        /// Which selection.
        selection: wayray_protocol::messages::clipboard::Selection,
        /// In which MIME type.
        mime_type: String,
        /// The write end of the link's pipe.
        fd: std::os::fd::OwnedFd,
    },
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
            Self::ReleaseFrames => f.write_str("ReleaseFrames"),
            Self::InsertClient(_) => f.write_str("InsertClient"),
            Self::InsertTaggedClient(_, tag) => {
                f.debug_tuple("InsertTaggedClient").field(tag).finish()
            }
            Self::PlaceSurface {
                tag,
                surface_id,
                x,
                y,
            } => f
                .debug_struct("PlaceSurface")
                .field("tag", tag)
                .field("surface_id", surface_id)
                .field("at", &(x, y))
                .finish(),
            Self::Stats(_) => f.write_str("Stats"),
            Self::SetCursorSink(_) => f.write_str("SetCursorSink"),
            Self::Run(command, _) => f.debug_tuple("Run").field(command).finish(),
            Self::Backlogged(b) => f.debug_tuple("Backlogged").field(b).finish(),
            Self::SetClipboardSink(_) => f.write_str("SetClipboardSink"),
            Self::DeskOffer(s, m) => f.debug_tuple("DeskOffer").field(s).field(m).finish(),
            Self::ReadSelection {
                selection,
                mime_type,
                ..
            } => f
                .debug_struct("ReadSelection")
                .field("selection", selection)
                .field("mime_type", mime_type)
                .finish_non_exhaustive(),
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
    pub fn write_png(
        &self,
        path: &std::path::Path,
    ) -> Result<(), crate::session::capture::ScreenshotError> {
        crate::session::capture::write_png(path, self.width, self.height, &self.bgra)
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
    Render(#[from] crate::session::render::RenderError),
    /// The session command could not be started.
    #[error("cannot start {command}: {source}")]
    Spawn {
        /// The program.
        command: String,
        /// Why.
        source: std::io::Error,
    },
}
