//! The WayRay server. Its two processes have a folder each:
//!
//! * [`daemon`]: `wayray-server serve` — the QUIC front end ([`daemon::transport`]), the
//!   token registry, the session supervisor, the admin socket, and the daemon's end of each
//!   session's link. The only process that parses network bytes.
//! * [`session`]: one process per session — the headless compositor, its window manager,
//!   capture and encoding, and the session's end of the link.
//!
//! [`link_io`] (framed messages over the link's Unix sockets) is the one piece both use.
//! `session` never imports `daemon`; `daemon` uses `session` only through the link protocol.

pub mod daemon;
pub mod link_io;
pub mod session;
