//! Encoding a frame's parts with the content cache: a part whose content the viewer holds
//! already goes as a `Cached` reference; every other part is encoded, and remembered where
//! the viewer will remember it (`wayray_protocol::codec::cache` holds the rules both ends
//! follow). The cache's operations happen in the order of the regions sent, because that is
//! the order the viewer applies them in.

use std::sync::OnceLock;

use rayon::prelude::*;
use wayray_protocol::Rect;
use wayray_protocol::codec::cache::{self, ContentKey, Reference};
use wayray_protocol::codec::{ContentCache, PixelView};
use wayray_protocol::messages::display::{Codec, RegionUpdate};

/// How the viewer's content cache is used (from its capabilities).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheUse {
    /// The viewer keeps none.
    Off,
    /// References name entries by key.
    Keys,
    /// References name entries by ordinal and check (`cache-ordinals`).
    Ordinals,
}

impl CacheUse {
    /// The use stored as `use as u8` (anything unknown is [`CacheUse::Off`]).
    pub fn from_u8(n: u8) -> Self {
        [Self::Keys, Self::Ordinals]
            .into_iter()
            .find(|usage| *usage as u8 == n)
            .unwrap_or(Self::Off)
    }
}

/// The server's side of the cache: keys only, and how references name them.
#[derive(Debug)]
pub struct KeyCache {
    keys: ContentCache<()>,
    ordinals: bool,
}

impl KeyCache {
    /// A cache for a viewer that keeps one (`None` for [`CacheUse::Off`]).
    pub fn new(usage: CacheUse) -> Option<Self> {
        (usage != CacheUse::Off).then(|| Self {
            keys: ContentCache::default(),
            ordinals: usage == CacheUse::Ordinals,
        })
    }

    /// How this cache is used.
    pub fn usage(&self) -> CacheUse {
        if self.ordinals {
            CacheUse::Ordinals
        } else {
            CacheUse::Keys
        }
    }

    /// Forgets everything (a keyframe empties the viewer's cache too).
    pub fn clear(&mut self) {
        self.keys.clear();
    }

    /// The reference to `key`'s entry, now the most recently used, where the viewer holds it.
    fn reference(&mut self, key: ContentKey) -> Option<Reference> {
        let ordinal = self.keys.ordinal(key)?;
        self.keys.get(key)?;
        Some(if self.ordinals {
            Reference::ordinal(ordinal, key)
        } else {
            Reference::Key(key)
        })
    }
}

/// `f` of `0..n`, in order: over the encoder's threads from `parallel` items on, on this
/// thread below that or where no thread could be started.
fn map_parts<T: Send>(n: usize, parallel: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    match (n >= parallel).then(threads).flatten() {
        Some(pool) => pool.install(|| (0..n).into_par_iter().map(&f).collect()),
        None => (0..n).map(f).collect(),
    }
}

/// The encoder's worker threads, started on first use. Where the session's user may start no
/// more threads (a process limit), it encodes on one thread instead of failing.
fn threads() -> Option<&'static rayon::ThreadPool> {
    static POOL: OnceLock<Option<rayon::ThreadPool>> = OnceLock::new();
    POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .thread_name(|i| format!("wayray-tiles-{i}"))
            .build()
            .map_err(|err| tracing::warn!(%err, "no encoder threads: encoding on one"))
            .ok()
    })
    .as_ref()
}

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
        return map_parts(parts.len(), parallel, |i| encode(&parts[i]));
    };
    let key = |&(rect, _): &(Rect, bool)| {
        (rect.area() <= cache::MAX_AREA).then(|| cache::content_key(src, rect))
    };
    let keys: Vec<Option<ContentKey>> = map_parts(parts.len(), parallel, |i| key(&parts[i]));
    // Encoded ahead, in parallel: every part whose content the viewer does not hold before
    // this frame. (A part may still turn out cached, by an earlier part of the same frame.)
    let ahead = |i: usize| keys[i].is_none_or(|k| !cache.keys.contains(k));
    let mut encoded: Vec<Option<RegionUpdate>> = map_parts(parts.len(), parallel, |i| {
        ahead(i).then(|| encode(&parts[i]))
    });
    let mut regions = Vec::with_capacity(parts.len());
    for (i, part) in parts.iter().enumerate() {
        if let Some(reference) = keys[i].and_then(|key| cache.reference(key)) {
            regions.push(RegionUpdate {
                rect: part.0,
                codec: Codec::Cached,
                payload: cache::encode_cached(reference),
            });
            continue;
        }
        // Pushed out of the cache by an earlier part of this frame: encoded now.
        let region = encoded[i].take().unwrap_or_else(|| encode(part));
        if let Some(key) = keys[i]
            && cache::remembered(region.codec, region.rect)
        {
            cache
                .keys
                .insert(key, region.rect.width, region.rect.height, ());
        }
        regions.push(region);
    }
    regions
}
