//! The content cache: small regions both ends remember, so that content the viewer holds
//! already (a glyph typed again, a window switched back to) costs a reference of a few bytes.
//!
//! Both ends keep a cache of the same bounds and do the same operations in the same order: a
//! region coded with a pixel codec (palette, raw, delta) of at most [`MAX_AREA`] pixels is
//! remembered once applied; a `Cached` region uses (and refreshes) an entry; the least recently
//! used entries go first when [`MAX_ENTRIES`] or [`MAX_BYTES`] would be exceeded; a keyframe
//! empties it. The server keeps only keys, the viewer the pixels. An entry's key is a 128-bit
//! XXH3 of its size and pixels, computed by each end over its own pixels: a viewer whose
//! pixels differ from the server's lacks the key the server names, fails the frame and asks
//! for a keyframe, which empties both caches.
//!
//! A reference names its entry in one of two forms ([`Reference`]): the whole key (16 bytes),
//! or, with [`crate::Capabilities::CACHE_ORDINALS`], the entry's ordinal — how many entries
//! were remembered before it since the cache was last emptied, the same count on both ends —
//! and the key's low 32 bits, which the viewer checks against the key of its own pixels.

use std::collections::{BTreeMap, HashMap};

use xxhash_rust::xxh3::Xxh3;

use super::{CodecError, PixelView, PixelViewMut};
use crate::Rect;
use crate::messages::display::Codec;

/// Most entries either end keeps.
pub const MAX_ENTRIES: usize = 4096;
/// Most pixel bytes (4 per pixel) the viewer keeps.
pub const MAX_BYTES: usize = 16 * 1024 * 1024;
/// The largest region remembered, in pixels: one 64×64 tile.
pub const MAX_AREA: u64 = 64 * 64;

/// Names an entry: XXH3-128 of the width, height and B, G, R of each pixel.
pub type ContentKey = u128;

/// Whether a region of `codec` over `rect` is remembered once applied.
pub fn remembered(codec: Codec, rect: Rect) -> bool {
    matches!(codec, Codec::Palette | Codec::RawZstd | Codec::DeltaZstd)
        && rect.area() > 0
        && rect.area() <= MAX_AREA
}

/// The key of `rect`'s content in `view` (alpha is not part of it: the output is opaque).
pub fn content_key(view: &PixelView<'_>, rect: Rect) -> ContentKey {
    let mut hasher = Xxh3::new();
    hasher.update(&rect.width.to_le_bytes());
    hasher.update(&rect.height.to_le_bytes());
    let mut opaque = Vec::with_capacity(rect.width as usize * 4);
    for row in view.rows(rect) {
        opaque.clear();
        opaque.extend(row.chunks_exact(4).flat_map(|p| [p[0], p[1], p[2], 0xff]));
        hasher.update(&opaque);
    }
    hasher.digest128()
}

/// How a `Cached` region names its entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reference {
    /// By its whole key: 16 bytes.
    Key(ContentKey),
    /// By its ordinal (a varint) and the low 32 bits of its key: 5 to 14 bytes, 7 while
    /// fewer than 2²¹ entries were remembered since the last keyframe.
    Ordinal {
        /// Entries remembered before this one since the cache was last emptied.
        ordinal: u64,
        /// The key's low 32 bits.
        check: u32,
    },
}

impl Reference {
    /// The short form naming the entry remembered `ordinal`-th under `key`.
    pub fn ordinal(ordinal: u64, key: ContentKey) -> Self {
        Self::Ordinal {
            ordinal,
            check: key as u32,
        }
    }
}

/// The payload of a `Cached` region.
pub fn encode_cached(reference: Reference) -> Vec<u8> {
    match reference {
        Reference::Key(key) => key.to_le_bytes().to_vec(),
        Reference::Ordinal { ordinal, check } => {
            let mut payload = postcard::to_stdvec(&ordinal).unwrap_or_default();
            payload.extend_from_slice(&check.to_le_bytes());
            payload
        }
    }
}

/// The reference a `Cached` payload holds: 16 bytes are a key, anything shorter an ordinal
/// and a check.
pub fn decode_cached(payload: &[u8]) -> Result<Reference, CodecError> {
    let malformed = |detail: String| CodecError::malformed(Codec::Cached, detail);
    if let Ok(bytes) = <[u8; 16]>::try_from(payload) {
        return Ok(Reference::Key(u128::from_le_bytes(bytes)));
    }
    let (ordinal, rest) = postcard::take_from_bytes::<u64>(payload)
        .map_err(|e| malformed(format!("no ordinal: {e}")))?;
    let check: [u8; 4] = rest.try_into().map_err(|_| {
        malformed(format!(
            "{} bytes after the ordinal, expected 4",
            rest.len()
        ))
    })?;
    Ok(Reference::Ordinal {
        ordinal,
        check: u32::from_le_bytes(check),
    })
}

struct Entry<V> {
    value: V,
    bytes: usize,
    used: u64,
    ordinal: u64,
}

