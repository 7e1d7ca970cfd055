//! The audio channel's datagrams: each one is an `AudioMessage`, handed to the viewer's
//! player. A datagram that does not decode ends the connection with the reason, like any
//! malformed message.

use std::sync::Arc;

use quinn::Connection;
use wayray_protocol::framing::decode_datagram;
use wayray_protocol::messages::audio::AudioMessage;
use wayray_protocol::messages::control::DisconnectReason;

use crate::audio::AudioPlayer;

/// Reads datagrams until the connection ends.
pub(super) async fn receive(conn: Connection, player: Arc<AudioPlayer>) {
    while let Ok(datagram) = conn.read_datagram().await {
        match decode_datagram::<AudioMessage>(&datagram) {
            Ok(AudioMessage::Opus(packet)) => player.push(packet),
            Err(err) => {
                let reason = format!("the server sent a malformed audio datagram: {err}");
                tracing::warn!("{reason}");
                conn.close(
                    DisconnectReason::ProtocolError.code().into(),
                    reason.as_bytes(),
                );
                return;
            }
        }
    }
}
