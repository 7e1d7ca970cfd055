//! The thin adapter between this sans-IO crate and quinn streams (feature `quic`, used by the
//! server and the viewer): framed messages read from and written to QUIC streams. Everything
//! it does with bytes goes through [`FrameDecoder`] and [`encode_frame_to_vec`]; it adds no
//! protocol logic of its own.

use crate::framing::{FrameDecoder, encode_frame_to_vec};
use crate::{DecodeError, EncodeError, WireMessage};
use bytes::Bytes;
use quinn::{RecvStream, SendStream};

/// The round-trip time both ends assume before they have measured one. quinn's default
/// (333 ms, RFC 9002's) makes a lost handshake packet cost about a second before it is sent
/// again. WayRay's links are LANs and campus networks: at 50 ms a lost first packet is sent
/// again after 150 ms; a link slower than that only sees a spare copy of a handshake packet.
pub const INITIAL_RTT: std::time::Duration = std::time::Duration::from_millis(50);

/// Settings both ends' transports share: the initial RTT above, and no path-MTU discovery.
/// Discovery probes the path with padded packets up to 1452 bytes, about 5.6 kB each way per
/// connection and again every ten minutes, to save about 0.4 % on large transfers (a
/// datagram's fixed cost over 1200 instead of 1452 bytes); for a desk's small updates the
/// probes cost more than they ever save (docs/adr/0029-lean-wire.md).
pub fn shared_transport(transport: &mut quinn::TransportConfig) {
    transport
        .initial_rtt(INITIAL_RTT)
        .mtu_discovery_config(None);
}

/// Reading a message failed.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The stream failed.
    #[error("stream failed: {0}")]
    Stream(#[from] quinn::ReadError),
    /// The peer sent bytes that are not a valid message.
    #[error(transparent)]
    Decode(#[from] DecodeError),
}

/// Messages of one type from one stream.
#[derive(Debug)]
pub struct MessageReader<M: WireMessage> {
    recv: RecvStream,
    decoder: FrameDecoder<M>,
    pending: Bytes,
}

impl<M: WireMessage> MessageReader<M> {
    /// Reads from `recv`.
    pub fn new(recv: RecvStream) -> Self {
        Self {
            recv,
            decoder: FrameDecoder::new(),
            pending: Bytes::new(),
        }
    }

    /// The next message, or `None` at a clean end of stream.
    pub async fn next(&mut self) -> Result<Option<M>, ReadError> {
        loop {
            if !self.pending.is_empty() {
                let used = self.decoder.handle_bytes(&self.pending)?;
                let _ = self.pending.split_to(used);
                if let Some(msg) = self.decoder.poll_message() {
                    return Ok(Some(msg));
                }
                continue;
            }
            let max = M::CHANNEL.max_message_size().min(256 * 1024);
            match self.recv.read_chunk(max, true).await? {
                Some(chunk) => self.pending = chunk.bytes,
                None => {
                    self.decoder.finish()?;
                    return Ok(None);
                }
            }
        }
    }
}

/// Writing a message failed.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The message could not be encoded.
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// The stream failed.
    #[error("stream failed: {0}")]
    Stream(#[from] quinn::WriteError),
}

/// Writes one framed message to `stream`.
pub async fn write_message(
    stream: &mut SendStream,
    msg: &impl WireMessage,
) -> Result<(), WriteError> {
    let bytes = encode_frame_to_vec(msg)?;
    stream.write_all(&bytes).await?;
    Ok(())
}
