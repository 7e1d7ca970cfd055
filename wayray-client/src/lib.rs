//! The WayRay viewer's core, usable with no window and no network: a [`Framebuffer`] that
//! frame updates are applied to, in order, with the region decoders of `wayray-protocol`. The
//! windowed viewer uploads the rectangles an update changed to its GPU texture; tests and the
//! headless viewer read the framebuffer directly.

pub mod framebuffer;

pub use framebuffer::{ApplyError, Framebuffer};
