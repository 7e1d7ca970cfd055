//! Round-trip time from pings (or from the transport's own measurements): each ping carries its send time on the sender's own clock
//! (microseconds since the connection began), so nothing is remembered per ping, and an echo
//! that claims to come from the future is ignored.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::messages::control::Ping;

/// Samples kept for the median.
const KEEP: usize = 32;

/// Recent round-trip times, measured against `origin`.
#[derive(Clone, Debug)]
pub struct RttMeter {
    origin: Instant,
    next_id: u64,
    samples: VecDeque<Duration>,
}

impl RttMeter {
    /// Times pings against `origin`.
    pub fn new(origin: Instant) -> Self {
        Self {
            origin,
            next_id: 0,
            samples: VecDeque::with_capacity(KEEP),
        }
    }

    /// A new ping sent at `now`.
    pub fn ping(&mut self, now: Instant) -> Ping {
        self.next_id += 1;
        Ping {
            id: self.next_id,
            sent_at_us: micros(now.saturating_duration_since(self.origin)),
        }
    }

    /// The echo of one of our pings arrived at `now`.
    pub fn pong(&mut self, now: Instant, pong: &Ping) {
        let now_us = micros(now.saturating_duration_since(self.origin));
        if pong.sent_at_us > now_us || pong.id == 0 || pong.id > self.next_id {
            return;
        }
        self.sample(Duration::from_micros(now_us - pong.sent_at_us));
    }

    /// A round trip measured elsewhere (by the transport).
    pub fn sample(&mut self, rtt: Duration) {
        if self.samples.len() == KEEP {
            self.samples.pop_front();
        }
        self.samples.push_back(rtt);
    }

    /// The median of the recent round trips, once one was measured.
    pub fn median(&self) -> Option<Duration> {
        let mut sorted: Vec<Duration> = self.samples.iter().copied().collect();
        sorted.sort_unstable();
        sorted.get(sorted.len() / 2).copied()
    }
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_of_echoes_and_forged_echoes_ignored() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut meter = RttMeter::new(t0);
        assert_eq!(meter.median(), None);
        for (sent, rtt) in [(0, 10), (100, 30), (200, 20)] {
            let ping = meter.ping(t0 + ms(sent));
            meter.pong(t0 + ms(sent + rtt), &ping);
        }
        assert_eq!(meter.median(), Some(ms(20)));
        let forged = Ping {
            id: 1,
            sent_at_us: u64::MAX,
        };
        meter.pong(t0 + ms(300), &forged);
        let unknown = Ping {
            id: 99,
            sent_at_us: 0,
        };
        meter.pong(t0 + ms(300), &unknown);
        assert_eq!(meter.median(), Some(ms(20)));
    }
}
