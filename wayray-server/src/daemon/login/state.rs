//! What the daemon keeps about logins while it runs: where the helper listens, the backoff of
//! failed logins, and one lock per user logging in.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use super::backoff::Backoff;
use crate::daemon::config::LoginConfig;

/// The daemon's login state.
#[derive(Debug)]
pub struct Logins {
    helper: PathBuf,
    backoff: Mutex<Backoff>,
    /// One login at a time per user (so one user never gets two sessions by racing), any
    /// number for different users.
    users: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl Logins {
    /// Login state for `config`.
    pub fn new(config: &LoginConfig) -> Self {
        Self {
            helper: config.helper_socket(),
            backoff: Mutex::new(Backoff::default()),
            users: Mutex::new(HashMap::new()),
        }
    }

    /// The helper's socket.
    pub fn helper(&self) -> &Path {
        &self.helper
    }

    /// The backoff of failed logins.
    pub fn backoff(&self) -> MutexGuard<'_, Backoff> {
        self.backoff.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The lock that orders the logins of `user`.
    pub fn user_lock(&self, user: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut users = self.users.lock().unwrap_or_else(|e| e.into_inner());
        // Forget the locks nobody holds, so the map stays as small as the logins under way.
        users.retain(|_, lock| Arc::strong_count(lock) > 1);
        users.entry(user.to_owned()).or_default().clone()
    }
}
