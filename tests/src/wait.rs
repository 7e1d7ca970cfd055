//! One way for tests to wait for something that happens in another process or thread: poll a
//! probe until it yields a value or a time limit passes. Polls start fast (10 ms) and back off
//! to 100 ms, so a quick result is seen quickly without busy-waiting on a slow one.

use std::future::Future;
use std::time::{Duration, Instant};

fn backoff(interval: Duration) -> Duration {
    (interval * 2).min(Duration::from_millis(100))
}

/// Polls `probe` until it returns `Ok`, at most for `timeout`; `Err(last)` after that, with
/// what the probe last saw.
pub fn poll_until<T, E>(timeout: Duration, probe: impl FnMut() -> Result<T, E>) -> Result<T, E> {
    poll(timeout, None, probe)
}

/// [`poll_until`] for a probe that costs something itself (a screenshot of an X server):
/// at most one probe per `interval`.
pub fn poll_every<T, E>(
    timeout: Duration,
    interval: Duration,
    probe: impl FnMut() -> Result<T, E>,
) -> Result<T, E> {
    poll(timeout, Some(interval), probe)
}

/// Waits until the file at `path` holds `want` (surrounding white space aside), at most for
/// `timeout`; returns what it last held either way.
pub fn file_holding(path: &std::path::Path, want: &str, timeout: Duration) -> String {
    let read = || std::fs::read_to_string(path).unwrap_or_default();
    poll_until(timeout, || {
        let text = read();
        if text.trim() == want {
            Ok(text)
        } else {
            Err(text)
        }
    })
    .unwrap_or_else(|last| last)
}

fn poll<T, E>(
    timeout: Duration,
    fixed: Option<Duration>,
    mut probe: impl FnMut() -> Result<T, E>,
) -> Result<T, E> {
    let deadline = Instant::now() + timeout;
    let mut interval = fixed.unwrap_or(Duration::from_millis(10));
    loop {
        match probe() {
            Ok(value) => return Ok(value),
            Err(last) if Instant::now() >= deadline => return Err(last),
            Err(_) => std::thread::sleep(interval),
        }
        interval = fixed.unwrap_or_else(|| backoff(interval));
    }
}

/// Polls `probe` until it returns `Some`, at most for `timeout`; panics naming `what`
/// otherwise.
pub fn wait_until<T>(what: &str, timeout: Duration, mut probe: impl FnMut() -> Option<T>) -> T {
    poll_until(timeout, || probe().ok_or(()))
        .unwrap_or_else(|()| panic!("timed out after {timeout:?} waiting for {what}"))
}

/// [`wait_until`] for probes that await.
pub async fn wait_until_async<T, F: Future<Output = Option<T>>>(
    what: &str,
    timeout: Duration,
    mut probe: impl FnMut() -> F,
) -> T {
    let deadline = Instant::now() + timeout;
    let mut interval = Duration::from_millis(10);
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(interval).await;
        interval = backoff(interval);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_probe_that_comes_true_returns_its_value_and_one_that_never_does_times_out() {
        let mut calls = 0;
        let value = wait_until("the third call", Duration::from_secs(5), || {
            calls += 1;
            (calls == 3).then_some(calls)
        });
        assert_eq!(value, 3);
        let started = Instant::now();
        let last = poll_until(Duration::from_millis(50), || Err::<(), _>("still no"));
        assert_eq!(last, Err("still no"));
        assert!(started.elapsed() >= Duration::from_millis(50));
    }
}
