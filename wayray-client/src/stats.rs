//! What the viewer measures while it runs, for the stats overlay and the headless report:
//! frames and bytes over the last second, the mix of codecs in recent regions, and the time
//! from a key press leaving the viewer to the next frame that changed pixels.
//!
//! Modifier keys do not start a measurement (they change nothing on screen), and a press with
//! no changed frame within a second is dropped rather than counted against a later frame.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use wayray_protocol::messages::display::{Codec, FrameUpdate};

/// The span over which rates are computed.
const RATE_WINDOW: Duration = Duration::from_secs(1);
/// Most frame samples kept for rates (more than any display's refresh rate per second).
const MAX_FRAME_SAMPLES: usize = 1024;
/// Most latency samples kept for the percentiles.
const MAX_LATENCY_SAMPLES: usize = 8192;
/// A key press unanswered for this long is not measured.
const LATENCY_LIMIT: Duration = Duration::from_secs(1);

/// Codecs in wire order, for counting.
const CODECS: [Codec; 7] = [
    Codec::Solid,
    Codec::Palette,
    Codec::DeltaZstd,
    Codec::RawZstd,
    Codec::CopyRect,
    Codec::H264,
    Codec::Cached,
];

/// A short name of a codec, as the overlay shows it.
pub fn codec_name(codec: Codec) -> &'static str {
    match codec {
        Codec::Solid => "solid",
        Codec::Palette => "palette",
        Codec::DeltaZstd => "delta",
        Codec::RawZstd => "raw",
        Codec::CopyRect => "copy",
        Codec::H264 => "h264",
        Codec::Cached => "cached",
    }
}

fn codec_index(codec: Codec) -> usize {
    CODECS.iter().position(|c| *c == codec).unwrap_or(0)
}

/// evdev codes of modifier keys: pressing them alone changes nothing on screen.
fn is_modifier(code: u32) -> bool {
    matches!(code, 29 | 42 | 54 | 56 | 58 | 97 | 100 | 125 | 126)
}

#[derive(Debug, Clone, Copy)]
struct FrameSample {
    at: Instant,
    regions: [u32; CODECS.len()],
}

/// Rolling measurements of one viewer.
#[derive(Debug, Default)]
pub struct Stats {
    frames: VecDeque<FrameSample>,
    bytes: VecDeque<(Instant, usize)>,
    latencies: VecDeque<Duration>,
    key_pressed_at: Option<Instant>,
}

/// A snapshot for display.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// Frames applied over the last second.
    pub fps: f64,
    /// Display bytes received over the last second, in megabits per second.
    pub mbit_per_s: f64,
    /// Median keystroke → changed pixels time of the last 32 measured keystrokes.
    pub latency: Option<Duration>,
    /// Share of each codec among the regions of the last second, largest first.
    pub codec_mix: Vec<(&'static str, f64)>,
}

impl Stats {
    /// A key event left the viewer at `at`.
    pub fn key_sent(&mut self, code: u32, pressed: bool, at: Instant) {
        if pressed && !is_modifier(code) && !self.key_in_flight(at) {
            self.key_pressed_at = Some(at);
        }
    }

    /// Whether a key press is waiting for its frame.
    pub fn key_in_flight(&self, now: Instant) -> bool {
        self.key_pressed_at
            .is_some_and(|at| now.duration_since(at) <= LATENCY_LIMIT)
    }

    /// `len` bytes of display messages arrived at `at`.
    pub fn received(&mut self, len: usize, at: Instant) {
        self.bytes.push_back((at, len));
        while self.bytes.len() > MAX_FRAME_SAMPLES {
            self.bytes.pop_front();
        }
        self.expire(at);
    }

    /// `update` was applied at `at`.
    pub fn applied(&mut self, update: &FrameUpdate, at: Instant) {
        let mut regions = [0; CODECS.len()];
        for region in &update.regions {
            regions[codec_index(region.codec)] += 1;
        }
        self.frames.push_back(FrameSample { at, regions });
        while self.frames.len() > MAX_FRAME_SAMPLES {
            self.frames.pop_front();
        }
        if !update.regions.is_empty()
            && let Some(pressed) = self.key_pressed_at.take()
        {
            let latency = at.duration_since(pressed);
            if latency <= LATENCY_LIMIT {
                self.latencies.push_back(latency);
                if self.latencies.len() > MAX_LATENCY_SAMPLES {
                    self.latencies.pop_front();
                }
            }
        }
        self.expire(at);
    }

    fn expire(&mut self, now: Instant) {
        let old = |at: Instant| now.duration_since(at) > RATE_WINDOW;
        while self.frames.front().is_some_and(|s| old(s.at)) {
            self.frames.pop_front();
        }
        while self.bytes.front().is_some_and(|(at, _)| old(*at)) {
            self.bytes.pop_front();
        }
        if self
            .key_pressed_at
            .is_some_and(|at| now.duration_since(at) > LATENCY_LIMIT)
        {
            self.key_pressed_at = None;
        }
    }

