//! The logic of a connection, as two state machines without I/O: [`ViewerConnection`] (the
//! viewer's side) and [`ServerConnection`] (the server's side).
//!
//! They own everything a connection decides: hello, version and capability negotiation,
//! attach, frame sequence numbers, acknowledgements and the in-flight window, keyframe
//! requests and their rate, ping and round-trip time, resize and keymap requests and their
//! limits, and why a connection ends. The code around them (tokio and quinn on both sides)
//! only moves messages and timers, in the style of quinn-proto:
//!
//! 1. feed what arrived with `handle_*(now, …)`, and call `handle_timeout(now)` once the
//!    instant from `poll_timeout()` has passed;
//! 2. after each of those calls, drain `poll_transmit()` (control messages to write, in order)
//!    and `poll_event()` (what the application must act on), then re-arm the timer from
//!    `poll_timeout()`.
//!
//! Time is always passed in; nothing here reads a clock, sleeps or spawns. [`sim`] drives both
//! machines against each other with simulated time, latency, loss and reordering.

pub mod ack_hold;
pub mod budget;
pub mod clipboard;
pub mod overtake;
pub mod pace;
pub mod rate;
pub mod recent;
pub mod rtt;
pub mod server;
pub mod sim;
pub mod throttle;
pub mod viewer;
pub mod viewer_config;
pub mod window;

#[cfg(test)]
mod login_tests;
#[cfg(test)]
mod overtake_viewer_tests;
#[cfg(test)]
mod pool_tests;
#[cfg(test)]
mod tests;

pub use clipboard::{ClipboardGate, ClipboardPolicy, Routed};
pub use server::{ServerConfig, ServerConnection, ServerEvent};
pub use viewer::{Credentials, ViewerConfig, ViewerConnection, ViewerEvent};
pub use window::{AckError, FrameWindow};

use crate::messages::control::{Disconnect, DisconnectReason};

/// Why and how a connection ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Close {
    /// Machine-readable reason (also the QUIC application close code).
    pub reason: DisconnectReason,
    /// Text for a person.
    pub message: String,
    /// `true` when the peer ended it, `false` when this side did.
    pub by_peer: bool,
}

impl Close {
    pub(crate) fn local(reason: DisconnectReason, message: impl Into<String>) -> Self {
        Self {
            reason,
            message: message.into(),
            by_peer: false,
        }
    }

    pub(crate) fn peer(disconnect: Disconnect) -> Self {
        Self {
            reason: disconnect.reason,
            message: disconnect.message,
            by_peer: true,
        }
    }

    /// The `Disconnect` message that tells the peer.
    pub fn message(&self) -> Disconnect {
        Disconnect {
            reason: self.reason,
            message: self.message.clone(),
        }
    }
}
