//! How many bits a second the session's video may use: an estimate of the link from what the
//! transport reports (its round-trip time, the bytes it sent, the packets it lost), steering
//! the H.264 encoder's rate cap so that video never fills the queue in front of the viewer's
//! keystrokes (docs/adr/0033-bandwidth-adaptation.md).
//!
//! Delay-based, like the video calls' controllers: the smallest round trip of the last
//! [`BASE_WINDOW`] is the path without queues; a round trip [`QUEUE_HIGH`] above it means a
//! queue is building, and the cap drops below the rate actually sent
//! ([`DECREASE`]). A loss counts only with some queue ([`QUEUE_LOW`]): random loss on a
//! radio link says nothing about the rate. While the queue stays short and the video uses at
//! least half its cap, the cap grows by [`INCREASE`] a tick. Nothing here reads a clock.

use std::time::{Duration, Instant};

use super::recent::{RecentMin, RecentRate};

/// How often the transport is sampled.
pub const TICK: Duration = Duration::from_millis(100);
/// How far back the smallest round trip counts as the path's own.
pub const BASE_WINDOW: Duration = Duration::from_secs(10);
/// A queue this long means the video sends more than the link carries.
pub const QUEUE_HIGH: Duration = Duration::from_millis(10);
/// A queue this short leaves room to grow (and makes a loss count as congestion above it).
pub const QUEUE_LOW: Duration = Duration::from_millis(3);
/// [`QUEUE_HIGH`] where the video is paced (`session::pace`): its frames no longer arrive
/// in bursts, so a queue this long already means the pace is above what the link carries.
pub const PACED_QUEUE_HIGH: Duration = Duration::from_millis(3);
/// [`QUEUE_LOW`] where the video is paced.
pub const PACED_QUEUE_LOW: Duration = Duration::from_millis(1);
/// After a decrease, how long the queue gets to drain before the next one.
pub const HOLD: Duration = Duration::from_millis(500);
/// Share of the rate sent that the cap drops to (less the queue's length in seconds).
pub const DECREASE: f64 = 0.85;
/// Growth of the cap per tick while the link has room (doubling in about a second).
pub const INCREASE: f64 = 1.08;
/// How far back the rate sent is measured.
const RATE_WINDOW: Duration = Duration::from_millis(500);
/// A new cap is announced when it differs from the last one announced by this share.
const ANNOUNCE_STEP: f64 = 0.05;

/// The default floor, kbit/s.
pub const MIN_KBPS: u32 = 300;
/// The default ceiling, kbit/s.
pub const MAX_KBPS: u32 = 100_000;
/// Where a connection starts by default, kbit/s.
pub const START_KBPS: u32 = 8_000;

/// The range the cap moves in, kbit/s.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimits {
    /// The floor: video below this is not worth watching.
    pub min_kbps: u32,
    /// The ceiling (on a LAN the encoder's own quality setting decides below it).
    pub max_kbps: u32,
    /// Where a connection starts.
    pub start_kbps: u32,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            min_kbps: MIN_KBPS,
            max_kbps: MAX_KBPS,
            start_kbps: START_KBPS,
        }
    }
}

impl RateLimits {
    /// The default range, but never above `max_kbps` (a server's ceiling).
    pub fn up_to(max_kbps: u32) -> Self {
        let max_kbps = max_kbps.clamp(MIN_KBPS, MAX_KBPS);
        Self {
            min_kbps: MIN_KBPS,
            max_kbps,
            start_kbps: START_KBPS.min(max_kbps),
        }
    }

    /// A fixed cap of `kbps` (no adaptation: measurements).
    pub fn fixed(kbps: u32) -> Self {
        Self {
            min_kbps: kbps,
            max_kbps: kbps,
            start_kbps: kbps,
        }
    }
}

/// What the transport reports at one tick; the counters count from the connection's start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TransportSample {
    /// Its current (smoothed) round-trip time.
    pub rtt: Duration,
    /// Bytes sent so far.
    pub sent_bytes: u64,
    /// Packets declared lost so far.
    pub lost_packets: u64,
}

