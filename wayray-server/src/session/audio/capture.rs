//! The capture of the session's sound: the null sink's monitor read 10 ms at a time
//! (libpulse's simple API), encoded to Opus, and queued for the link as ready datagrams.
//! Runs on its own thread, never the compositor's. Silence (a packet of exact zeros, what
//! the null sink gives while nothing plays) is not encoded or sent: an idle session sends no
//! sound bytes, and sequence numbers stay without gaps so the viewer tells silence from
//! loss.

use std::time::Instant;

use libpulse_binding::def::BufferAttr;
use libpulse_binding::sample::{Format, Spec};
use libpulse_binding::stream::Direction;
use libpulse_simple_binding::Simple;
use tokio::sync::mpsc;
use wayray_protocol::audio::{CHANNELS, PACKET_SAMPLES, PACKET_US, SAMPLE_RATE};
use wayray_protocol::framing::encode_body;
use wayray_protocol::messages::audio::{AudioMessage, AudioPacket, MAX_OPUS_PACKET};

use super::AudioChunk;
use super::sound_server::SINK;

/// Opus bit rate: transparent for stereo music at 10 ms packets (about 120 bytes each).
pub const BITRATE: i32 = 96_000;

/// Bytes of one 10 ms packet of 16-bit stereo.
const PACKET_BYTES: usize = PACKET_SAMPLES * CHANNELS * 2;

/// Starts the capture from the sound server at `server` (`unix:…`).
pub fn spawn(
    server: String,
    out: mpsc::Sender<AudioChunk>,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name("wayray-audio".into())
        .spawn(move || {
            if let Err(err) = run(&server, &out) {
                tracing::warn!(%err, "the session's sound capture stopped");
            }
        })
}

fn run(server: &str, out: &mpsc::Sender<AudioChunk>) -> Result<(), String> {
    let spec = Spec {
        format: Format::S16le,
        channels: CHANNELS as u8,
        rate: SAMPLE_RATE,
    };
    // Fragments of one packet: the server hands each 10 ms on as soon as it has it.
    let attr = BufferAttr {
        maxlength: u32::MAX,
        tlength: u32::MAX,
        prebuf: u32::MAX,
        minreq: u32::MAX,
        fragsize: PACKET_BYTES as u32,
    };
    let monitor = format!("{SINK}.monitor");
    let record = Simple::new(
        Some(server),
        "WayRay",
        Direction::Record,
        Some(&monitor),
        "session sound",
        &spec,
        None,
        Some(&attr),
    )
    .map_err(|e| format!("cannot record {monitor}: {e}"))?;
    let mut encoder = opus::Encoder::new(
        SAMPLE_RATE,
        opus::Channels::Stereo,
        opus::Application::LowDelay,
    )
    .map_err(|e| e.to_string())?;
    encoder
        .set_bitrate(opus::Bitrate::Bits(BITRATE))
        .map_err(|e| e.to_string())?;
    let epoch = Instant::now();
    let mut bytes = vec![0u8; PACKET_BYTES];
    let mut samples = vec![0i16; PACKET_SAMPLES * CHANNELS];
    let mut encoded = vec![0u8; MAX_OPUS_PACKET];
    let mut sequence = 0u64;
    tracing::info!("capturing the session's sound");
    loop {
        record
            .read(&mut bytes)
            .map_err(|e| format!("reading the sound: {e}"))?;
        let captured = Instant::now();
        if bytes.iter().all(|&b| b == 0) {
            continue;
        }
        for (sample, pair) in samples.iter_mut().zip(bytes.chunks_exact(2)) {
            *sample = i16::from_le_bytes([pair[0], pair[1]]);
        }
        let len = encoder
            .encode(&samples, &mut encoded)
            .map_err(|e| format!("encoding the sound: {e}"))?;
        // The first sample of the packet, on the session's clock.
        let capture_us =
            (captured.duration_since(epoch).as_micros() as u64).saturating_sub(PACKET_US);
        let message = AudioMessage::Opus(AudioPacket {
            sequence,
            capture_us,
            payload: encoded[..len].to_vec(),
        });
        let datagram = encode_body(&message).map_err(|e| e.to_string())?;
        sequence += 1;
        match out.try_send(AudioChunk { captured, datagram }) {
            Ok(()) | Err(mpsc::error::TrySendError::Full(_)) => {}
            Err(mpsc::error::TrySendError::Closed(_)) => return Ok(()),
        }
    }
}
