//! The daemon's registry: an embedded SQLite file (`registry.sqlite3` in the state dir, mode
//! 0600) with tokens (only hashes), sessions and an audit log. The daemon is its only writer.
//! Every state change of a session goes through [`Registry::transition`], which enforces the
//! moves of [`super::lifecycle`].

mod migrations;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};

use super::lifecycle::{Event, Lifecycle, SessionState};
use wayray_protocol::admin::EndReason;
use wayray_protocol::secret::same_secret;

/// A registry operation failed.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// SQLite failed.
    #[error("registry: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The file could not be secured.
    #[error("registry file: {0}")]
    Io(#[from] std::io::Error),
    /// The file was written by a newer WayRay.
    #[error("the registry has schema version {found}, newer than this daemon's {known}")]
    TooNew {
        /// Version in the file.
        found: usize,
        /// Newest version this build knows.
        known: usize,
    },
    /// A session cannot make that move.
    #[error("session {id} cannot go from {from} on {event:?}")]
    BadTransition {
        /// Session id.
        id: u64,
        /// Its state.
        from: &'static str,
        /// What was asked.
        event: Event,
    },
    /// No such session.
    #[error("no session {0}")]
    NoSession(u64),
}

/// A token as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRow {
    /// Public id.
    pub id: String,
    /// Created, Unix seconds.
    pub created: i64,
    /// Whether revoked.
    pub revoked: bool,
    /// Bound session.
    pub session: Option<u64>,
}

/// A session as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    /// Id.
    pub id: u64,
    /// State.
    pub state: SessionState,
    /// Owner token.
    pub token_id: Option<String>,
    /// Created, Unix seconds.
    pub created: i64,
    /// Last attach, Unix seconds.
    pub last_attach: Option<i64>,
    /// When the last viewer left, Unix seconds.
    pub detached_at: Option<i64>,
    /// Current or last viewer address.
    pub viewer: Option<String>,
    /// Process id while running.
    pub pid: Option<u32>,
    /// Link socket.
    pub link: Option<String>,
    /// `WAYLAND_DISPLAY`.
    pub wayland_display: Option<String>,
    /// Why it ended.
    pub end_reason: Option<EndReason>,
    /// The Unix user it runs as, for sessions started by a login.
    pub user: Option<String>,
}

/// An audit log entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    /// Unix seconds.
    pub time: i64,
    /// `attach`, `detach`, `moved`, `kill`, `ended`, `crashed`, `adopted`, `refused`...
    pub event: String,
    /// Session concerned.
    pub session: Option<u64>,
    /// Token concerned (its id).
    pub token: Option<String>,
    /// More.
    pub detail: Option<String>,
}

/// Now, in Unix seconds.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The open registry.
#[derive(Debug)]
pub struct Registry {
    conn: Connection,
}

const SESSION_COLUMNS: &str = "id, state, token_id, created, last_attach, detached_at, viewer, \
                               pid, link, wayland_display, end_reason, user";

fn session_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<SessionRow> {
    let state: String = row.get(1)?;
    Ok(SessionRow {
        id: row.get::<_, i64>(0)? as u64,
        state: SessionState::from_name(&state).unwrap_or(SessionState::Ended),
        token_id: row.get(2)?,
        created: row.get(3)?,
        last_attach: row.get(4)?,
        detached_at: row.get(5)?,
        viewer: row.get(6)?,
        pid: row.get::<_, Option<i64>>(7)?.map(|p| p as u32),
        link: row.get(8)?,
        wayland_display: row.get(9)?,
        end_reason: row
            .get::<_, Option<String>>(10)?
            .map(|text| serde_json::from_str(&text).unwrap_or(EndReason::Recorded(text))),
        user: row.get(11)?,
    })
}

fn token_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<TokenRow> {
    Ok(TokenRow {
        id: row.get(0)?,
        created: row.get(1)?,
        revoked: row.get::<_, Option<i64>>(2)?.is_some(),
        session: row.get::<_, Option<i64>>(3)?.map(|s| s as u64),
    })
}

impl Registry {
    /// Opens (creating if needed) and migrates the registry file; it is made mode 0600.
    pub fn open(path: &Path) -> Result<Self, RegistryError> {
        let conn = Connection::open(path)?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
        Self::with_connection(conn)
    }

    /// A registry in memory (tests).
    pub fn in_memory() -> Result<Self, RegistryError> {
        Self::with_connection(Connection::open_in_memory()?)
    }

    fn with_connection(conn: Connection) -> Result<Self, RegistryError> {
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let mut registry = Self { conn };
        registry.migrate()?;
        Ok(registry)
    }

    /// The schema version of the open file.
    pub fn schema_version(&self) -> Result<usize, RegistryError> {
        let version: i64 = self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?;
        Ok(version as usize)
    }