/// The controller of one connection.
#[derive(Clone, Debug)]
pub struct RateController {
    limits: RateLimits,
    /// The queue that means congestion, and the one that leaves room to grow.
    queue_high: Duration,
    queue_low: Duration,
    target_kbps: f64,
    announced_kbps: u32,
    rtts: RecentMin,
    sent: RecentRate,
    lost_packets: u64,
    last_decrease: Option<Instant>,
}

impl RateController {
    /// A controller starting at `limits.start_kbps` (clamped to the limits).
    pub fn new(limits: RateLimits) -> Self {
        let max = limits.max_kbps.max(limits.min_kbps.max(1));
        let limits = RateLimits {
            min_kbps: limits.min_kbps.max(1),
            max_kbps: max,
            start_kbps: limits.start_kbps.clamp(limits.min_kbps.max(1), max),
        };
        Self {
            limits,
            queue_high: QUEUE_HIGH,
            queue_low: QUEUE_LOW,
            target_kbps: f64::from(limits.start_kbps),
            announced_kbps: limits.start_kbps,
            rtts: RecentMin::new(BASE_WINDOW),
            sent: RecentRate::new(RATE_WINDOW),
            lost_packets: 0,
            last_decrease: None,
        }
    }

    /// For a video that is paced (`session::pace`): the shorter queues
    /// ([`PACED_QUEUE_HIGH`], [`PACED_QUEUE_LOW`]).
    pub fn paced(mut self) -> Self {
        self.queue_high = PACED_QUEUE_HIGH;
        self.queue_low = PACED_QUEUE_LOW;
        self
    }

    /// The cap now, kbit/s.
    pub fn target_kbps(&self) -> u32 {
        self.target_kbps.round() as u32
    }

    /// The queue in front of the viewer as last measured: the round trip above the path's
    /// smallest.
    pub fn queue(&self) -> Duration {
        match (self.rtts.newest(), self.rtts.min()) {
            (Some(rtt), Some(base)) => rtt.saturating_sub(base),
            _ => Duration::ZERO,
        }
    }

    /// The rate sent over the last second, kbit/s (0 until two samples are a tick apart).
    pub fn sent_kbps(&self) -> f64 {
        self.sent
            .per_second()
            .map_or(0.0, |bytes| bytes * 8.0 / 1000.0)
    }

    /// Takes the transport's report at `now` (call every [`TICK`]); returns the new cap when
    /// it moved enough to be worth telling the encoder.
    pub fn sample(&mut self, now: Instant, sample: TransportSample) -> Option<u32> {
        self.rtts.push(now, sample.rtt);
        self.sent.push(now, sample.sent_bytes);
        let lost = sample.lost_packets > self.lost_packets;
        self.lost_packets = self.lost_packets.max(sample.lost_packets);

        let queue = self.queue();
        let congested = queue > self.queue_high || (lost && queue > self.queue_low);
        let held = self
            .last_decrease
            .is_some_and(|t| now.saturating_duration_since(t) < HOLD);
        let sent = self.sent_kbps();
        if congested {
            if !held {
                // Below the rate sent, and further the longer the queue, so that it drains
                // within about a second.
                let share = (DECREASE - queue.as_secs_f64()).max(0.5);
                let below = sent.min(self.target_kbps) * share;
                self.target_kbps = below.max(f64::from(self.limits.min_kbps));
                self.last_decrease = Some(now);
            }
        } else if queue < self.queue_low && sent >= self.target_kbps / 2.0 {
            self.target_kbps = (self.target_kbps * INCREASE).min(f64::from(self.limits.max_kbps));
        }
        let target = self.target_kbps();
        let step = f64::from(self.announced_kbps) * ANNOUNCE_STEP;
        let reached_limit = target != self.announced_kbps
            && (target == self.limits.min_kbps || target == self.limits.max_kbps);
        if (f64::from(target) - f64::from(self.announced_kbps)).abs() >= step || reached_limit {
            self.announced_kbps = target;
            Some(target)
        } else {
            None
        }
    }
}

#[cfg(test)]
#[path = "rate_tests.rs"]
mod tests;
