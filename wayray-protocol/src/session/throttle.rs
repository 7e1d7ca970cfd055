//! A rate limit that keeps the newest value: requests that come too soon after the last one
//! are not dropped but held, the newest replacing older ones, and released once the interval
//! has passed. A peer that floods resizes or keymaps gets one every interval, and the last
//! one always takes effect.

use std::time::{Duration, Instant};

/// At most one value per `interval`; the newest held one is released at [`Throttle::deadline`].
#[derive(Clone, Debug)]
pub struct Throttle<T> {
    interval: Duration,
    last: Option<Instant>,
    held: Option<T>,
}

impl<T> Throttle<T> {
    /// At most one value per `interval`.
    pub fn new(interval: Duration) -> Self {
        Self {
            interval,
            last: None,
            held: None,
        }
    }

    /// `value` if it may go now; otherwise it is held (replacing an older held one).
    pub fn offer(&mut self, now: Instant, value: T) -> Option<T> {
        if self.ready(now) {
            self.last = Some(now);
            self.held = None;
            Some(value)
        } else {
            self.held = Some(value);
            None
        }
    }

    /// The held value, once its time has come.
    pub fn poll(&mut self, now: Instant) -> Option<T> {
        if self.held.is_some() && self.ready(now) {
            self.last = Some(now);
            self.held.take()
        } else {
            None
        }
    }

    /// When the held value may go, if one is held.
    pub fn deadline(&self) -> Option<Instant> {
        self.held.as_ref()?;
        self.last.map(|last| last + self.interval)
    }

    fn ready(&self, now: Instant) -> bool {
        self.last.is_none_or(|last| now >= last + self.interval)
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
}
