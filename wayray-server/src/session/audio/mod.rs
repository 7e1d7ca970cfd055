//! The session's sound: its own PulseAudio-protocol server ([`sound_server`]), whose null
//! sink the session's applications play into (`PULSE_SERVER`), and the capture of that
//! sink's monitor into Opus packets ([`capture`]) on a thread of its own. The packets wait
//! in a small queue ([`AudioFeed`]) for the link, which sends them to a viewer that
//! negotiated audio; nobody listening, they are dropped.
//!
//! A session without a sound server (none installed, or it failed to start) runs as before,
//! without sound.

pub mod capture;
pub mod microphone;
pub mod sound_server;

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::{Mutex, mpsc};

pub use microphone::MicrophoneFeed;
pub use sound_server::{SoundServer, SoundServerKind};

/// Packets waiting for the link: 16 × 10 ms. A viewer that falls behind loses sound, never
/// gains delay.
pub const FEED_QUEUE: usize = 16;

/// One encoded packet and when its sound was captured.
#[derive(Debug)]
pub struct AudioChunk {
    /// When the capture returned it (its last sample).
    pub captured: Instant,
    /// An encoded `AudioMessage`, ready to be one QUIC datagram.
    pub datagram: Vec<u8>,
}

/// Where the link takes the session's sound from (one viewer at a time).
#[derive(Debug, Clone)]
pub struct AudioFeed(pub Arc<Mutex<mpsc::Receiver<AudioChunk>>>);

/// The running sound of a session: its server and its capture.
#[derive(Debug)]
pub struct SessionAudio {
    server: SoundServer,
    capture: Option<std::thread::JoinHandle<()>>,
    feed: AudioFeed,
    microphone: Option<(MicrophoneFeed, std::thread::JoinHandle<()>)>,
}

impl SessionAudio {
    /// Starts a sound server of `kind` with its socket in a private directory under
    /// `runtime_dir`, and its capture.
    pub fn start(
        runtime_dir: &Path,
        kind: SoundServerKind,
    ) -> Result<Self, sound_server::SoundError> {
        let dir = runtime_dir.join(format!("wayray-sound-{}", std::process::id()));
        let server = SoundServer::start(&dir, kind)?;
        let (tx, rx) = mpsc::channel(FEED_QUEUE);
        let start = |e: std::io::Error| sound_server::SoundError::Start(e.to_string());
        let capture = capture::spawn(server.pulse_server(), tx).map_err(start)?;
        let microphone = microphone::spawn(server.microphone_pipe()).map_err(start)?;
        Ok(Self {
            server,
            capture: Some(capture),
            feed: AudioFeed(Arc::new(Mutex::new(rx))),
            microphone: Some(microphone),
        })
    }

    /// `PULSE_SERVER` for the session's applications.
    pub fn pulse_server(&self) -> String {
        self.server.pulse_server()
    }

    /// The packets, for the link.
    pub fn feed(&self) -> AudioFeed {
        self.feed.clone()
    }

    /// Where the link puts the desk's microphone.
    pub fn microphone(&self) -> Option<MicrophoneFeed> {
        self.microphone.as_ref().map(|(feed, _)| feed.clone())
    }
}

impl Drop for SessionAudio {
    fn drop(&mut self) {
        // The capture's read fails once the server is gone, which ends its thread.
        self.server.stop();
        if let Some(capture) = self.capture.take() {
            let _ = capture.join();
        }
        // Its queue's sender goes with it; the link's clones end with the link.
        drop(self.microphone.take());
    }
}
