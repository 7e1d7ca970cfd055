//! The WayRay wire protocol, sans-IO.
//!
//! This crate owns every byte that crosses the network between a viewer (`wayray-client`) and a
//! server (`wayray-server`), and between the daemon and its session processes. It has no sockets,
//! threads or clocks: callers feed bytes in with `handle_*` methods, take messages out with
//! `poll_*` methods, and pass time in where it matters. (The optional `quic` feature adds
//! [`quic`], a thin adapter that drives the framing over quinn streams; the optional `sound`
//! feature adds `sound`, recording from a sound server into Opus packets and decoding them.) It must never panic on peer bytes: every
//! decoder returns an error instead.
//!
//! # Channels
//!
//! A connection carries four channels, each with its own message type (see [`messages`]):
//!
//! | channel | type | QUIC stream |
//! |---|---|---|
//! | control | [`ControlMessage`] | the first bidirectional stream |
//! | display | [`DisplayMessage`] | one unidirectional stream per frame, server → viewer |
//! | input | [`InputMessage`] | one long-lived unidirectional stream, viewer → server |
//! | clipboard | [`ClipboardMessage`] | one bidirectional stream |
//!
//! # Wire format
//!
//! Every message is a *frame*: a 4-byte little-endian unsigned length `n`, then `n` bytes of the
//! message in [postcard](https://docs.rs/postcard) encoding (a compact, non-self-describing serde
//! format: varint integers, enum variants as a varint index in declaration order, byte strings as
//! a varint length plus the bytes). Each channel has a hard maximum frame size
//! ([`Channel::max_message_size`]); a decoder checks the declared length against it **before**
//! allocating, so a hostile peer cannot make the other side allocate more than that maximum.
//! See [`framing`].
//!
//! # Version negotiation
//!
//! The first message on the control stream is [`ControlMessage::Hello`] from the viewer, answered
//! by [`ControlMessage::ServerHello`]. `Hello` is variant 0 and its first field is the protocol
//! version: this prefix never changes, so any version can read the peer's version with
//! [`version::peek_hello_version`] even when the rest of the message differs, and reject an
//! unsupported version with a clear error ([`version::negotiate`]).
//!
//! # Compatibility policy
//!
//! * [`PROTOCOL_VERSION`] is one number. Any change to the bytes of an existing message (a field
//!   added, removed, reordered or retyped; a variant reordered) is a new version.
//! * New variants and messages are only ever appended at the end of an enum, and also make a new
//!   version. A peer only sends what the negotiated version knows.
//! * Optional features are announced in [`Capabilities`]; unknown capability bits are ignored,
//!   so a newer peer can advertise features an older one does not know.
//! * A server supports a range of versions ([`version::SUPPORTED`]); the viewer's version must lie
//!   in it. The golden byte vectors in this crate's tests fail on any accidental wire change.

#![warn(missing_docs)]

pub mod admin;
pub mod audio;
pub mod capabilities;
pub mod channel;
pub mod codec;
pub mod error;
pub mod framing;
pub mod geometry;
pub mod messages;
#[cfg(feature = "quic")]
pub mod quic;
pub mod secret;
pub mod session;
#[cfg(feature = "sound")]
pub mod sound;
pub mod version;

#[cfg(test)]
mod roundtrip_tests;

pub use capabilities::Capabilities;
pub use channel::{Channel, WireMessage};
pub use error::{DecodeError, EncodeError, NegotiateError, ValidationError};
pub use framing::{FrameDecoder, decode_frame, encode_frame};
pub use geometry::Rect;
pub use messages::clipboard::ClipboardMessage;
pub use messages::control::ControlMessage;
pub use messages::display::DisplayMessage;
pub use messages::input::InputMessage;
pub use version::PROTOCOL_VERSION;
