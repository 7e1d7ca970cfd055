//! `wayray-ctl pool`: the servers of a pool and the sessions they hold, as the pool's
//! directory (etcd) has them.

use serde::{Deserialize, Serialize};

/// What `pool` asks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "pool", rename_all = "snake_case")]
pub enum PoolRequest {
    /// Every server that ever joined, alive or not.
    Servers,
    /// Every session the pool knows, on whichever server.
    Sessions,
    /// Stop (or, with `undo`, resume) placing new sessions on a server; its sessions stay.
    Drain {
        /// The server's id; `None`: the one answering.
        server: Option<String>,
        /// Resume placing sessions there.
        undo: bool,
    },
}

/// One server of the pool.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolServer {
    /// Its `[pool] server_id`.
    pub id: String,
    /// Where viewers reach it.
    pub address: String,
    /// Its certificate's fingerprint.
    pub fingerprint: String,
    /// Whether its lease is alive.
    pub alive: bool,
    /// Whether new sessions are kept off it.
    pub draining: bool,
    /// Sessions it runs (as it last reported).
    pub sessions: usize,
    /// Its one-minute load average, times 100.
    pub load_centi: u32,
    /// Memory available, in MiB.
    pub memory_available_mib: u64,
    /// Whether it is the server that answered.
    pub this: bool,
}

/// One session in the pool's directory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolSession {
    /// The token that owns it (its id).
    pub token_id: String,
    /// The server holding it.
    pub server: String,
    /// Its id on that server (none while it starts).
    pub session: Option<u64>,
    /// The Unix user it runs as, where a login started it.
    pub user: Option<String>,
    /// `starting`, `running`, or `lost` (its server died).
    pub state: String,
}

/// A daemon's own membership, in `status`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolMembership {
    /// Its `[pool] server_id`.
    pub server_id: String,
    /// Whether it holds a live lease (other servers see it).
    pub joined: bool,
    /// etcd requests it made since it started.
    pub etcd_requests: u64,
}
