//! The viewer's copy of the session output, and applying frame updates to it.

use std::collections::BTreeSet;

use wayray_protocol::Rect;
use wayray_protocol::codec::{CodecError, Decoders, PixelView, PixelViewMut};
use wayray_protocol::messages::display::FrameUpdate;

/// A frame update could not be applied. The framebuffer may hold part of it; ask the server
/// for a keyframe.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// A frame is missing between the last one applied and this one.
    #[error("frame {got} arrived but {expected} was expected; a keyframe is needed")]
    Gap {
        /// The next sequence number expected.
        expected: u64,
        /// The one that arrived.
        got: u64,
    },
    /// The first update after start or a resize must be a keyframe.
    #[error("frame {sequence} depends on earlier frames this viewer does not have")]
    NeedKeyframe {
        /// The frame.
        sequence: u64,
    },
    /// A region failed to decode.
    #[error("region {index} of frame {sequence}: {source}")]
    Region {
        /// The frame.
        sequence: u64,
        /// Index of the region in the frame.
        index: usize,
        /// Why.
        source: CodecError,
    },
    /// The decoders could not be created.
    #[error("cannot set up the decoder: {0}")]
    Setup(CodecError),
    /// A keyframe declares an output larger than any viewer shows.
    #[error(
        "the server declared a {width}x{height} output, larger than {MAX_SIDE}x{MAX_SIDE} or {MAX_PIXELS} pixels"
    )]
    TooLarge {
        /// Declared width.
        width: u32,
        /// Declared height.
        height: u32,
    },
}

/// The longest side of an output the viewer accepts.
pub const MAX_SIDE: u32 = 16_384;

/// Frames applied ahead of their turn, at most (the server keeps fewer in flight).
const MAX_AHEAD: usize = 64;
/// The most pixels an output may have (8K UHD twice over; 256 MiB of BGRA).
pub const MAX_PIXELS: u64 = 64 * 1024 * 1024;

/// The session output as the viewer knows it: tightly packed BGRA.
pub struct Framebuffer {
    width: u32,
    height: u32,
    pixels: Vec<u8>,
    last_sequence: Option<u64>,
    /// Frames applied ahead of their turn (they overtook video frames), until their turn.
    ahead: BTreeSet<u64>,
    decoders: Decoders,
    cached_regions: u64,
}

impl std::fmt::Debug for Framebuffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Framebuffer")
            .field("width", &self.width)
            .field("height", &self.height)
            .field("last_sequence", &self.last_sequence)
            .finish_non_exhaustive()
    }
}

impl Framebuffer {
    /// An empty framebuffer; the first update must be a keyframe.
    pub fn new() -> Result<Self, ApplyError> {
        Ok(Self {
            width: 0,
            height: 0,
            pixels: Vec::new(),
            last_sequence: None,
            ahead: BTreeSet::new(),
            decoders: Decoders::new().map_err(ApplyError::Setup)?,
            cached_regions: 0,
        })
    }

    /// Keeps a content cache for the connection that negotiated one (or none).
    pub fn set_content_cache(&mut self, enabled: bool) {
        self.decoders.set_content_cache(enabled);
    }

    /// Decodes zstd-coded regions as the parts of one stream from each keyframe on
    /// (`zstd-stream`) or each on its own, as the connection negotiated.
    pub fn set_zstd_stream(&mut self, enabled: bool) -> Result<(), ApplyError> {
        self.decoders
            .set_zstd_stream(enabled)
            .map_err(ApplyError::Setup)
    }

    /// Width in pixels (0 before the first keyframe).
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// The pixels, tightly packed BGRA.
    pub fn pixels(&self) -> &[u8] {
        &self.pixels
    }

    /// The pixel at `(x, y)` as `[b, g, r, a]`.
    pub fn pixel(&self, x: u32, y: u32) -> [u8; 4] {
        PixelView::packed(&self.pixels, self.width, self.height)
            .map(|v| v.pixel(x, y))
            .unwrap_or_default()
    }

    /// Regions applied from the content cache so far.
    pub fn cached_regions(&self) -> u64 {
        self.cached_regions
    }

