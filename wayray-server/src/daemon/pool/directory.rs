//! Tokens and session claims in etcd. Every change that two servers could make at once is a
//! transaction on a key's revision: a token is published once, and a token's session has one
//! owner.

use etcd_client::{Compare, CompareOp, GetOptions, Txn, TxnOp};

use super::records::{SessionPhase, SessionRecord, TokenRecord};
use super::{Pool, PoolError, json, parse};

/// A token's session as the pool has it, with the revision a claim must compare against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    /// The record.
    pub record: SessionRecord,
    /// Its `mod_revision`.
    pub revision: i64,
}

impl Pool {
    /// The token whose hash is `hash`, if the pool knows it.
    pub async fn find_token(&self, hash: &[u8; 32]) -> Result<Option<TokenRecord>, PoolError> {
        let key = self.keys.key("tokens", &hex::encode(hash));
        let response = self.get(key, None).await?;
        response
            .kvs()
            .first()
            .map(|kv| parse(kv.key(), kv.value()))
            .transpose()
    }

    /// Publishes a token unless the pool has its hash already; returns the pool's record
    /// (another server's, where it was first).
    pub async fn publish_token(
        &self,
        hash: &[u8; 32],
        record: &TokenRecord,
    ) -> Result<TokenRecord, PoolError> {
        let hash_hex = hex::encode(hash);
        let key = self.keys.key("tokens", &hash_hex);
        let id_key = self.keys.key("token-ids", &record.id);
        // Neither the hash nor the id may be taken: an id names one token in the whole pool.
        let txn = Txn::new()
            .when([
                Compare::create_revision(key.clone(), CompareOp::Equal, 0),
                Compare::create_revision(id_key.clone(), CompareOp::Equal, 0),
            ])
            .and_then([
                TxnOp::put(key.clone(), json(record), None),
                TxnOp::put(id_key, hash_hex, None),
            ]);
        if self.txn(txn).await?.succeeded() {
            return Ok(record.clone());
        }
        self.find_token(hash)
            .await?
            .ok_or_else(|| PoolError::Record {
                key: self.keys.key("token-ids", &record.id),
                detail: "another token of the pool has this id; issue a new token".into(),
            })
    }

    /// Marks token `id` revoked in the pool; false where the pool does not know it.
    pub async fn revoke_token(&self, id: &str) -> Result<bool, PoolError> {
        let found = self.get(self.keys.key("token-ids", id), None).await?;
        let Some(hash_hex) = found.kvs().first().map(|kv| kv.value().to_vec()) else {
            return Ok(false);
        };
        let key = self.keys.key("tokens", &String::from_utf8_lossy(&hash_hex));
        let current = self.get(key.clone(), None).await?;
        let Some(kv) = current.kvs().first() else {
            return Ok(false);
        };
        let mut record: TokenRecord = parse(kv.key(), kv.value())?;
        record.revoked = true;
        self.call(|mut c| {
            let (key, value) = (key.clone(), json(&record));
            async move { c.put(key, value, None).await }
        })
        .await?;
        Ok(true)
    }

    /// Where token `token_id`'s session is, if anywhere.
    pub async fn session_of(&self, token_id: &str) -> Result<Option<Held>, PoolError> {
        let response = self.get(self.keys.key("sessions", token_id), None).await?;
        Ok(response.kvs().first().map(|kv| Held {
            record: parse(kv.key(), kv.value()).unwrap_or_else(|err| {
                // Whatever wrote it, it holds no session anyone can reach: it may be taken over.
                tracing::warn!(%err, "pool record taken as lost");
                SessionRecord {
                    server: String::new(),
                    session: None,
                    user: None,
                    phase: SessionPhase::Lost,
                }
            }),
            revision: kv.mod_revision(),
        }))
    }

