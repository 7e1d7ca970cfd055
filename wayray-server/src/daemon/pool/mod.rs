//! A pool of servers on etcd ([ADR 0032](../../../../docs/adr/0032-server-pool.md)): every
//! server keeps its own registry (SQLite: its sessions, the audit log) and shares through etcd
//! what the pool must agree on — which servers are alive, the tokens (as hashes), and which
//! server holds each token's session.
//!
//! - [`config`]: the `[pool]` table;
//! - [`records`]: keys and values in etcd;
//! - [`membership`]: this server's lease and its record (load);
//! - [`reconcile`]: the sessions of dead servers marked lost, this server's registered;
//! - [`directory`]: tokens and session claims (transactions);
//! - [`placement`]: where a new session goes;
//! - [`publish`]: tokens issued and sessions ended here, told to the pool;
//! - [`revocations`]: tokens revoked on other servers, applied here;
//! - [`route`]: an attach's answer — here, another server, or a new session here;
//! - [`attach`]: the daemon's attach through the route;
//! - [`listing`], [`admin`]: `wayray-ctl pool`.

pub mod admin;
pub mod attach;
pub mod config;
pub mod directory;
pub mod listing;
pub mod membership;
pub mod placement;
pub mod publish;
pub mod reconcile;
pub mod records;
pub mod revocations;
pub mod route;

use std::future::Future;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use config::PoolConfig;
use etcd_client::{
    Certificate, Client, ConnectOptions, GetOptions, GetResponse, Identity, TlsOptions, Txn,
    TxnResponse,
};
use records::Keys;

/// How long one etcd request may take: beyond it the pool counts as unreachable (an attach
/// is refused with a clear message rather than left hanging).
pub const OP_TIMEOUT: Duration = Duration::from_secs(3);

/// How long one try of a request may take: a member that died with the connection open
/// answers nothing, and the request goes again (most likely to another member) while
/// [`OP_TIMEOUT`] allows.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(1);

/// gRPC's "cancelled": what a try that ran past [`ATTEMPT_TIMEOUT`] ends with.
const CANCELLED: i32 = 1;
/// gRPC's "deadline exceeded".
const DEADLINE_EXCEEDED: i32 = 4;
/// gRPC's "unavailable": the member cannot be reached (or has no leader).
const UNAVAILABLE: i32 = 14;
/// gRPC's "unauthenticated": etcd lost the login (its auth token) of this client.
const UNAUTHENTICATED: i32 = 16;
/// The pause before a request goes again to another member.
const RETRY_PAUSE: Duration = Duration::from_millis(25);

/// A pool operation failed.
#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    /// etcd refused or failed the request (no quorum, no leader, unreachable).
    #[error("the server pool's directory (etcd) failed: {0}")]
    Etcd(Box<etcd_client::Error>),
    /// etcd did not answer in time.
    #[error("the server pool's directory (etcd) did not answer within {0:?}")]
    Timeout(Duration),
    /// A value in etcd does not parse.
    #[error("the pool's record {key} is malformed: {detail}")]
    Record {
        /// Its key.
        key: String,
        /// Why.
        detail: String,
    },
    /// etcd ended a stream (a lease keep-alive) without an error.
    #[error("the server pool's directory (etcd) closed the lease keep-alive stream")]
    StreamEnded,
    /// This server holds no lease (etcd away, or it is joining): it claims nothing.
    #[error("this server is not a member of the pool right now (it is joining, or etcd is away)")]
    NotMember,
    /// No live server takes new sessions.
    #[error("no server of the pool takes new sessions (every live server is draining)")]
    NoServer,
    /// Other attaches kept winning the token's claim.
    #[error("other servers kept claiming the session of token {0} at the same time")]
    Contended(String),
    /// A file named in `[pool]` could not be read.
    #[error("cannot read {path}: {source}")]
    File {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}

