//! Length-prefixed postcard frames.
//!
//! A frame is a 4-byte little-endian length `n` followed by `n` bytes of postcard. The length is
//! checked against [`crate::Channel::max_message_size`] before any buffer for the body is
//! allocated.
//!
//! [`FrameDecoder`] is a sans-IO state machine for a byte stream. Call order:
//!
//! 1. [`FrameDecoder::handle_bytes`] with whatever bytes arrived; it consumes bytes up to the end
//!    of the next complete frame and returns how many it took;
//! 2. [`FrameDecoder::poll_message`] to take that message out (at most one is ever pending, so
//!    the decoder holds at most one frame's worth of memory);
//! 3. repeat with the bytes not consumed yet.
//!
//! At the end of the stream call [`FrameDecoder::finish`]: a stream that ends inside a frame is
//! an error, not a silent loss.

use std::marker::PhantomData;

use crate::{DecodeError, EncodeError, WireMessage};

/// Size of the length prefix.
pub const LENGTH_PREFIX: usize = 4;

/// Appends `msg` as one frame to `out`.
///
/// On error `out` is left as it was.
pub fn encode_frame<M: WireMessage>(msg: &M, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    let channel = M::CHANNEL;
    let start = out.len();
    out.extend_from_slice(&[0; LENGTH_PREFIX]);
    if let Err(source) = postcard::to_io(msg, &mut *out) {
        out.truncate(start);
        return Err(EncodeError::Serialize {
            channel: channel.name(),
            source,
        });
    }
    let size = out.len() - start - LENGTH_PREFIX;
    if size > channel.max_message_size() {
        out.truncate(start);
        return Err(EncodeError::TooLarge {
            channel: channel.name(),
            size,
            max: channel.max_message_size(),
        });
    }
    // `size` fits in u32: every channel limit is below 4 GiB.
    out[start..start + LENGTH_PREFIX].copy_from_slice(&(size as u32).to_le_bytes());
    Ok(())
}

/// Encodes `msg` as one frame into a new buffer.
pub fn encode_frame_to_vec<M: WireMessage>(msg: &M) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::new();
    encode_frame(msg, &mut out)?;
    Ok(out)
}

/// Encodes `msg` as a bare body without length prefix (one QUIC datagram is one message).
pub fn encode_body<M: WireMessage>(msg: &M) -> Result<Vec<u8>, EncodeError> {
    let channel = M::CHANNEL;
    let body = postcard::to_allocvec(msg).map_err(|source| EncodeError::Serialize {
        channel: channel.name(),
        source,
    })?;
    if body.len() > channel.max_message_size() {
        return Err(EncodeError::TooLarge {
            channel: channel.name(),
            size: body.len(),
            max: channel.max_message_size(),
        });
    }
    Ok(body)
}

/// Decodes exactly one frame that fills all of `bytes` (prefix included).
pub fn decode_frame<M: WireMessage>(bytes: &[u8]) -> Result<M, DecodeError> {
    let channel = M::CHANNEL;
    let Some((prefix, body)) = bytes.split_first_chunk::<LENGTH_PREFIX>() else {
        return Err(DecodeError::truncated(channel, LENGTH_PREFIX - bytes.len()));
    };
    let declared = u32::from_le_bytes(*prefix) as usize;
    check_length::<M>(declared)?;
    match body.len().cmp(&declared) {
        std::cmp::Ordering::Less => Err(DecodeError::truncated(channel, declared - body.len())),
        std::cmp::Ordering::Greater => Err(DecodeError::TrailingBytes {
            channel: channel.name(),
            extra: body.len() - declared,
        }),
        std::cmp::Ordering::Equal => decode_body(body),
    }
}

/// Decodes a datagram: one bare body, at most the channel's size.
pub fn decode_datagram<M: WireMessage>(bytes: &[u8]) -> Result<M, DecodeError> {
    check_length::<M>(bytes.len())?;
    decode_body(bytes)
}

/// Decodes a frame body (no prefix): postcard, no trailing bytes, then validation.
pub fn decode_body<M: WireMessage>(body: &[u8]) -> Result<M, DecodeError> {
    let channel = M::CHANNEL.name();
    let (msg, rest) = postcard::take_from_bytes::<M>(body)
        .map_err(|source| DecodeError::Malformed { channel, source })?;
    if !rest.is_empty() {
        return Err(DecodeError::TrailingBytes {
            channel,
            extra: rest.len(),
        });
    }
    msg.validate()
        .map_err(|source| DecodeError::Invalid { channel, source })?;
    Ok(msg)
}

fn check_length<M: WireMessage>(declared: usize) -> Result<(), DecodeError> {
    let max = M::CHANNEL.max_message_size();
    if declared > max {
        return Err(DecodeError::TooLarge {
            channel: M::CHANNEL.name(),
            declared: declared as u64,
            max,
        });
    }
    Ok(())
}

