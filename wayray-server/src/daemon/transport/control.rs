//! A viewer connection's control stream with its [`ServerConnection`]: writing what the
//! machine decided and closing the connection with its reason.

use quinn::{Connection, SendStream};
use wayray_protocol::ControlMessage;
use wayray_protocol::messages::control::DisconnectReason;
use wayray_protocol::quic::write_message;
use wayray_protocol::session::{Close, ServerConnection};

/// QUIC application close codes (the `DisconnectReason` tag).
pub(super) fn close_code(reason: DisconnectReason) -> quinn::VarInt {
    quinn::VarInt::from_u32(reason.code())
}

/// A connection's control stream and its machine.
pub(super) struct Control {
    pub machine: ServerConnection,
    pub send: SendStream,
    pub conn: Connection,
}

impl Control {
    /// Writes what the machine wants sent.
    pub async fn flush(&mut self) {
        while let Some(msg) = self.machine.poll_transmit() {
            let last = matches!(msg, ControlMessage::Disconnect(_));
            if write_message(&mut self.send, &msg).await.is_err() {
                break;
            }
            if last {
                let _ = self.send.finish();
            }
        }
    }

    /// Ends the connection with `close`'s reason (after its `Disconnect` was written).
    pub fn close_transport(&self, close: &Close) {
        if close.by_peer {
            tracing::info!(reason = ?close.reason, message = %close.message, "viewer disconnects");
        } else {
            tracing::info!(reason = ?close.reason, message = %close.message, "closing the viewer");
        }
        self.conn
            .close(close_code(close.reason), close.message.as_bytes());
    }
}
