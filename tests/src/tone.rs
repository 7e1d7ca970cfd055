//! Tones for the audio tests: a sine written as a WAV file, and the frequency that dominates
//! a recording (Goertzel's algorithm over a range, 1 Hz steps).

use std::path::Path;

/// Writes `secs` of a `freq` Hz sine, 48 kHz stereo 16-bit, at `amplitude` (of 32767).
pub fn write_tone(path: &Path, freq: f64, secs: f64, amplitude: f64) {
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 48_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut wav = hound::WavWriter::create(path, spec).expect("tone file");
    for i in 0..(secs * 48_000.0) as usize {
        let v =
            (amplitude * (2.0 * std::f64::consts::PI * freq * i as f64 / 48_000.0).sin()) as i16;
        wav.write_sample(v).expect("sample");
        wav.write_sample(v).expect("sample");
    }
    wav.finalize().expect("tone file");
}

/// A WAV file's sample rate, channels and left-channel samples.
pub fn read_left(path: &Path) -> (u32, u16, Vec<i16>) {
    let mut wav = hound::WavReader::open(path).expect("a readable WAV file");
    let spec = wav.spec();
    let samples: Vec<i16> = wav.samples::<i16>().map(|s| s.expect("sample")).collect();
    let left = samples
        .chunks(usize::from(spec.channels))
        .map(|frame| frame[0])
        .collect();
    (spec.sample_rate, spec.channels, left)
}

/// The frequency in `range` (whole hertz) with the most energy in `samples`.
pub fn dominant_frequency(samples: &[i16], rate: u32, range: std::ops::RangeInclusive<u32>) -> u32 {
    let power = |freq: u32| {
        let w = 2.0 * std::f64::consts::PI * f64::from(freq) / f64::from(rate);
        let coeff = 2.0 * w.cos();
        let (mut s1, mut s2) = (0.0f64, 0.0f64);
        for &x in samples {
            let s0 = f64::from(x) + coeff * s1 - s2;
            s2 = s1;
            s1 = s0;
        }
        s1 * s1 + s2 * s2 - coeff * s1 * s2
    };
    range
        .max_by(|a, b| power(*a).total_cmp(&power(*b)))
        .expect("a non-empty range")
}