    /// Claims token `token_id`'s session for this server: where `previous` is `None`, only if
    /// nobody holds it; otherwise only if the record is still at `previous`'s revision (a
    /// lost or stale session taken over). Returns the claim's revision, or `None` when
    /// another server won.
    pub async fn claim(
        &self,
        token_id: &str,
        previous: Option<&Held>,
        user: Option<&str>,
    ) -> Result<Option<i64>, PoolError> {
        let key = self.keys.key("sessions", token_id);
        let compare = match previous {
            None => Compare::create_revision(key.clone(), CompareOp::Equal, 0),
            Some(held) => Compare::mod_revision(key.clone(), CompareOp::Equal, held.revision),
        };
        let record = SessionRecord {
            server: self.id().to_owned(),
            session: None,
            user: user.map(str::to_owned),
            phase: SessionPhase::Starting,
        };
        let txn = Txn::new()
            .when([compare])
            .and_then([TxnOp::put(key.clone(), json(&record), None)])
            .or_else([TxnOp::get(key, None)]);
        let response = self.txn(txn).await?;
        Ok(response
            .succeeded()
            .then(|| response.header().map_or(0, |h| h.revision())))
    }

    /// Records this server's `session` as running for token `token_id` (after a claim, or
    /// again when a restarted daemon adopts it). Refuses to overwrite another server's live
    /// claim: returns false then.
    pub async fn set_running(
        &self,
        token_id: &str,
        session: u64,
        user: Option<&str>,
    ) -> Result<bool, PoolError> {
        let key = self.keys.key("sessions", token_id);
        let record = SessionRecord {
            server: self.id().to_owned(),
            session: Some(session),
            user: user.map(str::to_owned),
            phase: SessionPhase::Running,
        };
        // A concurrent writer (this server's reconcile, another attach) changes the revision:
        // read again and decide again, a few times.
        for _ in 0..3 {
            let current = self.session_of(token_id).await?;
            let compare = match &current {
                Some(held) if held.record == record => return Ok(true),
                Some(held)
                    if held.record.server != self.id()
                        && held.record.phase != SessionPhase::Lost =>
                {
                    return Ok(false);
                }
                Some(held) => Compare::mod_revision(key.clone(), CompareOp::Equal, held.revision),
                None => Compare::create_revision(key.clone(), CompareOp::Equal, 0),
            };
            let txn =
                Txn::new()
                    .when([compare])
                    .and_then([TxnOp::put(key.clone(), json(&record), None)]);
            if self.txn(txn).await?.succeeded() {
                return Ok(true);
            }
        }
        Err(PoolError::Contended(token_id.to_owned()))
    }

    /// Gives up token `token_id`'s claim if this server still holds it (for `session`, when
    /// given): the session ended, or failed to start.
    pub async fn release(&self, token_id: &str, session: Option<u64>) -> Result<(), PoolError> {
        let Some(held) = self.session_of(token_id).await? else {
            return Ok(());
        };
        // Exactly the session that ended, or (none given) the claim of a start that failed.
        let ours = held.record.server == self.id() && held.record.session == session;
        if !ours {
            return Ok(());
        }
        let key = self.keys.key("sessions", token_id);
        let txn = Txn::new()
            .when([Compare::mod_revision(
                key.clone(),
                CompareOp::Equal,
                held.revision,
            )])
            .and_then([TxnOp::delete(key, None)]);
        self.txn(txn).await?;
        Ok(())
    }

    /// Every session record, by token id.
    pub async fn sessions(&self) -> Result<Vec<(String, Held)>, PoolError> {
        let dir = self.keys.dir("sessions");
        let response = self.get(dir, Some(GetOptions::new().with_prefix())).await?;
        let mut held = Vec::new();
        for kv in response.kvs() {
            let Some(token_id) = self.keys.name("sessions", kv.key()) else {
                continue;
            };
            match parse(kv.key(), kv.value()) {
                Ok(record) => held.push((
                    token_id.to_owned(),
                    Held {
                        record,
                        revision: kv.mod_revision(),
                    },
                )),
                Err(err) => tracing::warn!(%err, "pool record skipped"),
            }
        }
        Ok(held)
    }
}
