//! QUIC transport of a session: one UDP port, TLS 1.3 only, ALPN `wayray/1`, the channel to
//! stream mapping of ADR 0001. Until the daemon exists, a session process can serve its viewer
//! itself (`wayray-server session --listen`); the daemon will take this over and relay.
//!
//! Runs on its own thread with a tokio runtime; it never blocks the compositor: input goes to
//! the session through its command channel, frames come from the encoder pipeline's bounded
//! channel, and at most `frames_in_flight` unacknowledged frames are on the wire (the encoder
//! coalesces damage meanwhile).

pub mod identity;
mod viewer;

use std::net::SocketAddr;
use std::sync::Arc;

use smithay::reexports::calloop::channel::Sender;
use wayray_protocol::secret::Token;

use crate::encode::pipeline::{Encoded, Pipeline};
use crate::session::SessionCommand;
pub use identity::Identity;

/// ALPN protocol id.
pub const ALPN: &[u8] = b"wayray/1";

/// What the transport serves.
#[derive(Debug)]
pub struct TransportConfig {
    /// UDP address to listen on.
    pub listen: SocketAddr,
    /// Certificate and key.
    pub identity: Identity,
    /// The token a viewer must present.
    pub token: Token,
    /// Session id shown to the viewer.
    pub session_id: String,
    /// Most unacknowledged frames on the wire.
    pub frames_in_flight: usize,
    /// Output size and scale, for `Attached`.
    pub mode: wayray_protocol::messages::control::OutputMode,
}

/// Starting the transport failed.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// TLS or QUIC configuration failed.
    #[error("cannot configure TLS/QUIC: {0}")]
    Config(String),
    /// The UDP port could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
}

/// Counters of the transport, for tests and stats.
#[derive(Debug, Default)]
pub struct TransportStats {
    /// Frames sent to viewers.
    pub frames_sent: std::sync::atomic::AtomicU64,
    /// The most frames ever sent and not yet acknowledged at once.
    pub max_in_flight: std::sync::atomic::AtomicU64,
}

/// The running transport.
#[derive(Debug)]
pub struct Transport {
    /// Where it listens (the real port when 0 was asked for).
    pub local_addr: SocketAddr,
    /// Counters.
    pub stats: Arc<TransportStats>,
    cursor: Arc<tokio::sync::watch::Sender<wayray_protocol::messages::display::CursorShape>>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Transport {
    /// Where the session sends its cursor shape (`SessionCommand::SetCursorSink`).
    pub fn cursor_sink(
        &self,
    ) -> Box<dyn Fn(wayray_protocol::messages::display::CursorShape) + Send> {
        let cursor = self.cursor.clone();
        Box::new(move |shape| {
            cursor.send_replace(shape);
        })
    }
}

impl Drop for Transport {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn server_config(identity: &Identity) -> Result<quinn::ServerConfig, TransportError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut tls = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| TransportError::Config(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(vec![identity.cert.clone()], identity.private_key())
        .map_err(|e| TransportError::Config(e.to_string()))?;
    tls.alpn_protocols = vec![ALPN.to_vec()];
    let crypto = quinn::crypto::rustls::QuicServerConfig::try_from(tls)
        .map_err(|e| TransportError::Config(e.to_string()))?;
    Ok(quinn::ServerConfig::with_crypto(Arc::new(crypto)))
}

/// Starts serving viewers.
pub fn start(
    config: TransportConfig,
    frames: std::sync::mpsc::Receiver<Encoded>,
    pipeline: Arc<Pipeline>,
    session: Sender<SessionCommand>,
) -> Result<Transport, TransportError> {
    let server = server_config(&config.identity)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("wayray-transport")
        .enable_all()
        .build()
        .map_err(|e| TransportError::Config(e.to_string()))?;
    let endpoint = {
        let _guard = runtime.enter();
        quinn::Endpoint::server(server, config.listen).map_err(|source| TransportError::Bind {
            addr: config.listen,
            source,
        })?
    };
    let local_addr = endpoint
        .local_addr()
        .map_err(|source| TransportError::Bind {
            addr: config.listen,
            source,
        })?;
    tracing::info!(%local_addr, fingerprint = %config.identity.fingerprint, "listening for viewers");

    // Frames cross from the encoder thread into the runtime through a one-slot channel: while
    // no viewer takes them the bridge waits, and the encoder coalesces.
    let (frame_tx, frame_rx) = tokio::sync::mpsc::channel::<Encoded>(1);
    std::thread::Builder::new()
        .name("wayray-frame-bridge".into())
        .spawn(move || {
            while let Ok(frame) = frames.recv() {
                if frame_tx.blocking_send(frame).is_err() {
                    return;
                }
            }
        })
        .map_err(|e| TransportError::Config(e.to_string()))?;

    let (shutdown_tx, shutdown_rx) = tokio::sync::oneshot::channel();
    let stats = Arc::new(TransportStats::default());
    let cursor = Arc::new(tokio::sync::watch::Sender::new(
        wayray_protocol::messages::display::CursorShape::Default,
    ));
    let shared = Arc::new(viewer::Shared::new(
        config,
        frame_rx,
        pipeline,
        session,
        stats.clone(),
        cursor.clone(),
    ));
    let thread = std::thread::Builder::new()
        .name("wayray-transport".into())
        .spawn(move || {
            runtime.block_on(async move {
                tokio::select! {
                    () = viewer::accept_loop(endpoint.clone(), shared) => {}
                    _ = shutdown_rx => {}
                }
                endpoint.close(0u32.into(), b"server shutting down");
            });
        })
        .map_err(|e| TransportError::Config(e.to_string()))?;
    Ok(Transport {
        local_addr,
        stats,
        cursor,
        shutdown: Some(shutdown_tx),
        thread: Some(thread),
    })
}
