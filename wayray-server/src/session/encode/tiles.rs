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

/// Each damaged rectangle cut to the rows where its changed `parts` (tile, changed part) lie;
/// a rectangle without changes drops out.
pub fn changed_bands(damage: &[Rect], parts: &[(Rect, Rect)]) -> Vec<Rect> {
    damage
        .iter()
        .filter_map(|d| {
            let (d_right, d_bottom) = (d.x + d.width, d.y + d.height);
            let (top, bottom) = parts
                .iter()
                .map(|(_, p)| p)
                .filter(|p| p.x < d_right && d.x < p.x + p.width)
                .map(|p| (p.y.max(d.y), (p.y + p.height).min(d_bottom)))
                .filter(|(t, b)| t < b)
                .reduce(|(t0, b0), (t, b)| (t0.min(t), b0.max(b)))?;
            Some(Rect::new(d.x, top, d.width, bottom - top))
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

/// Joins changed parts that a tile edge split (a glyph across a tile boundary) back into one
/// rectangle, where both touch that edge and their bounding box stays at most `max_area`
/// pixels: the same glyph then looks the same wherever it sits relative to the grid, which
/// the content cache needs. Only parts sent against the shadow (`false`) are joined; the
/// bounding box lies inside the two tiles, so it overlaps no other part. Frames of more than
/// `MAX_JOINED` parts are left as they are.
pub fn join_split_parts(
    mut parts: Vec<(Rect, bool)>,
    tile: u32,
    max_area: u64,
) -> Vec<(Rect, bool)> {
    if parts.len() > MAX_JOINED {
        return parts;
    }
    let mut i = 0;
    while i < parts.len() {
        let joined = (i + 1..parts.len()).find_map(|j| {
            let ((a, a_abs), (b, b_abs)) = (parts[i], parts[j]);
            let union = bounding(a, b);
            (!a_abs && !b_abs && split_by_edge(a, b, tile) && union.area() <= max_area)
                .then_some((j, union))
        });
        match joined {
            Some((j, union)) => {
                parts.remove(j);
                parts[i].0 = union;
            }
            None => i += 1,
        }
    }
    parts
}

/// Most parts a frame may have for [`join_split_parts`] to look at (a typed character has
/// one to four).
const MAX_JOINED: usize = 16;

fn bounding(a: Rect, b: Rect) -> Rect {
    let (x0, y0) = (a.x.min(b.x), a.y.min(b.y));
    let x1 = (a.x + a.width).max(b.x + b.width);
    let y1 = (a.y + a.height).max(b.y + b.height);
    Rect::new(x0, y0, x1 - x0, y1 - y0)
}

/// Whether `a` and `b` lie in neighbouring tiles and both touch the edge between them.
fn split_by_edge(a: Rect, b: Rect, tile: u32) -> bool {
    let (ta, tb) = (tile_of(a, tile), tile_of(b, tile));
    let touch_x = |l: Rect, r: Rect| l.x + l.width == r.x && r.x % tile == 0;
    let touch_y = |t: Rect, u: Rect| t.y + t.height == u.y && u.y % tile == 0;
    (ta.y == tb.y && (touch_x(a, b) || touch_x(b, a)))
        || (ta.x == tb.x && (touch_y(a, b) || touch_y(b, a)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_glyph_split_by_a_tile_edge_is_joined_again() {
        let left = (Rect::new(60, 10, 4, 14), false);
        let right = (Rect::new(64, 12, 3, 12), false);
        let elsewhere = (Rect::new(200, 10, 7, 14), false);
        let joined = join_split_parts(vec![left, elsewhere, right], TILE, 4096);
        assert_eq!(joined, vec![(Rect::new(60, 10, 7, 14), false), elsewhere]);
        // Across a row boundary too.
        let top = (Rect::new(10, 60, 7, 4), false);
        let bottom = (Rect::new(10, 64, 7, 10), false);
        assert_eq!(
            join_split_parts(vec![top, bottom], TILE, 4096),
            vec![(Rect::new(10, 60, 7, 14), false)]
        );
        // Not when one is sent absolutely, when they do not touch the edge, or when too big.
        assert_eq!(
            join_split_parts(vec![left, (right.0, true)], TILE, 4096).len(),
            2
        );
        let apart = (Rect::new(66, 12, 3, 12), false);
        assert_eq!(join_split_parts(vec![left, apart], TILE, 4096).len(), 2);
        assert_eq!(join_split_parts(vec![left, right], TILE, 50).len(), 2);
    }

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
