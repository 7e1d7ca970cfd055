//! A changed part that is a few uniform bands goes as their solid fills instead of as pixels.
//! A window moved or closed over a plain background uncovers an L of background in the tile at
//! its corner: the tile's changed part is the L's bounding box, which is not one colour (the
//! window's new pixels are in it, unchanged), so it went as a palette or a delta. As two bands
//! (the L's arm along the top, then its arm down the side) each is solid, and each joins the
//! solid run of the strip it belongs to (`runs.rs`): a step of a dragged window is then
//! its copy and two fills (up to four where a tile edge cuts the corner).

use wayray_protocol::Rect;
use wayray_protocol::codec::{PixelView, solid_colour};

/// Most bands a part is split into; a part that needs more goes as pixels.
const MAX_BANDS: usize = 3;

/// `parts` (each a rectangle and whether it is sent absolutely) with every part sent against
/// `previous` that is not one colour but a few solid bands replaced by those bands, where each
/// band reaches an edge of the `tile` grid: there the strip it belongs to goes on in the next
/// tile and the band joins that strip's run. Bands inside a tile (a glyph such as "=") would
/// cost a fill each, more than the glyph's own encoding or a reference to it in the cache.
pub fn split(
    parts: Vec<(Rect, bool)>,
    current: &PixelView<'_>,
    previous: &PixelView<'_>,
    tile: u32,
) -> Vec<(Rect, bool)> {
    let on_grid = |band: &Rect| {
        [band.x, band.x + band.width, band.y, band.y + band.height]
            .iter()
            .any(|edge| edge % tile == 0)
    };
    let mut out = Vec::with_capacity(parts.len());
    for (part, absolute) in parts {
        let bands = (!absolute && solid_colour(current, part).is_none())
            .then(|| solid_bands(current, previous, part))
            .flatten()
            .filter(|bands| bands.iter().all(on_grid));
        match bands {
            Some(bands) => out.extend(bands.into_iter().map(|band| (band, false))),
            None => out.push((part, absolute)),
        }
    }
    out
}

/// The pixels where `current` differs from `previous` inside `part`, as at most [`MAX_BANDS`]
/// rectangles, each of one colour in `current`; `None` where they are not so few or not
/// uniform. Rows of a band differ over the same columns; pixels inside a band that did not
/// change are already that colour in `previous` too, so filling the bands is exact.
pub fn solid_bands(
    current: &PixelView<'_>,
    previous: &PixelView<'_>,
    part: Rect,
) -> Option<Vec<Rect>> {
    let mut bands: Vec<(Rect, [u8; 4])> = Vec::new();
    // Whether the last band may grow by the next row (no unchanged row in between).
    let mut open = false;
    for y in 0..part.height {
        let (a, b) = (current.row(part, y), previous.row(part, y));
        let Some((first, last)) = changed_span(a, b) else {
            open = false;
            continue;
        };
        let colour = uniform(&a[first * 4..(last + 1) * 4])?;
        let (x, width) = (part.x + first as u32, (last - first + 1) as u32);
        match bands.last_mut() {
            Some((band, c)) if open && band.x == x && band.width == width && *c == colour => {
                band.height += 1;
            }
            _ => {
                if bands.len() == MAX_BANDS {
                    return None;
                }
                bands.push((Rect::new(x, part.y + y, width, 1), colour));
            }
        }
        open = true;
    }
    (!bands.is_empty()).then(|| bands.into_iter().map(|(band, _)| band).collect())
}

/// The first and last pixel where rows `a` and `b` differ, if any.
fn changed_span(a: &[u8], b: &[u8]) -> Option<(usize, usize)> {
    if a == b {
        return None;
    }
    let pixels = || a.chunks_exact(4).zip(b.chunks_exact(4));
    let first = pixels().position(|(p, q)| p != q)?;
    let last = pixels().rposition(|(p, q)| p != q)?;
    Some((first, last))
}

