//! Spreading a video frame's bytes over time (docs/adr/0045-paced-video.md).
//!
//! A frame that only plays video is sent at a pace a quarter above the video's rate cap
//! instead of all at once. Sent at once, its bytes wait in the slow link's queue, and a
//! keystroke's echo sent just after waits behind all of them (a 16 kB frame holds a 5 Mbit/s
//! link for 26 ms). Paced, the link's queue stays short and the frame's remaining bytes wait
//! at the sender, where a frame that may overtake the video (`session::overtake`) passes
//! them. [`Pacer`] is a token bucket in bytes; nothing here reads a clock.
//!
//! The cap is the daemon's estimate of what the link carries for video; where the encoder
//! sends more than its cap, the pace follows what it sends, and a backlog drains within
//! [`DRAIN`] whatever the pace, so frames never pile up at the sender.

use std::time::{Duration, Instant};

use super::recent::RecentRate;

/// Bytes handed to the transport at a time: about [`CHUNK_TIME`] at the pace, at least
/// [`MIN_CHUNK`] and at most [`MAX_CHUNK`] (about one QUIC packet's payload). On a slow link a
/// smaller chunk keeps its queue shorter (an echo waits behind less of the video: a
/// 1,200-byte packet holds a 5 Mbit/s link for 1.9 ms); on a fast one a packet's worth keeps
/// the wake-ups and the packets' overhead few.
pub const CHUNK_TIME: Duration = Duration::from_millis(1);
/// The smallest chunk (a packet's overhead stays under a tenth of it).
pub const MIN_CHUNK: usize = 600;
/// The largest chunk.
pub const MAX_CHUNK: usize = 1200;
/// Pace over the video's rate (its cap, or what it sent lately where that is more): the
/// encoder's frames vary around the cap, so the pace keeps ahead of them while staying below
/// the links the cap was found on.
pub const GAIN: f64 = 1.25;
/// Bytes that may go at once: this long at the pace, and at least two chunks (so a timer
/// that wakes late still keeps the pace).
pub const BURST_TIME: Duration = Duration::from_millis(2);
/// The slowest pace, bytes a second.
pub const MIN_RATE: f64 = 50_000.0;
/// Bytes waiting are sent within about this long, whatever the pace: a video above its cap
/// never queues at the sender for longer.
pub const DRAIN: Duration = Duration::from_millis(50);
/// Over how long the video's own rate is measured.
const ARRIVAL_SPAN: Duration = Duration::from_secs(1);

/// A token bucket of bytes, refilled at the pace.
#[derive(Clone, Debug)]
pub struct Pacer {
    /// The pace the cap asks for, bytes a second.
    capped: f64,
    /// Bytes queued so far, and how fast that grew lately.
    queued: u64,
    arrivals: RecentRate,
    /// Bytes queued and not yet taken.
    backlog: u64,
    /// The pace that sends the backlog within [`DRAIN`] of the newest message queued, until
    /// then.
    drain: Option<(f64, Instant)>,
    tokens: f64,
    refilled: Option<Instant>,
}

impl Pacer {
    /// A pacer for a video capped at `kbps`, with a full bucket.
    pub fn new(kbps: u32) -> Self {
        let capped = rate_of(kbps);
        Self {
            capped,
            queued: 0,
            arrivals: RecentRate::new(ARRIVAL_SPAN),
            backlog: 0,
            drain: None,
            tokens: burst(capped),
            refilled: None,
        }
    }

    /// The video's cap changed; the pace follows from now on.
    pub fn set_cap(&mut self, now: Instant, kbps: u32) {
        self.refill(now);
        self.capped = rate_of(kbps);
        self.tokens = self.tokens.min(burst(self.rate(now)));
    }

    /// A message of `bytes` waits to be paced.
    pub fn queued(&mut self, now: Instant, bytes: usize) {
        self.refill(now);
        self.queued = self.queued.saturating_add(bytes as u64);
        self.backlog = self.backlog.saturating_add(bytes as u64);
        self.arrivals.push(now, self.queued);
        let draining = self.backlog as f64 / DRAIN.as_secs_f64();
        let kept = self.draining(now).max(draining);
        self.drain = Some((kept, now + DRAIN));
    }

    /// The pace at `now`, bytes a second: [`GAIN`] times the cap or the rate queued lately,
    /// whichever is more, and fast enough to send what was queued within [`DRAIN`].
    pub fn rate(&self, now: Instant) -> f64 {
        let arriving = self.arrivals.per_second().unwrap_or(0.0) * GAIN;
        self.capped.max(arriving).max(self.draining(now))
    }

    fn draining(&self, now: Instant) -> f64 {
        match self.drain {
            Some((rate, until)) if now < until && self.backlog > 0 => rate,
            _ => 0.0,
        }
    }

    /// How many of `want` bytes may go now (at most a burst); they are taken from the bucket
    /// and the backlog.
    pub fn take(&mut self, now: Instant, want: usize) -> usize {
        self.refill(now);
        let step = want.min(chunk(self.rate(now)));
        if step == 0 || self.tokens < step as f64 {
            return 0;
        }
        let n = want.min(self.tokens as usize);
        self.tokens -= n as f64;
        self.backlog = self.backlog.saturating_sub(n as u64);
        n
    }

    /// When the next chunk of `want` bytes (at most a chunk at the pace) may go: `now` if it
    /// may go now.
    pub fn ready_at(&self, now: Instant, want: usize) -> Instant {
        let tokens = self.tokens_at(now);
        let step = want.min(chunk(self.rate(now))) as f64;
        if tokens >= step {
            return now;
        }
        // Rounded up, so that the bytes may go then (never a wait of nothing).
        let nanos = ((step - tokens) / self.rate(now) * 1e9).ceil().min(1e12) as u64;
        now + Duration::from_nanos(nanos.max(1))
    }

    fn tokens_at(&self, now: Instant) -> f64 {
        let rate = self.rate(now);
        let elapsed = self
            .refilled
            .map_or(Duration::ZERO, |at| now.saturating_duration_since(at));
        (self.tokens + elapsed.as_secs_f64() * rate).min(burst(rate))
    }

    fn refill(&mut self, now: Instant) {
        self.tokens = self.tokens_at(now);
        // Never backwards: an older `now` refills nothing and keeps the later mark.
        self.refilled = Some(self.refilled.map_or(now, |at| at.max(now)));
    }
}

/// The pace a cap of `kbps` asks for, bytes a second.
fn rate_of(kbps: u32) -> f64 {
    (f64::from(kbps) * 1000.0 / 8.0 * GAIN).max(MIN_RATE)
}

/// A chunk at `rate`, bytes.
fn chunk(rate: f64) -> usize {
    // A float cast saturates (and NaN gives 0), so the clamp decides.
    ((rate * CHUNK_TIME.as_secs_f64()) as usize).clamp(MIN_CHUNK, MAX_CHUNK)
}

/// The bucket's size at `rate`.
fn burst(rate: f64) -> f64 {
    (rate * BURST_TIME.as_secs_f64()).max(2.0 * chunk(rate) as f64)
}

#[cfg(test)]
#[path = "pace_tests.rs"]
mod tests;
