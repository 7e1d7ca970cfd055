//! This server's membership: a lease of `lease_ttl_secs`, kept alive every third of it by a
//! loop of its own, and the server's record (address, fingerprint, load) on that lease,
//! rewritten by a second loop that also reconciles the pool's sessions
//! ([`super::reconcile`]). Both run in this task: an etcd that is slow or gone never holds up
//! viewers or sessions, and a slow reconcile never delays a keep-alive.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use etcd_client::{Compare, CompareOp, GetOptions, PutOptions, Txn, TxnOp};

use super::records::ServerRecord;
use super::{Pool, PoolError, json, parse, reconcile};
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
    // Tokens first: once this server counts as alive, every server knows what it issued
    // (before the lease, so that many of them cannot hold up its first keep-alive).
    reconcile::publish_tokens(pool, supervisor).await?;
    let grant = pool.call(|mut c| async move { c.lease_grant(ttl as i64, None).await });
    let lease = grant.await?.id();
    let granted = Instant::now();
    join(pool, supervisor, lease).await?;
    pool.set_lease(Some(lease));
    // Sessions next, so that this server's are ours again before anything else.
    reconcile::round(pool, supervisor, true).await?;
    let again = if *joined_before { " again" } else { "" };
    tracing::info!(server = pool.id(), "joined the server pool{again}");
    *joined_before = true;
    let round = Duration::from_millis(ttl * 1000 / 3);
    tokio::try_join!(
        keep_alive(pool, lease, granted, round),
        maintain(pool, supervisor, lease, round)
    )?;
    Ok(())
}

/// Renews the lease every `round` until it lapses: etcd says so, or no renewal got through
/// for the lease's whole time to live. A keep-alive stream that breaks (its etcd member died)
/// or ends is opened again at once, most likely on another member, while the lease lives.
/// The time to live is counted from when the last successful renewal was sent, which is
/// never later than etcd's own count: this server stops claiming no later than etcd lets the
/// lease lapse.
async fn keep_alive(
    pool: &Pool,
    lease: i64,
    granted: Instant,
    round: Duration,
) -> Result<(), PoolError> {
    let ttl = Duration::from_secs(pool.config.lease_ttl_secs);
    let mut renewed = granted;
    let mut stream = None;
    let mut tick = tokio::time::interval(round);
    loop {
        tick.tick().await;
        loop {
            let sent = Instant::now();
            let lapses = renewed + ttl;
            let Ok(renewal) =
                tokio::time::timeout_at(lapses, renew(pool, lease, &mut stream)).await
            else {
                return Err(PoolError::Timeout(ttl));
            };
            match renewal {
                Ok(()) => {
                    renewed = sent;
                    break;
                }
                Err(err @ PoolError::Record { .. }) => return Err(err),
                Err(err) if Instant::now() + RETRY >= lapses => return Err(err),
                Err(err) => {
                    tracing::debug!(%err, "lease keep-alive failed; trying again");
                    stream = None;
                    tokio::time::sleep(RETRY).await;
                }
            }
        }
    }
}

/// The pause before a failed keep-alive goes again.
const RETRY: Duration = Duration::from_millis(100);

type KeepAlive = (etcd_client::LeaseKeeper, etcd_client::LeaseKeepAliveStream);

/// One renewal on `stream`, opened first where there is none.
async fn renew(pool: &Pool, lease: i64, stream: &mut Option<KeepAlive>) -> Result<(), PoolError> {
    let (keeper, answers) = match stream {
        Some(open) => open,
        None => {
            let keep = pool.call(|mut c| async move { c.lease_keep_alive(lease).await });
            stream.insert(keep.await?)
        }
    };
    pool.attempt(keeper.keep_alive()).await?;
    let Some(answer) = pool.attempt(answers.message()).await? else {
        return Err(PoolError::StreamEnded);
    };
    if answer.ttl() <= 0 {
        return Err(PoolError::Record {
            key: pool.keys.key("servers", pool.id()),
            detail: "the lease lapsed".into(),
        });
    }
    Ok(())
}

