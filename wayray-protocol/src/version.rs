//! Protocol version and its negotiation.
//!
//! The viewer opens with [`Hello`]; the server reads the version with [`peek_hello_version`]
//! (which works whatever the rest of a future `Hello` looks like), checks it with [`negotiate`],
//! and answers with [`ServerHello`] or with a `Disconnect` whose reason is
//! `UnsupportedVersion` and whose text is the [`NegotiateError`]'s message.

use std::ops::RangeInclusive;

use crate::messages::control::{Hello, PeerInfo, ServerHello};
use crate::{Capabilities, ControlMessage, DecodeError, NegotiateError, WireMessage};

/// The protocol version this crate speaks.
pub const PROTOCOL_VERSION: u16 = 2;

/// The versions this crate can speak. The viewer's version must lie in this range. Version 2
/// added `Login` and the desk token of `Attached`, which version 1 cannot decode.
pub const SUPPORTED: RangeInclusive<u16> = 2..=PROTOCOL_VERSION;

/// Reads the protocol version from the body (no length prefix) of a peer's first control
/// message, without decoding the rest, so that a hello from any version can be answered with a
/// precise error.
pub fn peek_hello_version(body: &[u8]) -> Result<u16, NegotiateError> {
    // The prefix of every Hello: variant tag 0 (a varint) then the version (a varint).
    let (tag, rest) =
        postcard::take_from_bytes::<u32>(body).map_err(|_| NegotiateError::Unreadable)?;
    if tag != 0 {
        return Err(NegotiateError::NotHello {
            got: ControlMessage::VARIANTS
                .get(tag as usize)
                .copied()
                .unwrap_or("an unknown message"),
        });
    }
    let (version, _) =
        postcard::take_from_bytes::<u16>(rest).map_err(|_| NegotiateError::Unreadable)?;
    Ok(version)
}

/// Checks a peer's version against [`SUPPORTED`] and returns the version to speak.
pub fn negotiate(peer_version: u16) -> Result<u16, NegotiateError> {
    if SUPPORTED.contains(&peer_version) {
        Ok(peer_version)
    } else {
        Err(NegotiateError::UnsupportedVersion {
            peer: peer_version,
            min: *SUPPORTED.start(),
            max: *SUPPORTED.end(),
        })
    }
}

/// Server side of the handshake: checks the peer's first control frame body and builds the
/// answer. Returns the peer's hello and the reply to send.
pub fn accept_hello(
    body: &[u8],
    server_capabilities: Capabilities,
    server: PeerInfo,
) -> Result<(Hello, ServerHello), HandshakeError> {
    let version = negotiate(peek_hello_version(body)?)?;
    let hello = match crate::framing::decode_body::<ControlMessage>(body)? {
        ControlMessage::Hello(hello) => hello,
        other => {
            return Err(NegotiateError::NotHello { got: other.name() }.into());
        }
    };
    let reply = ServerHello {
        protocol_version: version,
        capabilities: hello.capabilities.intersect(server_capabilities),
        server,
    };
    Ok((hello, reply))
}

/// The server-side handshake failed.
#[derive(Debug, thiserror::Error)]
pub enum HandshakeError {
    /// Versions do not match, or the first message was not a hello.
    #[error(transparent)]
    Negotiate(#[from] NegotiateError),
    /// The hello did not decode.
    #[error(transparent)]
    Decode(#[from] DecodeError),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framing::encode_frame_to_vec;

    fn hello(version: u16) -> Vec<u8> {
        let msg = ControlMessage::Hello(Hello {
            protocol_version: version,
            capabilities: Capabilities::H264,
            client: PeerInfo {
                name: "test".into(),
                version: "0".into(),
            },
        });
        encode_frame_to_vec(&msg).unwrap()[crate::framing::LENGTH_PREFIX..].to_vec()
    }

    #[test]
    fn current_version_is_accepted_and_capabilities_intersect() {
        let server = PeerInfo::default();
        let (_, reply) = accept_hello(
            &hello(PROTOCOL_VERSION),
            Capabilities::H264 | Capabilities::TOUCH,
            server,
        )
        .unwrap();
        assert_eq!(reply.protocol_version, PROTOCOL_VERSION);
        assert_eq!(reply.capabilities, Capabilities::H264);
    }

    #[test]
    fn future_version_is_refused_with_a_clear_message_even_if_the_rest_differs() {
        let mut body = hello(PROTOCOL_VERSION + 7);
        body.extend_from_slice(b"fields from the future");
        let err = accept_hello(&body, Capabilities::empty(), PeerInfo::default()).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "peer speaks WayRay protocol version {}, this side supports versions {} to {}",
                PROTOCOL_VERSION + 7,
                SUPPORTED.start(),
                PROTOCOL_VERSION
            )
        );
    }

    #[test]
    fn version_zero_is_refused() {
        assert!(matches!(
            negotiate(0),
            Err(NegotiateError::UnsupportedVersion { peer: 0, .. })
        ));
    }

    #[test]
    fn a_non_hello_first_message_is_named() {
        let body = encode_frame_to_vec(&ControlMessage::KeyframeRequest).unwrap();
        assert_eq!(
            peek_hello_version(&body[4..]),
            Err(NegotiateError::NotHello {
                got: "KeyframeRequest"
            })
        );
        assert_eq!(peek_hello_version(&[]), Err(NegotiateError::Unreadable));
        assert_eq!(
            peek_hello_version(&[0x7f, 1]),
            Err(NegotiateError::NotHello {
                got: "an unknown message"
            })
        );
    }
}
