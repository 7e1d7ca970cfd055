//! Every region decoder a viewer needs, with their reusable state: the zstd context and the
//! video decoder of the current H.264 stream.

use super::{CodecError, H264Decoder, PixelViewMut, ZstdContext, decode_region};
use crate::Rect;
use crate::messages::display::{Codec, RegionUpdate};

/// Decoder state for one framebuffer.
#[derive(Debug)]
pub struct Decoders {
    zstd: ZstdContext,
    /// The video stream in progress and the rectangle it covers; a different rectangle starts
    /// a new stream.
    video: Option<(H264Decoder, Rect)>,
}

impl Decoders {
    /// Fresh decoders.
    pub fn new() -> Result<Self, CodecError> {
        Ok(Self {
            zstd: ZstdContext::new()?,
            video: None,
        })
    }

    /// Applies one region to `fb`.
    pub fn apply(
        &mut self,
        fb: &mut PixelViewMut<'_>,
        region: &RegionUpdate,
    ) -> Result<(), CodecError> {
        if region.codec != Codec::H264 {
            return decode_region(fb, region, &mut self.zstd);
        }
        let rect = region.rect;
        if rect.area() == 0 || !rect.fits_in(fb.width(), fb.height()) {
            return Err(CodecError::OutOfBounds { rect });
        }
        if self.video.as_ref().is_none_or(|(_, r)| *r != rect) {
            self.video = Some((H264Decoder::new()?, rect));
        }
        match self.video.as_mut() {
            Some((decoder, _)) => decoder.decode(fb, rect, &region.payload),
            None => Err(CodecError::Unsupported { codec: Codec::H264 }),
        }
    }

    /// Forgets the video stream (after a keyframe: the next video region starts a new one).
    pub fn reset_video(&mut self) {
        self.video = None;
    }
}