    /// The chroma format of the last video picture applied, if any (4:4:4 where the server
    /// sends it to a viewer announcing `h264-444`).
    pub fn video_chroma(&self) -> Option<wayray_protocol::codec::Chroma> {
        self.decoders.video_chroma()
    }

    /// Sequence number of the last frame applied.
    pub fn last_sequence(&self) -> Option<u64> {
        self.last_sequence
    }

    /// Applies `update` (regions in order) and returns the rectangles it changed.
    pub fn apply(&mut self, update: &FrameUpdate) -> Result<Vec<Rect>, ApplyError> {
        if update.keyframe {
            self.decoders.reset().map_err(|source| ApplyError::Region {
                sequence: update.sequence,
                index: 0,
                source,
            })?;
            if (update.output_width, update.output_height) != (self.width, self.height) {
                let (width, height) = (update.output_width, update.output_height);
                if width > MAX_SIDE
                    || height > MAX_SIDE
                    || u64::from(width) * u64::from(height) > MAX_PIXELS
                {
                    return Err(ApplyError::TooLarge { width, height });
                }
                self.width = update.output_width;
                self.height = update.output_height;
                self.pixels = vec![0; self.width as usize * self.height as usize * 4];
            }
        } else {
            match self.last_sequence {
                None => {
                    return Err(ApplyError::NeedKeyframe {
                        sequence: update.sequence,
                    });
                }
                // After frame u64::MAX only a keyframe can follow.
                Some(u64::MAX) => {
                    return Err(ApplyError::NeedKeyframe {
                        sequence: update.sequence,
                    });
                }
                Some(last) if update.sequence != last + 1 => {
                    return Err(ApplyError::Gap {
                        expected: last + 1,
                        got: update.sequence,
                    });
                }
                Some(_)
                    if (update.output_width, update.output_height) != (self.width, self.height) =>
                {
                    return Err(ApplyError::NeedKeyframe {
                        sequence: update.sequence,
                    });
                }
                Some(_) => {}
            }
        }
        self.apply_regions(update)?;
        let mut last = update.sequence;
        if update.keyframe {
            self.ahead.clear();
        }
        // Frames applied ahead are passed over when their turn comes.
        while let Some(next) = last.checked_add(1)
            && self.ahead.remove(&next)
        {
            last = next;
        }
        self.last_sequence = Some(last);
        self.count_cached(update);
        Ok(update.regions.iter().map(|r| r.rect).collect())
    }

    /// Applies `update` ahead of its turn: frames between the last one applied and it are
    /// still to come (they only play video away from it; capability `overtake`).
    pub fn apply_ahead(&mut self, update: &FrameUpdate) -> Result<Vec<Rect>, ApplyError> {
        let newer = self
            .last_sequence
            .is_some_and(|last| update.sequence > last.saturating_add(1));
        if update.keyframe
            || !newer
            || self.ahead.len() >= MAX_AHEAD
            || (update.output_width, update.output_height) != (self.width, self.height)
        {
            return Err(ApplyError::NeedKeyframe {
                sequence: update.sequence,
            });
        }
        self.apply_regions(update)?;
        self.ahead.insert(update.sequence);
        self.count_cached(update);
        Ok(update.regions.iter().map(|r| r.rect).collect())
    }

    /// Decodes the regions of `update` into the framebuffer, in order.
    fn apply_regions(&mut self, update: &FrameUpdate) -> Result<(), ApplyError> {
        let mut view = PixelViewMut::packed(&mut self.pixels, self.width, self.height).ok_or(
            ApplyError::NeedKeyframe {
                sequence: update.sequence,
            },
        )?;
        for (index, region) in update.regions.iter().enumerate() {
            self.decoders
                .apply(&mut view, region)
                .map_err(|source| ApplyError::Region {
                    sequence: update.sequence,
                    index,
                    source,
                })?;
        }
        Ok(())
    }

    fn count_cached(&mut self, update: &FrameUpdate) {
        self.cached_regions += update
            .regions
            .iter()
            .filter(|r| r.codec == wayray_protocol::messages::display::Codec::Cached)
            .count() as u64;
    }
}

#[cfg(test)]
mod tests {
    use wayray_protocol::messages::display::{Codec, RegionUpdate};

