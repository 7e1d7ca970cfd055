use super::*;
use crate::codec::PixelViewMut;

fn key(n: u32) -> ContentKey {
    u128::from(n) * 0x9e37_79b9_7f4a_7c15
}

#[test]
fn the_least_recently_used_entry_goes_first() {
    let mut cache = ContentCache::<()>::default();
    for n in 0..MAX_ENTRIES as u32 {
        cache.insert(key(n), 8, 8, ());
    }
    // Entry 0 is used again, so entry 1 is now the oldest.
    assert!(cache.get(key(0)).is_some());
    cache.insert(key(99_999), 8, 8, ());
    assert_eq!(cache.len(), MAX_ENTRIES);
    assert!(cache.contains(key(0)));
    assert!(!cache.contains(key(1)));
    assert!(cache.contains(key(2)));
}

#[test]
fn pixel_bytes_are_bounded_too() {
    let mut cache = ContentCache::<()>::default();
    for n in 0..2000 {
        cache.insert(key(n), 64, 64, ());
    }
    assert_eq!(cache.len(), MAX_BYTES / (64 * 64 * 4));
    assert!(cache.contains(key(1999)) && !cache.contains(key(0)));
    cache.clear();
    assert!(cache.is_empty());
}

#[test]
fn two_caches_fed_the_same_operations_agree() {
    let mut server = ContentCache::<()>::default();
    let mut viewer = ContentCache::<u32>::default();
    let mut state = 7u32;
    for step in 0..20_000u32 {
        state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let k = key(state % 6000);
        let side = 1 + state % 64;
        if state % 3 == 0 {
            assert_eq!(server.get(k).is_some(), viewer.get(k).is_some());
        } else {
            server.insert(k, side, side, ());
            viewer.insert(k, side, side, step);
        }
    }
    assert_eq!(server.len(), viewer.len());
    for n in 0..6000 {
        assert_eq!(server.contains(key(n)), viewer.contains(key(n)));
        // An ordinal the server names is the viewer's entry of the same key.
        if let Some(ordinal) = server.ordinal(key(n)) {
            let named = viewer.resolve(Reference::ordinal(ordinal, key(n)));
            assert_eq!(named.map(|(k, _)| k), Some(key(n)));
        }
    }
}

