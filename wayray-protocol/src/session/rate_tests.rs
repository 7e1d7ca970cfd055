//! The rate controller against a simulated bottleneck: a link of a given rate with a 40 ms
//! round trip and a 200 kB drop-tail buffer, fed by a video that wants more than some links
//! carry and sends what the cap allows.

use super::*;

/// A bottleneck link and the video feeding it.
struct Link {
    capacity_kbps: f64,
    base_rtt: Duration,
    buffer_bytes: f64,
    queue_bytes: f64,
    sent_bytes: u64,
    lost_packets: u64,
}

impl Link {
    fn new(capacity_kbps: f64) -> Self {
        Self {
            capacity_kbps,
            base_rtt: Duration::from_millis(40),
            buffer_bytes: 200_000.0,
            queue_bytes: 0.0,
            sent_bytes: 0,
            lost_packets: 0,
        }
    }

    /// One tick of sending `kbps`; what the transport reports after it.
    fn tick(&mut self, kbps: f64) -> TransportSample {
        let secs = TICK.as_secs_f64();
        let bytes = kbps * 1000.0 / 8.0 * secs;
        self.sent_bytes += bytes as u64;
        self.queue_bytes += bytes - self.capacity_kbps * 1000.0 / 8.0 * secs;
        self.queue_bytes = self.queue_bytes.max(0.0);
        if self.queue_bytes > self.buffer_bytes {
            self.lost_packets += ((self.queue_bytes - self.buffer_bytes) / 1200.0) as u64 + 1;
            self.queue_bytes = self.buffer_bytes;
        }
        TransportSample {
            rtt: self.queue_delay() + self.base_rtt,
            sent_bytes: self.sent_bytes,
            lost_packets: self.lost_packets,
        }
    }

    fn queue_delay(&self) -> Duration {
        Duration::from_secs_f64(self.queue_bytes * 8.0 / (self.capacity_kbps * 1000.0))
    }
}

/// Runs a video wanting `wanted_kbps` over `link` for `secs`; returns (mean queue over the
/// last half, mean rate sent over the last half, the controller).
fn run(link: &mut Link, wanted_kbps: f64, secs: u64) -> (Duration, f64, RateController) {
    run_with(
        link,
        RateController::new(RateLimits::default()),
        wanted_kbps,
        secs,
    )
}

fn run_with(
    link: &mut Link,
    mut rate: RateController,
    wanted_kbps: f64,
    secs: u64,
) -> (Duration, f64, RateController) {
    let t0 = Instant::now();
    let ticks = (secs * 1000 / TICK.as_millis() as u64) as u32;
    let (mut queue, mut sent, mut counted) = (Duration::ZERO, 0.0, 0u32);
    for i in 0..ticks {
        // The first second is the connection's set-up: nothing sent yet.
        let wanted = if i < 10 { 0.0 } else { wanted_kbps };
        let kbps = wanted.min(f64::from(rate.target_kbps()));
        let sample = link.tick(kbps);
        rate.sample(t0 + TICK * i, sample);
        if i >= ticks / 2 {
            queue += link.queue_delay();
            sent += kbps;
            counted += 1;
        }
    }
    (queue / counted, sent / f64::from(counted), rate)
}

#[test]
fn on_slow_links_the_video_fills_the_link_without_a_standing_queue() {
    for capacity in [2_000.0, 5_000.0] {
        let mut link = Link::new(capacity);
        let (queue, sent, _) = run(&mut link, 15_000.0, 30);
        assert!(
            queue < Duration::from_millis(30),
            "{capacity} kbit/s: mean queue {queue:?}"
        );
        assert!(
            sent > 0.6 * capacity && sent < 1.05 * capacity,
            "{capacity} kbit/s: mean rate sent {sent:.0} kbit/s"
        );
    }
}

