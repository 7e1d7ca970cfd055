//! The WayRay server. Its two processes have a folder each:
//!
//! * [`daemon`]: `wayray-server serve` — the QUIC front end ([`daemon::transport`]), the
//!   token registry, the session supervisor, the admin socket, and the daemon's end of each
//!   session's link. The only process that parses network bytes.
//! * [`session`]: one process per session — the headless compositor, its window manager,
//!   capture and encoding, and the session's end of the link.
//!
//! * [`sessiond`]: `wayray-server sessiond` — in multi-user mode, the small privileged helper
//!   that checks passwords with PAM and starts session processes as their users.
//!
//! [`link_io`] (framed messages over the link's Unix sockets) is shared by `daemon` and
//! `session`; [`sessiond_wire`] (the helper's requests) by `daemon` and `sessiond`; [`users`]
//! (Unix users and privileges) by `daemon` and `sessiond`; [`x11_socket_dir`] (the safety
//! of `/tmp/.X11-unix`) by `session` and `sessiond`; [`sound_kind`] (which sound server a
//! session runs) by all three. None of the three process folders
//! imports another; `daemon` reaches the others only through their sockets.

pub mod daemon;
pub mod link_io;
pub mod programs;
pub mod session;
pub mod sessiond;
pub mod sessiond_wire;
pub mod sound_kind;
pub mod users;
pub mod x11_socket_dir;
