//! Cutting damage into tiles on a fixed grid (so that a tile's previous content is always the
//! same rectangle of the shadow).

use std::collections::BTreeSet;

use wayray_protocol::Rect;
use wayray_protocol::codec::PixelView;

/// Tile edge in pixels; chosen by measurement (docs/adr/0008-tiles.md).
pub const TILE: u32 = 64;

/// The grid tiles touched by `damage`, clipped to the output, in row-major order, each once.
pub fn cover(damage: &[Rect], width: u32, height: u32, tile: u32) -> Vec<Rect> {
    let mut cells = BTreeSet::new();
    for rect in damage {
        if rect.width == 0 || rect.height == 0 {
            continue;
        }
        let (x0, y0) = (rect.x / tile, rect.y / tile);
        let x1 = (rect.x + rect.width - 1).min(width.saturating_sub(1)) / tile;
        let y1 = (rect.y + rect.height - 1).min(height.saturating_sub(1)) / tile;
        for ty in y0..=y1 {
            for tx in x0..=x1 {
                cells.insert((ty, tx));
            }
        }
    }
    cells
        .into_iter()
        .map(|(ty, tx)| {
            let (x, y) = (tx * tile, ty * tile);
            Rect::new(x, y, tile.min(width - x), tile.min(height - y))
        })
        .collect()
}

/// The grid tile a rectangle starts in.
pub fn tile_of(rect: Rect, tile: u32) -> Rect {
    Rect::new(rect.x / tile * tile, rect.y / tile * tile, tile, tile)
}

/// The smallest rectangle inside `tile` that holds every pixel where `current` differs from
/// `previous`, or `None` when the tile is unchanged. Sending only this part makes a typed
/// character cost a glyph, not a tile.
pub fn changed_bounds(
    current: &PixelView<'_>,
    previous: &PixelView<'_>,
    tile: Rect,
) -> Option<Rect> {
    let differs = |y: u32| current.row(tile, y) != previous.row(tile, y);
    let top = (0..tile.height).find(|&y| differs(y))?;
    let bottom = (top..tile.height)
        .rev()
        .find(|&y| differs(y))
        .unwrap_or(top);
    let (mut left, mut right) = (tile.width, 0);
    for y in top..=bottom {
        let (a, b) = (current.row(tile, y), previous.row(tile, y));
        if let Some(first) =
            (0..tile.width as usize).find(|&x| a[x * 4..x * 4 + 4] != b[x * 4..x * 4 + 4])
        {
            let last = (first..tile.width as usize)
                .rev()
                .find(|&x| a[x * 4..x * 4 + 4] != b[x * 4..x * 4 + 4])
                .unwrap_or(first);
            left = left.min(first as u32);
            right = right.max(last as u32);
        }
    }
    Some(Rect::new(
        tile.x + left,
        tile.y + top,
        right - left + 1,
        bottom - top + 1,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_bounds_is_tight() {
        let a = vec![0u8; 64 * 64 * 4];
        let mut b = a.clone();
        for (x, y) in [(10, 20), (17, 33)] {
            b[(y * 64 + x) * 4] = 9;
        }
        let (va, vb) = (
            PixelView::packed(&a, 64, 64).unwrap(),
            PixelView::packed(&b, 64, 64).unwrap(),
        );
        let tile = Rect::new(0, 0, 64, 64);
        assert_eq!(
            changed_bounds(&vb, &va, tile),
            Some(Rect::new(10, 20, 8, 14))
        );
        assert_eq!(changed_bounds(&va, &va, tile), None);
    }

    #[test]
    fn a_glyph_cell_touches_one_or_two_tiles_and_edges_are_clipped() {
        assert_eq!(
            cover(&[Rect::new(10, 10, 16, 32)], 1920, 1080, TILE),
            vec![Rect::new(0, 0, 64, 64)]
        );
        assert_eq!(cover(&[Rect::new(60, 10, 8, 8)], 1920, 1080, TILE).len(), 2);
        let edge = cover(&[Rect::new(1900, 1070, 20, 10)], 1920, 1080, TILE);
        assert_eq!(edge, vec![Rect::new(1856, 1024, 64, 56)]);
        assert_eq!(
            cover(&[Rect::new(0, 0, 1920, 1080)], 1920, 1080, TILE).len(),
            30 * 17
        );
    }
}
