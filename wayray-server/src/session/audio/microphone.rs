//! The desk's microphone in the session: packets a viewer sent (through the daemon, which
//! checked them) go through a jitter buffer (`wayray_protocol::audio::jitter`, as at the
//! viewer) and the Opus decoder into the sound server's pipe source, the session's default
//! source, at the pace of this thread's own 10 ms clock — silence while no viewer sends, so
//! applications recording never wait. Writes never block: a pipe the server does not empty
//! loses sound, never the thread's time. The link hands packets over a small queue and never
//! waits (a full queue drops them).

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, sync_channel};
use std::time::{Duration, Instant};

use wayray_protocol::audio::jitter::{JitterBuffer, Playout};
use wayray_protocol::audio::{CHANNELS, PACKET_MS, PACKET_SAMPLES};
use wayray_protocol::framing::decode_datagram;
use wayray_protocol::messages::audio::AudioMessage;
use wayray_protocol::sound::PacketDecoder;

/// Packets waiting for the thread, at most (160 ms).
const QUEUE: usize = 16;
const TICK: Duration = Duration::from_millis(PACKET_MS);
/// How long the sound server may take to create its pipe.
const PIPE_TIMEOUT: Duration = Duration::from_secs(5);

/// Where the link puts the microphone's datagrams.
#[derive(Debug, Clone)]
pub struct MicrophoneFeed(SyncSender<Vec<u8>>, Arc<AtomicU64>);

impl MicrophoneFeed {
    /// Hands a datagram over; dropped when the thread is behind.
    pub fn push(&self, datagram: Vec<u8>) {
        let _ = self.0.try_send(datagram);
    }

    /// A new viewer's microphone follows, counting its packets from its own start.
    pub fn reset(&self) {
        self.1.fetch_add(1, Ordering::Relaxed);
    }
}

/// Starts feeding the sound server's microphone pipe at `pipe`.
pub fn spawn(pipe: PathBuf) -> std::io::Result<(MicrophoneFeed, std::thread::JoinHandle<()>)> {
    let (tx, rx) = sync_channel(QUEUE);
    let resets = Arc::new(AtomicU64::new(0));
    let seen = resets.clone();
    let thread = std::thread::Builder::new()
        .name("wayray-microphone".into())
        .spawn(move || {
            if let Err(err) = feed(&pipe, &rx, &seen) {
                tracing::warn!(%err, "the desk's microphone cannot reach the session");
            }
        })?;
    Ok((MicrophoneFeed(tx, resets), thread))
}

fn open_pipe(pipe: &std::path::Path) -> Result<std::fs::File, String> {
    let started = Instant::now();
    loop {
        let opened = std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(pipe);
        match opened {
            Ok(file) => return Ok(file),
            Err(err) if started.elapsed() > PIPE_TIMEOUT => {
                return Err(format!("{}: {err}", pipe.display()));
            }
            Err(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}

fn feed(
    pipe: &std::path::Path,
    packets: &Receiver<Vec<u8>>,
    resets: &AtomicU64,
) -> Result<(), String> {
    let mut out = open_pipe(pipe)?;
    let mut decoder = PacketDecoder::new()?;
    let mut jitter = JitterBuffer::new();
    let silence = vec![0u8; PACKET_SAMPLES * CHANNELS * 2];
    let mut bytes = Vec::with_capacity(silence.len() * 6);
    let epoch = Instant::now();
    let us = |at: Instant| at.saturating_duration_since(epoch).as_micros() as u64;
    let mut heard = false;
    tracing::info!("the session's microphone is ready");
    let mut next_tick = Instant::now() + TICK;
    let mut seen = resets.load(Ordering::Relaxed);
    loop {
        let now_resets = resets.load(Ordering::Relaxed);
        if now_resets != seen {
            seen = now_resets;
            jitter.reset();
            decoder = PacketDecoder::new()?;
        }
        loop {
            let wait = next_tick.saturating_duration_since(Instant::now());
            match packets.recv_timeout(wait) {
                Ok(datagram) => {
                    if let Ok(AudioMessage::Opus(packet)) = decode_datagram(&datagram) {
                        if !heard {
                            tracing::info!("the desk's microphone reaches the session");
                            heard = true;
                        }
                        jitter.push(us(Instant::now()), packet);
                    }
                }
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => return Ok(()),
            }
        }
        let now = Instant::now();
        let pcm = match jitter.pop(us(now)) {
            Playout::Packet(payload) => decoder.decode(Some(&payload)),
            Playout::Conceal => decoder.decode(None),
            Playout::Idle => None,
        };
        bytes.clear();
        match pcm {
            Some(pcm) => bytes.extend(pcm.iter().flat_map(|s| s.to_le_bytes())),
            None => bytes.extend_from_slice(&silence),
        }
        match out.write(&bytes) {
            Ok(_) => {}
            Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(err) => return Err(format!("writing the microphone: {err}")),
        }
        next_tick += TICK;
        if now > next_tick + Duration::from_millis(100) {
            next_tick = now + TICK;
        }
    }
}
