//! Feeds a sequence of H.264 access units to the viewer's region decoders, as a hostile server
//! would send them: the first byte picks the video rectangle (the corpus's real encodes are
//! 64x48 at (8, 8)), then each unit is a little-endian u16 length and its bytes. A unit that does
//! not decode must be an error, never a panic or a write outside the framebuffer.
//!
//! Seeds: `cargo run -p wayray-protocol --example h264_corpus -- fuzz/regressions/h264`.

use wayray_protocol::Rect;
use wayray_protocol::codec::{Decoders, PixelViewMut};
use wayray_protocol::messages::display::{Codec, RegionUpdate};

const WIDTH: u32 = 96;
const HEIGHT: u32 = 72;

/// One input; panics on a bug.
pub fn check(data: &[u8]) {
    let Some((&shape, mut rest)) = data.split_first() else {
        return;
    };
    let rect = match shape % 4 {
        0 => Rect::new(8, 8, 64, 48),
        1 => Rect::new(0, 0, 64, 48),
        2 => Rect::new(32, 24, 64, 48),
        _ => Rect::new(0, 0, WIDTH, HEIGHT),
    };
    let mut fb = vec![0u8; (WIDTH * HEIGHT * 4) as usize];
    let Some(mut view) = PixelViewMut::packed(&mut fb, WIDTH, HEIGHT) else {
        return;
    };
    let Ok(mut decoders) = Decoders::new() else {
        return;
    };
    let mut units = 0;
    while let Some((len, tail)) = rest.split_first_chunk::<2>() {
        let len = usize::from(u16::from_le_bytes(*len)).min(tail.len());
        let (unit, tail) = tail.split_at(len);
        rest = tail;
        let region = RegionUpdate {
            rect,
            codec: Codec::H264,
            payload: unit.to_vec(),
        };
        let _ = decoders.apply(&mut view, &region);
        units += 1;
        if units == 32 {
            break;
        }
    }
}
