//! Stand-in for `h264.rs` when the `h264` feature is off: the same API, but nothing can be
//! created, so the encoder sends motion losslessly and the decoder refuses H264 regions.

use super::{Chroma, CodecError, PixelView, PixelViewMut};
use crate::Rect;
use crate::messages::display::Codec;

const UNAVAILABLE: CodecError = CodecError::Unsupported { codec: Codec::H264 };

/// Whether this build can encode and decode H.264: never, without the `h264` feature.
pub fn available() -> bool {
    false
}

/// Unavailable without the `h264` feature.
#[derive(Debug)]
pub struct H264Encoder(());

impl H264Encoder {
    /// Always fails: built without the `h264` feature.
    pub fn new(_width: u32, _height: u32) -> Result<Self, CodecError> {
        Err(UNAVAILABLE)
    }

    /// Always fails: built without the `h264` feature.
    pub fn with_max_rate(_width: u32, _height: u32, _max_kbps: u32) -> Result<Self, CodecError> {
        Err(UNAVAILABLE)
    }

    /// Always fails: built without the `h264` feature.
    pub fn with_chroma(
        _width: u32,
        _height: u32,
        _max_kbps: u32,
        _chroma: Chroma,
    ) -> Result<Self, CodecError> {
        Err(UNAVAILABLE)
    }

    /// Never called: no encoder can exist.
    pub fn chroma(&self) -> Chroma {
        Chroma::Half
    }

    /// Never called: no encoder can exist.
    pub fn set_max_rate(&mut self, _max_kbps: u32) {}

    /// Never called: no encoder can exist.
    pub fn max_rate(&self) -> Option<u32> {
        None
    }

    /// Never called: no encoder can exist.
    pub fn size(&self) -> (u32, u32) {
        (0, 0)
    }

    /// Never called: no encoder can exist.
    pub fn encode(
        &mut self,
        _src: &PixelView<'_>,
        _rect: Rect,
        _at: std::time::Duration,
    ) -> Result<Vec<u8>, CodecError> {
        Err(UNAVAILABLE)
    }
}

/// Unavailable without the `h264` feature.
#[derive(Debug)]
pub struct H264Decoder(());

impl H264Decoder {
    /// Always fails: built without the `h264` feature.
    pub fn new() -> Result<Self, CodecError> {
        Err(UNAVAILABLE)
    }

    /// Never called: no decoder can exist.
    pub fn chroma(&self) -> Option<Chroma> {
        None
    }

    /// Never called: no decoder can exist.
    pub fn decode(
        &mut self,
        _fb: &mut PixelViewMut<'_>,
        _rect: Rect,
        _payload: &[u8],
    ) -> Result<(), CodecError> {
        Err(UNAVAILABLE)
    }
}
