//! The QUIC front end: one UDP port, TLS 1.3 only, ALPN `wayray/1`, the channel to stream
//! mapping of ADR 0001. It performs the handshake, asks a [`Resolver`] which session the
//! viewer's token opens, and then relays between the viewer and that session's link socket:
//! display messages arrive already framed and go out unchanged, one per unidirectional stream;
//! control and input are checked and forwarded. The daemon runs it for all its sessions; a
//! session process runs it for itself with `wayray-server session --listen`.
//!
//! Runs on its own thread with a tokio runtime. Pings are answered here, so a viewer's RTT is
//! the network's, not the compositor's.

mod clipboard;
mod control;
mod display;
pub mod identity;
pub mod limits;
mod microphone;
mod relay;
pub mod resolver;
mod viewer;

use std::net::SocketAddr;
use std::sync::Arc;

pub use identity::Identity;
pub use resolver::{AttachRequest, Attachment, Presented, Refusal, Resolver, SingleSession};

/// ALPN protocol id.
pub const ALPN: &[u8] = b"wayray/1";

/// What the transport serves.
pub struct TransportConfig {
    /// UDP address to listen on.
    pub listen: SocketAddr,
    /// Certificate and key.
    pub identity: Identity,
    /// Which session a token opens.
    pub resolver: Arc<dyn Resolver>,
}

impl std::fmt::Debug for TransportConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TransportConfig")
            .field("listen", &self.listen)
            .finish_non_exhaustive()
    }
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

/// The running transport.
#[derive(Debug)]
pub struct Transport {
    /// Where it listens (the real port when 0 was asked for).
    pub local_addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
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
    let mut config = quinn::ServerConfig::with_crypto(Arc::new(crypto));
    config
        .transport_config(Arc::new(limits::transport_config()))
        .max_incoming(2 * limits::MAX_PENDING);
    Ok(config)
}

/// The QUIC endpoint for `identity` on `listen`, inside the current tokio runtime.
pub fn endpoint(
    identity: &Identity,
    listen: SocketAddr,
) -> Result<quinn::Endpoint, TransportError> {
    let server = server_config(identity)?;
    quinn::Endpoint::server(server, listen).map_err(|source| TransportError::Bind {
        addr: listen,
        source,
    })
}

/// Serves viewers on `endpoint` until it is closed; for callers that run their own runtime
/// (the daemon).
pub async fn serve(endpoint: quinn::Endpoint, resolver: Arc<dyn Resolver>) {
    viewer::accept_loop(endpoint, resolver).await;
}

/// Starts serving viewers on a thread of its own.
pub fn start(config: TransportConfig) -> Result<Transport, TransportError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("wayray-transport")
        .enable_all()
        .build()
        .map_err(|e| TransportError::Config(e.to_string()))?;
    let endpoint = {
        let _guard = runtime.enter();
        endpoint(&config.identity, config.listen)?
    };
    let local_addr = endpoint
        .local_addr()
        .map_err(|source| TransportError::Bind {
            addr: config.listen,
            source,
        })?;
    tracing::info!(%local_addr, fingerprint = %config.identity.fingerprint, "listening for viewers");
    let (shutdown_tx, shutdown_rx) = tokio::sync::oneshot::channel();
    let resolver = config.resolver;
    let thread = std::thread::Builder::new()
        .name("wayray-transport".into())
        .spawn(move || {
            runtime.block_on(async move {
                tokio::select! {
                    () = serve(endpoint.clone(), resolver) => {}
                    _ = shutdown_rx => {}
                }
                endpoint.close(
                    wayray_protocol::messages::control::DisconnectReason::ServerShutdown
                        .code()
                        .into(),
                    b"server shutting down",
                );
            });
        })
        .map_err(|e| TransportError::Config(e.to_string()))?;
    Ok(Transport {
        local_addr,
        shutdown: Some(shutdown_tx),
        thread: Some(thread),
    })
}
