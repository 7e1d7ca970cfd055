//! What the encoder takes for a frame and the figures it gives back.

use std::time::Instant;

use wayray_protocol::Rect;

use crate::session::capture::MoveHint;

/// Per-frame figures, for stats and benchmarks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FrameStats {
    /// Tiles the damage touched.
    pub tiles_damaged: usize,
    /// Tiles that had not changed and were skipped.
    pub tiles_unchanged: usize,
    /// Copy-rectangle regions sent.
    pub copies: usize,
    /// Payload bytes of the frame.
    pub bytes: usize,
    /// Bytes of H.264 video in the frame.
    pub video_bytes: usize,
    /// Tiles refreshed losslessly after their video stopped.
    pub refreshed: usize,
}

/// One frame to encode.
#[derive(Clone, Copy, Debug)]
pub struct FrameInput<'a> {
    /// The whole output, tightly packed BGRA.
    pub pixels: &'a [u8],
    /// Output width.
    pub width: u32,
    /// Output height.
    pub height: u32,
    /// What changed since the previous encoded frame.
    pub damage: &'a [Rect],
    /// Windows that moved since the previous encoded frame.
    pub moves: &'a [MoveHint],
    /// Windows whose application says they show video: streamed from their first change.
    pub video: &'a [Rect],
    /// Send the whole output, depending on nothing earlier.
    pub keyframe: bool,
    /// Capture time (drives motion detection and video refresh).
    pub now: Instant,
    /// Captured frames merged into this one (1: none coalesced). A tile that changed
    /// costly in a frame that merged many counts as that many changes: on a slow link the
    /// frames a video makes are merged while the viewer catches up, and the video must still
    /// be found.
    pub captures: u64,
}

impl<'a> FrameInput<'a> {
    /// A frame with `damage` and no move hints.
    pub fn new(
        pixels: &'a [u8],
        width: u32,
        height: u32,
        damage: &'a [Rect],
        now: Instant,
    ) -> Self {
        Self {
            pixels,
            width,
            height,
            damage,
            moves: &[],
            video: &[],
            keyframe: false,
            now,
            captures: 1,
        }
    }

    /// The same frame as a keyframe.
    pub fn keyframe(mut self, keyframe: bool) -> Self {
        self.keyframe = keyframe;
        self
    }
}
