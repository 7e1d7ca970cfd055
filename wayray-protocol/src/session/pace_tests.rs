use std::time::{Duration, Instant};

use super::*;

/// Sends `total` bytes as the pacer allows, waking when it says; returns how long it took.
fn drain(pacer: &mut Pacer, start: Instant, total: usize) -> Duration {
    let (mut now, mut left) = (start, total);
    while left > 0 {
        now = pacer.ready_at(now, left);
        let n = pacer.take(now, left);
        assert!(n > 0, "ready_at said the bytes could go");
        left -= n;
    }
    now - start
}

#[test]
fn a_frame_goes_at_the_pace_after_a_burst() {
    // 2 Mbit/s cap: 312 500 bytes a second at a gain of 1.25.
    let mut pacer = Pacer::new(2_000);
    let start = Instant::now();
    assert_eq!(pacer.rate(start), 312_500.0);
    let took = drain(&mut pacer, start, 16_000);
    // Two chunks at once (the bucket; the smallest chunks at this pace), the rest at the pace.
    let expected = (16_000.0 - 2.0 * MIN_CHUNK as f64) / 312_500.0;
    assert!(
        (took.as_secs_f64() - expected).abs() < 0.000_5,
        "{took:?} against {expected} s"
    );
}

#[test]
fn idle_time_fills_the_bucket_only_to_a_burst() {
    let start = Instant::now();
    let mut pacer = Pacer::new(2_000);
    assert_eq!(pacer.take(start, 100_000), 2 * MIN_CHUNK);
    let later = start + Duration::from_secs(10);
    assert_eq!(
        pacer.take(later, 100_000),
        2 * MIN_CHUNK,
        "ten idle seconds"
    );
    assert_eq!(pacer.take(later, 100_000), 0, "the bucket is empty");
    assert!(pacer.ready_at(later, 100_000) > later);
}

#[test]
fn a_fast_cap_bursts_two_milliseconds() {
    // 100 Mbit/s: 15.625 MB/s, so 31 250 bytes in 2 ms (a timer that wakes each millisecond
    // still keeps the pace).
    let start = Instant::now();
    let mut pacer = Pacer::new(100_000);
    assert_eq!(pacer.take(start, 1_000_000), 31_250);
    let took = drain(&mut pacer, start, 1_562_500);
    assert!(took <= Duration::from_millis(100), "{took:?}");
    assert!(took >= Duration::from_millis(97), "{took:?}");
}

#[test]
fn the_pace_follows_the_cap_and_has_a_floor() {
    let start = Instant::now();
    let mut pacer = Pacer::new(8_000);
    pacer.take(start, 10_000);
    pacer.set_cap(start, 1_000);
    assert_eq!(pacer.rate(start), 156_250.0);
    let at = pacer.ready_at(start, 10_000);
    let expected = Duration::from_secs_f64(MIN_CHUNK as f64 / 156_250.0);
    assert!(at - start <= expected + Duration::from_micros(1));
    pacer.set_cap(start, 0);
    assert_eq!(pacer.rate(start), MIN_RATE);
    let mut pacer = Pacer::new(u32::MAX);
    assert!(pacer.rate(start).is_finite());
    assert!(pacer.take(start, usize::MAX) > 0);
}

#[test]
fn small_messages_and_clocks_going_back() {
    let start = Instant::now();
    let mut pacer = Pacer::new(300);
    assert_eq!(pacer.take(start, 0), 0, "nothing asked, nothing taken");
    assert_eq!(pacer.ready_at(start, 10), start);
    assert_eq!(pacer.take(start, 10), 10);
    let later = start + Duration::from_millis(50);
    pacer.take(later, 100_000);
    // An older `now` neither refills nor panics.
    assert_eq!(pacer.take(start, 100_000), 0);
    assert!(pacer.ready_at(start, 100) >= start);
}

#[test]
fn a_video_above_its_cap_sets_the_pace_and_a_backlog_drains_in_time() {
    let ms = Duration::from_millis;
    let start = Instant::now();
    // Capped at 300 kbit/s (56 250 bytes a second), the encoder sends 10 kB frames 30 times
    // a second (2.4 Mbit/s): the pace follows what it sends.
    let mut pacer = Pacer::new(300);
    let mut now = start;
    let mut sent_by = start;
    for i in 0..60u32 {
        let at = start + ms(33 * u64::from(i));
        now = now.max(at);
        pacer.queued(at, 10_000);
        let mut left = 10_000;
        while left > 0 {
            now = pacer.ready_at(now, left);
            left -= pacer.take(now, left);
        }
        sent_by = now;
        assert!(
            now - at <= DRAIN + ms(5),
            "frame {i} waited {:?} at the sender",
            now - at
        );
    }
    let rate = pacer.rate(now + DRAIN);
    assert!(
        rate >= 300_000.0 * 1.2,
        "the pace follows the video: {rate}"
    );
    assert!(sent_by - start <= ms(33 * 60));
    // One large frame alone goes within about DRAIN, not at the cap's pace.
    let mut pacer = Pacer::new(300);
    pacer.queued(start, 100_000);
    let took = drain(&mut pacer, start, 100_000);
    assert!(took <= DRAIN + ms(1), "{took:?}");
}

#[test]
fn chunks_are_a_millisecond_at_the_pace_within_bounds() {
    // A 5 Mbit/s link's cap of about 4 Mbit/s: 625 000 bytes a second, 625 a millisecond.
    assert_eq!(chunk(625_000.0), 625);
    assert_eq!(chunk(312_500.0), MIN_CHUNK);
    assert_eq!(chunk(15_625_000.0), MAX_CHUNK);
    assert_eq!(chunk(f64::NAN), MIN_CHUNK);
    assert_eq!(chunk(f64::INFINITY), MAX_CHUNK);
    // The bucket of a slow pace holds two chunks; a frame goes in pieces of about one.
    let start = Instant::now();
    let mut pacer = Pacer::new(4_000);
    assert_eq!(pacer.take(start, 100_000), 2 * 625);
    let next = pacer.ready_at(start, 100_000);
    assert_eq!(pacer.take(next, 100_000), 625);
}
