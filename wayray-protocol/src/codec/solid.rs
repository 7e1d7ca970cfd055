//! `Solid`: one colour fills the rectangle.

use super::{CodecError, PixelView, PixelViewMut};
use crate::Rect;
use crate::messages::display::Codec;

/// The colour of `rect` if every pixel has it.
pub fn solid_colour(src: &PixelView<'_>, rect: Rect) -> Option<[u8; 4]> {
    let first = src.pixel(rect.x, rect.y);
    src.rows(rect)
        .all(|row| row.chunks_exact(4).all(|p| p == first))
        .then_some(first)
}

/// The payload for a solid colour.
pub fn encode_solid(colour: [u8; 4]) -> Vec<u8> {
    colour.to_vec()
}

pub(super) fn decode(
    fb: &mut PixelViewMut<'_>,
    rect: Rect,
    payload: &[u8],
) -> Result<(), CodecError> {
    let colour: [u8; 4] = payload.try_into().map_err(|_| {
        CodecError::malformed(Codec::Solid, format!("{} bytes, expected 4", payload.len()))
    })?;
    for y in 0..rect.height {
        for px in fb.row_mut(rect, y).chunks_exact_mut(4) {
            px.copy_from_slice(&colour);
        }
    }
    Ok(())
}
