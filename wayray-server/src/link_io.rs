//! Framed messages over any tokio byte stream (the link's Unix sockets). All byte handling is
//! the protocol crate's [`FrameDecoder`] and [`encode_frame_to_vec`].

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use wayray_protocol::framing::{FrameDecoder, encode_frame_to_vec};
use wayray_protocol::{DecodeError, EncodeError, WireMessage};

/// A link connection failed.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// The socket failed.
    #[error("link socket: {0}")]
    Io(#[from] std::io::Error),
    /// The peer sent bytes that are not a valid message.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// A message could not be encoded.
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// The peer closed the connection.
    #[error("the link closed")]
    Closed,
    /// The peer answered something that does not fit the request.
    #[error("unexpected answer on the link: {0}")]
    Unexpected(&'static str),
}

/// Messages of one type read from a byte stream.
#[derive(Debug)]
pub struct LinkReader<M: WireMessage, R> {
    read: R,
    decoder: FrameDecoder<M>,
    buf: Box<[u8]>,
    start: usize,
    end: usize,
}

impl<M: WireMessage, R: AsyncRead + Unpin> LinkReader<M, R> {
    /// Reads from `read`.
    pub fn new(read: R) -> Self {
        Self {
            read,
            decoder: FrameDecoder::new(),
            buf: vec![0; 64 * 1024].into_boxed_slice(),
            start: 0,
            end: 0,
        }
    }

    /// The next message, or `None` at a clean end of stream. Cancel-safe: bytes read stay
    /// buffered.
    pub async fn next(&mut self) -> Result<Option<M>, LinkError> {
        loop {
            if self.start < self.end {
                let used = self.decoder.handle_bytes(&self.buf[self.start..self.end])?;
                self.start += used;
                if let Some(msg) = self.decoder.poll_message() {
                    return Ok(Some(msg));
                }
                continue;
            }
            self.start = 0;
            self.end = 0;
            let n = self.read.read(&mut self.buf).await?;
            if n == 0 {
                self.decoder.finish()?;
                return Ok(None);
            }
            self.end = n;
        }
    }
}

/// Writes one framed message.
pub async fn write_link<W: AsyncWrite + Unpin>(
    write: &mut W,
    msg: &impl WireMessage,
) -> Result<(), LinkError> {
    let bytes = encode_frame_to_vec(msg)?;
    write.write_all(&bytes).await?;
    Ok(())
}
