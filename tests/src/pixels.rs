//! Looking at captured pixels.

use std::path::Path;

use wayray_server::session::Screenshot;
use wayray_server::session::render::BACKGROUND;

/// The compositor's background colour as BGRA bytes.
pub fn background() -> [u8; 4] {
    let [r, g, b] = BACKGROUND;
    [b, g, r, 0xff]
}

/// `0xRRGGBB` as BGRA bytes with full alpha.
pub fn rgb(hex: u32) -> [u8; 4] {
    [
        (hex & 0xff) as u8,
        (hex >> 8 & 0xff) as u8,
        (hex >> 16) as u8,
        0xff,
    ]
}

/// Whether two colours are equal, ignoring alpha (the output is opaque).
pub fn same_rgb(a: [u8; 4], b: [u8; 4]) -> bool {
    a[..3] == b[..3]
}

/// The bounding box `(x, y, width, height)` of the pixels matching `pred`.
pub fn bbox(shot: &Screenshot, pred: impl Fn([u8; 4]) -> bool) -> Option<(u32, u32, u32, u32)> {
    bbox_at(shot, |_, _, pixel| pred(pixel))
}

/// The bounding box `(x, y, width, height)` of the pixels for which `pred(x, y, pixel)` holds.
pub fn bbox_at(
    shot: &Screenshot,
    pred: impl Fn(u32, u32, [u8; 4]) -> bool,
) -> Option<(u32, u32, u32, u32)> {
    let (mut x0, mut y0, mut x1, mut y1) = (u32::MAX, u32::MAX, 0, 0);
    for y in 0..shot.height {
        for x in 0..shot.width {
            if pred(x, y, shot.pixel(x, y)) {
                x0 = x0.min(x);
                y0 = y0.min(y);
                x1 = x1.max(x);
                y1 = y1.max(y);
            }
        }
    }
    (x0 != u32::MAX).then(|| (x0, y0, x1 - x0 + 1, y1 - y0 + 1))
}

/// Counts the pixels matching `pred` inside a rectangle.
pub fn count_in(
    shot: &Screenshot,
    (x, y, w, h): (u32, u32, u32, u32),
    pred: impl Fn([u8; 4]) -> bool,
) -> usize {
    (y..y + h)
        .flat_map(|py| (x..x + w).map(move |px| (px, py)))
        .filter(|&(px, py)| pred(shot.pixel(px, py)))
        .count()
}

/// Decodes a PNG into RGB pixels.
pub fn read_png_rgb(path: &Path) -> Vec<[u8; 3]> {
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(path).expect("png"),
    ));
    let mut reader = decoder.read_info().expect("png header");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("png data");
    let channels = info.color_type.samples();
    buf[..info.buffer_size()]
        .chunks_exact(channels)
        .map(|p| [p[0], p[1], p[2]])
        .collect()
}

/// The box of pixels far from the session's background (a window without its faint shadow):
/// left, top, right, bottom.
pub fn window_box(shot: &Screenshot) -> (u32, u32, u32, u32) {
    let background = wayray_server::session::render::BACKGROUND;
    let far = |[b, g, r, _]: [u8; 4]| {
        [r, g, b]
            .iter()
            .zip(background)
            .any(|(&c, bg)| c.abs_diff(bg) > 60)
    };
    match bbox(shot, far) {
        Some((x, y, w, h)) => (x, y, x + w - 1, y + h - 1),
        None => (u32::MAX, u32::MAX, 0, 0),
    }
}
