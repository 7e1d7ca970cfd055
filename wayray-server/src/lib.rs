//! The WayRay server: the headless session compositor (this crate's library, also used by the
//! end-to-end tests) and the daemon.
//!
//! Data path inside a session: client commit → [`render`] (damage only) → [`capture`] (damaged
//! rectangles + read access to the output) → [`encode`] → [`link`] (the session's Unix socket)
//! → [`transport`] (the QUIC front end, in the [`daemon`] or a single-session server). Input
//! goes the other way through [`input`] and the window manager ([`wm`]).

pub mod apps;
pub mod backend;
pub mod capture;
pub mod cursor;
pub mod daemon;
pub mod encode;
mod handlers;
pub mod input;
pub mod link;
pub mod output;
pub mod render;
pub mod session;
mod shell;
pub mod state;
pub mod transport;
pub mod wm;
