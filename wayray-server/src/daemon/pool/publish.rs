//! What this server tells the pool as things happen: tokens it issues (with the session a
//! token is bound to) and sessions that end. Each goes in the background: an etcd that is slow
//! or away never holds up an admin command or a session's end. A token that does not make it
//! now is published by the next membership round (or when presented here); a claim of an
//! ended session that stays is taken up again by the token's next attach here.

use crate::daemon::registry::now;
use crate::daemon::supervisor::Supervisor;

impl Supervisor {
    /// Shares a token this server issued with the pool (in the background; a token that does
    /// not make it now is published by the next membership round, or when first presented
    /// here).
    /// A token bound to `session` also claims that session for this server in the pool.
    pub fn publish_token(&self, id: &str, hash: [u8; 32], session: Option<u64>) {
        let (Some(pool), Ok(runtime)) = (self.pool(), tokio::runtime::Handle::try_current()) else {
            return;
        };
        let record = super::records::TokenRecord {
            id: id.to_owned(),
            created: now(),
            revoked: false,
        };
        let user = session.and_then(|id| self.registry().session(id).ok().flatten()?.user);
        runtime.spawn(async move {
            if let Err(err) = pool.publish_token(&hash, &record).await {
                tracing::warn!(%err, "token not published to the pool yet");
                pool.set_tokens_behind();
            }
            if let Some(session) = session
                && let Err(err) = pool.set_running(&record.id, session, user.as_deref()).await
            {
                tracing::warn!(%err, session, "session not registered in the pool yet");
            }
        });
    }

    /// The pool no longer holds ended session `id` for its tokens (in the background).
    pub(in crate::daemon) fn release_in_pool(&self, id: u64) {
        let (Some(pool), Ok(runtime)) = (self.pool(), tokio::runtime::Handle::try_current()) else {
            return;
        };
        // Every token bound to it: its owner, `token issue --session` ones, a login's desk token.
        let tokens: Vec<String> = match self.registry().tokens() {
            Ok(tokens) => tokens
                .into_iter()
                .filter(|t| t.session == Some(id))
                .map(|t| t.id)
                .collect(),
            Err(err) => return tracing::warn!(%err, "cannot read the tokens to release"),
        };
        runtime.spawn(async move {
            for token_id in tokens {
                let Err(err) = pool.release(&token_id, Some(id)).await else {
                    continue;
                };
                tracing::warn!(%err, session = id, "the pool still lists an ended session");
            }
        });
    }
}
