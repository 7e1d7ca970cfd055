//! The `[pool]` table: joining a pool of servers that share tokens and sessions through etcd.

use std::path::PathBuf;

use serde::Deserialize;

/// How a new session's server is chosen among the pool's live servers that are not draining.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PlacementPolicy {
    /// Fewest sessions; ties go to the lower load average, then the lower id.
    #[default]
    LeastSessions,
    /// Lowest one-minute load average; ties go to fewer sessions, then the lower id.
    LeastLoad,
}

/// The `[pool]` table.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoolConfig {
    /// etcd endpoints, `http://HOST:PORT` (or `https://` with the TLS keys below).
    pub etcd: Vec<String>,
    /// This server's id in the pool (letters, digits, `-`, `_`, `.`).
    pub server_id: String,
    /// Where viewers reach this server, `HOST:PORT` (sent in redirects).
    pub advertise: String,
    /// Key prefix of the pool in etcd.
    #[serde(default = "default_prefix")]
    pub prefix: String,
    /// Seconds a server stays in the pool after its last keep-alive.
    #[serde(default = "default_ttl")]
    pub lease_ttl_secs: u64,
    /// Where new sessions go.
    #[serde(default)]
    pub placement: PlacementPolicy,
    /// etcd user (with `etcd_password_file`), where etcd has authentication on.
    #[serde(default)]
    pub etcd_user: Option<String>,
    /// A file holding the etcd user's password (mode 0600; never logged).
    #[serde(default)]
    pub etcd_password_file: Option<PathBuf>,
    /// PEM CA certificate that signed etcd's server certificates (`https://` endpoints).
    #[serde(default)]
    pub etcd_ca_file: Option<PathBuf>,
    /// PEM client certificate and key, where etcd asks for client certificates.
    #[serde(default)]
    pub etcd_cert_file: Option<PathBuf>,
    /// The client certificate's PEM key.
    #[serde(default)]
    pub etcd_key_file: Option<PathBuf>,
}

fn default_prefix() -> String {
    "/wayray/".into()
}

fn default_ttl() -> u64 {
    10
}

impl PoolConfig {
    /// A pool on `etcd` as server `server_id`, reached at `advertise`, every other key at its
    /// default.
    pub fn new(etcd: Vec<String>, server_id: &str, advertise: &str) -> Self {
        Self {
            etcd,
            server_id: server_id.into(),
            advertise: advertise.into(),
            prefix: default_prefix(),
            lease_ttl_secs: default_ttl(),
            placement: PlacementPolicy::default(),
            etcd_user: None,
            etcd_password_file: None,
            etcd_ca_file: None,
            etcd_cert_file: None,
            etcd_key_file: None,
        }
    }

    /// Checks the values a mistake would make dangerous or useless.
    pub fn check(&self) -> Result<(), String> {
        if self.etcd.is_empty() {
            return Err("[pool] etcd must list at least one endpoint".into());
        }
        let id_ok = !self.server_id.is_empty()
            && self.server_id.len() <= 64
            && self
                .server_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
        if !id_ok {
            return Err("[pool] server_id must be 1 to 64 letters, digits, '-', '_' or '.'".into());
        }
        if self
            .advertise
            .rsplit_once(':')
            .is_none_or(|(host, port)| host.is_empty() || port.parse::<u16>().is_err())
        {
            return Err(
                "[pool] advertise must be HOST:PORT, where viewers reach this server".into(),
            );
        }
        if !(3..=300).contains(&self.lease_ttl_secs) {
            return Err("[pool] lease_ttl_secs must be between 3 and 300".into());
        }
        if !self.prefix.starts_with('/') || !self.prefix.ends_with('/') {
            return Err("[pool] prefix must start and end with '/'".into());
        }
        if self.etcd_user.is_some() != self.etcd_password_file.is_some() {
            return Err("[pool] etcd_user and etcd_password_file go together".into());
        }
        if self.etcd_cert_file.is_some() != self.etcd_key_file.is_some() {
            return Err("[pool] etcd_cert_file and etcd_key_file go together".into());
        }
        Ok(())
    }
}
