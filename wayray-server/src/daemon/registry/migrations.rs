//! Schema migrations, applied in order; `PRAGMA user_version` records how many have run. A
//! migration is never edited once released: changes are new entries at the end.

/// Each entry moves the schema from version `i` to `i + 1`.
pub const MIGRATIONS: &[&str] = &[
    // 1: tokens, sessions and the audit log.
    "CREATE TABLE tokens (
        id TEXT PRIMARY KEY,
        hash BLOB NOT NULL UNIQUE,
        created INTEGER NOT NULL,
        revoked INTEGER,
        session_id INTEGER
    );
    CREATE TABLE sessions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        state TEXT NOT NULL,
        token_id TEXT,
        created INTEGER NOT NULL,
        last_attach INTEGER,
        detached_at INTEGER,
        viewer TEXT,
        pid INTEGER,
        link TEXT,
        wayland_display TEXT,
        ended INTEGER,
        end_reason TEXT
    );
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        time INTEGER NOT NULL,
        event TEXT NOT NULL,
        session_id INTEGER,
        token_id TEXT,
        detail TEXT
    );",
    // 2: the Unix user a session belongs to (multi-user mode), looked up at each login.
    "ALTER TABLE sessions ADD COLUMN user TEXT;
    CREATE INDEX sessions_by_user ON sessions (user, state);",
    // 3: pruning the audit log by age reads an index, not the whole table.
    "CREATE INDEX audit_by_time ON audit (time);",
];
