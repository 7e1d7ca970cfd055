//! Server certificate pinning: the TLS handshake succeeds only for the pinned fingerprint (or,
//! for a server not pinned yet, one the user accepted). The certificate's own signature over
//! the handshake is still verified, so the peer must hold the pinned key.

use std::sync::{Arc, Mutex};

use rustls::DigitallySignedStruct;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use sha2::{Digest, Sha256};

/// The fingerprint of a certificate: `sha256:` + lowercase hex.
pub fn fingerprint(cert: &[u8]) -> String {
    let hex: String = Sha256::digest(cert)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256:{hex}")
}

/// Accepts exactly one fingerprint (or, for a server seen for the first time with the user's
/// consent, whatever it presents); remembers what the server presented.
#[derive(Debug)]
pub struct PinVerifier {
    expected: Option<String>,
    first_use: bool,
    seen: Arc<Mutex<Option<String>>>,
    provider: Arc<CryptoProvider>,
}

impl PinVerifier {
    /// A verifier that accepts `expected` (none: accepts nothing, only records the
    /// fingerprint so that the user can be asked).
    pub fn new(
        expected: Option<String>,
        provider: Arc<CryptoProvider>,
    ) -> (Self, Arc<Mutex<Option<String>>>) {
        let seen = Arc::new(Mutex::new(None));
        (
            Self {
                expected,
                first_use: false,
                seen: seen.clone(),
                provider,
            },
            seen,
        )
    }
}

impl PinVerifier {
    /// With no expected fingerprint, accepts the server's certificate and only records it
    /// (trust on first use, when the user allowed it): the first contact then needs one
    /// handshake, not two. The handshake's signature is still checked.
    pub fn accepting_first_use(mut self, allowed: bool) -> Self {
        self.first_use = allowed;
        self
    }
}

impl ServerCertVerifier for PinVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let presented = fingerprint(end_entity);
        if let Ok(mut seen) = self.seen.lock() {
            *seen = Some(presented.clone());
        }
        match &self.expected {
            Some(expected) if *expected == presented => Ok(ServerCertVerified::assertion()),
            None if self.first_use => Ok(ServerCertVerified::assertion()),
            _ => Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::ApplicationVerificationFailure,
            )),
        }
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Err(rustls::Error::PeerIncompatible(
            rustls::PeerIncompatible::Tls13RequiredForQuic,
        ))
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
