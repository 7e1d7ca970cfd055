//! Checking a password with PAM: authenticate, then account management (expired or locked
//! accounts are refused). The caller opens the session on the returned context.

use pam_client::conv_mock::Conversation;
use pam_client::{Context, Flag};

/// A PAM transaction that has authenticated its user.
pub type Authenticated = Context<Conversation>;

/// Authenticates `user` with `password` through PAM service `service`; `remote` is the
/// viewer's address, given to PAM as the remote host. The error says why, for the helper's
/// log only.
pub fn authenticate(
    service: &str,
    user: &str,
    password: &str,
    remote: &str,
) -> Result<Authenticated, String> {
    if !crate::users::valid_name(user) {
        return Err("not a valid user name".into());
    }
    let conversation = Conversation::with_credentials(user, password);
    let mut context =
        Context::new(service, Some(user), conversation).map_err(|e| format!("pam_start: {e}"))?;
    let host = remote.rsplit_once(':').map_or(remote, |(host, _)| host);
    context
        .set_rhost(Some(host))
        .map_err(|e| format!("PAM_RHOST: {e}"))?;
    context
        .authenticate(Flag::DISALLOW_NULL_AUTHTOK)
        .map_err(|e| format!("authenticate: {e}"))?;
    context
        .acct_mgmt(Flag::DISALLOW_NULL_AUTHTOK)
        .map_err(|e| format!("account: {e}"))?;
    Ok(context)
}
