//! `CopyRect`: the region's pixels are a copy of a same-sized rectangle elsewhere in the
//! framebuffer as it is when the region is applied (scrolling, window moves).

use super::{CodecError, PixelViewMut};
use crate::Rect;
use crate::messages::display::Codec;

/// The payload for a copy from `(src_x, src_y)`.
pub fn encode_copy_rect(src_x: u32, src_y: u32) -> Vec<u8> {
    let mut out = Vec::with_capacity(8);
    out.extend_from_slice(&src_x.to_le_bytes());
    out.extend_from_slice(&src_y.to_le_bytes());
    out
}

/// Applies a copy to `fb`: used by the decoder and by the encoder on its own shadow copy.
pub fn copy_rect(fb: &mut PixelViewMut<'_>, src: (u32, u32), dst: Rect) -> Result<(), CodecError> {
    let source = Rect::new(src.0, src.1, dst.width, dst.height);
    if !source.fits_in(fb.width(), fb.height()) || !dst.fits_in(fb.width(), fb.height()) {
        return Err(CodecError::malformed(
            Codec::CopyRect,
            format!("source {source:?} is outside the framebuffer"),
        ));
    }
    fb.move_rect(src, dst);
    Ok(())
}

/// The source corner a copy's payload names, if it is well formed.
pub fn source(payload: &[u8]) -> Option<(u32, u32)> {
    let bytes: [u8; 8] = payload.try_into().ok()?;
    Some((
        u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]),
        u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]),
    ))
}

pub(super) fn decode(
    fb: &mut PixelViewMut<'_>,
    rect: Rect,
    payload: &[u8],
) -> Result<(), CodecError> {
    let bytes: [u8; 8] = payload.try_into().map_err(|_| {
        CodecError::malformed(
            Codec::CopyRect,
            format!("{} bytes, expected 8", payload.len()),
        )
    })?;
    let src_x = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    let src_y = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]);
    copy_rect(fb, (src_x, src_y), rect)
}
