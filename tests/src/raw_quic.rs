//! A raw QUIC peer of a WayRay server, for tests of hostile peers: it completes TLS (pinning
//! the server's fingerprint, as a viewer does) from an address of the test's choice, and then
//! does only what the test tells it: no hello, no attach.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use wayray_client::pin::PinVerifier;
use wayray_protocol::ControlMessage;
use wayray_protocol::messages::control::DisconnectReason;
use wayray_protocol::quic::{MessageReader, ReadError, write_message};
use wayray_protocol::secret::Token;
use wayray_protocol::session::{ViewerConfig, ViewerConnection, ViewerEvent};

/// A connected peer; the endpoint lives as long as the connection is used.
pub struct RawPeer {
    /// The QUIC connection.
    pub conn: quinn::Connection,
    _endpoint: quinn::Endpoint,
}

impl RawPeer {
    /// Waits up to `within` for the server to close the connection: the reason (when the
    /// close code is one) and the text. `None`: still open.
    pub async fn closed_within(
        &self,
        within: Duration,
    ) -> Option<(Option<DisconnectReason>, String)> {
        match tokio::time::timeout(within, self.conn.closed()).await {
            Ok(quinn::ConnectionError::ApplicationClosed(close)) => Some((
                DisconnectReason::from_code(close.error_code.into_inner()),
                String::from_utf8_lossy(&close.reason).into_owned(),
            )),
            Ok(other) => Some((None, other.to_string())),
            Err(_) => None,
        }
    }

    /// Opens the control stream and writes `bytes` on it (finishing it when `finish`).
    pub async fn send_control(&self, bytes: &[u8], finish: bool) -> quinn::SendStream {
        let (mut send, _recv) = self.conn.open_bi().await.expect("control stream");
        send.write_all(bytes).await.expect("written");
        if finish {
            let _ = send.finish();
        }
        send
    }

    /// Says hello and presents `token`, as a viewer does; `Ok` once attached, or the
    /// server's reason and message.
    pub async fn present_token(&self, token: &str) -> Result<(), (DisconnectReason, String)> {
        self.attach(token, wayray_protocol::Capabilities::implemented())
            .await
            .map(drop)
    }

    /// [`RawPeer::present_token`] announcing `capabilities`; `Ok` holds the control stream,
    /// open (dropping it finishes the stream, and the server takes that as leaving).
    pub async fn attach(
        &self,
        token: &str,
        capabilities: wayray_protocol::Capabilities,
    ) -> Result<quinn::SendStream, (DisconnectReason, String)> {
        let failed = |e: String| (DisconnectReason::ProtocolError, e);
        let (mut send, recv) = self
            .conn
            .open_bi()
            .await
            .map_err(|e| failed(e.to_string()))?;
        let mut reader = MessageReader::<ControlMessage>::new(recv);
        let mut config = ViewerConfig::new(Token::new(token.into()));
        config.capabilities = capabilities;
        let mut machine = ViewerConnection::new(std::time::Instant::now(), config);
        loop {
            while let Some(msg) = machine.poll_transmit() {
                let written = write_message(&mut send, &msg).await;
                written.map_err(|e| failed(e.to_string()))?;
            }
            match machine.poll_event() {
                Some(ViewerEvent::Attached(_)) => return Ok(send),
                Some(ViewerEvent::Closed(close)) => return Err((close.reason, close.message)),
                Some(_) => continue,
                None => {}
            }
            match reader.next().await {
                Ok(Some(msg)) => machine.handle_message(std::time::Instant::now(), msg),
                Err(ReadError::Stream(quinn::ReadError::ConnectionLost(
                    quinn::ConnectionError::ApplicationClosed(close),
                ))) => {
                    let reason = DisconnectReason::from_code(close.error_code.into_inner());
                    let reason = reason.unwrap_or(DisconnectReason::ProtocolError);
                    return Err((reason, String::from_utf8_lossy(&close.reason).into_owned()));
                }
                other => return Err(failed(format!("{other:?}"))),
            }
        }
    }
}

/// Connects from `bind` (e.g. `127.0.0.2:0`) to `server`, expecting `fingerprint`. The error
/// is quinn's, as text (a refusal reads "the server refused to accept a new connection").
pub async fn connect(
    server: SocketAddr,
    fingerprint: &str,
    bind: SocketAddr,
) -> Result<RawPeer, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let (verifier, _) = PinVerifier::new(Some(fingerprint.to_owned()), provider.clone());
    let mut tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    tls.alpn_protocols = vec![b"wayray/1".to_vec()];
    let crypto =
        quinn::crypto::rustls::QuicClientConfig::try_from(tls).map_err(|e| e.to_string())?;
    let mut config = quinn::ClientConfig::new(Arc::new(crypto));
    let mut transport = quinn::TransportConfig::default();
    transport.keep_alive_interval(Some(Duration::from_secs(1)));
    config.transport_config(Arc::new(transport));
    let mut endpoint = quinn::Endpoint::client(bind).map_err(|e| e.to_string())?;
    endpoint.set_default_client_config(config);
    let connecting = endpoint
        .connect(server, "wayray")
        .map_err(|e| e.to_string())?;
    let conn = tokio::time::timeout(Duration::from_secs(10), connecting)
        .await
        .map_err(|_| "no handshake within 10 s".to_string())?
        .map_err(|e| e.to_string())?;
    Ok(RawPeer {
        conn,
        _endpoint: endpoint,
    })
}

/// What opening one more stream did within a wait.
#[derive(Debug, PartialEq, Eq)]
pub enum Opening {
    /// It opened.
    Opened,
    /// It waited for the server's permission, which did not come.
    Waited,
    /// The connection failed (the text says why).
    Failed(String),
}

/// Opens one more stream with `open` (e.g. `conn.open_uni()`) and waits at most `wait`.
pub async fn open_within<F, T>(wait: Duration, open: F) -> Opening
where
    F: std::future::Future<Output = Result<T, quinn::ConnectionError>>,
{
    match tokio::time::timeout(wait, open).await {
        Ok(Ok(_)) => Opening::Opened,
        Ok(Err(err)) => Opening::Failed(err.to_string()),
        Err(_) => Opening::Waited,
    }
}

/// The hello a viewer sends first, framed.
pub fn hello_frame() -> Vec<u8> {
    let config = ViewerConfig::new(Token::new("unused".into()));
    let mut machine = ViewerConnection::new(std::time::Instant::now(), config);
    let hello = machine.poll_transmit().expect("the hello");
    wayray_protocol::framing::encode_frame_to_vec(&hello).expect("encodes")
}
