//! A rate limit that keeps the newest value: requests that come too soon are not dropped but
//! held, the newest replacing older ones, and released once allowed. A peer that floods
//! resizes, keymaps or keyframe requests gets one every interval (after a burst, where one is
//! allowed), and the last one always takes effect.

use std::time::{Duration, Instant};

/// Values pass while the budget allows: `burst` at once, then one per `interval` (a token
/// bucket); the newest held one is released at [`Throttle::deadline`].
#[derive(Clone, Debug)]
pub struct Throttle<T> {
    interval: Duration,
    burst: u32,
    /// Values that may go now, and since when the next one accrues.
    tokens: u32,
    accrued: Option<Instant>,
    held: Option<T>,
}

impl<T> Throttle<T> {
    /// At most one value per `interval`.
    pub fn new(interval: Duration) -> Self {
        Self::with_burst(interval, 1)
    }

    /// Up to `burst` values at once, then one per `interval`.
    pub fn with_burst(interval: Duration, burst: u32) -> Self {
        Self {
            interval,
            burst: burst.max(1),
            tokens: burst.max(1),
            accrued: None,
            held: None,
        }
    }

    /// `value` if it may go now; otherwise it is held (replacing an older held one).
    pub fn offer(&mut self, now: Instant, value: T) -> Option<T> {
        if self.take(now) {
            self.held = None;
            Some(value)
        } else {
            self.held = Some(value);
            None
        }
    }

    /// The held value, once its time has come.
    pub fn poll(&mut self, now: Instant) -> Option<T> {
        if self.held.is_some() && self.take(now) {
            self.held.take()
        } else {
            None
        }
    }

    /// When the held value may go, if one is held.
    pub fn deadline(&self) -> Option<Instant> {
        self.held.as_ref()?;
        self.accrued.map(|since| since + self.interval)
    }

    /// Takes one value's budget if there is one at `now`.
    fn take(&mut self, now: Instant) -> bool {
        if let Some(since) = self.accrued {
            let elapsed = now.saturating_duration_since(since);
            let earned = (elapsed.as_nanos() / self.interval.as_nanos().max(1)) as u32;
            if earned > 0 {
                self.tokens = self.tokens.saturating_add(earned).min(self.burst);
                self.accrued = Some(since + self.interval * earned);
            }
        }
        if self.tokens == 0 {
            return false;
        }
        if self.tokens == self.burst {
            // A full budget accrues nothing more: the next token counts from now.
            self.accrued = Some(now);
        }
        self.tokens -= 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flood_yields_one_value_per_interval_and_the_newest_wins() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut throttle = Throttle::new(ms(100));
        assert_eq!(throttle.offer(t0, 1), Some(1));
        for v in 2..50 {
            assert_eq!(throttle.offer(t0 + ms(v), v), None);
        }
        assert_eq!(throttle.deadline(), Some(t0 + ms(100)));
        assert_eq!(throttle.poll(t0 + ms(99)), None);
        assert_eq!(throttle.poll(t0 + ms(100)), Some(49));
        assert_eq!(throttle.poll(t0 + ms(300)), None);
        assert_eq!(throttle.deadline(), None);
        assert_eq!(throttle.offer(t0 + ms(300), 7), Some(7));
    }

    #[test]
    fn a_burst_passes_at_once_then_one_per_interval() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut throttle = Throttle::with_burst(ms(100), 3);
        let passed: Vec<_> = (0..10).filter_map(|v| throttle.offer(t0, v)).collect();
        assert_eq!(passed, vec![0, 1, 2]);
        assert_eq!(throttle.deadline(), Some(t0 + ms(100)));
        assert_eq!(throttle.poll(t0 + ms(100)), Some(9));
        assert_eq!(throttle.offer(t0 + ms(150), 10), None);
        assert_eq!(throttle.poll(t0 + ms(200)), Some(10));
        // Left alone, the budget fills up again, but never past the burst.
        let passed = (0..10)
            .filter_map(|v| throttle.offer(t0 + ms(5000), v))
            .count();
        assert_eq!(passed, 3);
    }
}
