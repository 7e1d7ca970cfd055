//! Round-trip time, measured continuously: the viewer pings the server once a second on the
//! control stream (the first right after attaching) and times the echo. The ping carries its
//! send time on the viewer's own clock, so nothing needs to be remembered per ping.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use wayray_protocol::messages::control::Ping;

/// How often the viewer pings.
pub const PING_INTERVAL: Duration = Duration::from_secs(1);

/// Samples kept for the median.
const KEEP: usize = 32;

/// Recent round-trip times.
#[derive(Debug)]
pub struct RttMeter {
    origin: Instant,
    next_id: Mutex<u64>,
    samples: Mutex<VecDeque<Duration>>,
}

impl Default for RttMeter {
    fn default() -> Self {
        Self {
            origin: Instant::now(),
            next_id: Mutex::new(0),
            samples: Mutex::new(VecDeque::with_capacity(KEEP)),
        }
    }
}

impl RttMeter {
    /// A new ping to send now.
    pub fn ping(&self) -> Ping {
        let mut id = self.next_id.lock().unwrap_or_else(|e| e.into_inner());
        *id += 1;
        Ping {
            id: *id,
            sent_at_us: self.origin.elapsed().as_micros() as u64,
        }
    }

    /// The server echoed `pong`. Echoes that claim to come from the future are ignored.
    pub fn pong(&self, pong: &Ping) {
        let now = self.origin.elapsed().as_micros() as u64;
        if pong.sent_at_us > now {
            return;
        }
        let mut samples = self.samples.lock().unwrap_or_else(|e| e.into_inner());
        if samples.len() == KEEP {
            samples.pop_front();
        }
        samples.push_back(Duration::from_micros(now - pong.sent_at_us));
    }

    /// The median of the recent round trips, once one was measured.
    pub fn median(&self) -> Option<Duration> {
        let samples = self.samples.lock().unwrap_or_else(|e| e.into_inner());
        let mut sorted: Vec<_> = samples.iter().copied().collect();
        sorted.sort();
        sorted.get(sorted.len() / 2).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echoes_become_samples_and_forged_ones_do_not() {
        let meter = RttMeter::default();
        assert_eq!(meter.median(), None);
        let ping = meter.ping();
        std::thread::sleep(Duration::from_millis(2));
        meter.pong(&ping);
        assert!(meter.median().unwrap() >= Duration::from_millis(2));
        meter.pong(&Ping {
            id: 9,
            sent_at_us: u64::MAX,
        });
        assert_eq!(meter.samples.lock().unwrap().len(), 1);
        assert_ne!(meter.ping().id, ping.id);
    }
}
