use super::*;
use crate::daemon::tokens;

#[test]
fn a_new_file_is_migrated_once_and_secured() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("registry.sqlite3");
    let registry = Registry::open(&path).unwrap();
    assert_eq!(
        registry.schema_version().unwrap(),
        migrations::MIGRATIONS.len()
    );
    drop(registry);
    let again = Registry::open(&path).unwrap();
    assert_eq!(
        again.schema_version().unwrap(),
        migrations::MIGRATIONS.len()
    );
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

#[test]
fn a_registry_from_a_newer_version_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("registry.sqlite3");
    let conn = Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    assert!(matches!(
        Registry::open(&path),
        Err(RegistryError::TooNew { found: 99, .. })
    ));
}

#[test]
fn tokens_are_found_by_hash_only() {
    let registry = Registry::in_memory().unwrap();
    let token = tokens::generate().unwrap();
    registry
        .add_token(&token.id, &tokens::hash(&token.secret), None)
        .unwrap();
    let found = registry
        .find_token(&tokens::hash(&token.secret))
        .unwrap()
        .unwrap();
    assert_eq!(found.id, token.id);
    assert!(
        registry
            .find_token(&tokens::hash("wrt_not-a-token"))
            .unwrap()
            .is_none()
    );
    // The secret itself is nowhere in the database.
    let count: i64 = registry
        .conn
        .query_row(
            "SELECT COUNT(*) FROM tokens WHERE id = ?1 OR instr(hash, ?1) > 0",
            params![token.secret],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(count, 0);
    assert!(registry.revoke_token(&token.id).unwrap());
    assert!(registry.token(&token.id).unwrap().unwrap().revoked);
    assert!(!registry.revoke_token("t-missing").unwrap());
}

#[test]
fn sessions_follow_the_lifecycle() {
    let registry = Registry::in_memory().unwrap();
    let id = registry.create_session(Some("t-1")).unwrap();
    registry
        .set_running(id, 42, "/run/x.link", "wayray-1")
        .unwrap();
    assert_eq!(
        registry
            .transition(id, Event::Attach, Some("127.0.0.1:5"))
            .unwrap(),
        SessionState::Attached
    );
    assert_eq!(
        registry.transition(id, Event::ViewerLeft, None).unwrap(),
        SessionState::Detached
    );
    assert!(registry.transition(id, Event::ViewerLeft, None).is_err());
    registry
        .transition(id, Event::Exit, Some(r#"{"kind":"killed"}"#))
        .unwrap();
    let row = registry.session(id).unwrap().unwrap();
    assert_eq!(row.state, SessionState::Ended);
    assert_eq!(row.pid, None);
    assert_eq!(row.end_reason, Some(EndReason::Killed));
    assert!(registry.transition(id, Event::Attach, None).is_err());
    assert!(registry.sessions(false).unwrap().is_empty());
    assert_eq!(registry.sessions(true).unwrap().len(), 1);
}

#[test]
fn the_audit_log_keeps_order() {
    let registry = Registry::in_memory().unwrap();
    for event in ["attach", "moved", "detach"] {
        registry.audit(event, Some(1), Some("t-1"), None).unwrap();
    }
    let log = registry.audit_log(2).unwrap();
    let events: Vec<_> = log.iter().map(|a| a.event.as_str()).collect();
    assert_eq!(events, ["moved", "detach"]);
}

#[test]
fn the_audit_log_keeps_the_newest_rows_and_drops_old_ones() {
    let registry = Registry::in_memory().unwrap();
    for n in 0..150 {
        registry
            .audit("refused", None, None, Some(&format!("try {n}")))
            .unwrap();
    }
    assert_eq!(registry.prune_audit(0, 100).unwrap(), 50);
    assert_eq!(registry.audit_len().unwrap(), 100);
    let newest = registry.audit_log(1).unwrap();
    assert_eq!(newest[0].detail.as_deref(), Some("try 149"));
    // An entry older than the retention goes whatever the count.
    registry
        .conn
        .execute(
            "UPDATE audit SET time = time - 10 * 86400 WHERE detail = 'try 60'",
            [],
        )
        .unwrap();
    assert_eq!(registry.prune_audit(86_400, 100).unwrap(), 1);
    assert_eq!(registry.audit_len().unwrap(), 99);
}

#[test]
fn pruning_by_age_reads_the_time_index() {
    let registry = Registry::in_memory().unwrap();
    let plan: Vec<String> = registry
        .conn
        .prepare("EXPLAIN QUERY PLAN DELETE FROM audit WHERE time < 0")
        .unwrap()
        .query_map([], |row| row.get::<_, String>(3))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(
        plan.iter().any(|step| step.contains("audit_by_time")),
        "{plan:?}"
    );
}
