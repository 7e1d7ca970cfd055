//! Figures over a recent span of time, in bounded memory: the smallest of some durations (a
//! path's round trip without queues, a loop's shortest time) and the rate of a growing count
//! (bytes sent or acknowledged).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// The most samples either keeps; the oldest go first beyond it.
const CAPACITY: usize = 128;

/// The smallest duration seen over the last `span`, and the newest.
#[derive(Clone, Debug)]
pub struct RecentMin {
    span: Duration,
    /// Increasing from the front: a sample with a smaller or equal one after it can never be
    /// the smallest again and is not kept.
    samples: VecDeque<(Instant, Duration)>,
    newest: Option<Duration>,
}

impl RecentMin {
    /// Remembers samples for `span`.
    pub fn new(span: Duration) -> Self {
        Self {
            span,
            samples: VecDeque::new(),
            newest: None,
        }
    }

    /// A sample taken at `now`.
    pub fn push(&mut self, now: Instant, value: Duration) {
        forget_old(&mut self.samples, now, self.span);
        while self.samples.back().is_some_and(|(_, v)| *v >= value) {
            self.samples.pop_back();
        }
        self.samples.push_back((now, value));
        self.newest = Some(value);
    }

    /// The smallest sample of the span.
    pub fn min(&self) -> Option<Duration> {
        self.samples.front().map(|(_, v)| *v)
    }

    /// The newest sample.
    pub fn newest(&self) -> Option<Duration> {
        self.newest
    }
}

/// How fast a growing count grew over the last `span`.
#[derive(Clone, Debug)]
pub struct RecentRate {
    span: Duration,
    totals: VecDeque<(Instant, u64)>,
}

impl RecentRate {
    /// Measures over `span`.
    pub fn new(span: Duration) -> Self {
        Self {
            span,
            totals: VecDeque::new(),
        }
    }

    /// The count's total at `now`.
    pub fn push(&mut self, now: Instant, total: u64) {
        forget_old(&mut self.totals, now, self.span);
        self.totals.push_back((now, total));
    }

    /// Growth a second over the span; `None` until two totals are apart in time.
    pub fn per_second(&self) -> Option<f64> {
        let (&(t0, b0), &(t1, b1)) = (self.totals.front()?, self.totals.back()?);
        let span = t1.saturating_duration_since(t0).as_secs_f64();
        (span > 0.0).then(|| b1.saturating_sub(b0) as f64 / span)
    }
}

/// Drops samples older than `span` at `now`, and the oldest beyond room for one more.
fn forget_old<T>(samples: &mut VecDeque<(Instant, T)>, now: Instant, span: Duration) {
    while samples
        .front()
        .is_some_and(|(at, _)| now.saturating_duration_since(*at) > span)
        || samples.len() >= CAPACITY
    {
        samples.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_smallest_counts_for_its_span_and_memory_stays_bounded() {
        let ms = Duration::from_millis;
        let t = Instant::now();
        let mut min = RecentMin::new(ms(10_000));
        assert_eq!(min.min(), None);
        min.push(t, ms(20));
        min.push(t + ms(5_000), ms(80));
        assert_eq!((min.min(), min.newest()), (Some(ms(20)), Some(ms(80))));
        min.push(t + ms(10_500), ms(90));
        assert_eq!(min.min(), Some(ms(80)));
        for i in 0..10_000u64 {
            min.push(t + ms(11_000 + i), ms(100 + i));
        }
        assert!(min.samples.len() <= CAPACITY);
        assert_eq!(min.newest(), Some(ms(10_099)));
    }

    #[test]
    fn a_rate_over_the_span_and_none_before_two_totals() {
        let ms = Duration::from_millis;
        let t = Instant::now();
        let mut rate = RecentRate::new(ms(1_000));
        rate.push(t, 0);
        assert_eq!(rate.per_second(), None);
        for i in 1..=20u64 {
            rate.push(t + ms(100 * i), 1_000 * i);
        }
        // The span holds the last second: 10 000 in 1 s.
        assert_eq!(rate.per_second().map(f64::round), Some(10_000.0));
        for i in 0..1_000u64 {
            rate.push(t + ms(3_000 + i), 50_000 + 10 * i);
        }
        assert!(rate.totals.len() <= CAPACITY);
    }
}