    use super::*;

    fn solid(sequence: u64, keyframe: bool, rect: Rect) -> FrameUpdate {
        FrameUpdate {
            sequence,
            output_width: 4,
            output_height: 4,
            keyframe,
            regions: vec![RegionUpdate {
                rect,
                codec: Codec::Solid,
                payload: vec![1, 2, 3, 255],
            }],
        }
    }

    #[test]
    fn needs_a_keyframe_first_and_refuses_gaps() {
        let mut fb = Framebuffer::new().unwrap();
        let all = Rect::new(0, 0, 4, 4);
        assert!(matches!(
            fb.apply(&solid(1, false, all)),
            Err(ApplyError::NeedKeyframe { .. })
        ));
        fb.apply(&solid(1, true, all)).unwrap();
        assert_eq!(fb.pixel(3, 3), [1, 2, 3, 255]);
        fb.apply(&solid(2, false, Rect::new(0, 0, 1, 1))).unwrap();
        assert!(matches!(
            fb.apply(&solid(4, false, all)),
            Err(ApplyError::Gap {
                expected: 3,
                got: 4
            })
        ));
    }

    #[test]
    fn a_frame_applied_ahead_is_passed_over_when_its_turn_comes() {
        let mut fb = Framebuffer::new().unwrap();
        let all = Rect::new(0, 0, 4, 4);
        assert!(
            fb.apply_ahead(&solid(3, false, all)).is_err(),
            "no keyframe yet"
        );
        fb.apply(&solid(1, true, all)).unwrap();
        assert!(
            fb.apply_ahead(&solid(2, false, all)).is_err(),
            "2 is next: not ahead"
        );
        assert!(
            fb.apply_ahead(&solid(5, true, all)).is_err(),
            "keyframes never go ahead"
        );
        let mut corner = solid(4, false, Rect::new(3, 3, 1, 1));
        corner.regions[0].payload = vec![9, 9, 9, 255];
        fb.apply_ahead(&corner).unwrap();
        assert_eq!(fb.pixel(3, 3), [9, 9, 9, 255]);
        assert_eq!(fb.last_sequence(), Some(1));
        fb.apply(&solid(2, false, Rect::new(0, 0, 1, 1))).unwrap();
        fb.apply(&solid(3, false, Rect::new(0, 0, 1, 1))).unwrap();
        assert_eq!(
            fb.last_sequence(),
            Some(4),
            "3 then the frame applied ahead"
        );
        fb.apply(&solid(5, false, Rect::new(0, 0, 1, 1))).unwrap();
        assert_eq!(fb.pixel(3, 3), [9, 9, 9, 255]);
    }

    #[test]
    fn a_bad_region_is_an_error() {
        let mut fb = Framebuffer::new().unwrap();
        let mut update = solid(1, true, Rect::new(0, 0, 4, 4));
        update.regions[0].payload = vec![1];
        assert!(matches!(
            fb.apply(&update),
            Err(ApplyError::Region { index: 0, .. })
        ));
    }

    #[test]
    fn a_keyframe_declaring_a_huge_output_is_refused_before_anything_is_allocated() {
        let mut fb = Framebuffer::new().unwrap();
        for (width, height) in [(65_536, 16_384), (16_384, 16_384), (u32::MAX, 1)] {
            let mut update = solid(1, true, Rect::new(0, 0, 1, 1));
            (update.output_width, update.output_height) = (width, height);
            assert!(
                matches!(fb.apply(&update), Err(ApplyError::TooLarge { .. })),
                "{width}x{height}"
            );
            assert!(fb.pixels().is_empty());
        }
    }

    #[test]
    fn frame_u64_max_is_followed_only_by_a_keyframe() {
        let mut fb = Framebuffer::new().unwrap();
        let all = Rect::new(0, 0, 4, 4);
        fb.apply(&solid(u64::MAX, true, all)).unwrap();
        assert!(matches!(
            fb.apply(&solid(0, false, all)),
            Err(ApplyError::NeedKeyframe { sequence: 0 })
        ));
        fb.apply(&solid(0, true, all)).unwrap();
    }
}
