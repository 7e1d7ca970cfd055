//! An attach in a pool: the token's session is here, on another live server (redirect), or
//! nowhere alive — then a new one starts on the server placement chooses, here after a
//! winning claim, elsewhere by redirect (that server claims it when the viewer arrives).

use std::collections::HashSet;

use etcd_client::GetOptions;
use wayray_protocol::messages::control::Redirect;

use super::membership;
use super::placement::choose;
use super::records::{ServerRecord, SessionPhase};
use super::{Pool, PoolError};

/// Where an attach goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// This server's running session.
    Here(u64),
    /// A new session here: this server holds the token's claim. `notice` tells the user
    /// their previous session was lost with its server.
    Start {
        /// For the viewer, where a lost session is replaced.
        notice: Option<String>,
    },
    /// Another server holds the session, or should start it.
    Elsewhere(Redirect),
}

/// How many times a lost race is retried before the attach gives up.
const RACES: usize = 3;

/// Routes token `token_id`'s attach; `local` is the session this server's registry binds the
/// token to, where it runs here.
pub async fn route(
    pool: &Pool,
    token_id: &str,
    local: Option<u64>,
    user: Option<&str>,
) -> Result<Route, PoolError> {
    for _ in 0..RACES {
        let held = pool.session_of(token_id).await?;
        let (previous, notice) = match held {
            Some(held) if held.record.server == pool.id() => match local {
                Some(id) => return Ok(Route::Here(id)),
                // A claim of ours whose session ended: reused (attaches of a token are serial).
                None => (Some(held), None),
            },
            Some(held) => {
                let servers = membership::servers(pool).await?;
                let owner = servers.iter().find(|s| s.id == held.record.server);
                match owner {
                    Some(owner) if held.record.phase != SessionPhase::Lost => {
                        return Ok(Route::Elsewhere(redirect_to(owner)?));
                    }
                    // Lost, but its session runs here (this server was away a while).
                    _ if local.is_some() => (Some(held), None),
                    _ => {
                        let notice = lost_notice(&held.record.server);
                        match place(pool, &servers).await? {
                            Some(other) => return Ok(Route::Elsewhere(redirect_to(&other)?)),
                            None => (Some(held), Some(notice)),
                        }
                    }
                }
            }
            None if local.is_some() => (None, None),
            None => {
                let servers = membership::servers(pool).await?;
                if let Some(other) = place(pool, &servers).await? {
                    return Ok(Route::Elsewhere(redirect_to(&other)?));
                }
                (None, None)
            }
        };
        // Only a member claims: a server without a lease may have lost its sessions already.
        if pool.lease().is_none() {
            return Err(PoolError::NotMember);
        }
        if pool
            .claim(token_id, previous.as_ref(), user)
            .await?
            .is_some()
        {
            return Ok(match local {
                Some(id) if pool.set_running(token_id, id, user).await? => Route::Here(id),
                Some(_) => continue,
                None => Route::Start { notice },
            });
        }
    }
    Err(PoolError::Contended(token_id.to_owned()))
}

/// The user's words for a session that died with its server.
pub fn lost_notice(server: &str) -> String {
    format!(
        "Your previous session was lost when its server ({server}) stopped; its applications \
         are gone. This is a new session."
    )
}

/// A redirect to `server`, whose record must hold what a viewer will accept.
fn redirect_to(server: &ServerRecord) -> Result<Redirect, PoolError> {
    if !Redirect::well_formed_fingerprint(&server.fingerprint) || server.address.is_empty() {
        return Err(PoolError::Record {
            key: format!("servers/{}", server.id),
            detail: "no usable address and fingerprint".into(),
        });
    }
    Ok(Redirect {
        address: server.address.clone(),
        fingerprint: server.fingerprint.clone(),
    })
}

/// Placement among the live servers that are not draining: `None` when it is this one,
/// the chosen server otherwise; an error when none takes new sessions.
async fn place(pool: &Pool, servers: &[ServerRecord]) -> Result<Option<ServerRecord>, PoolError> {
    let draining = draining(pool).await?;
    let candidates: Vec<ServerRecord> = servers
        .iter()
        .filter(|s| !draining.contains(&s.id))
        .cloned()
        .collect();
    let chosen =
        choose(pool.config.placement, &candidates, pool.id()).ok_or(PoolError::NoServer)?;
    Ok((chosen.id != pool.id()).then(|| chosen.clone()))
}

/// The ids of the servers that take no new sessions.
pub async fn draining(pool: &Pool) -> Result<HashSet<String>, PoolError> {
    let options = GetOptions::new().with_prefix().with_keys_only();
    let response = pool.get(pool.keys.dir("drain"), Some(options)).await?;
    Ok(response
        .kvs()
        .iter()
        .filter_map(|kv| pool.keys.name("drain", kv.key()).map(str::to_owned))
        .collect())
}

/// Drains server `id` (no new sessions) or, with `on` false, resumes it.
pub async fn set_drain(pool: &Pool, id: &str, on: bool) -> Result<(), PoolError> {
    let key = pool.keys.key("drain", id);
    if on {
        pool.call(|mut c| {
            let key = key.clone();
            async move { c.put(key, "", None).await }
        })
        .await?;
    } else {
        pool.call(|mut c| {
            let key = key.clone();
            async move { c.delete(key, None).await }
        })
        .await?;
    }
    Ok(())
}
