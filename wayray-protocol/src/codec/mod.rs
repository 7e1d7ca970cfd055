//! Region codecs: how the pixels of one rectangle are encoded in a `RegionUpdate` payload, and
//! how they are decoded into a framebuffer. Shared by the server's encoder and the viewer's
//! decoder so that round trips are testable without I/O.
//!
//! Pixels are BGRA bytes (wl_shm ARGB8888 in memory order). The session output is opaque, so
//! the pixel codecs carry only B, G and R and decoders write alpha 255; every lossless codec
//! decodes to exactly the pixels of an opaque output. Decoders must never panic on payloads from the
//! network: sizes are checked before anything is allocated or written.
//!
//! | codec | payload |
//! |---|---|
//! | `Solid` | 4 bytes: the colour |
//! | `Palette` | zstd of: colour count − 1 (u8), the colours (B, G, R), then row-major indices packed at 1, 2, 4 or 8 bits, each row starting on a byte |
//! | `RawZstd` | zstd of the rows as B, G, R |
//! | `DeltaZstd` | zstd of the rows' B, G, R XORed with the rectangle's previous content |
//! | `CopyRect` | source x and y (u32 little-endian each): copy a same-sized rectangle from there |
//! | `H264` | an H.264 access unit (see the video module of each side) |
//! | `Cached` | content the viewer holds in its cache: its key (16 bytes, little-endian), or its ordinal (postcard varint) and the key's low 32 bits (little-endian) |
//!
//! "zstd of" is a zstd frame of its own, or, with the `zstd-stream` capability, the next flushed
//! part of one zstd stream that runs from a keyframe through every zstd-coded region after it,
//! in the order they are applied ([`ZstdContext::stream`]).

pub mod cache;
mod chroma;
mod copy_rect;
mod decoders;
mod error;
#[cfg(feature = "h264")]
mod h264;
#[cfg(not(feature = "h264"))]
#[path = "h264_stub.rs"]
mod h264;
mod palette;
mod pixels;
mod solid;
mod zstd_codec;
mod zstd_stream;

pub use cache::{ContentCache, ContentKey, PixelCache};
pub use chroma::Chroma;
pub use copy_rect::{copy_rect, encode_copy_rect, source as copy_source};
pub use decoders::Decoders;
pub use error::CodecError;
pub use h264::{H264Decoder, H264Encoder, available as h264_available};
pub use palette::{MAX_COLOURS as MAX_PALETTE_COLOURS, encode_palette};
pub use pixels::{PixelView, PixelViewMut};
pub use solid::{encode_solid, solid_colour};
pub use zstd_codec::{ZstdContext, encode_delta, encode_raw};
pub use zstd_stream::WINDOW_LOG as STREAM_WINDOW_LOG;

use crate::Rect;
use crate::messages::display::{Codec, RegionUpdate};

/// The largest region, in pixels, that a pixel-carrying codec (palette, raw, delta) may cover.
/// Encoders cut damage into tiles far smaller; the limit bounds what a peer can make the
/// decoder allocate.
pub const MAX_CODED_PIXELS: u64 = 512 * 512;

/// Applies one region update to `fb`. `zstd` is a reusable decompression context.
///
/// The rectangle must lie inside `fb` (frame validation guarantees it for decoded messages;
/// it is checked again here). `H264` and `Cached` regions are not handled here: the viewer's
/// video decoder and content cache own them ([`Decoders`]), so this returns
/// [`CodecError::Unsupported`] for them.
pub fn decode_region(
    fb: &mut PixelViewMut<'_>,
    region: &RegionUpdate,
    zstd: &mut ZstdContext,
) -> Result<(), CodecError> {
    let rect = region.rect;
    if rect.area() == 0 || !rect.fits_in(fb.width(), fb.height()) {
        return Err(CodecError::OutOfBounds { rect });
    }
    let payload = &region.payload;
    match region.codec {
        Codec::Solid => solid::decode(fb, rect, payload),
        Codec::Palette => {
            check_coded_size(rect)?;
            palette::decode(fb, rect, payload, zstd)
        }
        Codec::RawZstd => {
            check_coded_size(rect)?;
            zstd_codec::decode_raw(fb, rect, payload, zstd)
        }
        Codec::DeltaZstd => {
            check_coded_size(rect)?;
            zstd_codec::decode_delta(fb, rect, payload, zstd)
        }
        Codec::CopyRect => copy_rect::decode(fb, rect, payload),
        Codec::H264 | Codec::Cached => Err(CodecError::Unsupported {
            codec: region.codec,
        }),
    }
}

fn check_coded_size(rect: Rect) -> Result<(), CodecError> {
    if rect.area() > MAX_CODED_PIXELS {
        return Err(CodecError::RegionTooLarge {
            rect,
            max: MAX_CODED_PIXELS,
        });
    }
    Ok(())
}

#[cfg(all(test, feature = "h264"))]
mod h264_chroma_tests;
#[cfg(all(test, feature = "h264"))]
mod h264_rate_tests;
#[cfg(test)]
mod tests;