impl From<etcd_client::Error> for PoolError {
    fn from(err: etcd_client::Error) -> Self {
        Self::Etcd(Box::new(err))
    }
}

/// This server's membership of a pool.
pub struct Pool {
    /// The `[pool]` table.
    pub config: PoolConfig,
    /// Keys under the pool's prefix.
    pub keys: Keys,
    /// This server's certificate fingerprint (sent in redirects to it).
    pub fingerprint: String,
    /// The client; built again when etcd forgets its login (a member restarted).
    client: std::sync::RwLock<Client>,
    options: ConnectOptions,
    ops: AtomicU64,
    /// A token issued here has not reached the pool yet.
    tokens_behind: AtomicBool,
    /// The lease this server's record lives on, once granted.
    lease: Mutex<Option<i64>>,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("server_id", &self.config.server_id)
            .field("etcd", &self.config.etcd)
            .finish_non_exhaustive()
    }
}

fn read(path: &std::path::Path) -> Result<Vec<u8>, PoolError> {
    std::fs::read(path).map_err(|source| PoolError::File {
        path: path.display().to_string(),
        source,
    })
}

impl Pool {
    /// Sets up the etcd client. Connections are made on first use, so a server starts while
    /// etcd is down and joins once it is back — except with an etcd user, whose password is
    /// checked here (etcd must answer within [`OP_TIMEOUT`]).
    pub async fn connect(config: PoolConfig, fingerprint: String) -> Result<Self, PoolError> {
        let mut options = ConnectOptions::new()
            .with_connect_timeout(Duration::from_secs(2))
            .with_timeout(ATTEMPT_TIMEOUT)
            .with_keep_alive(Duration::from_secs(2), Duration::from_secs(2))
            // Without a leader (no quorum) requests fail at once rather than answer stale.
            .with_require_leader(true);
        if let (Some(user), Some(file)) = (&config.etcd_user, &config.etcd_password_file) {
            let password = String::from_utf8_lossy(&read(file)?).trim().to_owned();
            options = options.with_user(user.clone(), password);
        }
        if let Some(ca) = &config.etcd_ca_file {
            let mut tls = TlsOptions::new().ca_certificate(Certificate::from_pem(read(ca)?));
            if let (Some(cert), Some(key)) = (&config.etcd_cert_file, &config.etcd_key_file) {
                tls = tls.identity(Identity::from_pem(read(cert)?, read(key)?));
            }
            options = options.with_tls(tls);
        }
        let client = Self::client_for(&config, &options).await?;
        Ok(Self {
            keys: Keys::new(&config.prefix),
            config,
            fingerprint,
            client: std::sync::RwLock::new(client),
            options,
            ops: AtomicU64::new(0),
            tokens_behind: AtomicBool::new(false),
            lease: Mutex::new(None),
        })
    }

    async fn client_for(
        config: &PoolConfig,
        options: &ConnectOptions,
    ) -> Result<Client, PoolError> {
        let connect = Client::connect(config.etcd.clone(), Some(options.clone()));
        Ok(tokio::time::timeout(OP_TIMEOUT, connect)
            .await
            .map_err(|_| PoolError::Timeout(OP_TIMEOUT))??)
    }

