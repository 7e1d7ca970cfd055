//! `wayray-ctl pool servers|sessions`: the pool as etcd has it.

use etcd_client::GetOptions;
use wayray_protocol::admin::{PoolServer, PoolSession};

use super::records::ServerRecord;
use super::{Pool, PoolError, membership, parse, route};

/// Every server that ever joined: alive ones from their leased record, the others from the
/// last state they wrote.
pub async fn servers(pool: &Pool) -> Result<Vec<PoolServer>, PoolError> {
    let alive = membership::servers(pool).await?;
    let draining = route::draining(pool).await?;
    let options = GetOptions::new().with_prefix();
    let members = pool.get(pool.keys.dir("members"), Some(options)).await?;
    let mut known: Vec<ServerRecord> = Vec::new();
    for kv in members.kvs() {
        match parse::<ServerRecord>(kv.key(), kv.value()) {
            Ok(record) => known.push(record),
            Err(err) => tracing::warn!(%err, "pool record skipped"),
        }
    }
    for record in &alive {
        if !known.iter().any(|k| k.id == record.id) {
            known.push(record.clone());
        }
    }
    let mut servers: Vec<PoolServer> = known
        .into_iter()
        .map(|member| {
            let live = alive.iter().find(|a| a.id == member.id);
            let record = live.unwrap_or(&member);
            PoolServer {
                id: record.id.clone(),
                address: record.address.clone(),
                fingerprint: record.fingerprint.clone(),
                alive: live.is_some(),
                draining: draining.contains(&record.id),
                sessions: if live.is_some() { record.sessions } else { 0 },
                load_centi: record.load_centi,
                memory_available_mib: record.memory_available_mib,
                this: record.id == pool.id(),
            }
        })
        .collect();
    servers.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(servers)
}

/// Every session the pool knows, by token id.
pub async fn sessions(pool: &Pool) -> Result<Vec<PoolSession>, PoolError> {
    let mut sessions: Vec<PoolSession> = pool
        .sessions()
        .await?
        .into_iter()
        .map(|(token_id, held)| PoolSession {
            token_id,
            server: held.record.server,
            session: held.record.session,
            user: held.record.user,
            state: held.record.phase.name().to_owned(),
        })
        .collect();
    sessions.sort_by(|a, b| a.token_id.cmp(&b.token_id));
    Ok(sessions)
}