#[test]
fn references_round_trip_in_both_forms() {
    let key: ContentKey = 0x0123_4567_89ab_cdef_fedc_ba98_7654_3210;
    for reference in [
        Reference::Key(key),
        Reference::ordinal(0, key),
        Reference::ordinal(127, key),
        Reference::ordinal(2_000_000, key),
        Reference::ordinal(u64::MAX, key),
    ] {
        let payload = encode_cached(reference);
        assert_eq!(decode_cached(&payload).unwrap(), reference);
    }
    // A typed glyph's reference: three bytes of ordinal and four of check.
    assert_eq!(encode_cached(Reference::ordinal(100_000, key)).len(), 7);
    assert!(encode_cached(Reference::ordinal(u64::MAX, key)).len() < 16);
    for bad in [
        &[][..],
        &[0x80][..],
        &[5, 1, 2, 3][..],
        &[5, 1, 2, 3, 4, 5][..],
    ] {
        assert!(decode_cached(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn an_ordinal_whose_check_fails_or_whose_entry_went_names_nothing() {
    let mut cache = ContentCache::<()>::default();
    cache.insert(key(1), 8, 8, ());
    cache.insert(key(2), 8, 8, ());
    assert_eq!(cache.ordinal(key(2)), Some(1));
    assert!(cache.resolve(Reference::ordinal(1, key(2))).is_some());
    // The check is the key's low 32 bits: another key at the same ordinal fails it.
    assert!(cache.resolve(Reference::ordinal(1, key(1))).is_none());
    assert!(cache.resolve(Reference::ordinal(2, key(2))).is_none());
    // Remembered again: a new ordinal, the old one names nothing.
    cache.insert(key(1), 8, 8, ());
    assert_eq!(cache.ordinal(key(1)), Some(2));
    assert!(cache.resolve(Reference::ordinal(0, key(1))).is_none());
    // Pushed out: its ordinal names nothing either.
    for n in 10..10 + MAX_ENTRIES as u32 {
        cache.insert(key(n), 8, 8, ());
    }
    assert!(cache.resolve(Reference::ordinal(1, key(2))).is_none());
    // A keyframe starts the count again.
    cache.clear();
    cache.insert(key(7), 8, 8, ());
    assert_eq!(cache.ordinal(key(7)), Some(0));
}

fn image(width: u32, height: u32, seed: u8) -> Vec<u8> {
    (0..width * height)
        .flat_map(|i| [seed.wrapping_add(i as u8), seed, (i / width) as u8, 0xff])
        .collect()
}

#[test]
fn remembered_content_applies_exactly_where_named() {
    let (w, h) = (32, 16);
    let mut pixels = image(w, h, 3);
    let glyph = Rect::new(2, 3, 7, 9);
    let expected: Vec<u8> = {
        let view = PixelView::packed(&pixels, w, h).unwrap();
        view.rows(glyph).flatten().copied().collect()
    };
    let mut cache = PixelCache::default();
    let mut fb = PixelViewMut::packed(&mut pixels, w, h).unwrap();
    cache.remember(&fb, glyph);
    let key = content_key(&fb.as_view(), glyph);
    // The same content elsewhere, from the cache.
    let there = Rect::new(20, 5, 7, 9);
    cache
        .apply(&mut fb, there, &encode_cached(Reference::Key(key)))
        .unwrap();
    let got: Vec<u8> = fb.as_view().rows(there).flatten().copied().collect();
    assert_eq!(got, expected);
    // And by its ordinal (the first remembered), somewhere else again.
    let third = Rect::new(2, 5, 7, 9);
    let short = encode_cached(Reference::ordinal(0, key));
    cache.apply(&mut fb, third, &short).unwrap();
    let got: Vec<u8> = fb.as_view().rows(third).flatten().copied().collect();
    assert_eq!(got, expected);
    let wrong = encode_cached(Reference::ordinal(0, key ^ 1));
    assert!(cache.apply(&mut fb, third, &wrong).is_err());
    // Alpha does not change a key: the output is opaque.
    let mut other = pixels.clone();
    other[3] = 0;
    let view = PixelView::packed(&other, w, h).unwrap();
    assert_eq!(content_key(&view, Rect::new(0, 0, 4, 4)), {
        let view = PixelView::packed(&pixels, w, h).unwrap();
        content_key(&view, Rect::new(0, 0, 4, 4))
    });
}

#[test]
fn unknown_keys_other_sizes_and_short_payloads_are_errors() {
    let (w, h) = (16, 16);
    let mut pixels = image(w, h, 9);
    let mut cache = PixelCache::default();
    let mut fb = PixelViewMut::packed(&mut pixels, w, h).unwrap();
    let rect = Rect::new(0, 0, 4, 4);
    cache.remember(&fb, rect);
    let key = content_key(&fb.as_view(), rect);
    assert!(
        cache
            .apply(&mut fb, rect, &encode_cached(Reference::Key(key ^ 1)))
            .is_err()
    );
    assert!(
        cache
            .apply(
                &mut fb,
                Rect::new(0, 0, 4, 5),
                &encode_cached(Reference::Key(key))
            )
            .is_err()
    );
    assert!(cache.apply(&mut fb, rect, &[1, 2, 3]).is_err());
    assert!(
        cache
            .apply(&mut fb, rect, &encode_cached(Reference::Key(key)))
            .is_ok()
    );
}

#[test]
fn only_pixel_codecs_of_at_most_a_tile_are_remembered() {
    assert!(remembered(Codec::Palette, Rect::new(0, 0, 64, 64)));
    assert!(remembered(Codec::DeltaZstd, Rect::new(5, 5, 7, 17)));
    assert!(!remembered(Codec::RawZstd, Rect::new(0, 0, 65, 64)));
    assert!(!remembered(Codec::Solid, Rect::new(0, 0, 8, 8)));
    assert!(!remembered(Codec::Cached, Rect::new(0, 0, 8, 8)));
    assert!(!remembered(Codec::CopyRect, Rect::new(0, 0, 8, 8)));
}