/// The colour of every pixel in `row`, if they share one.
fn uniform(row: &[u8]) -> Option<[u8; 4]> {
    let first: [u8; 4] = row.get(..4)?.try_into().ok()?;
    row.chunks_exact(4).all(|p| p == first).then_some(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    const W: u32 = 64;
    const BACK: [u8; 4] = [0x26, 0x1e, 0x1a, 0xff];

    fn image(f: impl Fn(u32, u32) -> [u8; 4]) -> Vec<u8> {
        (0..W * W).flat_map(|i| f(i % W, i / W)).collect()
    }

    /// Text-like pixels: no two neighbours alike.
    fn text(x: u32, y: u32) -> [u8; 4] {
        [(x * 7 + y) as u8, (y * 5) as u8, (x ^ y) as u8, 0xff]
    }

    #[test]
    fn an_uncovered_corner_is_two_bands() {
        // A window at (20, 10) moved to (30, 14): the L of background it left in this tile.
        let before = image(|x, y| {
            if x >= 20 && y >= 10 {
                text(x - 20, y - 10)
            } else {
                BACK
            }
        });
        let after = image(|x, y| {
            if x >= 30 && y >= 14 {
                text(x - 30, y - 14)
            } else {
                BACK
            }
        });
        let (a, b) = (
            PixelView::packed(&after, W, W).unwrap(),
            PixelView::packed(&before, W, W).unwrap(),
        );
        // The part that changed spans the window's new pixels too (as the tile compare finds it,
        // after the copy put them in place), so the shadow here is `after` where the window is.
        let shadow = image(|x, y| {
            if x >= 30 && y >= 14 {
                text(x - 30, y - 14)
            } else if x >= 20 && y >= 10 {
                text(x - 20, y - 10)
            } else {
                BACK
            }
        });
        let s = PixelView::packed(&shadow, W, W).unwrap();
        let part = Rect::new(20, 10, 44, 54);
        assert_eq!(
            solid_bands(&a, &s, part),
            Some(vec![Rect::new(20, 10, 44, 4), Rect::new(20, 14, 10, 50)])
        );
        // Against what was there before the copy, the window's pixels changed too: not bands.
        assert_eq!(solid_bands(&a, &b, part), None);
    }

    #[test]
    fn changes_of_many_colours_or_too_many_bands_stay_pixels() {
        let back = image(|_, _| BACK);
        let b = PixelView::packed(&back, W, W).unwrap();
        // A glyph: a few rows, each of many colours.
        let glyph = image(|x, y| {
            if (8..16).contains(&x) && (4..20).contains(&y) {
                text(x, y)
            } else {
                BACK
            }
        });
        let g = PixelView::packed(&glyph, W, W).unwrap();
        assert_eq!(solid_bands(&g, &b, Rect::new(8, 4, 8, 16)), None);
        // Four separate lines of one colour: one band too many.
        let lines = image(|_, y| if y % 8 == 0 { [0xff; 4] } else { BACK });
        let l = PixelView::packed(&lines, W, W).unwrap();
        assert_eq!(solid_bands(&l, &b, Rect::new(0, 0, W, 25)), None);
        // Three are bands, with unchanged rows between them.
        assert_eq!(
            solid_bands(&l, &b, Rect::new(0, 0, W, 17)),
            Some(vec![
                Rect::new(0, 0, W, 1),
                Rect::new(0, 8, W, 1),
                Rect::new(0, 16, W, 1)
            ])
        );
        // Nothing changed: nothing to split.
        assert_eq!(solid_bands(&b, &b, Rect::new(0, 0, W, W)), None);
    }

    #[test]
    fn bands_inside_a_tile_stay_pixels() {
        let back = image(|_, _| BACK);
        let b = PixelView::packed(&back, W, W).unwrap();
        // An "=" in the middle of the tile: two bands, neither reaching the tile's edge.
        let equals = image(|x, y| {
            if (20..28).contains(&x) && (y == 30 || y == 33) {
                [0xff; 4]
            } else {
                BACK
            }
        });
        let e = PixelView::packed(&equals, W, W).unwrap();
        let part = (Rect::new(20, 30, 8, 4), false);
        assert_eq!(split(vec![part], &e, &b, W), vec![part]);
        // The same bars reaching the tile's right edge are split.
        let bars = image(|x, y| {
            if x >= 20 && (y == 30 || y == 33) {
                [0xff; 4]
            } else {
                BACK
            }
        });
        let bars = PixelView::packed(&bars, W, W).unwrap();
        let part = (Rect::new(20, 30, 44, 4), false);
        assert_eq!(
            split(vec![part], &bars, &b, W),
            vec![
                (Rect::new(20, 30, 44, 1), false),
                (Rect::new(20, 33, 44, 1), false)
            ]
        );
        // Sent absolutely (the viewer's copy is lossy there): never split.
        let part = (Rect::new(20, 30, 44, 4), true);
        assert_eq!(split(vec![part], &bars, &b, W), vec![part]);
    }

    #[test]
    fn filling_the_bands_gives_the_new_picture() {
        // Rows whose changed span is one colour but whose colours differ band by band, with
        // unchanged pixels of the band's colour inside a span.
        let before = image(|x, y| {
            if y < 6 && x % 3 == 0 {
                [9, 9, 9, 0xff]
            } else {
                BACK
            }
        });
        let after = image(|x, y| match y {
            0..3 if x < 40 => [9, 9, 9, 0xff],
            3..6 if x < 40 => [7, 7, 7, 0xff],
            _ if y < 6 && x % 3 == 0 => [9, 9, 9, 0xff],
            _ => BACK,
        });
        let (a, b) = (
            PixelView::packed(&after, W, W).unwrap(),
            PixelView::packed(&before, W, W).unwrap(),
        );
        let bands = solid_bands(&a, &b, Rect::new(0, 0, W, 6)).expect("bands");
        let mut fb = before.clone();
        for band in &bands {
            let colour = a.pixel(band.x, band.y);
            for y in band.y..band.y + band.height {
                for x in band.x..band.x + band.width {
                    let i = ((y * W + x) * 4) as usize;
                    fb[i..i + 4].copy_from_slice(&colour);
                }
            }
        }
        assert!(fb == after, "bands {bands:?} do not give the new picture");
        assert_eq!(bands.len(), 2);
    }
}
