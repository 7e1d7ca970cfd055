//! The WayRay viewer's core, usable with no window and no network: a [`Framebuffer`] that
//! frame updates are applied to, in order, with the region decoders of `wayray-protocol`. The
//! windowed viewer uploads the rectangles an update changed to its GPU texture; tests and the
//! headless viewer read the framebuffer directly.

pub mod advice;
pub mod audio;
pub mod clipboard;
pub mod config;
pub mod connection;
pub mod desk;
pub mod desk_card;
pub mod driver;
pub mod framebuffer;
pub mod headless;
pub mod keys;
pub mod known_servers;
pub mod pin;
pub mod resume;
pub mod stats;
#[cfg(feature = "window")]
pub mod window;

pub use connection::{ConnectError, ConnectOptions, PinPolicy, Viewer, ViewerError};
pub use framebuffer::{ApplyError, Framebuffer};
