//! Picks the smallest encoding of one tile: solid, palette, delta against the shadow, or raw.
//! Each candidate is compressed on its own; where the frame's regions share one zstd stream
//! the chosen one is compressed again as its part ([`encode_as`]).

use wayray_protocol::Rect;
use wayray_protocol::codec::{
    CodecError, MAX_PALETTE_COLOURS, PixelView, ZstdContext, encode_delta, encode_palette,
    encode_raw, encode_solid, solid_colour,
};
use wayray_protocol::messages::display::{Codec, RegionUpdate};

/// How a tile's encoding is chosen from its candidates, each compressed on its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rules {
    /// Palettes of more colours are not tried.
    pub colours: usize,
    /// A delta wins only when this many times its size is still smaller than the best other
    /// candidate.
    pub delta_factor: usize,
}

impl Rules {
    /// Each payload a zstd frame of its own: the smallest candidate wins.
    pub const ONE_BY_ONE: Self = Self {
        colours: MAX_PALETTE_COLOURS,
        delta_factor: 1,
    };

    /// The frame's payloads parts of one zstd stream. A palette numbers its colours tile by
    /// tile and a delta XORs with whatever was there, so the same glyph in the next tile is
    /// other bytes; raw pixels repeat exactly and the stream finds them. Anti-aliased text
    /// has ~150 colours a tile: palettes are kept for the few-coloured tiles where packing
    /// wins, deltas for tiles that barely changed (figures in docs/adr/0039-zstd-stream.md).
    pub const STREAM: Self = Self {
        colours: 16,
        delta_factor: 2,
    };
}

/// Encodes `tile` of `src` by `rules`. Without `keyframe`, the shadow holds the viewer's
/// current content of the tile and a delta against it is a candidate.
pub fn encode_tile(
    ctx: &mut ZstdContext,
    src: &PixelView<'_>,
    shadow: &PixelView<'_>,
    tile: Rect,
    keyframe: bool,
    rules: Rules,
) -> RegionUpdate {
    if let Some(colour) = solid_colour(src, tile) {
        return RegionUpdate {
            rect: tile,
            codec: Codec::Solid,
            payload: encode_solid(colour),
        };
    }
    let mut best: Option<(Codec, Vec<u8>)> = None;
    let mut consider = |codec: Codec, payload: Result<Option<Vec<u8>>, _>| match payload {
        Ok(Some(payload)) if best.as_ref().is_none_or(|(_, b)| payload.len() < b.len()) => {
            best = Some((codec, payload));
        }
        Ok(_) => {}
        Err(err) => tracing::warn!(%err, ?codec, "tile encoding failed"),
    };
    consider(
        Codec::Palette,
        encode_palette(ctx, src, tile, rules.colours),
    );
    consider(Codec::RawZstd, encode_raw(ctx, src, tile).map(Some));
    if !keyframe {
        let others = best.as_ref().map_or(usize::MAX, |(_, b)| b.len());
        match encode_delta(ctx, src, shadow, tile) {
            Ok(delta) if delta.len().saturating_mul(rules.delta_factor) < others => {
                best = Some((Codec::DeltaZstd, delta));
            }
            Ok(_) => {}
            Err(err) => tracing::warn!(%err, "delta encoding failed"),
        }
    }
    let (codec, payload) = best.unwrap_or_else(|| {
        // zstd cannot fail on in-memory buffers; if it ever did, send the tile uncompressed
        // through a fresh context rather than nothing.
        let payload = ZstdContext::new()
            .and_then(|mut c| encode_raw(&mut c, src, tile))
            .unwrap_or_default();
        (Codec::RawZstd, payload)
    });
    RegionUpdate {
        rect: tile,
        codec,
        payload,
    }
}

/// `tile` of `src` in `codec` through `ctx`: the next part of the frame's stream, or `None`
/// for a codec that carries no zstd payload.
pub fn encode_as(
    ctx: &mut ZstdContext,
    codec: Codec,
    src: &PixelView<'_>,
    shadow: &PixelView<'_>,
    tile: Rect,
) -> Result<Option<Vec<u8>>, CodecError> {
    match codec {
        Codec::Palette => encode_palette(ctx, src, tile, MAX_PALETTE_COLOURS)?
            .map(Some)
            .ok_or_else(|| CodecError::Compress("the palette no longer fits".into())),
        Codec::DeltaZstd => encode_delta(ctx, src, shadow, tile).map(Some),
        Codec::RawZstd => encode_raw(ctx, src, tile).map(Some),
        Codec::Solid | Codec::CopyRect | Codec::H264 | Codec::Cached => Ok(None),
    }
}
