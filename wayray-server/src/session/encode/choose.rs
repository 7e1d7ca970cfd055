//! Picks the smallest encoding of one tile: solid, palette, delta against the shadow, or raw.

use wayray_protocol::Rect;
use wayray_protocol::codec::{
    PixelView, ZstdContext, encode_delta, encode_palette, encode_raw, encode_solid, solid_colour,
};
use wayray_protocol::messages::display::{Codec, RegionUpdate};

/// Encodes `tile` of `src`. Without `keyframe`, the shadow holds the viewer's current content
/// of the tile and a delta against it is a candidate.
pub fn encode_tile(
    ctx: &mut ZstdContext,
    src: &PixelView<'_>,
    shadow: &PixelView<'_>,
    tile: Rect,
    keyframe: bool,
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
    consider(Codec::Palette, encode_palette(ctx, src, tile, 256));
    if !keyframe {
        consider(
            Codec::DeltaZstd,
            encode_delta(ctx, src, shadow, tile).map(Some),
        );
    }
    consider(Codec::RawZstd, encode_raw(ctx, src, tile).map(Some));
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
