//! The player's thread: every 10 ms (its own clock) one packet's worth of sound leaves the
//! jitter buffer, is decoded (or concealed by Opus when missing) and written to the output,
//! with the viewer's volume. Packets arriving meanwhile go into the jitter buffer with their
//! arrival time.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use wayray_protocol::audio::PACKET_MS;
use wayray_protocol::audio::jitter::{JitterBuffer, Playout};
use wayray_protocol::messages::audio::AudioPacket;
use wayray_protocol::sound::PacketDecoder;

use super::AudioStats;
use super::sink::Sink;

const TICK: Duration = Duration::from_millis(PACKET_MS);
/// A player that fell this far behind its clock (a stalled desk) starts its clock afresh.
const RESYNC: Duration = Duration::from_millis(100);

/// What the player shares with its handle.
pub(super) struct Shared {
    pub stats: Arc<Mutex<AudioStats>>,
    pub volume: Arc<AtomicU32>,
    pub muted: Arc<AtomicBool>,
    pub stop: Arc<AtomicBool>,
    pub resets: Arc<std::sync::atomic::AtomicU64>,
}

pub(super) fn spawn(
    packets: Receiver<(Instant, AudioPacket)>,
    sink: Box<dyn Sink>,
    shared: Shared,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name("wayray-audio".into())
        .spawn(move || play(packets, sink, shared))
}

fn play(packets: Receiver<(Instant, AudioPacket)>, mut sink: Box<dyn Sink>, shared: Shared) {
    let mut decoder = match PacketDecoder::new() {
        Ok(decoder) => decoder,
        Err(err) => return tracing::warn!(%err, "no sound: the Opus decoder did not start"),
    };
    let epoch = Instant::now();
    let us = |at: Instant| at.saturating_duration_since(epoch).as_micros() as u64;
    let mut jitter = JitterBuffer::new();
    let mut bytes = 0u64;
    let mut next_tick = Instant::now() + TICK;
    let mut resets = shared.resets.load(Ordering::Relaxed);
    while !shared.stop.load(Ordering::Relaxed) {
        let now_resets = shared.resets.load(Ordering::Relaxed);
        if now_resets != resets {
            resets = now_resets;
            jitter.reset();
            if let Ok(fresh) = PacketDecoder::new() {
                decoder = fresh;
            }
        }
        loop {
            let wait = next_tick.saturating_duration_since(Instant::now());
            match packets.recv_timeout(wait) {
                Ok((arrived, packet)) => {
                    bytes += packet.payload.len() as u64;
                    jitter.push(us(arrived), packet);
                }
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => {
                    sink.finish();
                    return;
                }
            }
        }
        let now = Instant::now();
        let played = match jitter.pop(us(now)) {
            Playout::Packet(payload) => decoder.decode(Some(&payload)),
            Playout::Conceal => decoder.decode(None),
            Playout::Idle => None,
        };
        if let Some(pcm) = played {
            scale(pcm, &shared);
            if let Err(err) = sink.write(pcm) {
                tracing::warn!(%err, "the sound output failed; the viewer goes on without sound");
                return;
            }
        }
        if let Ok(mut stats) = shared.stats.lock() {
            let j = jitter.stats();
            *stats = AudioStats {
                packets: j.received,
                bytes,
                played: j.played,
                concealed: j.concealed,
                dropped: j.dropped,
                buffered_ms: j.queued as f64 * PACKET_MS as f64,
                latency_ms: j.last_wait_us as f64 / 1e3 + sink.latency_ms(),
            };
        }
        next_tick += TICK;
        if now > next_tick + RESYNC {
            next_tick = now + TICK;
        }
    }
    sink.finish();
}

/// The viewer's volume (percent) and mute, applied to the samples.
fn scale(pcm: &mut [i16], shared: &Shared) {
    if shared.muted.load(Ordering::Relaxed) {
        pcm.fill(0);
        return;
    }
    let volume = shared.volume.load(Ordering::Relaxed);
    if volume != 100 {
        for sample in pcm {
            *sample = (i32::from(*sample) * volume as i32 / 100)
                .clamp(i16::MIN.into(), i16::MAX.into()) as i16;
        }
    }
}
