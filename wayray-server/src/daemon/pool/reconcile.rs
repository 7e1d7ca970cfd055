//! Keeping the pool's session records true, every membership round: the sessions of servers
//! whose lease lapsed are marked lost, and this server's running sessions are registered
//! under every token bound to them (after a restart, after etcd was away, or where an attach's
//! own registration failed). Tokens this server knows and the pool does not are published
//! before it joins, and by the next round where publishing one failed.

use std::collections::{HashMap, HashSet};

use etcd_client::{Compare, CompareOp, GetOptions, Txn, TxnOp};

use super::directory::Held;
use super::records::SessionPhase;
use super::{Pool, PoolError, json, membership};
use crate::daemon::supervisor::Supervisor;

/// One round: dead servers' sessions marked lost, this server's registered. On `joining`, a
/// session of this server whose token another server now holds is audited as orphaned.
pub async fn round(pool: &Pool, supervisor: &Supervisor, joining: bool) -> Result<(), PoolError> {
    let alive = membership::alive(pool).await?;
    let held: HashMap<String, Held> = pool.sessions().await?.into_iter().collect();
    for (token_id, held) in &held {
        if !alive.contains(&held.record.server) && held.record.phase != SessionPhase::Lost {
            mark_lost(pool, token_id, held).await?;
        }
    }
    for (token_id, session, user) in ours(supervisor) {
        let current = held.get(&token_id).map(|h| &h.record);
        let registered = current.is_some_and(|r| {
            r.server == pool.id() && r.session == Some(session) && r.phase == SessionPhase::Running
        });
        let elsewhere =
            current.is_some_and(|r| r.server != pool.id() && r.phase != SessionPhase::Lost);
        if elsewhere && joining {
            tracing::warn!(session, "another server holds this session's token now");
            supervisor.audit(
                "orphaned",
                Some(session),
                Some(&token_id),
                "token held elsewhere",
            );
        }
        if registered || elsewhere {
            continue;
        }
        if !pool
            .set_running(&token_id, session, user.as_deref())
            .await?
        {
            tracing::debug!(session, "another server holds this session's token now");
        }
    }
    Ok(())
}

/// Marks a session of a dead server lost: only if its record is unchanged and its server is
/// still gone (a server that came back meanwhile keeps it).
async fn mark_lost(pool: &Pool, token_id: &str, held: &Held) -> Result<(), PoolError> {
    let key = pool.keys.key("sessions", token_id);
    let mut record = held.record.clone();
    record.phase = SessionPhase::Lost;
    let owner = pool.keys.key("servers", &held.record.server);
    let txn = Txn::new()
        .when([
            Compare::mod_revision(key.clone(), CompareOp::Equal, held.revision),
            Compare::create_revision(owner, CompareOp::Equal, 0),
        ])
        .and_then([TxnOp::put(key, json(&record), None)]);
    if pool.txn(txn).await?.succeeded() {
        tracing::info!(server = %record.server, "a session of a dead server marked lost");
    }
    Ok(())
}

/// This server's running sessions, by every token bound to them: (token id, session, user).
fn ours(supervisor: &Supervisor) -> Vec<(String, u64, Option<String>)> {
    let tokens = match supervisor.registry().tokens() {
        Ok(tokens) => tokens,
        Err(err) => {
            tracing::warn!(%err, "cannot read the tokens to register");
            return Vec::new();
        }
    };
    let live: HashSet<u64> = supervisor.live().keys().copied().collect();
    tokens
        .into_iter()
        .filter(|t| !t.revoked)
        .filter_map(|t| {
            let session = t.session.filter(|id| live.contains(id))?;
            let user = supervisor.registry().session(session).ok().flatten()?.user;
            Some((t.id, session, user))
        })
        .collect()
}

/// Publishes the tokens this server knows and the pool does not (issued before it joined,
/// or while etcd was away). Done before the server counts as alive in the pool, so a token
/// it issued is known to every server by then; a token whose id another server's token holds
/// is skipped (logged), an unreachable etcd ends the join.
pub async fn publish_tokens(pool: &Pool, supervisor: &Supervisor) -> Result<(), PoolError> {
    let options = GetOptions::new().with_prefix().with_keys_only();
    let answer = pool.get(pool.keys.dir("tokens"), Some(options)).await?;
    let known: HashSet<&str> = answer
        .kvs()
        .iter()
        .filter_map(|kv| pool.keys.name("tokens", kv.key()))
        .collect();
    let tokens = match supervisor.registry().token_hashes() {
        Ok(tokens) => tokens,
        Err(err) => {
            tracing::warn!(%err, "cannot read the tokens to publish; trying again next round");
            pool.set_tokens_behind();
            return Ok(());
        }
    };
    for (record, hash) in tokens {
        if known.contains(hex::encode(hash).as_str()) {
            continue;
        }
        match pool.publish_token(&hash, &record).await {
            Ok(_) => {}
            Err(err @ PoolError::Record { .. }) => {
                tracing::warn!(%err, token = %record.id, "a token was not published to the pool")
            }
            Err(err) => return Err(err),
        }
    }
    Ok(())
}