#[test]
fn a_paced_video_keeps_a_queue_of_a_few_milliseconds() {
    for capacity in [2_000.0, 5_000.0] {
        let mut link = Link::new(capacity);
        let paced = RateController::new(RateLimits::default()).paced();
        let (queue, sent, _) = run_with(&mut link, paced, 15_000.0, 30);
        assert!(
            queue < PACED_QUEUE_HIGH,
            "{capacity} kbit/s: mean queue {queue:?}"
        );
        assert!(
            sent > 0.5 * capacity && sent < 1.05 * capacity,
            "{capacity} kbit/s: mean rate sent {sent:.0} kbit/s"
        );
        // The same link with the thresholds for bursts of frames keeps a longer queue.
        let (unpaced, _, _) = run(&mut Link::new(capacity), 15_000.0, 30);
        assert!(unpaced > queue, "{unpaced:?} against {queue:?}");
    }
}

#[test]
fn without_the_controller_the_same_video_would_fill_the_buffer() {
    // The premise of the test above: uncapped, the queue is the whole buffer (320 ms at
    // 5 Mbit/s) and packets are lost.
    let mut link = Link::new(5_000.0);
    for _ in 0..100 {
        link.tick(15_000.0);
    }
    assert!(link.queue_delay() > Duration::from_millis(300));
    assert!(link.lost_packets > 0);
}

#[test]
fn on_a_fast_link_the_cap_grows_past_what_the_video_wants() {
    let mut link = Link::new(100_000.0);
    let (queue, sent, rate) = run(&mut link, 15_000.0, 10);
    assert_eq!(queue, Duration::ZERO);
    assert!((sent - 15_000.0).abs() < 1.0, "sent {sent}");
    assert!(rate.target_kbps() >= 15_000, "cap {}", rate.target_kbps());
}

#[test]
fn an_idle_connection_keeps_its_cap_and_random_loss_alone_does_not_lower_it() {
    let t0 = Instant::now();
    let mut rate = RateController::new(RateLimits::default());
    let mut sent_bytes = 0;
    for i in 0..100u32 {
        sent_bytes += 100;
        let sample = TransportSample {
            rtt: Duration::from_millis(40),
            sent_bytes,
            lost_packets: u64::from(i), // a loss every tick, no queue
        };
        assert_eq!(rate.sample(t0 + TICK * i, sample), None);
    }
    assert_eq!(rate.target_kbps(), RateLimits::default().start_kbps);
}

#[test]
fn the_cap_stays_within_its_limits_and_changes_are_announced_once() {
    let limits = RateLimits {
        min_kbps: 500,
        max_kbps: 2_000,
        start_kbps: 1_000,
    };
    let t0 = Instant::now();
    let mut rate = RateController::new(limits);
    let mut link = Link::new(50_000.0);
    let mut announced = Vec::new();
    for i in 0..100u32 {
        let sample = link.tick(f64::from(rate.target_kbps()));
        announced.extend(rate.sample(t0 + TICK * i, sample));
    }
    assert_eq!(rate.target_kbps(), 2_000);
    assert_eq!(announced.last(), Some(&2_000));
    assert!(announced.windows(2).all(|w| w[0] < w[1]), "{announced:?}");

    // A queue far above the path's own round trip: down to the floor, never below.
    let mut sent_bytes = link.sent_bytes;
    for i in 100..150u32 {
        sent_bytes += 1_000;
        let sample = TransportSample {
            rtt: Duration::from_millis(900),
            sent_bytes,
            lost_packets: link.lost_packets,
        };
        rate.sample(t0 + TICK * i, sample);
    }
    assert_eq!(rate.target_kbps(), 500);
    assert_eq!(rate.queue(), Duration::from_millis(860));
}

#[test]
fn a_server_ceiling_and_a_fixed_cap() {
    let low = RateLimits::up_to(2_000);
    assert_eq!((low.max_kbps, low.start_kbps), (2_000, 2_000));
    assert_eq!(RateLimits::up_to(1).max_kbps, MIN_KBPS);
    assert_eq!(RateLimits::up_to(u32::MAX).start_kbps, START_KBPS);
    let t0 = Instant::now();
    let mut fixed = RateController::new(RateLimits::fixed(5_000));
    for i in 0..50u32 {
        let sample = TransportSample {
            rtt: Duration::from_millis(if i < 10 { 40 } else { 400 }),
            sent_bytes: u64::from(i) * 60_000,
            lost_packets: u64::from(i),
        };
        assert_eq!(fixed.sample(t0 + TICK * i, sample), None);
    }
    assert_eq!(fixed.target_kbps(), 5_000);
}
