//! Display streams: each display message comes on a unidirectional stream of its own; they
//! are read whole and concurrently (a slow big frame does not hold up the next) and handed to
//! the viewer with the stream's number, since messages can overtake each other.

use quinn::Connection;
use tokio::sync::mpsc;
use wayray_protocol::framing::decode_frame;
use wayray_protocol::{Channel, DisplayMessage};

use super::errors::{ViewerError, closed_error};

/// A display message as received: the message, its size on the wire, and the number of the
/// stream it came on (streams are read concurrently, so messages can overtake each other).
pub(super) type Received = Result<(DisplayMessage, usize, u64), ViewerError>;

/// Accepts display streams and reads each one whole, concurrently (a slow big frame does not
/// hold up the next), handing complete messages to the viewer. A stream is accepted only with
/// a free place in the queue, so streams being read never outnumber it.
pub(super) async fn receive_display(conn: Connection, out: mpsc::Sender<Received>) {
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
        tokio::spawn(async move {
            let result = match stream
                .read_to_end(Channel::Display.max_message_size() + 4)
                .await
            {
                Ok(bytes) => decode_frame::<DisplayMessage>(&bytes)
                    .map(|msg| (msg, bytes.len(), number))
                    .map_err(|e| ViewerError::Stream(e.to_string())),
                // A stream cut by the connection's close carries the server's reason (session
                // moved, ended…): report that, not a stream failure.
                Err(quinn::ReadToEndError::Read(quinn::ReadError::ConnectionLost(e))) => {
                    Err(closed_error(e))
                }
                Err(e) => Err(ViewerError::Stream(e.to_string())),
            };
            place.send(result);
        });
    }
}
