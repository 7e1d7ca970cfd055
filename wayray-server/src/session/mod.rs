//! The session process: a headless compositor with no display and no GPU, one output, a
//! Wayland socket, and the session's applications. The daemon spawns one process per session
//! running this; tests and benchmarks run it on a thread through [`SessionHandle`].
//!
//! Data path: client commit → [`render`] (damage only) → [`capture`] (damaged rectangles +
//! read access to the output) → [`encode`] → [`link`] (the session's Unix socket, towards the
//! daemon). Input comes the other way through [`input`] and the window manager ([`wm`]).
//! X11 apps run through the session's Xwayland ([`xwayland`]); Wayland and X11 windows are
//! one type to the rest ([`window`]). Nothing here parses network bytes or knows the daemon's
//! registry.

pub mod apps;
pub mod audio;
pub mod backend;
pub mod capture;
pub mod clipboard;
mod command;
mod content_type;
pub mod cursor;
pub mod encode;
pub mod focus;
mod frame;
mod handle;
mod handlers;
mod harness;
pub mod input;
mod layers;
pub mod link;
mod mode;
pub mod output;
pub mod picture;
mod pointer_focus;
mod pointer_lock;
pub mod processes;
pub mod render;
mod run;
mod shell;
pub mod state;
mod touch;
pub mod window;
pub mod wm;
pub mod xwayland;

pub use command::{RenderStats, Screenshot, SessionCommand, SessionConfig, SessionError};
pub use handle::SessionHandle;
/// Where commands to a running session go ([`SessionHandle::command_sender`]).
pub type CommandSender = smithay::reexports::calloop::channel::SyncSender<SessionCommand>;
pub use run::Session;
