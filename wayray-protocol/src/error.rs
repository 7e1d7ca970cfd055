//! Errors, one enum per operation.

use crate::Channel;

/// Encoding a message failed.
#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    /// The encoded message is larger than its channel allows; split it (display frames can be
    /// split into several frame updates) or the peer would refuse it.
    #[error("{channel} message of {size} bytes exceeds the {max}-byte limit")]
    TooLarge {
        /// Channel of the message.
        channel: &'static str,
        /// Encoded size.
        size: usize,
        /// Channel limit.
        max: usize,
    },
    /// The serializer failed (cannot happen for the types in this crate).
    #[error("cannot serialize {channel} message: {source}")]
    Serialize {
        /// Channel of the message.
        channel: &'static str,
        /// Underlying error.
        source: postcard::Error,
    },
}

/// Decoding bytes from a peer failed. The connection (or stream) that produced them should be
/// closed with [`crate::messages::control::DisconnectReason::ProtocolError`].
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// The length prefix announces a message larger than the channel allows.
    #[error("peer announced a {declared}-byte {channel} message; the limit is {max} bytes")]
    TooLarge {
        /// Channel being decoded.
        channel: &'static str,
        /// Length the peer announced.
        declared: u64,
        /// Channel limit.
        max: usize,
    },
    /// The input ended inside a frame.
    #[error("{channel} frame truncated: {missing} more bytes were expected")]
    Truncated {
        /// Channel being decoded.
        channel: &'static str,
        /// Bytes missing to complete the frame.
        missing: usize,
    },
    /// The frame's bytes are not a valid message.
    #[error("malformed {channel} message: {source}")]
    Malformed {
        /// Channel being decoded.
        channel: &'static str,
        /// Underlying error.
        source: postcard::Error,
    },
    /// The message decoded but left bytes unread inside its frame.
    #[error("{channel} message has {extra} unexpected trailing bytes")]
    TrailingBytes {
        /// Channel being decoded.
        channel: &'static str,
        /// Unread bytes.
        extra: usize,
    },
    /// The message decoded but holds values the protocol forbids.
    #[error("invalid {channel} message: {source}")]
    Invalid {
        /// Channel being decoded.
        channel: &'static str,
        /// What is wrong.
        source: ValidationError,
    },
    /// An earlier error broke the stream's framing; nothing more can be read from it.
    #[error("{channel} stream already failed to decode; close it")]
    AfterError {
        /// Channel being decoded.
        channel: &'static str,
    },
}

impl DecodeError {
    pub(crate) fn truncated(channel: Channel, missing: usize) -> Self {
        Self::Truncated {
            channel: channel.name(),
            missing,
        }
    }
}

/// A decoded message holds a value the protocol forbids.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
    /// A coordinate or scroll value is NaN or infinite.
    #[error("{field} is not a finite number")]
    NotFinite {
        /// Field name.
        field: &'static str,
    },
    /// A size or rectangle is out of range.
    #[error("{field} is out of range: {detail}")]
    OutOfRange {
        /// Field name.
        field: &'static str,
        /// What the limit is.
        detail: String,
    },
    /// A text field is longer than allowed.
    #[error("{field} is {len} bytes long; at most {max} are allowed")]
    TooLong {
        /// Field name.
        field: &'static str,
        /// Actual length.
        len: usize,
        /// Limit.
        max: usize,
    },
}

/// Version negotiation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NegotiateError {
    /// The peer speaks a protocol version this side does not support.
    #[error(
        "peer speaks WayRay protocol version {peer}, this side supports versions {min} to {max}"
    )]
    UnsupportedVersion {
        /// The peer's version.
        peer: u16,
        /// Oldest supported version.
        min: u16,
        /// Newest supported version.
        max: u16,
    },
    /// The first control message was not a hello.
    #[error("the first control message must be Hello, got {got}")]
    NotHello {
        /// What arrived instead.
        got: &'static str,
    },
    /// The first bytes could not even be read as a hello prefix.
    #[error("the first control message is not a WayRay hello (is the peer a WayRay viewer?)")]
    Unreadable,
}
