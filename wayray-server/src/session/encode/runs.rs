//! Runs of solid tiles and bands as one region: a mostly uniform screen (a keyframe of a
//! terminal, a cleared window) or the strips a moved window uncovers become a handful of
//! rectangles instead of a region per tile. The viewer's solid decoder fills any rectangle,
//! so this changes no bytes' meaning, only their number.

use std::collections::HashMap;

use wayray_protocol::Rect;
use wayray_protocol::messages::display::{Codec, RegionUpdate};

/// Merges solid regions of one colour that sit side by side on a row, then rows of such runs
/// that stack exactly (same left edge and width). `regions` must not overlap (the tiles' parts
/// of one frame), so a fill may join a run listed before it, past other regions; the others
/// keep their order.
pub fn merge_solid_runs(regions: Vec<RegionUpdate>) -> Vec<RegionUpdate> {
    let rows = merge_along(regions, Axis::Across);
    merge_along(rows, Axis::Down)
}

/// Which way runs grow.
#[derive(Clone, Copy)]
enum Axis {
    /// Rightwards, along a row: the same top edge and height.
    Across,
    /// Downwards: the same left edge and width.
    Down,
}

impl Axis {
    /// (where a run starts across the axis, its breadth there, where it starts along it, where
    /// it ends along it).
    fn measure(self, rect: Rect) -> (u32, u32, u32, u32) {
        match self {
            Self::Across => (rect.y, rect.height, rect.x, rect.x + rect.width),
            Self::Down => (rect.x, rect.width, rect.y, rect.y + rect.height),
        }
    }

    fn grow(self, rect: &mut Rect, by: Rect) {
        match self {
            Self::Across => rect.width += by.width,
            Self::Down => rect.height += by.height,
        }
    }
}

/// Joins each solid region to the run of its colour that ends where it starts along `axis`
/// with the same breadth. The run need not be the last region listed: a tile split into bands
/// (`bands.rs`) lists its top band before its side band.
fn merge_along(regions: Vec<RegionUpdate>, axis: Axis) -> Vec<RegionUpdate> {
    let mut merged: Vec<RegionUpdate> = Vec::with_capacity(regions.len());
    // Runs by where a region extending them would start: (across, breadth, end, colour).
    let mut ends: HashMap<(u32, u32, u32, Vec<u8>), usize> = HashMap::new();
    for region in regions {
        if region.codec == Codec::Solid {
            let (across, breadth, start, _) = axis.measure(region.rect);
            let colour = region.payload.clone();
            let index = match ends.remove(&(across, breadth, start, colour.clone())) {
                Some(index) => {
                    axis.grow(&mut merged[index].rect, region.rect);
                    index
                }
                None => {
                    merged.push(region);
                    merged.len() - 1
                }
            };
            let (_, _, _, end) = axis.measure(merged[index].rect);
            ends.insert((across, breadth, end, colour), index);
            continue;
        }
        merged.push(region);
    }
    merged
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

    #[test]
    fn a_run_is_extended_wherever_it_is_listed() {
        // A corner tile's bands (top, then side), then the next tile's part of the top strip.
        let merged = merge_solid_runs(vec![
            solid(50, 40, 14, 4, 0),
            solid(50, 44, 10, 20, 0),
            solid(64, 40, 64, 4, 0),
            solid(50, 64, 10, 64, 0),
        ]);
        let rects: Vec<Rect> = merged.iter().map(|r| r.rect).collect();
        assert_eq!(rects, [Rect::new(50, 40, 78, 4), Rect::new(50, 44, 10, 84)]);
    }
}
