//! Where decoded sound goes: the desk's sound server, or a WAV file.

use libpulse_binding::def::BufferAttr;
use libpulse_binding::stream::Direction;
use libpulse_simple_binding::Simple;
use wayray_protocol::audio::{CHANNELS, SAMPLE_RATE};
use wayray_protocol::sound::{PACKET_BYTES, spec};

use super::{AudioError, AudioOutput};

/// An output of interleaved 48 kHz stereo samples.
pub trait Sink: Send {
    /// Plays `pcm` after what was written before.
    fn write(&mut self, pcm: &[i16]) -> Result<(), String>;
    /// Sound written and not yet heard, milliseconds.
    fn latency_ms(&self) -> f64;
    /// Closes the output.
    fn finish(&mut self);
}

/// Opens `output`.
pub fn open(output: &AudioOutput) -> Result<Box<dyn Sink>, AudioError> {
    match output {
        AudioOutput::Desk => Ok(Box::new(Desk::open()?)),
        AudioOutput::Wav(path) => Ok(Box::new(Wav::create(path)?)),
        AudioOutput::Callback(f) => Ok(Box::new(Callback(f.clone()))),
    }
}

/// The program's own function.
struct Callback(super::SampleFn);

impl Sink for Callback {
    fn write(&mut self, pcm: &[i16]) -> Result<(), String> {
        (self.0)(pcm);
        Ok(())
    }

    fn latency_ms(&self) -> f64 {
        0.0
    }

    fn finish(&mut self) {}
}

/// Bytes of one packet of 16-bit stereo.
const PACKET: u32 = PACKET_BYTES as u32;

/// The desk's sound server (PulseAudio, or PipeWire's pulse server), default output.
struct Desk {
    stream: Simple,
    bytes: Vec<u8>,
}

impl Desk {
    fn open() -> Result<Self, AudioError> {
        // Three packets of buffer: enough to ride over the player's scheduling, small enough
        // to keep the delay low; playback starts with the first packet.
        let attr = BufferAttr {
            maxlength: u32::MAX,
            tlength: 3 * PACKET,
            prebuf: PACKET,
            minreq: PACKET,
            fragsize: u32::MAX,
        };
        let stream = Simple::new(
            None,
            "WayRay",
            Direction::Playback,
            None,
            "session sound",
            &spec(),
            None,
            Some(&attr),
        )
        .map_err(|e| AudioError::NoDeskSound(format!("{e}")))?;
        Ok(Self {
            stream,
            bytes: Vec::new(),
        })
    }
}

impl Sink for Desk {
    fn write(&mut self, pcm: &[i16]) -> Result<(), String> {
        self.bytes.clear();
        self.bytes.extend(pcm.iter().flat_map(|s| s.to_le_bytes()));
        self.stream.write(&self.bytes).map_err(|e| format!("{e}"))
    }

    fn latency_ms(&self) -> f64 {
        self.stream.get_latency().map_or(0.0, |l| l.0 as f64 / 1e3)
    }

    fn finish(&mut self) {
        let _ = self.stream.flush();
    }
}

/// A WAV file: what would have been played, in order (silence leaves nothing).
struct Wav {
    writer: Option<hound::WavWriter<std::io::BufWriter<std::fs::File>>>,
    written: u64,
}

impl Wav {
    fn create(path: &std::path::Path) -> Result<Self, AudioError> {
        let spec = hound::WavSpec {
            channels: CHANNELS as u16,
            sample_rate: SAMPLE_RATE,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let writer = hound::WavWriter::create(path, spec).map_err(|source| AudioError::Wav {
            path: path.display().to_string(),
            source,
        })?;
        Ok(Self {
            writer: Some(writer),
            written: 0,
        })
    }
}

impl Sink for Wav {
    fn write(&mut self, pcm: &[i16]) -> Result<(), String> {
        let Some(writer) = self.writer.as_mut() else {
            return Ok(());
        };
        for &sample in pcm {
            writer.write_sample(sample).map_err(|e| e.to_string())?;
        }
        self.written += 1;
        // The header is brought up to date every second, so a viewer that is killed leaves
        // a readable file.
        if self.written % 100 == 0 {
            writer.flush().map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    fn latency_ms(&self) -> f64 {
        0.0
    }

    fn finish(&mut self) {
        if let Some(writer) = self.writer.take()
            && let Err(err) = writer.finalize()
        {
            tracing::warn!(%err, "the WAV file was not finished");
        }
    }
}
