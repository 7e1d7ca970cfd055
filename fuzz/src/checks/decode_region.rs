//! Feeds arbitrary payloads to every lossless region decoder (solid, palette, raw, delta,
//! copy-rect) at a rectangle chosen by the input, over a 256x256 framebuffer, each payload a
//! zstd frame of its own or (the first byte's top bit) twice over as parts of one zstd stream
//! (`zstd-stream`). Any panic is a bug. (H.264 regions have a target of their own, `h264`.)

use wayray_protocol::Rect;
use wayray_protocol::codec::{PixelViewMut, ZstdContext, decode_region};
use wayray_protocol::messages::display::{Codec, RegionUpdate};

const SIZE: u32 = 256;

/// One input; panics on a bug.
pub fn check(data: &[u8]) {
    let Some((header, payload)) = data.split_first_chunk::<5>() else {
        return;
    };
    let codec = match header[0] % 5 {
        0 => Codec::Solid,
        1 => Codec::Palette,
        2 => Codec::RawZstd,
        3 => Codec::DeltaZstd,
        _ => Codec::CopyRect,
    };
    let rect = Rect::new(
        u32::from(header[1]),
        u32::from(header[2]),
        u32::from(header[3]) + 1,
        u32::from(header[4]) + 1,
    );
    let mut fb = vec![0u8; (SIZE * SIZE * 4) as usize];
    let Some(mut view) = PixelViewMut::packed(&mut fb, SIZE, SIZE) else {
        return;
    };
    let stream = header[0] & 0x80 != 0;
    let made = if stream {
        ZstdContext::stream()
    } else {
        ZstdContext::new()
    };
    let Ok(mut zstd) = made else {
        return;
    };
    let region = RegionUpdate {
        rect,
        codec,
        payload: payload.to_vec(),
    };
    let _ = decode_region(&mut view, &region, &mut zstd);
    if stream {
        // The same bytes again, read after whatever state the first left the stream in.
        let _ = decode_region(&mut view, &region, &mut zstd);
    }
}
