//! What the pool keeps in etcd, as JSON values under the pool's prefix:
//!
//! - `servers/{id}` → [`ServerRecord`], on the server's lease (gone when it dies);
//! - `members/{id}` → [`ServerRecord`], no lease (the last known state, for `pool servers`);
//! - `drain/{id}` → `""` while the server takes no new sessions;
//! - `tokens/{sha256 hex}` → [`TokenRecord`] and `token-ids/{id}` → the hash (hex);
//! - `sessions/{token id}` → [`SessionRecord`]: which server holds the token's session,
//!   claimed with create-if-absent or compare-revision transactions.

use serde::{Deserialize, Serialize};

/// A server of the pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerRecord {
    /// `[pool] server_id`.
    pub id: String,
    /// Where viewers reach it.
    pub address: String,
    /// Its certificate's fingerprint.
    pub fingerprint: String,
    /// Sessions it runs.
    pub sessions: usize,
    /// One-minute load average × 100.
    pub load_centi: u32,
    /// Memory available, MiB.
    pub memory_available_mib: u64,
}

/// A token, as every server of the pool sees it (only its hash is the key; no secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRecord {
    /// Its id.
    pub id: String,
    /// Created, Unix seconds.
    pub created: i64,
    /// Whether it was revoked.
    pub revoked: bool,
}

/// Where a token's session is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SessionPhase {
    /// Claimed; the owner is starting it.
    Starting,
    /// Running on the owner.
    Running,
    /// Its owner's lease lapsed: the session is gone with it.
    Lost,
}

impl SessionPhase {
    /// The name `wayray-ctl pool sessions` shows.
    pub fn name(self) -> &'static str {
        match self {
            Self::Starting => "starting",
            Self::Running => "running",
            Self::Lost => "lost",
        }
    }
}

/// A token's session in the pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRecord {
    /// The owning server's id.
    pub server: String,
    /// The session's id on that server (none while starting).
    pub session: Option<u64>,
    /// The Unix user it runs as, where known.
    pub user: Option<String>,
    /// Its phase.
    pub phase: SessionPhase,
}

/// Keys under a pool prefix.
#[derive(Debug, Clone)]
pub struct Keys {
    prefix: String,
}

impl Keys {
    /// Keys under `prefix` (starts and ends with `/`).
    pub fn new(prefix: &str) -> Self {
        Self {
            prefix: prefix.to_owned(),
        }
    }

    /// The prefix of one kind of key (`servers/`, …).
    pub fn dir(&self, kind: &str) -> String {
        format!("{}{kind}/", self.prefix)
    }

    /// One key.
    pub fn key(&self, kind: &str, name: &str) -> String {
        format!("{}{kind}/{name}", self.prefix)
    }

    /// The name part of a key of `kind`.
    pub fn name<'a>(&self, kind: &str, key: &'a [u8]) -> Option<&'a str> {
        let key = std::str::from_utf8(key).ok()?;
        key.strip_prefix(&self.dir(kind))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_names_round_trip() {
        let keys = Keys::new("/wayray/");
        let key = keys.key("servers", "a-1");
        assert_eq!(key, "/wayray/servers/a-1");
        assert_eq!(keys.name("servers", key.as_bytes()), Some("a-1"));
        assert_eq!(keys.name("tokens", key.as_bytes()), None);
    }

    #[test]
    fn records_are_json_with_readable_phases() {
        let record = SessionRecord {
            server: "a".into(),
            session: Some(3),
            user: None,
            phase: SessionPhase::Lost,
        };
        let text = serde_json::to_string(&record).unwrap();
        assert!(text.contains("\"lost\""), "{text}");
        assert_eq!(
            serde_json::from_str::<SessionRecord>(&text).unwrap(),
            record
        );
    }
}
