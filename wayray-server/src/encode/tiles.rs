//! Cutting damage into tiles on a fixed grid (so that a tile's previous content is always the
//! same rectangle of the shadow).

use std::collections::BTreeSet;

use wayray_protocol::Rect;

/// Tile edge in pixels; chosen by measurement (docs/adr/0008-tiles.md).
pub const TILE: u32 = 64;

/// The grid tiles touched by `damage`, clipped to the output, in row-major order, each once.
pub fn cover(damage: &[Rect], width: u32, height: u32) -> Vec<Rect> {
    let mut cells = BTreeSet::new();
    for rect in damage {
        if rect.width == 0 || rect.height == 0 {
            continue;
        }
        let (x0, y0) = (rect.x / TILE, rect.y / TILE);
        let x1 = (rect.x + rect.width - 1).min(width.saturating_sub(1)) / TILE;
        let y1 = (rect.y + rect.height - 1).min(height.saturating_sub(1)) / TILE;
        for ty in y0..=y1 {
            for tx in x0..=x1 {
                cells.insert((ty, tx));
            }
        }
    }
    cells
        .into_iter()
        .map(|(ty, tx)| {
            let (x, y) = (tx * TILE, ty * TILE);
            Rect::new(x, y, TILE.min(width - x), TILE.min(height - y))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_glyph_cell_touches_one_or_two_tiles_and_edges_are_clipped() {
        assert_eq!(
            cover(&[Rect::new(10, 10, 16, 32)], 1920, 1080),
            vec![Rect::new(0, 0, 64, 64)]
        );
        assert_eq!(cover(&[Rect::new(60, 10, 8, 8)], 1920, 1080).len(), 2);
        let edge = cover(&[Rect::new(1900, 1070, 20, 10)], 1920, 1080);
        assert_eq!(edge, vec![Rect::new(1856, 1024, 64, 56)]);
        assert_eq!(
            cover(&[Rect::new(0, 0, 1920, 1080)], 1920, 1080).len(),
            30 * 17
        );
    }
}