/// What a decoder reserves for a body before its bytes arrive; it grows with them.
const INITIAL_BODY: usize = 64 * 1024;

/// Incremental decoder for a stream of frames of one message type. See the module docs for the
/// call order.
#[derive(Debug)]
pub struct FrameDecoder<M> {
    prefix: [u8; LENGTH_PREFIX],
    prefix_len: usize,
    /// Body of the current frame once its length is known and accepted.
    body: Option<(Vec<u8>, usize)>,
    ready: Option<M>,
    failed: bool,
    _marker: PhantomData<fn() -> M>,
}

impl<M: WireMessage> Default for FrameDecoder<M> {
    fn default() -> Self {
        Self::new()
    }
}

impl<M: WireMessage> FrameDecoder<M> {
    /// A decoder at the start of a stream.
    pub fn new() -> Self {
        Self {
            prefix: [0; LENGTH_PREFIX],
            prefix_len: 0,
            body: None,
            ready: None,
            failed: false,
            _marker: PhantomData,
        }
    }

    /// Feeds bytes from the stream. Returns how many were consumed: it stops after the first
    /// complete frame, whose message [`FrameDecoder::poll_message`] then returns. While a message
    /// is pending nothing is consumed (returns 0).
    ///
    /// After an error the decoder refuses all further input ([`DecodeError::AfterError`]):
    /// the stream has lost its framing and must be closed.
    pub fn handle_bytes(&mut self, input: &[u8]) -> Result<usize, DecodeError> {
        if self.failed {
            return Err(DecodeError::AfterError {
                channel: M::CHANNEL.name(),
            });
        }
        let result = self.consume(input);
        if result.is_err() {
            self.failed = true;
        }
        result
    }

    fn consume(&mut self, input: &[u8]) -> Result<usize, DecodeError> {
        if self.ready.is_some() {
            return Ok(0);
        }
        let mut used = 0;
        if self.body.is_none() {
            let want = LENGTH_PREFIX - self.prefix_len;
            let take = want.min(input.len());
            self.prefix[self.prefix_len..self.prefix_len + take].copy_from_slice(&input[..take]);
            self.prefix_len += take;
            used += take;
            if self.prefix_len < LENGTH_PREFIX {
                return Ok(used);
            }
            let declared = u32::from_le_bytes(self.prefix) as usize;
            check_length::<M>(declared)?;
            // Memory follows the bytes that arrive, not the length a peer declares: a
            // prefix alone never makes this side reserve the channel's maximum.
            self.body = Some((Vec::with_capacity(declared.min(INITIAL_BODY)), declared));
        }
        let Some((body, declared)) = self.body.as_mut() else {
            return Ok(used);
        };
        let take = (*declared - body.len()).min(input.len() - used);
        body.extend_from_slice(&input[used..used + take]);
        used += take;
        if body.len() == *declared {
            let msg = decode_body::<M>(body)?;
            self.ready = Some(msg);
            self.body = None;
            self.prefix_len = 0;
        }
        Ok(used)
    }

    /// Bytes held for a message not complete yet (what a peer's partial frame costs).
    pub fn reserved_bytes(&self) -> usize {
        self.body.as_ref().map_or(0, |(body, _)| body.capacity())
    }

    /// Takes the message completed by the last [`FrameDecoder::handle_bytes`], if any.
    pub fn poll_message(&mut self) -> Option<M> {
        self.ready.take()
    }

    /// Whether the decoder is between frames (nothing partial buffered).
    pub fn is_idle(&self) -> bool {
        self.body.is_none() && self.prefix_len == 0
    }

    /// Call when the stream ended: an error if it ended inside a frame.
    pub fn finish(&self) -> Result<(), DecodeError> {
        match &self.body {
            Some((body, declared)) => {
                Err(DecodeError::truncated(M::CHANNEL, declared - body.len()))
            }
            None if self.prefix_len > 0 => Err(DecodeError::truncated(
                M::CHANNEL,
                LENGTH_PREFIX - self.prefix_len,
            )),
            None => Ok(()),
        }
    }

    /// Decodes every complete frame in `input`, feeding the messages to `sink`. Convenience
    /// for callers that read whole chunks.
    pub fn decode_all(
        &mut self,
        mut input: &[u8],
        mut sink: impl FnMut(M),
    ) -> Result<(), DecodeError> {
        loop {
            let used = self.handle_bytes(input)?;
            input = &input[used..];
            match self.poll_message() {
                Some(msg) => sink(msg),
                None if input.is_empty() => return Ok(()),
                None => {}
            }
        }
    }
}
