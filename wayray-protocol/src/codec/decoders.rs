//! Every region decoder a viewer needs, with their reusable state: the zstd context, the
//! video decoder of the current H.264 stream and the content cache.

use super::cache::remembered;
use super::{
    Chroma, CodecError, H264Decoder, PixelCache, PixelViewMut, ZstdContext, decode_region,
};
use crate::Rect;
use crate::messages::display::{Codec, RegionUpdate};

/// Decoder state for one framebuffer.
#[derive(Debug)]
pub struct Decoders {
    zstd: ZstdContext,
    /// The video stream in progress and the rectangle it covers; a different rectangle starts
    /// a new stream.
    video: Option<(H264Decoder, Rect)>,
    /// The content cache, where the connection uses one.
    cache: Option<PixelCache>,
    /// The chroma format of the last video picture decoded.
    video_chroma: Option<Chroma>,
}

impl Decoders {
    /// Fresh decoders.
    pub fn new() -> Result<Self, CodecError> {
        Ok(Self {
            zstd: ZstdContext::new()?,
            video: None,
            cache: None,
            video_chroma: None,
        })
    }

    /// Keeps a content cache (the connection negotiated one) or none.
    pub fn set_content_cache(&mut self, enabled: bool) {
        self.cache = enabled.then(PixelCache::default);
    }

    /// Decodes zstd-coded regions as the parts of one stream from each keyframe on
    /// (`zstd-stream`) or each on its own.
    pub fn set_zstd_stream(&mut self, enabled: bool) -> Result<(), CodecError> {
        if enabled != self.zstd.is_stream() {
            self.zstd = if enabled {
                ZstdContext::stream()?
            } else {
                ZstdContext::new()?
            };
        }
        Ok(())
    }

    /// Applies one region to `fb`.
    pub fn apply(
        &mut self,
        fb: &mut PixelViewMut<'_>,
        region: &RegionUpdate,
    ) -> Result<(), CodecError> {
        let rect = region.rect;
        if region.codec == Codec::Cached {
            if rect.area() == 0 || !rect.fits_in(fb.width(), fb.height()) {
                return Err(CodecError::OutOfBounds { rect });
            }
            return match self.cache.as_mut() {
                Some(cache) => cache.apply(fb, rect, &region.payload),
                None => Err(CodecError::Unsupported {
                    codec: Codec::Cached,
                }),
            };
        }
        if region.codec != Codec::H264 {
            decode_region(fb, region, &mut self.zstd)?;
            if let Some(cache) = self.cache.as_mut()
                && remembered(region.codec, rect)
            {
                cache.remember(fb, rect);
            }
            return Ok(());
        }
        if rect.area() == 0 || !rect.fits_in(fb.width(), fb.height()) {
            return Err(CodecError::OutOfBounds { rect });
        }
        if self.video.as_ref().is_none_or(|(_, r)| *r != rect) {
            self.video = Some((H264Decoder::new()?, rect));
        }
        match self.video.as_mut() {
            Some((decoder, _)) => {
                decoder.decode(fb, rect, &region.payload)?;
                self.video_chroma = decoder.chroma();
                Ok(())
            }
            None => Err(CodecError::Unsupported { codec: Codec::H264 }),
        }
    }

    /// The chroma format of the last video picture decoded (4:4:4 only from a server that
    /// was told `h264-444`), if any was.
    pub fn video_chroma(&self) -> Option<Chroma> {
        self.video_chroma
    }

    /// After a keyframe: forgets the video stream (the next video region starts a new one),
    /// empties the content cache and starts the zstd stream again.
    pub fn reset(&mut self) -> Result<(), CodecError> {
        self.video = None;
        if let Some(cache) = self.cache.as_mut() {
            cache.clear();
        }
        self.zstd.restart_stream()
    }
}
