//! Display streams: each display message comes on a unidirectional stream of its own; they
//! are read whole and concurrently (a slow big frame does not hold up the next) and handed to
//! the viewer with the stream's number, since messages can overtake each other. The bytes of
//! every message being read or waiting for the viewer come out of one budget
//! ([`DISPLAY_BUDGET`]), so a server that opens many streams of large messages cannot make
//! the viewer hold more than that.

use std::sync::Arc;

use quinn::Connection;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use wayray_protocol::framing::decode_frame;
use wayray_protocol::{Channel, DisplayMessage};

use super::errors::{ViewerError, closed_error};

/// Bytes of display messages read and not yet handed to the session machine, at most.
pub const DISPLAY_BUDGET: usize = 128 * 1024 * 1024;
/// The budget is counted in units of this many bytes.
const UNIT: usize = 1024;

/// A display message as received: the message, its size on the wire, the number of the
/// stream it came on (streams are read concurrently, so messages can overtake each other),
/// and its share of the budget (returned when dropped).
pub(super) type Received = Result<(DisplayMessage, usize, u64, OwnedSemaphorePermit), ViewerError>;

/// Accepts display streams and reads each one whole, concurrently (a slow big frame does not
/// hold up the next), handing complete messages to the viewer. A stream is accepted only with
/// a free place in the queue, so streams being read never outnumber it.
pub(super) async fn receive_display(conn: Connection, out: mpsc::Sender<Received>) {
    let budget = Arc::new(Semaphore::new(DISPLAY_BUDGET / UNIT));
    for number in 0u64.. {
        let Ok(place) = out.clone().reserve_owned().await else {
            return;
        };
        let mut stream = match conn.accept_uni().await {
            Ok(stream) => stream,
            Err(err) => {
                place.send(Err(closed_error(err)));
                return;
            }
        };
        let budget = budget.clone();
        tokio::spawn(async move {
            let result = match read_within(&mut stream, &budget).await {
                Ok((bytes, share)) => decode_frame::<DisplayMessage>(&bytes)
                    .map(|msg| (msg, bytes.len(), number, share))
                    .map_err(|e| ViewerError::Stream(e.to_string())),
                // A stream cut by the connection's close carries the server's reason (session
                // moved, ended…): report that, not a stream failure.
                Err(Failure::Read(quinn::ReadError::ConnectionLost(e))) => Err(closed_error(e)),
                Err(Failure::Read(e)) => Err(ViewerError::Stream(e.to_string())),
                Err(Failure::TooLarge) => Err(ViewerError::Stream(
                    "the server sent a display message larger than the protocol allows".into(),
                )),
            };
            place.send(result);
        });
    }
}

/// Why a display stream was not read.
enum Failure {
    Read(quinn::ReadError),
    TooLarge,
}

/// Reads a display stream to its end, taking each chunk's bytes out of `budget` first (a
/// stream waits while the budget is spent) and refusing more than a display message's
/// maximum.
async fn read_within(
    stream: &mut quinn::RecvStream,
    budget: &Arc<Semaphore>,
) -> Result<(Vec<u8>, OwnedSemaphorePermit), Failure> {
    let max = Channel::Display.max_message_size() + 4;
    let mut bytes = Vec::new();
    // The budget's semaphore is never closed, so acquiring fails only if it were.
    let closed = |_| Failure::Read(quinn::ReadError::ClosedStream);
    let mut share = budget.clone().acquire_many_owned(0).await.map_err(closed)?;
    while let Some(chunk) = stream
        .read_chunk(64 * 1024, true)
        .await
        .map_err(Failure::Read)?
    {
        if bytes.len() + chunk.bytes.len() > max {
            return Err(Failure::TooLarge);
        }
        let units = chunk.bytes.len().div_ceil(UNIT) as u32;
        share.merge(
            budget
                .clone()
                .acquire_many_owned(units)
                .await
                .map_err(closed)?,
        );
        bytes.extend_from_slice(&chunk.bytes);
    }
    Ok((bytes, share))
}
