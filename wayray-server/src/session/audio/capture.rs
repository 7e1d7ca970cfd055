//! The capture of the session's sound: the null sink's monitor recorded 10 ms at a time,
//! encoded to Opus (`wayray_protocol::sound::record`), and queued for the link as ready
//! datagrams. Runs on its own thread, never the compositor's. Silence (a packet of exact
//! zeros, what the null sink gives while nothing plays) is not encoded or sent: an idle
//! session sends no sound bytes, and sequence numbers stay without gaps so the viewer tells
//! silence from loss.

use tokio::sync::mpsc;
use wayray_protocol::sound::{Recording, record};

use super::AudioChunk;
use super::sound_server::SINK;

/// Opus bit rate: transparent for stereo music at 10 ms packets (about 120 bytes each).
pub const BITRATE: i32 = 96_000;

/// Starts the capture from the sound server at `server` (`unix:…`).
pub fn spawn(
    server: String,
    out: mpsc::Sender<AudioChunk>,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name("wayray-audio".into())
        .spawn(move || {
            let monitor = format!("{SINK}.monitor");
            let recording = Recording {
                server: Some(&server),
                device: Some(&monitor),
                stream_name: "session sound",
                bitrate: BITRATE,
                skip_silence: true,
            };
            tracing::info!("capturing the session's sound");
            let result = record(&recording, |captured, datagram| {
                match out.try_send(AudioChunk { captured, datagram }) {
                    // A full queue drops the packet: the viewer sees a loss, never a delay.
                    Ok(()) | Err(mpsc::error::TrySendError::Full(_)) => true,
                    Err(mpsc::error::TrySendError::Closed(_)) => false,
                }
            });
            if let Err(err) = result {
                tracing::warn!(%err, "the session's sound capture stopped");
            }
        })
}
