//! Backoff after failed logins, per source address and per user name (and after refused
//! tokens, per source address): the first few failures cost nothing, then each one doubles the
//! wait (up to a cap) before that source or that user may try again. Bounded in memory:
//! entries whose wait is over are forgotten first.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// Failures allowed before waits begin.
const FREE_FAILURES: u32 = 3;
/// The first wait.
const FIRST_WAIT: Duration = Duration::from_secs(1);
/// The longest wait.
const MAX_WAIT: Duration = Duration::from_secs(60);
/// How long a failure is remembered after its wait.
const MEMORY: Duration = Duration::from_secs(15 * 60);
/// Most sources and users remembered.
const MAX_ENTRIES: usize = 10_000;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Source(IpAddr),
    User(String),
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    failures: u32,
    /// No attempt before this.
    until: Instant,
    /// Forgotten after this.
    forget: Instant,
}

/// Failed logins, remembered for a while.
#[derive(Debug, Default)]
pub struct Backoff {
    entries: HashMap<Key, Entry>,
}

impl Backoff {
    /// Whether `source` may try to log in as `user` at `now`; `Err` holds how long to wait.
    pub fn check(&self, now: Instant, source: IpAddr, user: &str) -> Result<(), Duration> {
        self.wait(now, &[Key::Source(source), Key::User(user.to_owned())])
    }

    /// Whether `source` may present a token at `now`; `Err` holds how long to wait.
    pub fn check_source(&self, now: Instant, source: IpAddr) -> Result<(), Duration> {
        self.wait(now, &[Key::Source(source)])
    }

    /// A refused token from `source` at `now`.
    pub fn source_failure(&mut self, now: Instant, source: IpAddr) {
        self.fail(now, vec![Key::Source(source)]);
    }

    fn wait(&self, now: Instant, keys: &[Key]) -> Result<(), Duration> {
        let wait = keys
            .iter()
            .filter_map(|key| self.entries.get(key))
            .map(|entry| entry.until.saturating_duration_since(now))
            .max()
            .unwrap_or_default();
        if wait.is_zero() { Ok(()) } else { Err(wait) }
    }

    /// A failed login of `user` from `source` at `now`.
    pub fn failure(&mut self, now: Instant, source: IpAddr, user: &str) {
        self.fail(now, vec![Key::Source(source), Key::User(user.to_owned())]);
    }

    fn fail(&mut self, now: Instant, keys: Vec<Key>) {
        if self.entries.len() >= MAX_ENTRIES {
            self.entries.retain(|_, e| e.forget > now);
        }
        for key in keys {
            if self.entries.len() >= MAX_ENTRIES && !self.entries.contains_key(&key) {
                // Full of live entries: forget the one closest to being forgotten.
                if let Some(oldest) = self
                    .entries
                    .iter()
                    .min_by_key(|(_, e)| e.forget)
                    .map(|(k, _)| k.clone())
                {
                    self.entries.remove(&oldest);
                }
            }
            let entry = self.entries.entry(key).or_insert(Entry {
                failures: 0,
                until: now,
                forget: now,
            });
            if entry.forget <= now {
                entry.failures = 0;
            }
            entry.failures += 1;
            let wait = wait_after(entry.failures);
            entry.until = now + wait;
            entry.forget = now + wait + MEMORY;
        }
    }

    /// A successful login: the user's failures are forgotten (the source's stay, so a
    /// source cannot clear its record by logging in to its own account).
    pub fn success(&mut self, user: &str) {
        self.entries.remove(&Key::User(user.to_owned()));
    }

    /// How many sources and users are remembered.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

fn wait_after(failures: u32) -> Duration {
    if failures <= FREE_FAILURES {
        return Duration::ZERO;
    }
    let doublings = (failures - FREE_FAILURES - 1).min(16);
    (FIRST_WAIT * 2u32.pow(doublings)).min(MAX_WAIT)
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 1));
    const B: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 2));

    #[test]
    fn waits_begin_after_three_failures_and_double_up_to_a_minute() {
        let now = Instant::now();
        let mut backoff = Backoff::default();
        for _ in 0..3 {
            backoff.failure(now, A, "alice");
        }
        assert!(backoff.check(now, A, "alice").is_ok());
        backoff.failure(now, A, "alice");
        assert_eq!(backoff.check(now, A, "alice"), Err(Duration::from_secs(1)));
        backoff.failure(now, A, "alice");
        assert_eq!(backoff.check(now, A, "alice"), Err(Duration::from_secs(2)));
        for _ in 0..20 {
            backoff.failure(now, A, "alice");
        }
        assert_eq!(backoff.check(now, A, "alice"), Err(MAX_WAIT));
        assert!(backoff.check(now + MAX_WAIT, A, "alice").is_ok());
    }

    #[test]
    fn a_flood_against_one_user_does_not_lock_out_others_from_elsewhere() {
        let now = Instant::now();
        let mut backoff = Backoff::default();
        for _ in 0..10 {
            backoff.failure(now, A, "alice");
        }
        assert!(
            backoff.check(now, B, "bob").is_ok(),
            "another user elsewhere"
        );
        assert!(backoff.check(now, A, "bob").is_err(), "the flooding source");
        assert!(backoff.check(now, B, "alice").is_err(), "the attacked user");
        backoff.success("alice");
        assert!(backoff.check(now, B, "alice").is_ok());
        assert!(
            backoff.check(now, A, "alice").is_err(),
            "the source is still held"
        );
    }

    #[test]
    fn refused_tokens_hold_back_their_source_only() {
        let now = Instant::now();
        let mut backoff = Backoff::default();
        for _ in 0..5 {
            backoff.source_failure(now, A);
        }
        assert_eq!(backoff.check_source(now, A), Err(Duration::from_secs(2)));
        assert!(backoff.check_source(now, B).is_ok());
        assert!(backoff.check(now, B, "alice").is_ok());
    }

    #[test]
    fn memory_is_bounded() {
        let now = Instant::now();
        let mut backoff = Backoff::default();
        for i in 0..(MAX_ENTRIES as u32 + 500) {
            let ip = IpAddr::V4(std::net::Ipv4Addr::from(i));
            backoff.failure(now, ip, "alice");
        }
        assert!(backoff.len() <= MAX_ENTRIES, "{}", backoff.len());
    }
}
