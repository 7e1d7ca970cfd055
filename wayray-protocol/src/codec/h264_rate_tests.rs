//! The H.264 stream's rate cap: noise at 30 frames a second (which constant quality alone
//! would send at many Mbit/s) stays near the cap, and moving the cap while the stream runs
//! takes effect.

use std::time::Duration;

use super::{H264Encoder, PixelView, h264_available};
use crate::Rect;

const W: u32 = 320;
const H: u32 = 240;
/// Frames per second of the test stream.
const FPS: u64 = 30;

/// A frame of noise, different every call.
fn noise(state: &mut u64) -> Vec<u8> {
    (0..W * H)
        .flat_map(|_| {
            *state ^= *state << 13;
            *state ^= *state >> 7;
            *state ^= *state << 17;
            let v = *state;
            [v as u8, (v >> 8) as u8, (v >> 16) as u8, 0xff]
        })
        .collect()
}

/// Bytes of `frames` frames from `encoder` at `fps`, the first at frame number `first`.
fn encode(encoder: &mut H264Encoder, first: u64, frames: u64, fps: u64, state: &mut u64) -> usize {
    (first..first + frames)
        .map(|i| {
            let pixels = noise(state);
            let src = PixelView::packed(&pixels, W, H).unwrap();
            let at = Duration::from_millis(i * 1000 / fps);
            encoder
                .encode(&src, Rect::new(0, 0, W, H), at)
                .unwrap()
                .len()
        })
        .sum()
}

/// Bytes a rate of `kbps` allows in `secs` seconds.
fn budget(kbps: u32, secs: u64) -> usize {
    kbps as usize * 1000 / 8 * secs as usize
}

#[test]
fn a_capped_stream_stays_near_its_cap_and_the_cap_moves_while_it_runs() {
    if !h264_available() {
        assert!(std::env::var("CI").is_err(), "libx264 missing in CI");
        return;
    }
    let mut state = 0x2545_f491_4f6c_dd1d;
    let mut uncapped = H264Encoder::new(W, H).unwrap();
    let free = encode(&mut uncapped, 0, 2 * FPS, FPS, &mut state);

    let mut capped = H264Encoder::with_max_rate(W, H, 2_000).unwrap();
    let high = encode(&mut capped, 0, 2 * FPS, FPS, &mut state);
    capped.set_max_rate(500);
    assert_eq!(capped.max_rate(), Some(500));
    let low = encode(&mut capped, 2 * FPS, 2 * FPS, FPS, &mut state);
    eprintln!(
        "2 s of noise: uncapped {free} B, capped at 2 Mbit/s {high} B, then 0.5 Mbit/s {low} B"
    );

    // The premise: the content would take far more than either cap.
    assert!(free > 4 * budget(2_000, 2), "uncapped {free} B");
    // Each cap holds within a tenth of a second's buffer and some slack.
    assert!(high <= budget(2_000, 2) * 13 / 10, "at 2 Mbit/s: {high} B");
    assert!(low <= budget(500, 2) * 13 / 10, "at 0.5 Mbit/s: {low} B");
    assert!(
        low < high / 2,
        "the lower cap took effect: {low} B vs {high} B"
    );
}

#[test]
fn the_cap_holds_in_real_time_whatever_rate_the_frames_come_at() {
    if !h264_available() {
        return;
    }
    let mut state = 0x9e37_79b9_7f4a_7c15;
    for fps in [10, 60] {
        let mut capped = H264Encoder::with_max_rate(W, H, 1_000).unwrap();
        let bytes = encode(&mut capped, 0, 2 * fps, fps, &mut state);
        eprintln!("2 s of noise at {fps} frames/s capped at 1 Mbit/s: {bytes} B");
        assert!(
            bytes <= budget(1_000, 2) * 13 / 10,
            "{fps} frames/s: {bytes} B in 2 s"
        );
        assert!(
            bytes >= budget(1_000, 2) / 2,
            "{fps} frames/s: {bytes} B in 2 s uses the cap"
        );
    }
}
