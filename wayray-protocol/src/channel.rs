//! The channels of a connection and the per-channel limits.

use serde::{Serialize, de::DeserializeOwned};

/// One logical channel of a WayRay connection. Each has its own message type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Channel {
    /// Handshake, session attach, pings, acks, resize requests, disconnect.
    Control,
    /// Frame updates and cursor images, server to viewer.
    Display,
    /// Keyboard, pointer and touch, viewer to server.
    Input,
    /// Clipboard offers and data transfers, both ways.
    Clipboard,
    /// Daemon ↔ session process, on a Unix socket (never on the network).
    Link,
    /// The session's sound (server to viewer) and the desk's microphone (viewer to server),
    /// one packet per QUIC datagram.
    Audio,
}

impl Channel {
    /// The largest frame (length prefix excluded) a decoder of this channel accepts.
    ///
    /// Display frames carry compressed pixels and are allowed to be large (a keyframe of an 8K
    /// output compressed badly still fits); everything else is small, so a hostile peer can make
    /// the other side buffer at most this much per stream.
    pub const fn max_message_size(self) -> usize {
        match self {
            Channel::Control => 64 * 1024,
            Channel::Display => 64 * 1024 * 1024,
            Channel::Input => 64 * 1024,
            Channel::Clipboard => crate::messages::clipboard::MAX_CHUNK + 4 * 1024,
            // A display frame wrapped in a link reply.
            Channel::Link => 64 * 1024 * 1024 + 64 * 1024,
            // One Opus packet and its header.
            Channel::Audio => crate::messages::audio::MAX_OPUS_PACKET + 32,
        }
    }

    /// A lowercase name for logs and errors.
    pub const fn name(self) -> &'static str {
        match self {
            Channel::Control => "control",
            Channel::Display => "display",
            Channel::Input => "input",
            Channel::Clipboard => "clipboard",
            Channel::Link => "link",
            Channel::Audio => "audio",
        }
    }
}

/// A message type that travels on one channel.
pub trait WireMessage: Serialize + DeserializeOwned {
    /// The channel this type travels on; it sets the size limit.
    const CHANNEL: Channel;

    /// Names of the variants in wire order: `VARIANTS[i]` is the variant whose tag is `i`.
    /// docs/protocol.md lists the same names (a test checks it).
    const VARIANTS: &'static [&'static str];

    /// The name of this message's variant, as in [`WireMessage::VARIANTS`].
    fn name(&self) -> &'static str;

    /// Checks the values a peer sent beyond what the type system guarantees (finite
    /// coordinates, sane sizes). Decoding calls it, so a decoded message is always valid.
    fn validate(&self) -> Result<(), crate::ValidationError>;
}