    /// Keystrokes measured so far (at most the last 8192 are kept).
    pub fn latency_samples(&self) -> usize {
        self.latencies.len()
    }

    /// The `p`-th percentile (0–100) of the kept keystroke latencies.
    pub fn latency_percentile(&self, p: f64) -> Option<Duration> {
        percentile(self.latencies.iter().copied().collect(), p)
    }

    /// Rates over the last second as of `now`.
    pub fn summary(&self, now: Instant) -> Summary {
        let recent = |at: Instant| now.duration_since(at) <= RATE_WINDOW;
        let frames: Vec<&FrameSample> = self.frames.iter().filter(|s| recent(s.at)).collect();
        let bytes: usize = self
            .bytes
            .iter()
            .filter(|(at, _)| recent(*at))
            .map(|(_, n)| n)
            .sum();
        let mut regions = [0u32; CODECS.len()];
        for sample in &frames {
            for (total, n) in regions.iter_mut().zip(sample.regions) {
                *total += n;
            }
        }
        let all: u32 = regions.iter().sum();
        let mut codec_mix: Vec<(&'static str, f64)> = CODECS
            .iter()
            .zip(regions)
            .filter(|(_, n)| *n > 0)
            .map(|(codec, n)| (codec_name(*codec), f64::from(n) / f64::from(all)))
            .collect();
        codec_mix.sort_by(|a, b| b.1.total_cmp(&a.1));
        let last: Vec<Duration> = self.latencies.iter().rev().take(32).copied().collect();
        Summary {
            fps: frames.len() as f64 / RATE_WINDOW.as_secs_f64(),
            mbit_per_s: bytes as f64 * 8.0 / 1e6 / RATE_WINDOW.as_secs_f64(),
            latency: percentile(last, 50.0),
            codec_mix,
        }
    }
}

/// The `p`-th percentile (nearest rank) of `samples`.
fn percentile(mut samples: Vec<Duration>, p: f64) -> Option<Duration> {
    if samples.is_empty() {
        return None;
    }
    samples.sort_unstable();
    let rank = ((p / 100.0) * samples.len() as f64).ceil() as usize;
    Some(samples[rank.clamp(1, samples.len()) - 1])
}

#[cfg(test)]
mod tests {
    use wayray_protocol::Rect;
    use wayray_protocol::messages::display::RegionUpdate;

    use super::*;

    fn update(codecs: &[Codec]) -> FrameUpdate {
        FrameUpdate {
            sequence: 1,
            output_width: 8,
            output_height: 8,
            keyframe: false,
            regions: codecs
                .iter()
                .map(|&codec| RegionUpdate {
                    rect: Rect::new(0, 0, 1, 1),
                    codec,
                    payload: Vec::new(),
                })
                .collect(),
        }
    }

    #[test]
    fn a_key_press_is_timed_to_the_next_changed_frame() {
        let t0 = Instant::now();
        let mut stats = Stats::default();
        stats.key_sent(42, true, t0); // Shift: not measured
        assert!(!stats.key_in_flight(t0));
        stats.key_sent(30, true, t0);
        stats.key_sent(31, true, t0 + Duration::from_millis(1)); // the first press counts
        stats.applied(&update(&[]), t0 + Duration::from_millis(2)); // nothing changed
        assert!(stats.key_in_flight(t0 + Duration::from_millis(2)));
        stats.applied(&update(&[Codec::Palette]), t0 + Duration::from_millis(3));
        assert_eq!(stats.latency_samples(), 1);
        assert_eq!(
            stats.latency_percentile(50.0),
            Some(Duration::from_millis(3))
        );
        // A press answered only after the limit is dropped.
        stats.key_sent(30, true, t0 + Duration::from_millis(10));
        stats.applied(&update(&[Codec::Solid]), t0 + Duration::from_secs(2));
        assert_eq!(stats.latency_samples(), 1);
    }

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let ms = Duration::from_millis;
        let samples: Vec<Duration> = (1..=100).map(ms).collect();
        assert_eq!(percentile(samples.clone(), 50.0), Some(ms(50)));
        assert_eq!(percentile(samples.clone(), 99.0), Some(ms(99)));
        assert_eq!(percentile(samples, 100.0), Some(ms(100)));
        assert_eq!(percentile(Vec::new(), 50.0), None);
    }

    #[test]
    fn rates_and_codec_mix_cover_the_last_second() {
        let t0 = Instant::now();
        let mut stats = Stats::default();
        stats.received(1000, t0);
        stats.applied(&update(&[Codec::Palette, Codec::Palette]), t0);
        stats.received(250_000, t0 + Duration::from_millis(1500));
        stats.applied(
            &update(&[Codec::Palette, Codec::H264, Codec::H264, Codec::H264]),
            t0 + Duration::from_millis(1500),
        );
        let s = stats.summary(t0 + Duration::from_millis(1600));
        assert_eq!(s.fps, 1.0);
        assert_eq!(s.mbit_per_s, 2.0);
        assert_eq!(s.codec_mix, vec![("h264", 0.75), ("palette", 0.25)]);
    }
}
