//! Sound in and out of a PulseAudio-protocol server (PulseAudio, or PipeWire's pulse server)
//! in the audio channel's format: [`record`] reads a source 10 ms at a time and makes each
//! piece an Opus packet ready to be a datagram (the session's capture, the desk's
//! microphone); [`PacketDecoder`] turns packets back into samples, concealing lost ones.

use std::time::Instant;

use libpulse_binding::def::BufferAttr;
use libpulse_binding::sample::{Format, Spec};
use libpulse_binding::stream::Direction;
use libpulse_simple_binding::Simple;

use crate::audio::{CHANNELS, PACKET_SAMPLES, PACKET_US, SAMPLE_RATE};
use crate::framing::encode_body;
use crate::messages::audio::{AudioMessage, AudioPacket, MAX_OPUS_PACKET};

/// Bytes of one 10 ms packet of 16-bit stereo.
pub const PACKET_BYTES: usize = PACKET_SAMPLES * CHANNELS * 2;

/// The sample format of the audio channel: 48 kHz, stereo, signed 16-bit little-endian.
pub fn spec() -> Spec {
    Spec {
        format: Format::S16le,
        channels: CHANNELS as u8,
        rate: SAMPLE_RATE,
    }
}

/// What to record and how.
#[derive(Clone, Copy, Debug)]
pub struct Recording<'a> {
    /// The sound server (`unix:/path`); `None`: the user's default one.
    pub server: Option<&'a str>,
    /// The source; `None`: the server's default source.
    pub device: Option<&'a str>,
    /// The stream's name, as the server's tools show it.
    pub stream_name: &'a str,
    /// Opus bit rate, bits per second.
    pub bitrate: i32,
    /// Send nothing for a piece of exact zeros (what a null sink's monitor gives in silence).
    pub skip_silence: bool,
}

/// Records until `out` returns `false` or the server fails. `out` gets each packet as an
/// encoded `AudioMessage` and when its recording returned.
pub fn record(
    recording: &Recording<'_>,
    mut out: impl FnMut(Instant, Vec<u8>) -> bool,
) -> Result<(), String> {
    // Fragments of one packet: the server hands on each 10 ms as soon as it has it.
    let attr = BufferAttr {
        maxlength: u32::MAX,
        tlength: u32::MAX,
        prebuf: u32::MAX,
        minreq: u32::MAX,
        fragsize: PACKET_BYTES as u32,
    };
    let source = Simple::new(
        recording.server,
        "WayRay",
        Direction::Record,
        recording.device,
        recording.stream_name,
        &spec(),
        None,
        Some(&attr),
    )
    .map_err(|e| {
        format!(
            "cannot record {}: {e}",
            recording.device.unwrap_or("the default source")
        )
    })?;
    let mut encoder = opus::Encoder::new(
        SAMPLE_RATE,
        opus::Channels::Stereo,
        opus::Application::LowDelay,
    )
    .map_err(|e| e.to_string())?;
    encoder
        .set_bitrate(opus::Bitrate::Bits(recording.bitrate))
        .map_err(|e| e.to_string())?;
    let epoch = Instant::now();
    let mut bytes = vec![0u8; PACKET_BYTES];
    let mut samples = vec![0i16; PACKET_SAMPLES * CHANNELS];
    let mut encoded = vec![0u8; MAX_OPUS_PACKET];
    let mut sequence = 0u64;
    loop {
        source
            .read(&mut bytes)
            .map_err(|e| format!("reading the sound: {e}"))?;
        let captured = Instant::now();
        if recording.skip_silence && bytes.iter().all(|&b| b == 0) {
            continue;
        }
        for (sample, pair) in samples.iter_mut().zip(bytes.chunks_exact(2)) {
            *sample = i16::from_le_bytes([pair[0], pair[1]]);
        }
        let len = encoder
            .encode(&samples, &mut encoded)
            .map_err(|e| format!("encoding the sound: {e}"))?;
        // The packet's first sample, on the recording's clock.
        let capture_us =
            (captured.duration_since(epoch).as_micros() as u64).saturating_sub(PACKET_US);
        let message = AudioMessage::Opus(AudioPacket {
            sequence,
            capture_us,
            payload: encoded[..len].to_vec(),
        });
        let datagram = encode_body(&message).map_err(|e| e.to_string())?;
        sequence += 1;
        if !out(captured, datagram) {
            return Ok(());
        }
    }
}

/// Opus packets back into 48 kHz stereo samples.
pub struct PacketDecoder {
    decoder: opus::Decoder,
    pcm: Vec<i16>,
}

impl std::fmt::Debug for PacketDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PacketDecoder").finish_non_exhaustive()
    }
}

impl PacketDecoder {
    /// A decoder at the start of a stream.
    pub fn new() -> Result<Self, String> {
        let decoder =
            opus::Decoder::new(SAMPLE_RATE, opus::Channels::Stereo).map_err(|e| e.to_string())?;
        Ok(Self {
            decoder,
            pcm: vec![0; PACKET_SAMPLES * CHANNELS],
        })
    }

    /// The samples of `payload`, or of a lost packet (`None`: Opus's concealment, one
    /// packet long); `None` when the payload is not an Opus packet of exactly 10 ms (a peer
    /// cannot make one packet stand for more sound than its turn).
    pub fn decode(&mut self, payload: Option<&[u8]>) -> Option<&mut [i16]> {
        if let Some(payload) = payload {
            let samples = opus::packet::get_nb_samples(payload, SAMPLE_RATE).ok()?;
            if samples != PACKET_SAMPLES {
                return None;
            }
        }
        let samples = self
            .decoder
            .decode(payload.unwrap_or(&[]), &mut self.pcm, false)
            .ok()?;
        Some(&mut self.pcm[..samples * CHANNELS])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lost_packet_is_concealed_for_one_packets_length() {
        let mut encoder = opus::Encoder::new(
            SAMPLE_RATE,
            opus::Channels::Stereo,
            opus::Application::LowDelay,
        )
        .unwrap();
        let tone: Vec<i16> = (0..PACKET_SAMPLES * CHANNELS)
            .map(|i| ((i / 2) as f64 * 0.13).sin().mul_add(8000.0, 0.0) as i16)
            .collect();
        let mut packet = vec![0u8; MAX_OPUS_PACKET];
        let len = encoder.encode(&tone, &mut packet).unwrap();
        let mut decoder = PacketDecoder::new().unwrap();
        assert_eq!(
            decoder.decode(Some(&packet[..len])).map(|pcm| pcm.len()),
            Some(PACKET_SAMPLES * CHANNELS)
        );
        assert_eq!(
            decoder.decode(None).map(|pcm| pcm.len()),
            Some(PACKET_SAMPLES * CHANNELS)
        );
        assert_eq!(decoder.decode(Some(b"not opus at all")), None);
        // A valid packet of 20 ms is refused: one packet is 10 ms of sound.
        let long: Vec<i16> = tone.iter().chain(&tone).copied().collect();
        let len = encoder.encode(&long, &mut packet).unwrap();
        assert_eq!(decoder.decode(Some(&packet[..len])), None);
    }
}
