//! Runs of solid tiles as one region: a mostly uniform screen (a keyframe of a terminal, a
//! cleared window) becomes a handful of rectangles instead of a region per tile. The viewer's
//! solid decoder fills any rectangle, so this changes no bytes' meaning, only their number.

use std::collections::HashMap;

use wayray_protocol::Rect;
use wayray_protocol::messages::display::{Codec, RegionUpdate};

/// Merges solid regions of one colour that sit side by side on a row, then rows of such runs
/// that stack exactly (same left edge and width). `regions` must not overlap (tiles of one
/// frame), so their order does not matter; others keep their order.
pub fn merge_solid_runs(regions: Vec<RegionUpdate>) -> Vec<RegionUpdate> {
    let mut rows: Vec<RegionUpdate> = Vec::with_capacity(regions.len());
    for region in regions {
        if let Some(last) = rows.last_mut()
            && extends_right(last, &region)
        {
            last.rect.width += region.rect.width;
            continue;
        }
        rows.push(region);
    }
    let mut merged: Vec<RegionUpdate> = Vec::with_capacity(rows.len());
    // Solid runs by where a run below them would start: (x, width, bottom edge, colour).
    let mut open: HashMap<(u32, u32, u32, Vec<u8>), usize> = HashMap::new();
    for region in rows {
        if region.codec == Codec::Solid {
            let rect = region.rect;
            let above = (rect.x, rect.width, rect.y, region.payload.clone());
            if let Some(index) = open.remove(&above) {
                merged[index].rect.height += rect.height;
                let grown = merged[index].rect;
                open.insert(
                    (grown.x, grown.width, grown.y + grown.height, region.payload),
                    index,
                );
                continue;
            }
            open.insert(
                (
                    rect.x,
                    rect.width,
                    rect.y + rect.height,
                    region.payload.clone(),
                ),
                merged.len(),
            );
        }
        merged.push(region);
    }
    merged
}

/// Whether `next` is a solid region of `last`'s colour right of it on the same row.
fn extends_right(last: &RegionUpdate, next: &RegionUpdate) -> bool {
    let (a, b): (Rect, Rect) = (last.rect, next.rect);
    last.codec == Codec::Solid
        && next.codec == Codec::Solid
        && last.payload == next.payload
        && a.y == b.y
        && a.height == b.height
        && a.x + a.width == b.x
}

#[cfg(test)]
mod tests {
    use super::*;

    fn solid(x: u32, y: u32, w: u32, h: u32, colour: u8) -> RegionUpdate {
        RegionUpdate {
            rect: Rect::new(x, y, w, h),
            codec: Codec::Solid,
            payload: vec![colour, 0, 0, 255],
        }
    }

    fn other(x: u32, y: u32) -> RegionUpdate {
        RegionUpdate {
            rect: Rect::new(x, y, 64, 64),
            codec: Codec::RawZstd,
            payload: vec![1, 2, 3],
        }
    }

    #[test]
    fn a_uniform_screen_with_one_busy_tile_is_three_regions() {
        // 4 × 3 tiles of 64 px; the first tile holds text.
        let mut tiles = Vec::new();
        for ty in 0..3 {
            for tx in 0..4 {
                tiles.push(if (tx, ty) == (0, 0) {
                    other(0, 0)
                } else {
                    solid(tx * 64, ty * 64, 64, 64, 0)
                });
            }
        }
        let merged = merge_solid_runs(tiles);
        assert_eq!(merged.len(), 3, "{merged:?}");
        assert_eq!(merged[0].rect, Rect::new(0, 0, 64, 64));
        assert_eq!(merged[1].rect, Rect::new(64, 0, 192, 64));
        assert_eq!(merged[2].rect, Rect::new(0, 64, 256, 128));
    }

    #[test]
    fn colours_gaps_and_other_codecs_break_runs() {
        let merged = merge_solid_runs(vec![
            solid(0, 0, 64, 64, 0),
            solid(64, 0, 64, 64, 1),
            other(128, 0),
            solid(192, 0, 64, 64, 1),
            // A gap at x = 256..320.
            solid(320, 0, 64, 64, 1),
            // Below the first, same colour but narrower than the run above: not stacked.
            solid(0, 64, 32, 64, 0),
        ]);
        assert_eq!(merged.len(), 6);
        // Shorter tiles at the screen's bottom edge join a run of their own height only.
        let merged = merge_solid_runs(vec![solid(0, 0, 64, 64, 0), solid(64, 0, 64, 56, 0)]);
        assert_eq!(merged.len(), 2);
    }

    #[test]
    fn runs_cover_exactly_the_tiles_they_replace() {
        let tiles: Vec<RegionUpdate> = (0..17)
            .flat_map(|ty| (0..30).map(move |tx| solid(tx * 64, ty * 64, 64, 64, (tx / 7) as u8)))
            .collect();
        let area: u64 = tiles
            .iter()
            .map(|r| r.rect.width as u64 * r.rect.height as u64)
            .sum();
        let merged = merge_solid_runs(tiles);
        let merged_area: u64 = merged
            .iter()
            .map(|r| r.rect.width as u64 * r.rect.height as u64)
            .sum();
        assert_eq!(merged_area, area);
        // Five colour bands, each one rectangle.
        assert_eq!(merged.len(), 5, "{merged:?}");
    }
}
