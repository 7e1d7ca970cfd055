//! Reaching the server: QUIC with TLS 1.3 and ALPN `wayray/1`, the server's identity checked
//! against the pinned fingerprint (or pinned on first use when the policy allows).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use quinn::Connection;

use super::errors::ConnectError;
use super::{ALPN, ConnectOptions};
use crate::known_servers;
use crate::pin::PinVerifier;

/// Packets the server may receive from the viewer before it must acknowledge at once.
const ACK_ELICITING_THRESHOLD: u32 = 8;

/// How an unknown or changed server identity is treated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PinPolicy {
    /// Only a server pinned in the known-servers file is accepted.
    Known,
    /// A server not pinned yet is accepted and pinned (a changed identity is still refused).
    AcceptNew,
    /// Exactly this fingerprint (`sha256:HEX`) is accepted, and pinned.
    Fingerprint(String),
}

/// One handshake; with `first_use`, a server without a pin is accepted. Returns what the
/// server presented, too.
async fn attempt(
    opts: &ConnectOptions,
    expected: Option<String>,
    first_use: bool,
) -> Result<(quinn::Endpoint, Connection, Option<String>), (ConnectError, Option<String>)> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let (verifier, seen) = PinVerifier::new(expected, provider.clone());
    let verifier = verifier.accepting_first_use(first_use);
    let server = opts.label.clone();
    let proto = |detail: String| {
        (
            ConnectError::Protocol {
                server: server.clone(),
                detail,
            },
            None,
        )
    };
    let mut tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| proto(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    tls.alpn_protocols = vec![ALPN.to_vec()];
    let crypto =
        quinn::crypto::rustls::QuicClientConfig::try_from(tls).map_err(|e| proto(e.to_string()))?;
    let mut config = quinn::ClientConfig::new(Arc::new(crypto));
    let mut transport = quinn::TransportConfig::default();
    transport.max_idle_timeout(Some(
        opts.timeout
            .try_into()
            .map_err(|_| proto("bad timeout".into()))?,
    ));
    // Idle, keep-alives are all that travels: as few as survive one of them being lost
    // within the timeout (2 s at the default 5 s).
    transport.keep_alive_interval(Some((opts.timeout * 2 / 5).max(Duration::from_millis(500))));
    wayray_protocol::quic::shared_transport(&mut transport);
    // The server's QUIC stack acknowledges our packets along with its next frame (at most
    // its 25 ms ack delay later) rather than at once for every second packet: a key and a
    // frame acknowledgement sent together would otherwise cost a packet of its own.
    let mut acks = quinn::AckFrequencyConfig::default();
    acks.ack_eliciting_threshold(quinn::VarInt::from_u32(ACK_ELICITING_THRESHOLD));
    transport.ack_frequency_config(Some(acks));
    // Datagrams carry sound: a viewer that neither plays the session's nor sends a
    // microphone takes none; one that does keeps at most 32 KiB unread (quinn drops the
    // oldest; quinn also sends datagrams only with a receive buffer), and queues at most
    // 8 KiB of microphone for the congestion window.
    let sound = opts.audio.is_some() || opts.microphone.is_some();
    transport.datagram_receive_buffer_size(sound.then_some(32 * 1024));
    transport.datagram_send_buffer_size(8 * 1024);
    config.transport_config(Arc::new(transport));
    let bind: SocketAddr = if opts.server.is_ipv6() {
        "[::]:0".parse()
    } else {
        "0.0.0.0:0".parse()
    }
    .map_err(|_| proto("bad bind address".into()))?;
    // The viewer's endpoint carries one connection: the server's packets need no connection
    // ID to find it, and each of them is 8 bytes shorter for it.
    let mut endpoint_config = quinn::EndpointConfig::default();
    endpoint_config.cid_generator(|| Box::new(quinn_proto::RandomConnectionIdGenerator::new(0)));
    let socket = std::net::UdpSocket::bind(bind).map_err(|e| proto(e.to_string()))?;
    let runtime = quinn::default_runtime().ok_or_else(|| proto("no async runtime".into()))?;
    let mut endpoint = quinn::Endpoint::new(endpoint_config, None, socket, runtime)
        .map_err(|e| proto(e.to_string()))?;
    endpoint.set_default_client_config(config);
    let connecting = endpoint
        .connect(opts.server, "wayray")
        .map_err(|e| proto(e.to_string()))?;
    match tokio::time::timeout(opts.timeout, connecting).await {
        Ok(Ok(conn)) => {
            let presented = seen.lock().ok().and_then(|s| s.clone());
            Ok((endpoint, conn, presented))
        }
        Ok(Err(err)) => {
            let presented = seen.lock().ok().and_then(|s| s.clone());
            let error = ConnectError::Unreachable {
                server: server.clone(),
                detail: err.to_string(),
            };
            Err((error, presented))
        }
        Err(_) => Err((
            ConnectError::Unreachable {
                server,
                detail: format!("no answer within {:?}", opts.timeout),
            },
            None,
        )),
    }
}

/// Connects, verifying or pinning the server's identity; returns the endpoint, the connection
/// and the fingerprint pinned.
pub(super) async fn dial(
    opts: &ConnectOptions,
) -> Result<(quinn::Endpoint, Connection, String), ConnectError> {
    let file = opts.known_servers.clone();
    let kerr = |source| ConnectError::KnownServers {
        file: file.clone(),
        source,
    };
    let pinned = known_servers::lookup(&opts.known_servers, &opts.label).map_err(kerr)?;
    let expected = match &opts.pin {
        PinPolicy::Fingerprint(f) => Some(f.clone()),
        _ => pinned.clone(),
    };
    // A server seen for the first time, with --accept-new: one handshake that records what
    // it presented, pinned once the handshake (and its signature) checked out.
    let first_use = expected.is_none() && opts.pin == PinPolicy::AcceptNew;
    let (endpoint, conn) = match attempt(opts, expected.clone(), first_use).await {
        Ok((endpoint, conn, presented)) => {
            if first_use {
                let presented = presented.unwrap_or_default();
                known_servers::add(&opts.known_servers, &opts.label, &presented).map_err(kerr)?;
            }
            (endpoint, conn)
        }
        Err((error, None)) => return Err(error),
        Err((_, Some(presented))) => match &expected {
            Some(expected) => {
                return Err(ConnectError::PinMismatch {
                    server: opts.label.clone(),
                    expected: expected.clone(),
                    presented,
                    file: opts.known_servers.clone(),
                });
            }
            None => {
                return Err(ConnectError::NewServer {
                    server: opts.label.clone(),
                    fingerprint: presented,
                });
            }
        },
    };
    let fingerprint = expected
        .clone()
        .or_else(|| {
            known_servers::lookup(&opts.known_servers, &opts.label)
                .ok()
                .flatten()
        })
        .unwrap_or_default();
    if let PinPolicy::Fingerprint(f) = &opts.pin
        && pinned.as_ref() != Some(f)
    {
        known_servers::add(&opts.known_servers, &opts.label, f).map_err(kerr)?;
    }
    Ok((endpoint, conn, fingerprint))
}