/// Every `round`: this server's record (its load), tokens that did not reach the pool when
/// issued, and a reconcile of the pool's sessions. A round that fails (etcd briefly without a
/// leader) is logged and the next one tries again: only a lapsed lease ends the membership.
async fn maintain(
    pool: &Pool,
    supervisor: &Supervisor,
    lease: i64,
    round: Duration,
) -> Result<(), PoolError> {
    let mut tick = tokio::time::interval(round);
    tick.tick().await;
    loop {
        tick.tick().await;
        if let Err(err) = maintain_once(pool, supervisor, lease).await {
            tracing::warn!(%err, "pool round failed; trying again next round");
        }
    }
}

async fn maintain_once(pool: &Pool, supervisor: &Supervisor, lease: i64) -> Result<(), PoolError> {
    let txn = Txn::new().and_then(record_ops(pool, supervisor, lease));
    pool.txn(txn).await?;
    if pool.take_tokens_behind()
        && let Err(err) = reconcile::publish_tokens(pool, supervisor).await
    {
        pool.set_tokens_behind();
        return Err(err);
    }
    reconcile::round(pool, supervisor, false).await
}

fn record_ops(pool: &Pool, supervisor: &Supervisor, lease: i64) -> [TxnOp; 2] {
    let record = ServerRecord {
        id: pool.id().to_owned(),
        address: pool.config.advertise.clone(),
        fingerprint: pool.fingerprint.clone(),
        sessions: supervisor.live().len(),
        load_centi: load_centi(),
        memory_available_mib: memory_available_mib(),
    };
    let value = json(&record);
    [
        TxnOp::put(
            pool.keys.key("servers", pool.id()),
            value.clone(),
            Some(PutOptions::new().with_lease(lease)),
        ),
        TxnOp::put(pool.keys.key("members", pool.id()), value, None),
    ]
}

/// Writes this server's record on `lease`, unless a record of this id with another
/// fingerprint lives: then another server uses this `server_id` (or this server's identity was
/// made anew), and joining waits until that record's lease lapses. A record with this
/// server's fingerprint is its own previous run's (a daemon restart): taken over at once.
async fn join(pool: &Pool, supervisor: &Supervisor, lease: i64) -> Result<(), PoolError> {
    let key = pool.keys.key("servers", pool.id());
    let txn = Txn::new()
        .when([Compare::create_revision(key.clone(), CompareOp::Equal, 0)])
        .and_then(record_ops(pool, supervisor, lease))
        .or_else([TxnOp::get(key.clone(), None)]);
    let answer = pool.txn(txn).await?;
    if answer.succeeded() {
        return Ok(());
    }
    let held = answer.op_responses().into_iter().find_map(|op| match op {
        etcd_client::TxnOpResponse::Get(get) => get.kvs().first().map(|kv| {
            let record = parse::<ServerRecord>(kv.key(), kv.value()).ok();
            (record, kv.mod_revision())
        }),
        _ => None,
    });
    if let Some((Some(record), revision)) = held
        && record.fingerprint == pool.fingerprint
    {
        let txn = Txn::new()
            .when([Compare::mod_revision(
                key.clone(),
                CompareOp::Equal,
                revision,
            )])
            .and_then(record_ops(pool, supervisor, lease));
        if pool.txn(txn).await?.succeeded() {
            return Ok(());
        }
    }
    Err(PoolError::Record {
        key,
        detail: "held by another server with this server_id (another fingerprint); waiting \
                 for its lease to lapse"
            .into(),
    })
}

/// The ids of the servers whose lease is alive.
pub async fn alive(pool: &Pool) -> Result<HashSet<String>, PoolError> {
    Ok(servers(pool).await?.into_iter().map(|s| s.id).collect())
}

/// The live servers' records (a malformed one is skipped: it cannot be redirected to).
pub async fn servers(pool: &Pool) -> Result<Vec<ServerRecord>, PoolError> {
    let options = GetOptions::new().with_prefix();
    let response = pool.get(pool.keys.dir("servers"), Some(options)).await?;
    Ok(response
        .kvs()
        .iter()
        .filter_map(|kv| match parse(kv.key(), kv.value()) {
            Ok(record) => Some(record),
            Err(err) => {
                tracing::warn!(%err, "pool record skipped");
                None
            }
        })
        .collect())
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
