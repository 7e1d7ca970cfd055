//! Which chroma format a video region's stream takes: 4:4:4 only for a viewer that decodes
//! it and while the rate allows, back to 4:2:0 when the rate falls.

use std::time::Instant;

use wayray_protocol::Rect;
use wayray_protocol::codec::{Chroma, h264_available};

use super::{FULL_CHROMA_KBPS, Motion};

const W: u32 = 512;
const H: u32 = 256;
const TILE: u32 = 64;
/// A window said to show video, covering whole tiles.
const WINDOW: Rect = Rect::new(64, 64, 256, 128);

/// A tracker whose region over [`WINDOW`] has started, at `kbps`, for a viewer that decodes
/// 4:4:4 (`full`) or not.
fn streaming(full: bool, kbps: u32) -> Motion {
    let mut motion = Motion::new(W, H, TILE, true);
    motion.set_full_chroma(full);
    motion.set_rate(kbps);
    let changed = [Rect::new(64, 64, TILE, TILE)];
    let rect = motion.update_region(&changed, &[WINDOW], W, H, Instant::now());
    assert_eq!(rect, Some(WINDOW));
    motion
}

#[test]
fn a_stream_keeps_full_chroma_only_for_a_viewer_that_decodes_it_at_a_rate_that_allows_it() {
    if !h264_available() {
        assert!(std::env::var("CI").is_err(), "libx264 missing in CI");
        return;
    }
    let fast = FULL_CHROMA_KBPS * 4;
    assert_eq!(streaming(true, fast).chroma_now(), Some(Chroma::Full));
    assert_eq!(streaming(false, fast).chroma_now(), Some(Chroma::Half));
    assert_eq!(
        streaming(true, FULL_CHROMA_KBPS - 1).chroma_now(),
        Some(Chroma::Half)
    );
}

#[test]
fn a_full_chroma_stream_starts_again_in_half_chroma_when_the_rate_falls_and_stays_so() {
    if !h264_available() {
        assert!(std::env::var("CI").is_err(), "libx264 missing in CI");
        return;
    }
    let mut motion = streaming(true, FULL_CHROMA_KBPS * 4);
    motion.set_rate(FULL_CHROMA_KBPS / 2);
    assert_eq!(motion.active(), Some(WINDOW), "the region goes on");
    assert_eq!(motion.chroma_now(), Some(Chroma::Half));
    // Back up: the stream keeps 4:2:0 (no new keyframe of video) until the next region.
    motion.set_rate(FULL_CHROMA_KBPS * 4);
    assert_eq!(motion.chroma_now(), Some(Chroma::Half));
}

#[test]
fn a_full_chroma_stream_starts_again_in_half_chroma_for_a_viewer_without_it() {
    if !h264_available() {
        assert!(std::env::var("CI").is_err(), "libx264 missing in CI");
        return;
    }
    let mut motion = streaming(true, FULL_CHROMA_KBPS * 4);
    motion.set_full_chroma(false);
    assert_eq!(motion.active(), Some(WINDOW));
    assert_eq!(motion.chroma_now(), Some(Chroma::Half));
}

#[test]
fn a_region_grows_over_the_edge_tiles_that_change_with_it() {
    if !h264_available() {
        assert!(std::env::var("CI").is_err(), "libx264 missing in CI");
        return;
    }
    let mut motion = streaming(false, 4_000);
    let now = Instant::now();
    let inside = Rect::new(64, 64, TILE, TILE);
    // Right of the window (a video not aligned to the tiles covers part of it), and far away.
    let edge = Rect::new(320, 64, TILE, TILE);
    let far = Rect::new(448, 192, TILE, TILE);
    let below = Rect::new(64, 192, TILE, TILE);
    for i in 1..super::HOT_CHANGES {
        // `below` misses one frame in the middle: it starts counting again.
        let mut changed = vec![inside, edge, far];
        if i != 2 {
            changed.push(below);
        }
        let rect = motion.update_region(&changed, &[], W, H, now);
        assert_eq!(rect, Some(WINDOW), "frame {i}: not yet");
    }
    let grown = motion.update_region(&[inside, edge, far, below], &[], W, H, now);
    assert_eq!(
        grown,
        Some(Rect::new(64, 64, 320, 128)),
        "grown over the edge tile, not over the far one nor one that missed a frame"
    );
    // A frame in which the region itself did not change grows nothing.
    for _ in 0..super::HOT_CHANGES {
        motion.update_region(&[below], &[], W, H, now);
    }
    assert_eq!(motion.active(), Some(Rect::new(64, 64, 320, 128)));
}

#[test]
fn a_region_whose_damage_waits_does_not_end_as_idle() {
    if !h264_available() {
        assert!(std::env::var("CI").is_err(), "libx264 missing in CI");
        return;
    }
    let mut motion = streaming(false, 4_000);
    let start = Instant::now();
    let later = start + super::IDLE_REFRESH + std::time::Duration::from_millis(100);
    // Frames beside the video meanwhile: the video's damage is pending, not idle.
    motion.touch(later);
    assert!(motion.end_if_idle(later).is_empty());
    assert_eq!(motion.active(), Some(WINDOW));
    // Without it, the same wait ends the region.
    let mut quiet = streaming(false, 4_000);
    quiet.end_if_idle(later);
    assert_eq!(quiet.active(), None);
}
