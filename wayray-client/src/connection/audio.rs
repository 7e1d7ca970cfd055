//! The audio channel's datagrams, where negotiated: each one from the server is an
//! `AudioMessage`, handed to the viewer's player (one that does not decode ends the
//! connection with the reason, like any malformed message); the desk's microphone goes the
//! other way.

use std::sync::Arc;

use quinn::Connection;
use wayray_protocol::Capabilities;
use wayray_protocol::framing::decode_datagram;
use wayray_protocol::messages::audio::AudioMessage;
use wayray_protocol::messages::control::DisconnectReason;

use super::ConnectOptions;
use crate::audio::AudioPlayer;
use crate::audio::microphone::Microphone;

/// The sound of one connection.
#[derive(Default)]
pub(super) struct Sound {
    /// Reads the server's datagrams.
    task: Option<tokio::task::AbortHandle>,
    /// Plays the session's sound.
    pub player: Option<Arc<AudioPlayer>>,
    /// Sends the desk's microphone.
    pub microphone: Option<Arc<Microphone>>,
}

impl Sound {
    /// Starts what `negotiated` allows of what `opts` has.
    pub(super) fn start(
        conn: &Connection,
        negotiated: Capabilities,
        opts: &ConnectOptions,
    ) -> Self {
        let player = opts
            .audio
            .clone()
            .filter(|_| negotiated.contains(Capabilities::AUDIO));
        if let Some(player) = &player {
            player.reset();
        }
        let task = player
            .clone()
            .map(|player| tokio::spawn(receive(conn.clone(), player)).abort_handle());
        let microphone = opts
            .microphone
            .clone()
            .filter(|_| negotiated.contains(Capabilities::MICROPHONE));
        if let Some(microphone) = microphone.clone() {
            let conn = conn.clone();
            tokio::spawn(async move { microphone.send(conn).await });
        }
        Self {
            task,
            player,
            microphone,
        }
    }
}

impl Drop for Sound {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// Reads datagrams until the connection ends.
async fn receive(conn: Connection, player: Arc<AudioPlayer>) {
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
