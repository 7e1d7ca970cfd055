//! Revocations made on other servers of the pool: a watch on the pool's tokens. A token that
//! turns revoked is revoked in this server's registry too, and the viewers that came in with
//! it here are disconnected at once, as on the server where it was revoked.

use std::sync::Arc;
use std::time::Duration;

use etcd_client::{EventType, GetOptions, WatchOptions};
use wayray_protocol::messages::control::DisconnectReason;

use super::records::TokenRecord;
use super::{Pool, PoolError, parse};
use crate::daemon::supervisor::Supervisor;

/// Watches until the daemon stops; a broken watch (etcd away) starts again a second later,
/// with a look at every token so that nothing revoked meanwhile is missed.
pub async fn run(pool: Arc<Pool>, supervisor: Arc<Supervisor>) {
    loop {
        if let Err(err) = watch(&pool, &supervisor).await {
            tracing::debug!(%err, "watching the pool's revocations again");
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

async fn watch(pool: &Pool, supervisor: &Supervisor) -> Result<(), PoolError> {
    let dir = pool.keys.dir("tokens");
    let options = WatchOptions::new().with_prefix();
    let (_watcher, mut events) = pool
        .call(|mut c| {
            let (dir, options) = (dir.clone(), options.clone());
            async move { c.watch(dir, Some(options)).await }
        })
        .await?;
    // What was revoked while no watch ran.
    let all = pool.get(dir, Some(GetOptions::new().with_prefix())).await?;
    for kv in all.kvs() {
        if let Ok(record) = parse::<TokenRecord>(kv.key(), kv.value()) {
            apply(supervisor, &record);
        }
    }
    while let Some(answer) = events.message().await? {
        for event in answer.events() {
            let Some(kv) = event.kv().filter(|_| event.event_type() == EventType::Put) else {
                continue;
            };
            match parse::<TokenRecord>(kv.key(), kv.value()) {
                Ok(record) => apply(supervisor, &record),
                Err(err) => tracing::warn!(%err, "pool record skipped"),
            }
        }
    }
    Ok(())
}

/// A revoked token is revoked here too, and its viewers here go.
fn apply(supervisor: &Supervisor, record: &TokenRecord) {
    if !record.revoked {
        return;
    }
    let known = supervisor.registry().token(&record.id).ok().flatten();
    if known.is_some_and(|t| !t.revoked) {
        if let Err(err) = supervisor.registry().revoke_token(&record.id) {
            tracing::warn!(%err, "a pool revocation not recorded here");
        }
        supervisor.audit("token-revoked", None, Some(&record.id), "in the pool");
    }
    for session in supervisor.live().values() {
        if let Some(viewer) = &session.viewer
            && viewer.token_id == record.id
        {
            viewer.connection.close(
                DisconnectReason::AuthenticationFailed.code().into(),
                b"the token was revoked",
            );
        }
    }
}