    fn current(&self) -> Client {
        self.client
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Logs in again: an etcd member that restarted forgot the client's auth token.
    async fn renew(&self) -> Result<(), PoolError> {
        let client = Self::client_for(&self.config, &self.options).await?;
        *self.client.write().unwrap_or_else(|e| e.into_inner()) = client;
        tracing::info!("logged in to etcd again");
        Ok(())
    }

    /// This server's id.
    pub fn id(&self) -> &str {
        &self.config.server_id
    }

    /// etcd requests made so far (the figure "etcd operations per attach" is their growth).
    pub fn ops(&self) -> u64 {
        self.ops.load(Ordering::Relaxed)
    }

    /// One etcd request made by `request` on a fresh handle of the client, bounded by
    /// [`OP_TIMEOUT`] in all. A member that cannot be reached or does not answer within
    /// [`ATTEMPT_TIMEOUT`] (the client balances over the endpoints and may pick a dead one)
    /// is tried past: the request goes again until the time is up.
    async fn call<T, F, Fut>(&self, mut request: F) -> Result<T, PoolError>
    where
        F: FnMut(Client) -> Fut,
        Fut: Future<Output = Result<T, etcd_client::Error>>,
    {
        let deadline = tokio::time::Instant::now() + OP_TIMEOUT;
        let mut renewed = false;
        loop {
            self.ops.fetch_add(1, Ordering::Relaxed);
            let answer = tokio::time::timeout_at(deadline, request(self.current()))
                .await
                .map_err(|_| PoolError::Timeout(OP_TIMEOUT))?;
            match answer {
                Err(etcd_client::Error::GRpcStatus(status))
                    if i32::from(status.code()) == UNAUTHENTICATED
                        && self.options_have_user()
                        && !renewed =>
                {
                    renewed = true;
                    tracing::warn!(%status, "etcd no longer knows this server's login");
                    self.renew().await?;
                }
                Err(etcd_client::Error::GRpcStatus(status))
                    if [UNAVAILABLE, CANCELLED, DEADLINE_EXCEEDED]
                        .contains(&i32::from(status.code()))
                        && tokio::time::Instant::now() + RETRY_PAUSE < deadline =>
                {
                    tracing::debug!(%status, "etcd member unavailable or slow; trying again");
                    tokio::time::sleep(RETRY_PAUSE).await;
                }
                other => return other.map_err(PoolError::from),
            }
        }
    }

    fn options_have_user(&self) -> bool {
        self.config.etcd_user.is_some()
    }

    /// A range read.
    async fn get(
        &self,
        key: String,
        options: Option<GetOptions>,
    ) -> Result<GetResponse, PoolError> {
        self.call(|mut c| {
            let (key, options) = (key.clone(), options.clone());
            async move { c.get(key, options).await }
        })
        .await
    }

    /// A transaction.
    async fn txn(&self, txn: Txn) -> Result<TxnResponse, PoolError> {
        self.call(|mut c| {
            let txn = txn.clone();
            async move { c.txn(txn).await }
        })
        .await
    }

    /// One step of a stream (a lease keep-alive), bounded by [`ATTEMPT_TIMEOUT`].
    async fn attempt<T>(
        &self,
        step: impl Future<Output = Result<T, etcd_client::Error>>,
    ) -> Result<T, PoolError> {
        tokio::time::timeout(ATTEMPT_TIMEOUT, step)
            .await
            .map_err(|_| PoolError::Timeout(ATTEMPT_TIMEOUT))?
            .map_err(PoolError::from)
    }

    /// Notes that a token issued here did not reach the pool: the next membership round
    /// publishes what the pool lacks.
    pub fn set_tokens_behind(&self) {
        self.tokens_behind.store(true, Ordering::Relaxed);
    }

    fn take_tokens_behind(&self) -> bool {
        self.tokens_behind.swap(false, Ordering::Relaxed)
    }

    /// The lease this server's record is on, if granted.
    pub fn lease(&self) -> Option<i64> {
        *self.lease.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn set_lease(&self, lease: Option<i64>) {
        *self.lease.lock().unwrap_or_else(|e| e.into_inner()) = lease;
    }
}

/// Parses a JSON record read at `key`.
fn parse<T: serde::de::DeserializeOwned>(key: &[u8], value: &[u8]) -> Result<T, PoolError> {
    serde_json::from_slice(value).map_err(|e| PoolError::Record {
        key: String::from_utf8_lossy(key).into_owned(),
        detail: e.to_string(),
    })
}

/// A record as JSON.
fn json<T: serde::Serialize>(record: &T) -> Vec<u8> {
    serde_json::to_vec(record).unwrap_or_default()
}
