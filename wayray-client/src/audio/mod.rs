//! The session's sound at the desk: packets from the connection's datagrams go through a
//! jitter buffer (`wayray_protocol::audio::jitter`) and the Opus decoder to an output, on a
//! thread of its own paced by a 10 ms clock ([`player`]). Outputs ([`sink`]): the desk's
//! sound server (PulseAudio, or PipeWire's pulse server), or a WAV file (`--audio-out`, for
//! tests and automation).
//!
//! One player lives as long as the viewer process: reconnects feed the same one. The desk's
//! microphone goes the other way ([`microphone`]), only when turned on.

pub mod microphone;
mod player;
pub mod sink;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use wayray_protocol::messages::audio::AudioPacket;

/// Packets waiting for the player's thread, at most.
const QUEUE: usize = 64;

/// Where the sound goes.
#[derive(Clone)]
pub enum AudioOutput {
    /// The desk's sound server.
    Desk,
    /// A WAV file, 48 kHz stereo 16-bit: what would have been played, as it is played.
    Wav(PathBuf),
    /// A function of the program's own, called with each 10 ms of interleaved 48 kHz stereo
    /// samples as it is played (an application embedding the viewer library, a measurement).
    Callback(SampleFn),
}

/// A function called with each 10 ms of interleaved 48 kHz stereo samples.
pub type SampleFn = Arc<dyn Fn(&[i16]) + Send + Sync>;

impl std::fmt::Debug for AudioOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Desk => f.write_str("Desk"),
            Self::Wav(path) => f.debug_tuple("Wav").field(path).finish(),
            Self::Callback(_) => f.write_str("Callback"),
        }
    }
}

/// Starting the output failed.
#[derive(Debug, thiserror::Error)]
pub enum AudioError {
    /// The desk's sound server could not be reached.
    #[error("no sound server on this desk: {0}")]
    NoDeskSound(String),
    /// The WAV file could not be written.
    #[error("cannot write {path}: {source}")]
    Wav {
        /// The file.
        path: String,
        /// Why.
        source: hound::Error,
    },
    /// The player's thread did not start.
    #[error("cannot start the sound player: {0}")]
    Thread(#[from] std::io::Error),
}

/// What the player did, for the stats overlay and report.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct AudioStats {
    /// Datagrams received.
    pub packets: u64,
    /// Their bytes.
    pub bytes: u64,
    /// Packets played.
    pub played: u64,
    /// 10 ms slices concealed (lost or late packets).
    pub concealed: u64,
    /// Packets dropped (too late, or to keep the delay small).
    pub dropped: u64,
    /// Sound queued in the jitter buffer, milliseconds.
    pub buffered_ms: f64,
    /// From a packet's arrival to its sound leaving the player (jitter buffer and output
    /// buffer), milliseconds, for the packet played last.
    pub latency_ms: f64,
}

/// The sound player of a viewer.
#[derive(Debug)]
pub struct AudioPlayer {
    packets: SyncSender<(Instant, AudioPacket)>,
    stats: Arc<Mutex<AudioStats>>,
    volume: Arc<AtomicU32>,
    muted: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    resets: Arc<std::sync::atomic::AtomicU64>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

/// The player a viewer asks for: a WAV file where one is named, else the desk's sound
/// server where `play` (default: not `headless`). A desk without sound is said once and the
/// viewer goes on silent.
pub fn for_viewer(
    play: Option<bool>,
    wav: Option<&std::path::Path>,
    headless: bool,
) -> Result<Option<Arc<AudioPlayer>>, AudioError> {
    if let Some(path) = wav {
        return AudioPlayer::start(&AudioOutput::Wav(path.to_owned())).map(Some);
    }
    if !play.unwrap_or(!headless) {
        return Ok(None);
    }
    match AudioPlayer::start(&AudioOutput::Desk) {
        Ok(player) => Ok(Some(player)),
        Err(err) => {
            tracing::warn!(%err, "the session's sound will not play here");
            Ok(None)
        }
    }
}

impl AudioPlayer {
    /// Opens `output` and starts playing what arrives.
    pub fn start(output: &AudioOutput) -> Result<Arc<Self>, AudioError> {
        let sink = sink::open(output)?;
        let (packets, rx): (_, Receiver<(Instant, AudioPacket)>) = sync_channel(QUEUE);
        let stats = Arc::new(Mutex::new(AudioStats::default()));
        let volume = Arc::new(AtomicU32::new(100));
        let muted = Arc::new(AtomicBool::new(false));
        let stop = Arc::new(AtomicBool::new(false));
        let resets = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let thread = player::spawn(
            rx,
            sink,
            player::Shared {
                stats: stats.clone(),
                volume: volume.clone(),
                muted: muted.clone(),
                stop: stop.clone(),
                resets: resets.clone(),
            },
        )?;
        Ok(Arc::new(Self {
            packets,
            stats,
            volume,
            muted,
            stop,
            resets,
            thread: Mutex::new(Some(thread)),
        }))
    }

    /// A packet arrived; dropped if the player is this far behind.
    pub fn push(&self, packet: AudioPacket) {
        match self.packets.try_send((Instant::now(), packet)) {
            Ok(()) | Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {}
        }
    }

    /// A new connection's sound follows: what is queued is dropped and the decoder starts
    /// afresh (the new session counts its packets from its own start).
    pub fn reset(&self) {
        self.resets.fetch_add(1, Ordering::Relaxed);
    }

    /// What it did so far.
    pub fn stats(&self) -> AudioStats {
        self.stats.lock().map(|s| *s).unwrap_or_default()
    }

    /// Volume in percent (0–150).
    pub fn volume(&self) -> u32 {
        self.volume.load(Ordering::Relaxed)
    }

    /// Changes the volume by `delta` percent, within 0–150.
    pub fn change_volume(&self, delta: i32) -> u32 {
        let now = (self.volume() as i32 + delta).clamp(0, 150) as u32;
        self.volume.store(now, Ordering::Relaxed);
        now
    }

    /// Mutes or unmutes; returns whether it is muted now.
    pub fn toggle_mute(&self) -> bool {
        !self.muted.fetch_xor(true, Ordering::Relaxed)
    }

    /// Whether it is muted.
    pub fn muted(&self) -> bool {
        self.muted.load(Ordering::Relaxed)
    }

    /// Stops playing and closes the output (a WAV file gets its final header).
    pub fn finish(&self) {
        let thread = self.thread.lock().ok().and_then(|mut t| t.take());
        if let Some(thread) = thread {
            self.stop.store(true, Ordering::Relaxed);
            let _ = thread.join();
        }
    }
}

impl Drop for AudioPlayer {
    fn drop(&mut self) {
        self.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volume_stays_within_bounds_and_mute_toggles() {
        let path = std::env::temp_dir().join(format!("wayray-volume-{}.wav", std::process::id()));
        let player = AudioPlayer::start(&AudioOutput::Wav(path.clone())).unwrap();
        assert_eq!(player.change_volume(-30), 70);
        assert_eq!(player.change_volume(-500), 0);
        assert_eq!(player.change_volume(500), 150);
        assert!(player.toggle_mute());
        assert!(player.muted());
        assert!(!player.toggle_mute());
        player.finish();
        // Nothing played: a valid, empty WAV file.
        let wav = hound::WavReader::open(&path).unwrap();
        assert_eq!((wav.spec().sample_rate, wav.len()), (48_000, 0));
        let _ = std::fs::remove_file(path);
    }
}
