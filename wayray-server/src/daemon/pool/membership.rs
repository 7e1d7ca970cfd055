//! This server's membership: a lease of `lease_ttl_secs` kept alive every third of it, the
//! server's record (address, fingerprint, load) on that lease, and its running sessions
//! registered. Each round also marks lost the sessions of servers whose lease lapsed.
//! It runs as its own task: an etcd that is slow or gone never holds up viewers or sessions.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use etcd_client::{Compare, CompareOp, GetOptions, PutOptions, Txn, TxnOp};

use super::records::{ServerRecord, SessionPhase};
use super::{Pool, PoolError, json, parse};
use crate::daemon::supervisor::Supervisor;

/// Keeps this server in the pool until the daemon stops; after a failure (etcd away, the lease
/// lapsed) it joins again a second later.
pub async fn run(pool: Arc<Pool>, supervisor: Arc<Supervisor>) {
    let mut joined_before = false;
    loop {
        if let Err(err) = member(&pool, &supervisor, &mut joined_before).await {
            tracing::warn!(%err, "not in the server pool; joining again");
        }
        pool.set_lease(None);
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

async fn member(
    pool: &Arc<Pool>,
    supervisor: &Arc<Supervisor>,
    joined_before: &mut bool,
) -> Result<(), PoolError> {
    let ttl = pool.config.lease_ttl_secs;
    let grant = pool.call(|mut c| async move { c.lease_grant(ttl as i64, None).await });
    let lease = grant.await?.id();
    // Tokens and sessions first: once other servers see this one alive, they find both.
    publish_tokens(pool, supervisor).await;
    register_sessions(pool, supervisor).await;
    publish(pool, supervisor, lease).await?;
    pool.set_lease(Some(lease));
    let again = if *joined_before { " again" } else { "" };
    tracing::info!(server = pool.id(), "joined the server pool{again}");
    *joined_before = true;
    let keep = pool.call(|mut c| async move { c.lease_keep_alive(lease).await });
    let (mut keeper, mut answers) = keep.await?;
    let mut tick = tokio::time::interval(Duration::from_millis(ttl * 1000 / 3));
    tick.tick().await;
    loop {
        tick.tick().await;
        pool.bounded(keeper.keep_alive()).await?;
        let answer = pool.bounded(answers.message()).await?;
        if answer.is_none_or(|a| a.ttl() <= 0) {
            return Err(PoolError::Record {
                key: pool.keys.key("servers", pool.id()),
                detail: "the lease lapsed".into(),
            });
        }
        publish(pool, supervisor, lease).await?;
        sweep(pool).await?;
    }
}

/// Writes this server's record on its lease (and, without one, as the last known state).
async fn publish(pool: &Pool, supervisor: &Supervisor, lease: i64) -> Result<(), PoolError> {
    let record = ServerRecord {
        id: pool.id().to_owned(),
        address: pool.config.advertise.clone(),
        fingerprint: pool.fingerprint.clone(),
        sessions: supervisor.live().len(),
        load_centi: load_centi(),
        memory_available_mib: memory_available_mib(),
    };
    let value = json(&record);
    let txn = Txn::new().and_then([
        TxnOp::put(
            pool.keys.key("servers", pool.id()),
            value.clone(),
            Some(PutOptions::new().with_lease(lease)),
        ),
        TxnOp::put(pool.keys.key("members", pool.id()), value, None),
    ]);
    pool.txn(txn).await?;
    Ok(())
}

/// Tokens this server issued before it joined (or while etcd was away) become the pool's;
/// one create-if-absent transaction each, on every join.
async fn publish_tokens(pool: &Pool, supervisor: &Supervisor) {
    let tokens = supervisor.registry().token_hashes();
    match tokens {
        Ok(tokens) => {
            for (record, hash) in tokens {
                if let Err(err) = pool.publish_token(&hash, &record).await {
                    tracing::warn!(%err, "a token was not published to the pool");
                }
            }
        }
        Err(err) => tracing::warn!(%err, "cannot read the tokens to publish"),
    }
}

/// This server's running sessions, registered again under every token bound to them (after
/// a restart, or when etcd was away long enough for others to mark them lost).
async fn register_sessions(pool: &Pool, supervisor: &Supervisor) {
    let tokens = match supervisor.registry().tokens() {
        Ok(tokens) => tokens,
        Err(err) => return tracing::warn!(%err, "cannot read the tokens to register"),
    };
    for token in tokens.into_iter().filter(|t| !t.revoked) {
        let Some(id) = token
            .session
            .filter(|id| supervisor.live().contains_key(id))
        else {
            continue;
        };
        let user = supervisor
            .registry()
            .session(id)
            .ok()
            .flatten()
            .and_then(|r| r.user);
        let token_id = token.id;
        match pool.set_running(&token_id, id, user.as_deref()).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(
                    session = id,
                    "another server took this session's token over"
                );
                supervisor.audit(
                    "orphaned",
                    Some(id),
                    Some(&token_id),
                    "token now held elsewhere",
                );
            }
            Err(err) => tracing::warn!(%err, session = id, "session not registered in the pool"),
        }
    }
}

/// The ids of the servers whose lease is alive.
pub async fn alive(pool: &Pool) -> Result<HashSet<String>, PoolError> {
    Ok(servers(pool).await?.into_iter().map(|s| s.id).collect())
}

/// The live servers' records.
pub async fn servers(pool: &Pool) -> Result<Vec<ServerRecord>, PoolError> {
    let options = GetOptions::new().with_prefix();
    let response = pool.get(pool.keys.dir("servers"), Some(options)).await?;
    response
        .kvs()
        .iter()
        .map(|kv| parse(kv.key(), kv.value()))
        .collect()
}

/// Marks lost the sessions whose server is gone (a compare on each record's revision: a
/// session claimed again meanwhile is left alone).
async fn sweep(pool: &Pool) -> Result<(), PoolError> {
    let alive = alive(pool).await?;
    for (token_id, held) in pool.sessions().await? {
        if alive.contains(&held.record.server) || held.record.phase == SessionPhase::Lost {
            continue;
        }
        let key = pool.keys.key("sessions", &token_id);
        let mut record = held.record;
        record.phase = SessionPhase::Lost;
        let txn = Txn::new()
            .when([Compare::mod_revision(
                key.clone(),
                CompareOp::Equal,
                held.revision,
            )])
            .and_then([TxnOp::put(key, json(&record), None)]);
        if pool.txn(txn).await?.succeeded() {
            tracing::info!(server = %record.server, "a session of a dead server marked lost");
        }
    }
    Ok(())
}

fn load_centi() -> u32 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|text| text.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0, |load| {
            (load * 100.0).round().clamp(0.0, u32::MAX as f64) as u32
        })
}

fn memory_available_mib() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
            line.split_whitespace().nth(1)?.parse::<u64>().ok()
        })
        .map_or(0, |kib| kib / 1024)
}
