//! The server's identity: a self-signed certificate and key, created on first start in the
//! state dir (key file mode 0600), and its SHA-256 fingerprint, which viewers pin.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use sha2::{Digest, Sha256};

/// Certificate, key and fingerprint.
pub struct Identity {
    /// The certificate (DER).
    pub cert: CertificateDer<'static>,
    /// The private key (PKCS#8 DER). Never logged.
    pub key: PrivatePkcs8KeyDer<'static>,
    /// `sha256:` + lowercase hex of the certificate's SHA-256.
    pub fingerprint: String,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity")
            .field("fingerprint", &self.fingerprint)
            .finish_non_exhaustive()
    }
}

/// Loading or creating the identity failed.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// Reading or writing the files failed.
    #[error("cannot use the server identity in {dir}: {source}")]
    Io {
        /// The state dir.
        dir: String,
        /// Why.
        source: std::io::Error,
    },
    /// Generating the certificate failed.
    #[error("cannot generate the server certificate: {0}")]
    Generate(String),
}

/// The fingerprint of a certificate, as printed and pinned.
pub fn fingerprint(cert: &[u8]) -> String {
    let digest = Sha256::digest(cert);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

impl Identity {
    /// Loads `server.crt` / `server.key` from `dir`, creating them (key 0600) on first start.
    pub fn load_or_create(dir: &Path) -> Result<Self, IdentityError> {
        let io = |source| IdentityError::Io {
            dir: dir.display().to_string(),
            source,
        };
        fs::create_dir_all(dir).map_err(io)?;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).map_err(io)?;
        let (cert_path, key_path) = (dir.join("server.crt"), dir.join("server.key"));
        if !cert_path.exists() || !key_path.exists() {
            let generated = rcgen::generate_simple_self_signed(vec!["wayray".to_string()])
                .map_err(|e| IdentityError::Generate(e.to_string()))?;
            let mut key_file = fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(&key_path)
                .map_err(io)?;
            key_file
                .write_all(&generated.signing_key.serialize_der())
                .map_err(io)?;
            fs::write(&cert_path, generated.cert.der()).map_err(io)?;
        }
        // An existing key file keeps its owner-only mode even if someone loosened it.
        fs::set_permissions(&key_path, fs::Permissions::from_mode(0o600)).map_err(io)?;
        let cert = fs::read(&cert_path).map_err(io)?;
        let key = fs::read(&key_path).map_err(io)?;
        Ok(Self {
            fingerprint: fingerprint(&cert),
            cert: CertificateDer::from(cert),
            key: PrivatePkcs8KeyDer::from(key),
        })
    }

    /// The key in the form rustls takes.
    pub fn private_key(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(self.key.clone_key())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_once_with_a_private_key_file() {
        let dir = std::env::temp_dir().join(format!("wayray-identity-{}", std::process::id()));
        let first = Identity::load_or_create(&dir).unwrap();
        let mode = fs::metadata(dir.join("server.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let again = Identity::load_or_create(&dir).unwrap();
        assert_eq!(first.fingerprint, again.fingerprint);
        assert!(first.fingerprint.starts_with("sha256:") && first.fingerprint.len() == 7 + 64);
        let _ = fs::remove_dir_all(dir);
    }
}
