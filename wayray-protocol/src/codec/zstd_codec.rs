//! `RawZstd` and `DeltaZstd`: the rectangle's rows, as they are or XORed with its previous
//! content, compressed with zstd through a reused context. Pixels travel as B, G, R (the
//! output is opaque); decoders write alpha 255.
//!
//! A context compresses each payload on its own, or, made with [`ZstdContext::stream`],
//! as the next part of its frame update's stream (`zstd_stream`).

use super::zstd_stream::ZstdStream;
use super::{CodecError, PixelView, PixelViewMut};
use crate::Rect;
use crate::messages::display::Codec;

/// zstd level: 1 is the fastest; text and UI compress well even there.
pub const LEVEL: i32 = 1;

/// Reusable compression and decompression state (one per encoder worker / decoder).
pub struct ZstdContext {
    compressor: zstd::bulk::Compressor<'static>,
    decompressor: zstd::bulk::Decompressor<'static>,
    scratch: Vec<u8>,
    /// Payloads are the parts of one stream.
    stream: Option<ZstdStream>,
}

impl std::fmt::Debug for ZstdContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZstdContext").finish_non_exhaustive()
    }
}

impl ZstdContext {
    /// A new context.
    pub fn new() -> Result<Self, CodecError> {
        Ok(Self {
            compressor: zstd::bulk::Compressor::new(LEVEL)
                .map_err(|e| CodecError::Compress(e.to_string()))?,
            decompressor: zstd::bulk::Decompressor::new()
                .map_err(|e| CodecError::Compress(e.to_string()))?,
            scratch: Vec::new(),
            stream: None,
        })
    }

    /// A context whose payloads are the parts of one zstd stream (`zstd-stream`): call
    /// [`ZstdContext::restart_stream`] at each keyframe, then compress or decompress the
    /// zstd-coded regions of it and of the frames after it in their order.
    pub fn stream() -> Result<Self, CodecError> {
        Ok(Self {
            stream: Some(ZstdStream::default()),
            ..Self::new()?
        })
    }

    /// Whether payloads are parts of one stream.
    pub fn is_stream(&self) -> bool {
        self.stream.is_some()
    }

    /// A keyframe begins: its first part depends on nothing earlier (nothing to do for a
    /// context that compresses payloads one by one).
    pub fn restart_stream(&mut self) -> Result<(), CodecError> {
        match self.stream.as_mut() {
            Some(stream) => stream.restart(),
            None => Ok(()),
        }
    }

    pub(super) fn compress_scratch(&mut self) -> Result<Vec<u8>, CodecError> {
        if let Some(stream) = self.stream.as_mut() {
            return stream.compress(&self.scratch);
        }
        self.compressor
            .compress(&self.scratch)
            .map_err(|e| CodecError::Compress(e.to_string()))
    }

    /// Compresses arbitrary bytes (palette payloads).
    pub(super) fn compress(&mut self, data: &[u8]) -> Result<Vec<u8>, CodecError> {
        if let Some(stream) = self.stream.as_mut() {
            return stream.compress(data);
        }
        self.compressor
            .compress(data)
            .map_err(|e| CodecError::Compress(e.to_string()))
    }

    /// Decompresses `payload` into the scratch buffer; it must be at most `max` bytes long.
    pub(super) fn decompress(
        &mut self,
        codec: Codec,
        payload: &[u8],
        max: usize,
    ) -> Result<&[u8], CodecError> {
        if let Some(stream) = self.stream.as_mut() {
            stream.decompress(codec, payload, max, &mut self.scratch)?;
            return Ok(&self.scratch);
        }
        self.scratch.clear();
        self.scratch.reserve_exact(max);
        let error = |detail: String| CodecError::Decompress {
            codec,
            expected: max,
            detail,
        };
        self.decompressor
            .decompress_to_buffer(payload, &mut self.scratch)
            .map_err(|e| error(e.to_string()))?;
        if self.scratch.len() > max {
            return Err(error(format!("got {} bytes", self.scratch.len())));
        }
        Ok(&self.scratch)
    }
}

/// Encodes `rect` of `src` as raw rows + zstd. The output is opaque, so only B, G and R are
/// sent (3 bytes a pixel); the decoder sets alpha to 255.
pub fn encode_raw(
    ctx: &mut ZstdContext,
    src: &PixelView<'_>,
    rect: Rect,
) -> Result<Vec<u8>, CodecError> {
    ctx.scratch.clear();
    for row in src.rows(rect) {
        ctx.scratch
            .extend(row.chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]));
    }
    ctx.compress_scratch()
}

/// Encodes `rect` of `src` as the XOR with the same rectangle of `previous`, + zstd.
pub fn encode_delta(
    ctx: &mut ZstdContext,
    src: &PixelView<'_>,
    previous: &PixelView<'_>,
    rect: Rect,
) -> Result<Vec<u8>, CodecError> {
    ctx.scratch.clear();
    for (new, old) in src.rows(rect).zip(previous.rows(rect)) {
        ctx.scratch.extend(
            new.chunks_exact(4)
                .zip(old.chunks_exact(4))
                .flat_map(|(a, b)| [a[0] ^ b[0], a[1] ^ b[1], a[2] ^ b[2]]),
        );
    }
    ctx.compress_scratch()
}

fn expected_len(rect: Rect) -> usize {
    rect.width as usize * rect.height as usize * 3
}

fn exact(codec: Codec, data: &[u8], expected: usize) -> Result<&[u8], CodecError> {
    if data.len() != expected {
        return Err(CodecError::Decompress {
            codec,
            expected,
            detail: format!("got {} bytes", data.len()),
        });
    }
    Ok(data)
}

/// Decompresses the B, G, R payload of `rect` and hands each framebuffer pixel with its three
/// payload bytes to `apply`.
fn decode_bgr(
    fb: &mut PixelViewMut<'_>,
    rect: Rect,
    payload: &[u8],
    ctx: &mut ZstdContext,
    codec: Codec,
    apply: impl Fn(&mut [u8], &[u8]),
) -> Result<(), CodecError> {
    let expected = expected_len(rect);
    let data = exact(codec, ctx.decompress(codec, payload, expected)?, expected)?;
    let row_bytes = rect.width as usize * 3;
    for (y, row) in data.chunks_exact(row_bytes).enumerate() {
        for (dst, src) in fb
            .row_mut(rect, y as u32)
            .chunks_exact_mut(4)
            .zip(row.chunks_exact(3))
        {
            apply(dst, src);
        }
    }
    Ok(())
}

pub(super) fn decode_raw(
    fb: &mut PixelViewMut<'_>,
    rect: Rect,
    payload: &[u8],
    ctx: &mut ZstdContext,
) -> Result<(), CodecError> {
    decode_bgr(fb, rect, payload, ctx, Codec::RawZstd, |dst, src| {
        dst.copy_from_slice(&[src[0], src[1], src[2], 0xff]);
    })
}

pub(super) fn decode_delta(
    fb: &mut PixelViewMut<'_>,
    rect: Rect,
    payload: &[u8],
    ctx: &mut ZstdContext,
) -> Result<(), CodecError> {
    decode_bgr(fb, rect, payload, ctx, Codec::DeltaZstd, |dst, x| {
        dst[0] ^= x[0];
        dst[1] ^= x[1];
        dst[2] ^= x[2];
        dst[3] = 0xff;
    })
}
