//! `Palette`: up to 256 colours and packed indices, then zstd. Text and UI tiles have few
//! colours, so indices of 1–4 bits make them a fraction of their raw size before zstd even
//! starts.

use std::collections::HashMap;

use super::{CodecError, PixelView, PixelViewMut, ZstdContext};
use crate::Rect;
use crate::messages::display::Codec;

/// Most colours a palette holds.
pub const MAX_COLOURS: usize = 256;

fn bits_for(colours: usize) -> u32 {
    match colours {
        0..=2 => 1,
        3..=4 => 2,
        5..=16 => 4,
        _ => 8,
    }
}

fn row_bytes(width: u32, bits: u32) -> usize {
    (width as usize * bits as usize).div_ceil(8)
}

/// Encodes `rect` with a palette, or `None` if it has more than [`MAX_COLOURS`] colours (or
/// `max_colours`, when smaller: callers skip palettes that would not win).
pub fn encode_palette(
    ctx: &mut ZstdContext,
    src: &PixelView<'_>,
    rect: Rect,
    max_colours: usize,
) -> Result<Option<Vec<u8>>, CodecError> {
    let limit = max_colours.min(MAX_COLOURS);
    let mut colours: Vec<[u8; 4]> = Vec::new();
    let mut lookup: HashMap<[u8; 4], u8> = HashMap::new();
    let mut indices = Vec::with_capacity(rect.area() as usize);
    for row in src.rows(rect) {
        let mut last: Option<([u8; 4], u8)> = None;
        for px in row.chunks_exact(4) {
            let px = [px[0], px[1], px[2], px[3]];
            let index = match last {
                Some((colour, index)) if colour == px => index,
                _ => match lookup.get(&px) {
                    Some(&index) => index,
                    None => {
                        if colours.len() == limit {
                            return Ok(None);
                        }
                        let index = colours.len() as u8;
                        colours.push(px);
                        lookup.insert(px, index);
                        index
                    }
                },
            };
            last = Some((px, index));
            indices.push(index);
        }
    }
    let bits = bits_for(colours.len());
    let mut body = Vec::with_capacity(
        1 + colours.len() * 4 + row_bytes(rect.width, bits) * rect.height as usize,
    );
    body.push((colours.len() - 1) as u8);
    for colour in &colours {
        body.extend_from_slice(&colour[..3]);
    }
    for row in indices.chunks_exact(rect.width as usize) {
        pack_row(row, bits, &mut body);
    }
    ctx.compress(&body).map(Some)
}

fn pack_row(row: &[u8], bits: u32, out: &mut Vec<u8>) {
    let per_byte = 8 / bits as usize;
    for chunk in row.chunks(per_byte) {
        let mut byte = 0u8;
        for (i, &index) in chunk.iter().enumerate() {
            byte |= index << (8 - bits as usize * (i + 1));
        }
        out.push(byte);
    }
}

pub(super) fn decode(
    fb: &mut PixelViewMut<'_>,
    rect: Rect,
    payload: &[u8],
    ctx: &mut ZstdContext,
) -> Result<(), CodecError> {
    let max = 1 + MAX_COLOURS * 3 + rect.width as usize * rect.height as usize;
    let data = ctx.decompress(Codec::Palette, payload, max)?;
    let (&count, rest) = data
        .split_first()
        .ok_or_else(|| CodecError::malformed(Codec::Palette, "empty payload"))?;
    let colours = count as usize + 1;
    let bits = bits_for(colours);
    let stride = row_bytes(rect.width, bits);
    let expected = colours * 3 + stride * rect.height as usize;
    if rest.len() != expected {
        return Err(CodecError::malformed(
            Codec::Palette,
            format!("{} bytes after the count, expected {expected}", rest.len()),
        ));
    }
    let (palette, packed) = rest.split_at(colours * 3);
    let mask = ((1u16 << bits) - 1) as u8;
    for (y, row) in packed.chunks_exact(stride).enumerate() {
        let out = fb.row_mut(rect, y as u32);
        for (x, px) in out.chunks_exact_mut(4).enumerate() {
            let bit = x * bits as usize;
            let index = (row[bit / 8] >> (8 - bits as usize - bit % 8)) & mask;
            let index = index as usize;
            if index >= colours {
                return Err(CodecError::malformed(
                    Codec::Palette,
                    format!("index {index} outside a {colours}-colour palette"),
                ));
            }
            px.copy_from_slice(&[
                palette[index * 3],
                palette[index * 3 + 1],
                palette[index * 3 + 2],
                0xff,
            ]);
        }
    }
    Ok(())
}