/// A least-recently-used map with the bounds above; `V` is the pixels (viewer) or nothing
/// (server). Operations are deterministic, so two caches fed the same operations agree.
pub struct ContentCache<V> {
    entries: HashMap<ContentKey, Entry<V>>,
    /// Entries by their last use.
    recency: BTreeMap<u64, ContentKey>,
    /// Entries by their ordinal.
    ordinals: HashMap<u64, ContentKey>,
    /// Entries remembered since the cache was last emptied.
    remembered: u64,
    clock: u64,
    bytes: usize,
}

impl<V> Default for ContentCache<V> {
    fn default() -> Self {
        Self {
            entries: HashMap::new(),
            recency: BTreeMap::new(),
            ordinals: HashMap::new(),
            remembered: 0,
            clock: 0,
            bytes: 0,
        }
    }
}

impl<V> std::fmt::Debug for ContentCache<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContentCache")
            .field("entries", &self.entries.len())
            .field("bytes", &self.bytes)
            .finish()
    }
}

impl<V> ContentCache<V> {
    /// Forgets everything (a keyframe).
    pub fn clear(&mut self) {
        *self = Self::default();
    }

    /// Entries held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether `key` is held, without counting as a use.
    pub fn contains(&self, key: ContentKey) -> bool {
        self.entries.contains_key(&key)
    }

    /// The ordinal of the entry of `key`, without counting as a use.
    pub fn ordinal(&self, key: ContentKey) -> Option<u64> {
        self.entries.get(&key).map(|entry| entry.ordinal)
    }

    /// The entry of `key`, now the most recently used.
    pub fn get(&mut self, key: ContentKey) -> Option<&V> {
        self.clock += 1;
        let entry = self.entries.get_mut(&key)?;
        self.recency.remove(&entry.used);
        entry.used = self.clock;
        self.recency.insert(self.clock, key);
        Some(&entry.value)
    }

    /// The key and entry a reference names, now the most recently used; `None` where this
    /// cache holds no such entry (for an ordinal: none, or one whose key fails the check).
    pub fn resolve(&mut self, reference: Reference) -> Option<(ContentKey, &V)> {
        let key = match reference {
            Reference::Key(key) => key,
            Reference::Ordinal { ordinal, check } => {
                let key = *self.ordinals.get(&ordinal)?;
                if key as u32 != check {
                    return None;
                }
                key
            }
        };
        self.get(key).map(|value| (key, value))
    }

    /// Remembers `value` for a `width` × `height` region under `key` (replacing an entry of
    /// the same key), dropping the least recently used entries beyond the bounds.
    pub fn insert(&mut self, key: ContentKey, width: u32, height: u32, value: V) {
        self.clock += 1;
        let bytes = width as usize * height as usize * 4;
        if let Some(old) = self.entries.remove(&key) {
            self.recency.remove(&old.used);
            self.ordinals.remove(&old.ordinal);
            self.bytes -= old.bytes;
        }
        while !self.entries.is_empty()
            && (self.entries.len() >= MAX_ENTRIES || self.bytes + bytes > MAX_BYTES)
        {
            let Some((_, oldest)) = self.recency.pop_first() else {
                break;
            };
            if let Some(gone) = self.entries.remove(&oldest) {
                self.ordinals.remove(&gone.ordinal);
                self.bytes -= gone.bytes;
            }
        }
        let ordinal = self.remembered;
        self.remembered += 1;
        self.entries.insert(
            key,
            Entry {
                value,
                bytes,
                used: self.clock,
                ordinal,
            },
        );
        self.recency.insert(self.clock, key);
        self.ordinals.insert(ordinal, key);
        self.bytes += bytes;
    }
}

/// A remembered region's pixels, B, G, R, A row by row.
#[derive(Debug)]
pub struct CachedPixels {
    width: u32,
    height: u32,
    pixels: Vec<u8>,
}

/// The viewer's cache.
pub type PixelCache = ContentCache<CachedPixels>;

impl PixelCache {
    /// Remembers what `rect` of `fb` holds now (right after a remembered region was applied).
    pub fn remember(&mut self, fb: &PixelViewMut<'_>, rect: Rect) {
        let view = fb.as_view();
        let key = content_key(&view, rect);
        let pixels = view.rows(rect).flatten().copied().collect();
        let entry = CachedPixels {
            width: rect.width,
            height: rect.height,
            pixels,
        };
        self.insert(key, rect.width, rect.height, entry);
    }

    /// Applies a `Cached` region: the entry its payload names, into `rect` of `fb`.
    pub fn apply(
        &mut self,
        fb: &mut PixelViewMut<'_>,
        rect: Rect,
        payload: &[u8],
    ) -> Result<(), CodecError> {
        let reference = decode_cached(payload)?;
        let (_, entry) = self.resolve(reference).ok_or_else(|| {
            CodecError::malformed(Codec::Cached, "names content this viewer does not hold")
        })?;
        if (entry.width, entry.height) != (rect.width, rect.height) {
            return Err(CodecError::malformed(
                Codec::Cached,
                format!(
                    "names {}×{} content for a {}×{} region",
                    entry.width, entry.height, rect.width, rect.height
                ),
            ));
        }
        let row_bytes = rect.width as usize * 4;
        for (y, row) in entry.pixels.chunks_exact(row_bytes).enumerate() {
            fb.row_mut(rect, y as u32).copy_from_slice(row);
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "cache_tests.rs"]
mod tests;
