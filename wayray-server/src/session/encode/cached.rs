//! Encoding a frame's parts with the content cache: a part whose content the viewer holds
//! already goes as a `Cached` reference; every other part is encoded, and remembered where
//! the viewer will remember it (`wayray_protocol::codec::cache` holds the rules both ends
//! follow). The cache's operations happen in the order of the regions sent, because that is
//! the order the viewer applies them in.

use rayon::prelude::*;
use wayray_protocol::Rect;
use wayray_protocol::codec::cache::{self, ContentKey};
use wayray_protocol::codec::{ContentCache, PixelView};
use wayray_protocol::messages::display::{Codec, RegionUpdate};

/// The server's side of the cache: keys only.
pub type KeyCache = ContentCache<()>;

/// Encodes `parts` (each a rectangle and whether it is sent absolutely) in order with `encode`,
/// referring to cached content where `cache` is on. Fans out over threads from `parallel`
/// parts on.
pub fn encode_parts<F>(
    cache: Option<&mut KeyCache>,
    src: &PixelView<'_>,
    parts: &[(Rect, bool)],
    parallel: usize,
    encode: F,
) -> Vec<RegionUpdate>
where
    F: Fn(&(Rect, bool)) -> RegionUpdate + Sync,
{
    let Some(cache) = cache else {
        return if parts.len() >= parallel {
            parts.par_iter().map(&encode).collect()
        } else {
            parts.iter().map(&encode).collect()
        };
    };
    let key = |&(rect, _): &(Rect, bool)| {
        (rect.area() <= cache::MAX_AREA).then(|| cache::content_key(src, rect))
    };
    let keys: Vec<Option<ContentKey>> = if parts.len() >= parallel {
        parts.par_iter().map(key).collect()
    } else {
        parts.iter().map(key).collect()
    };
    // Encoded ahead, in parallel: every part whose content the viewer does not hold before
    // this frame. (A part may still turn out cached, by an earlier part of the same frame.)
    let ahead = |i: usize| keys[i].is_none_or(|k| !cache.contains(k));
    let mut encoded: Vec<Option<RegionUpdate>> = if parts.len() >= parallel {
        (0..parts.len())
            .into_par_iter()
            .map(|i| ahead(i).then(|| encode(&parts[i])))
            .collect()
    } else {
        (0..parts.len())
            .map(|i| ahead(i).then(|| encode(&parts[i])))
            .collect()
    };
    let mut regions = Vec::with_capacity(parts.len());
    for (i, part) in parts.iter().enumerate() {
        if let Some(key) = keys[i]
            && cache.get(key).is_some()
        {
            regions.push(RegionUpdate {
                rect: part.0,
                codec: Codec::Cached,
                payload: cache::encode_cached(key),
            });
            continue;
        }
        // Pushed out of the cache by an earlier part of this frame: encoded now.
        let region = encoded[i].take().unwrap_or_else(|| encode(part));
        if let Some(key) = keys[i]
            && cache::remembered(region.codec, region.rect)
        {
            cache.insert(key, region.rect.width, region.rect.height, ());
        }
        regions.push(region);
    }
    regions
}