    fn migrate(&mut self) -> Result<(), RegistryError> {
        let found = self.schema_version()?;
        let known = migrations::MIGRATIONS.len();
        if found > known {
            return Err(RegistryError::TooNew { found, known });
        }
        for (i, sql) in migrations::MIGRATIONS.iter().enumerate().skip(found) {
            let tx = self.conn.transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)?;
            tx.commit()?;
            tracing::info!(version = i + 1, "registry migrated");
        }
        Ok(())
    }

    /// Stores a token's hash.
    pub fn add_token(
        &self,
        id: &str,
        hash: &[u8; 32],
        session: Option<u64>,
    ) -> Result<(), RegistryError> {
        self.conn.execute(
            "INSERT INTO tokens (id, hash, created, session_id) VALUES (?1, ?2, ?3, ?4)",
            params![id, hash.as_slice(), now(), session.map(|s| s as i64)],
        )?;
        Ok(())
    }

    /// The token whose hash is `hash`, found through the hash's unique index. Looking a
    /// SHA-256 of a 256-bit random secret up by value reveals nothing an attacker can use
    /// (timing could only tell hashes apart, and finding a token for a hash is a preimage);
    /// the stored hash is still compared in constant time before it counts.
    pub fn find_token(&self, hash: &[u8; 32]) -> Result<Option<TokenRow>, RegistryError> {
        let found = self
            .conn
            .query_row(
                "SELECT id, created, revoked, session_id, hash FROM tokens WHERE hash = ?1",
                params![hash.as_slice()],
                |row| Ok((token_row(row)?, row.get::<_, Vec<u8>>(4)?)),
            )
            .optional()?;
        Ok(found.and_then(|(token, stored)| same_secret(&stored, hash).then_some(token)))
    }

    /// Every token with its hash, oldest first (published when the server joins a pool).
    pub fn token_hashes(
        &self,
    ) -> Result<Vec<(super::pool::records::TokenRecord, [u8; 32])>, RegistryError> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, created, revoked, hash FROM tokens ORDER BY created, id")?;
        let rows = stmt.query_map([], |row| {
            let hash: Vec<u8> = row.get(3)?;
            let record = super::pool::records::TokenRecord {
                id: row.get(0)?,
                created: row.get(1)?,
                revoked: row.get::<_, Option<i64>>(2)?.is_some(),
            };
            Ok((record, hash))
        })?;
        let mut tokens = Vec::new();
        for row in rows {
            let (record, hash) = row?;
            if let Ok(hash) = <[u8; 32]>::try_from(hash.as_slice()) {
                tokens.push((record, hash));
            }
        }
        Ok(tokens)
    }

    /// The token `id`.
    pub fn token(&self, id: &str) -> Result<Option<TokenRow>, RegistryError> {
        Ok(self
            .conn
            .query_row(
                "SELECT id, created, revoked, session_id FROM tokens WHERE id = ?1",
                [id],
                token_row,
            )
            .optional()?)
    }

    /// Every token, oldest first.
    pub fn tokens(&self) -> Result<Vec<TokenRow>, RegistryError> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, created, revoked, session_id FROM tokens ORDER BY created, id")?;
        let rows = stmt.query_map([], token_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Revokes token `id`; false if there is no such token.
    pub fn revoke_token(&self, id: &str) -> Result<bool, RegistryError> {
        let changed = self.conn.execute(
            "UPDATE tokens SET revoked = ?2 WHERE id = ?1 AND revoked IS NULL",
            params![id, now()],
        )?;
        Ok(changed > 0 || self.token(id)?.is_some())
    }

    /// Binds token `id` to `session`.
    pub fn bind_token(&self, id: &str, session: u64) -> Result<(), RegistryError> {
        self.conn.execute(
            "UPDATE tokens SET session_id = ?2 WHERE id = ?1",
            params![id, session as i64],
        )?;
        Ok(())
    }

    /// Creates a session in state `starting`, owned by `token`.
    pub fn create_session(&self, token: Option<&str>) -> Result<u64, RegistryError> {
        self.conn.execute(
            "INSERT INTO sessions (state, token_id, created) VALUES (?1, ?2, ?3)",
            params![SessionState::Starting.name(), token, now()],
        )?;
        Ok(self.conn.last_insert_rowid() as u64)
    }

    /// Creates a session in state `starting` for Unix user `user` (a login).
    pub fn create_user_session(&self, user: &str) -> Result<u64, RegistryError> {
        self.conn.execute(
            "INSERT INTO sessions (state, user, created) VALUES (?1, ?2, ?3)",
            params![SessionState::Starting.name(), user, now()],
        )?;
        Ok(self.conn.last_insert_rowid() as u64)
    }

    /// The sessions of `user` that have not ended, newest first.
    pub fn user_sessions(&self, user: &str) -> Result<Vec<u64>, RegistryError> {
        let mut stmt = self.conn.prepare(
            "SELECT id FROM sessions WHERE user = ?1 AND state != 'ended' ORDER BY id DESC",
        )?;
        let rows = stmt.query_map([user], |row| row.get::<_, i64>(0))?;
        Ok(rows
            .map(|r| r.map(|id| id as u64))
            .collect::<Result<_, _>>()?)
    }

    /// Session `id`.
    pub fn session(&self, id: u64) -> Result<Option<SessionRow>, RegistryError> {
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE id = ?1"),
                [id as i64],
                session_row,
            )
            .optional()?)
    }

    /// Sessions, oldest first; ended ones only when asked.
    pub fn sessions(&self, include_ended: bool) -> Result<Vec<SessionRow>, RegistryError> {
        let filter = if include_ended {
            ""
        } else {
            "WHERE state != 'ended'"
        };
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {SESSION_COLUMNS} FROM sessions {filter} ORDER BY id"
        ))?;
        let rows = stmt.query_map([], session_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Records where a started session runs.
    pub fn set_running(
        &self,
        id: u64,
        pid: u32,
        link: &str,
        wayland_display: &str,
    ) -> Result<(), RegistryError> {
        self.conn.execute(
            "UPDATE sessions SET pid = ?2, link = ?3, wayland_display = ?4 WHERE id = ?1",
            params![id as i64, pid as i64, link, wayland_display],
        )?;
        Ok(())
    }

    /// Moves session `id` on `event` (see [`super::lifecycle`]); `detail` is the viewer's
    /// address on `Attach` and the reason on `Exit`.
    pub fn transition(
        &self,
        id: u64,
        event: Event,
        detail: Option<&str>,
    ) -> Result<SessionState, RegistryError> {
        let row = self.session(id)?.ok_or(RegistryError::NoSession(id))?;
        let next = row.state.next(event).ok_or(RegistryError::BadTransition {
            id,
            from: row.state.name(),
            event,
        })?;
        let now = now();
        match event {
            Event::Attach => self.conn.execute(
                "UPDATE sessions SET state = ?2, last_attach = ?3, viewer = ?4, \
                 detached_at = NULL WHERE id = ?1",
                params![id as i64, next.name(), now, detail],
            )?,
            Event::ViewerLeft | Event::Adopted => self.conn.execute(
                "UPDATE sessions SET state = ?2, detached_at = ?3 WHERE id = ?1",
                params![id as i64, next.name(), now],
            )?,
            Event::Exit => self.conn.execute(
                "UPDATE sessions SET state = ?2, ended = ?3, end_reason = ?4, pid = NULL \
                 WHERE id = ?1",
                params![id as i64, next.name(), now, detail],
            )?,
        };
        Ok(next)
    }

    /// Appends to the audit log.
    pub fn audit(
        &self,
        event: &str,
        session: Option<u64>,
        token: Option<&str>,
        detail: Option<&str>,
    ) -> Result<(), RegistryError> {
        self.conn.execute(
            "INSERT INTO audit (time, event, session_id, token_id, detail) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![now(), event, session.map(|s| s as i64), token, detail],
        )?;
        Ok(())
    }

    /// Drops audit entries older than `retention_secs` (0: none for age) and all but the
    /// newest `max_rows`. Returns how many went.
    pub fn prune_audit(&self, retention_secs: u64, max_rows: u64) -> Result<usize, RegistryError> {
        let mut gone = 0;
        if retention_secs > 0 {
            let oldest = now().saturating_sub(i64::try_from(retention_secs).unwrap_or(i64::MAX));
            gone += self
                .conn
                .execute("DELETE FROM audit WHERE time < ?1", params![oldest])?;
        }
        gone += self.conn.execute(
            "DELETE FROM audit WHERE id <= (SELECT MAX(id) FROM audit) - ?1",
            params![i64::try_from(max_rows).unwrap_or(i64::MAX)],
        )?;
        Ok(gone)
    }

    /// How many entries the audit log holds.
    pub fn audit_len(&self) -> Result<u64, RegistryError> {
        let n: i64 = self
            .conn
            .query_row("SELECT COUNT(*) FROM audit", [], |row| row.get(0))?;
        Ok(n.max(0) as u64)
    }

    /// The newest `limit` audit entries, oldest first.
    pub fn audit_log(&self, limit: usize) -> Result<Vec<AuditRow>, RegistryError> {
        let mut stmt = self.conn.prepare(
            "SELECT time, event, session_id, token_id, detail FROM \
             (SELECT * FROM audit ORDER BY id DESC LIMIT ?1) ORDER BY id",
        )?;
        let rows = stmt.query_map([limit as i64], |row| {
            Ok(AuditRow {
                time: row.get(0)?,
                event: row.get(1)?,
                session: row.get::<_, Option<i64>>(2)?.map(|s| s as u64),
                token: row.get(3)?,
                detail: row.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

#[cfg(test)]
mod tests;
