//! The zstd stream end to end: frames encoded as one stream decode exactly, in order, with a
//! viewer's decoders; a keyframe starts the stream again; repeated content costs less.

use std::time::Instant;

use wayray_protocol::Rect;
use wayray_protocol::codec::{CodecError, Decoders, PixelViewMut};
use wayray_protocol::messages::display::{Codec, FrameUpdate};

use super::super::{Encoder, FrameInput};

const W: u32 = 640;
const H: u32 = 480;

/// A viewer's decoders: the stream restarts at keyframes, regions apply in order.
fn viewer() -> Decoders {
    let mut decoders = Decoders::new().unwrap();
    decoders.set_zstd_stream(true).unwrap();
    decoders
}

fn apply(decoders: &mut Decoders, fb: &mut [u8], update: &FrameUpdate) -> Result<(), CodecError> {
    if update.keyframe {
        decoders.reset()?;
    }
    let mut view = PixelViewMut::packed(fb, W, H).unwrap();
    for region in &update.regions {
        decoders.apply(&mut view, region)?;
    }
    Ok(())
}

/// Rows of "text": 8×16 cells, each one of a few glyphs, in grey levels like anti-aliasing.
fn text(first_line: u32, shades: u32) -> Vec<u8> {
    let mut out = vec![0u8; (W * H * 4) as usize];
    for (i, px) in out.chunks_exact_mut(4).enumerate() {
        let (x, y) = (i as u32 % W, i as u32 / W);
        let (col, line) = (x / 8, first_line + y / 16);
        let glyph = (col * 7 + line * 3) % 10;
        let on = ((x % 8) * 3 + (y % 16) * glyph) % 7;
        let v = (0x11 + on * 0xdd / 6 * (shades - 1) / shades) as u8;
        px.copy_from_slice(&[v, v, v, 0xff]);
    }
    out
}

fn seeded(mut seed: u64) -> impl FnMut() -> u64 {
    move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    }
}

#[test]
fn a_stream_of_frames_decodes_exactly_and_a_keyframe_starts_it_again() {
    let mut encoder = Encoder::new(W, H);
    encoder.set_zstd_stream(true);
    let mut decoders = viewer();
    let mut frame = text(0, 6);
    let mut fb = vec![0u8; frame.len()];
    let mut next = seeded(99);
    let mut zstd_parts = 0;
    for step in 0..30u32 {
        // Scrolls, new text and random edits; a keyframe in the middle.
        if step % 5 == 4 {
            frame = text(step, 6);
        }
        let x = (next() % u64::from(W - 1)) as u32;
        let y = (next() % u64::from(H - 1)) as u32;
        let rect = Rect::new(
            x,
            y,
            (next() % 90 + 1).min(u64::from(W - x)) as u32,
            40.min(H - y),
        );
        for row in rect.y..rect.y + rect.height {
            for col in rect.x..rect.x + rect.width {
                let i = ((row * W + col) * 4) as usize;
                frame[i] = frame[i].wrapping_add((step as u8).wrapping_mul(31) | 1);
            }
        }
        let damage = if step % 5 == 4 {
            Rect::new(0, 0, W, H)
        } else {
            rect
        };
        let keyframe = step == 0 || step == 17;
        let (update, _) = encoder
            .encode(&FrameInput::new(&frame, W, H, &[damage], Instant::now()).keyframe(keyframe));
        zstd_parts += update
            .regions
            .iter()
            .filter(|r| matches!(r.codec, Codec::Palette | Codec::RawZstd | Codec::DeltaZstd))
            .count();
        if step == 17 {
            // A viewer that joins at this keyframe reads the stream from here.
            let mut late = viewer();
            let mut other = vec![0u8; frame.len()];
            apply(&mut late, &mut other, &update).unwrap();
            assert!(other == frame, "a fresh viewer at the keyframe");
        }
        apply(&mut decoders, &mut fb, &update).unwrap();
        assert!(fb == frame, "decoded frame differs at step {step}");
    }
    assert!(
        zstd_parts > 30,
        "the frames used zstd-coded regions ({zstd_parts})"
    );
}

#[test]
fn text_repeated_across_tiles_costs_less_in_one_stream() {
    let frame = text(0, 6);
    let mut sizes = Vec::new();
    for stream in [false, true] {
        let mut encoder = Encoder::new(W, H);
        encoder.set_zstd_stream(stream);
        let (update, stats) =
            encoder.encode(&FrameInput::new(&frame, W, H, &[], Instant::now()).keyframe(true));
        let mut decoders = Decoders::new().unwrap();
        decoders.set_zstd_stream(stream).unwrap();
        let mut fb = vec![0u8; frame.len()];
        apply(&mut decoders, &mut fb, &update).unwrap();
        assert!(fb == frame);
        sizes.push(stats.bytes);
    }
    assert!(
        sizes[1] * 2 < sizes[0],
        "one by one {} B, stream {} B",
        sizes[0],
        sizes[1]
    );
}

#[test]
fn a_viewer_that_missed_the_stream_cannot_read_a_later_frame_as_right() {
    // Frames are applied in order from a keyframe on; one read without the parts before it
    // either fails or does not give the frame (the viewer then asks for a keyframe).
    let mut encoder = Encoder::new(W, H);
    encoder.set_zstd_stream(true);
    let first = text(0, 6);
    let (key, _) =
        encoder.encode(&FrameInput::new(&first, W, H, &[], Instant::now()).keyframe(true));
    let second = text(1, 6);
    let full = [Rect::new(0, 0, W, H)];
    let (update, _) = encoder.encode(&FrameInput::new(&second, W, H, &full, Instant::now()));
    let mut decoders = viewer();
    let mut fb = vec![0u8; first.len()];
    apply(&mut decoders, &mut fb, &key).unwrap();
    let mut joined = viewer();
    let mut other = fb.clone();
    let result = apply(&mut joined, &mut other, &update);
    assert!(result.is_err() || other != second);
    apply(&mut decoders, &mut fb, &update).unwrap();
    assert!(fb == second);
}
