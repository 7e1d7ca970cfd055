//! How many frames a viewer's link may keep in flight, from what its acknowledgements show.
//!
//! A frame's acknowledgement comes back after the frame crossed the link, was decoded and
//! applied, and the acknowledgement crossed back: a loop. With a fixed window of two frames,
//! a link with a 40 ms round trip carries at most two frames per loop (about 18 a second
//! there), and a keystroke's echo waits for the window to open. The budget lets as many
//! frames go as one loop takes at the desk's refresh rate, so frames keep coming at that rate
//! over a long round trip, but beyond the floor only while the bytes in flight stay within
//! twice what the link delivered in one loop: frames then never queue deeper in a slow link
//! than a couple of loops' worth.
//!
//! The loop is the shortest one seen in the last [`LOOP_MEMORY`] (acknowledgements held by
//! the viewer or slowed by a queue only lengthen it); the delivery rate is that of the bytes
//! acknowledged over the last [`RATE_SPAN`].

use std::time::{Duration, Instant};

use super::recent::{RecentMin, RecentRate};

/// How long a loop time counts towards the shortest.
pub const LOOP_MEMORY: Duration = Duration::from_secs(10);
/// Over how long the delivery rate is measured.
pub const RATE_SPAN: Duration = Duration::from_secs(1);
/// Bytes in flight beyond the floor: at most this many loops of what the link delivered. The
/// rate measured is what the frames in flight let through, so only a gain above one lets the
/// window grow towards what the link carries; at two, what queues in the link stays within
/// about one loop's worth (BBR's congestion window has the same gain).
const BYTES_GAIN: f64 = 2.0;

/// The in-flight budget of one viewer's frame loop.
#[derive(Clone, Debug)]
pub struct InFlightBudget {
    floor: usize,
    ceiling: usize,
    /// One refresh of the desk: the shortest time between frames worth sending.
    interval: Duration,
    /// Loop times of recent acknowledgements.
    loops: RecentMin,
    /// Bytes acknowledged in all, as of recent acknowledgements.
    delivered: RecentRate,
    acked_bytes: u64,
}

impl InFlightBudget {
    /// At least `floor` frames (always allowed), at most `ceiling`, at a desk refreshing every
    /// `interval`.
    pub fn new(floor: usize, ceiling: usize, interval: Duration) -> Self {
        let floor = floor.max(1);
        Self {
            floor,
            ceiling: ceiling.max(floor),
            interval: interval.max(Duration::from_millis(1)),
            loops: RecentMin::new(LOOP_MEMORY),
            delivered: RecentRate::new(RATE_SPAN),
            acked_bytes: 0,
        }
    }

    /// The desk's refresh changed.
    pub fn set_interval(&mut self, interval: Duration) {
        self.interval = interval.max(Duration::from_millis(1));
    }

    /// Frames of `bytes` in all were acknowledged at `now`, the newest of them sent
    /// `loop_time` before.
    pub fn acked(&mut self, now: Instant, loop_time: Duration, bytes: u64) {
        self.loops.push(now, loop_time);
        self.acked_bytes += bytes;
        self.delivered.push(now, self.acked_bytes);
    }

    /// The shortest loop seen lately.
    pub fn loop_time(&self) -> Option<Duration> {
        self.loops.min()
    }

    /// Bytes a second the viewer acknowledged lately.
    pub fn delivery_rate(&self) -> Option<f64> {
        self.delivered.per_second()
    }

    /// The most frames in flight now: one loop's worth of refreshes and one more, within the
    /// floor and the ceiling.
    pub fn frames(&self) -> usize {
        let Some(loop_time) = self.loop_time() else {
            return self.floor;
        };
        let per_loop = loop_time.as_nanos().div_ceil(self.interval.as_nanos());
        usize::try_from(per_loop)
            .unwrap_or(usize::MAX)
            .saturating_add(1)
            .clamp(self.floor, self.ceiling)
    }

    /// Whether one more frame may go with `in_flight` frames of `bytes_in_flight` bytes out.
    /// Beyond the floor: while the bytes out stay within [`BYTES_GAIN`] loops of what the link
    /// delivered.
    pub fn has_room(&self, in_flight: usize, bytes_in_flight: u64) -> bool {
        if in_flight < self.floor {
            return true;
        }
        if in_flight >= self.frames() {
            return false;
        }
        match (self.delivery_rate(), self.loop_time()) {
            (Some(rate), Some(shortest)) => {
                (bytes_in_flight as f64) < BYTES_GAIN * rate * shortest.as_secs_f64()
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: fn(u64) -> Duration = Duration::from_millis;

    #[test]
    fn without_acknowledgements_only_the_floor_goes() {
        let budget = InFlightBudget::new(2, 6, MS(16));
        assert_eq!(budget.frames(), 2);
        assert!(budget.has_room(1, 1 << 30));
        assert!(!budget.has_room(2, 0));
    }

    #[test]
    fn a_long_loop_lets_a_loops_worth_of_refreshes_go_while_bytes_allow() {
        let t = Instant::now();
        let mut budget = InFlightBudget::new(2, 6, MS(16));
        // 60 ms loops, 15 kB frames acknowledged every 33 ms: 450 kB/s.
        for i in 0..31u64 {
            budget.acked(t + MS(33 * i), MS(60 + i % 3), 15_000);
        }
        assert_eq!(budget.loop_time(), Some(MS(60)));
        let rate = budget.delivery_rate().unwrap();
        assert!((rate - 454_545.0).abs() < 1_000.0, "{rate}");
        assert_eq!(budget.frames(), 5);
        // Two loops' worth of bytes: 2 × 454 kB/s × 60 ms ≈ 54.5 kB.
        assert!(budget.has_room(3, 50_000));
        assert!(!budget.has_room(3, 55_000), "bytes bound");
        assert!(!budget.has_room(5, 0), "frames bound");
        assert!(budget.has_room(1, 10_000_000), "the floor always goes");
    }

    #[test]
    fn big_frames_on_a_slow_link_stay_at_the_floor() {
        let t = Instant::now();
        let mut budget = InFlightBudget::new(2, 6, MS(16));
        // 200 kB frames through 250 kB/s: acknowledged every 0.8 s, 60 ms loops at best.
        for i in 0..3u64 {
            budget.acked(t + MS(800 * i), MS(60 + 800 * i), 200_000);
        }
        assert_eq!(budget.frames(), 5);
        assert!(budget.has_room(1, 200_000));
        assert!(
            !budget.has_room(2, 400_000),
            "two big frames already queue 1.6 s"
        );
    }

    #[test]
    fn a_short_loop_keeps_the_floor_and_the_ceiling_holds() {
        let t = Instant::now();
        let mut short = InFlightBudget::new(2, 6, MS(16));
        short.acked(t, MS(3), 1_000);
        assert_eq!(short.frames(), 2);
        let mut long = InFlightBudget::new(2, 6, MS(16));
        long.acked(t, MS(900), 1_000);
        assert_eq!(long.frames(), 6);
        long.set_interval(MS(1000));
        assert_eq!(long.frames(), 2);
    }
}
