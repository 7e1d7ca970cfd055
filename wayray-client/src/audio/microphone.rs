//! The desk's microphone towards the session, only when its user turned it on: the desk
//! sound server's default source is recorded 10 ms at a time into Opus packets
//! (`wayray_protocol::sound::record`) on a thread of its own, and the connection sends them
//! as datagrams where the server negotiated the microphone. [`Microphone::live`] says when
//! they reach a session, for the window's indicator.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::{Mutex, mpsc};
use wayray_protocol::sound::{Recording, record};

use super::AudioError;

/// Packets waiting for the connection (160 ms); a connection that is behind loses sound.
const QUEUE: usize = 16;
/// Older packets are not sent.
const STALE: Duration = Duration::from_millis(60);
/// Opus bit rate for the microphone (voice, stereo as the channel's format).
const BITRATE: i32 = 64_000;

/// The desk's microphone, being recorded.
#[derive(Debug)]
pub struct Microphone {
    packets: Mutex<mpsc::Receiver<(Instant, Vec<u8>)>>,
    live: AtomicBool,
}

impl Microphone {
    /// Starts recording the desk's default source; fails when the desk has no sound server
    /// or it gives no sound within two seconds.
    pub fn start() -> Result<Arc<Self>, AudioError> {
        let (tx, rx) = mpsc::channel(QUEUE);
        let (started_tx, started) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("wayray-microphone".into())
            .spawn(move || {
                let recording = Recording {
                    server: None,
                    device: None,
                    stream_name: "microphone for a WayRay session",
                    bitrate: BITRATE,
                    skip_silence: false,
                };
                let mut first = Some(started_tx.clone());
                let result = record(&recording, |captured, datagram| {
                    if let Some(started) = first.take() {
                        let _ = started.send(Ok(()));
                    }
                    !matches!(
                        tx.try_send((captured, datagram)),
                        Err(mpsc::error::TrySendError::Closed(_))
                    )
                });
                if let Err(err) = result {
                    tracing::warn!(%err, "the desk's microphone stopped");
                    let _ = started_tx.send(Err(err));
                }
            })?;
        match started.recv_timeout(Duration::from_secs(2)) {
            Ok(Ok(())) => Ok(Arc::new(Self {
                packets: Mutex::new(rx),
                live: AtomicBool::new(false),
            })),
            Ok(Err(err)) => Err(AudioError::NoDeskSound(err)),
            Err(_) => Err(AudioError::NoDeskSound(
                "the microphone gave no sound within 2 s".into(),
            )),
        }
    }

    /// Whether the microphone reaches a session now.
    pub fn live(&self) -> bool {
        self.live.load(Ordering::Relaxed)
    }

    /// Sends the microphone on `conn` until it ends.
    pub(crate) async fn send(&self, conn: quinn::Connection) {
        let mut packets = self.packets.lock().await;
        while packets.try_recv().is_ok() {}
        self.live.store(true, Ordering::Relaxed);
        tracing::info!("the microphone is live: the session hears this desk");
        loop {
            tokio::select! {
                packet = packets.recv() => match packet {
                    Some((captured, datagram)) => {
                        if captured.elapsed() > STALE {
                            continue;
                        }
                        if conn.send_datagram(datagram.into()).is_err() {
                            break;
                        }
                    }
                    None => break,
                },
                _ = conn.closed() => break,
            }
        }
        self.live.store(false, Ordering::Relaxed);
        tracing::info!("the microphone is off");
    }
}
