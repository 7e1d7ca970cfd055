//! Encoder round trips: whatever the encoder sends, a decoder that applies it in order ends up
//! with exactly the frame the encoder saw.

use wayray_protocol::Rect;
use wayray_protocol::codec::{PixelViewMut, ZstdContext, decode_region};
use wayray_protocol::messages::display::{Codec, FrameUpdate};

use super::Encoder;

const W: u32 = 640;
const H: u32 = 480;

fn apply(fb: &mut [u8], update: &FrameUpdate, ctx: &mut ZstdContext) {
    let mut view = PixelViewMut::packed(fb, update.output_width, update.output_height).unwrap();
    for region in &update.regions {
        decode_region(&mut view, region, ctx).unwrap();
    }
}

/// Text-like rows: each "line" of 16 pixels has a distinct pattern.
fn terminal(first_line: u32) -> Vec<u8> {
    let mut out = vec![0u8; (W * H * 4) as usize];
    for y in 0..H {
        let line = first_line + y / 16;
        for x in 0..W {
            let on =
                (x / 8 + line) % 3 == 0 && (y % 16) < 12 && (x * 7 + y * 3 + line * 13) % 5 != 0;
            let i = ((y * W + x) * 4) as usize;
            let v = if on {
                [0xee, 0xee, 0xee, 0xff]
            } else {
                [0x11, 0x11, 0x11, 0xff]
            };
            out[i..i + 4].copy_from_slice(&v);
        }
    }
    out
}

#[test]
fn first_frame_is_a_keyframe_and_decodes_exactly() {
    let mut encoder = Encoder::new(W, H);
    let frame = terminal(0);
    let (update, _) = encoder.encode(&frame, W, H, &[], false);
    assert!(update.keyframe);
    let mut fb = vec![0u8; frame.len()];
    apply(&mut fb, &update, &mut ZstdContext::new().unwrap());
    assert!(fb == frame);
}

#[test]
fn unchanged_damage_sends_nothing() {
    let mut encoder = Encoder::new(W, H);
    let frame = terminal(0);
    encoder.encode(&frame, W, H, &[], true);
    let (update, stats) = encoder.encode(&frame, W, H, &[Rect::new(0, 0, W, H)], false);
    assert!(update.regions.is_empty());
    assert_eq!(stats.tiles_unchanged, stats.tiles_damaged);
}

#[test]
fn a_one_line_scroll_is_a_copy_plus_one_line() {
    let mut encoder = Encoder::new(W, H);
    let mut ctx = ZstdContext::new().unwrap();
    let before = terminal(0);
    let (key, _) = encoder.encode(&before, W, H, &[], true);
    let mut fb = vec![0u8; before.len()];
    apply(&mut fb, &key, &mut ctx);
    let after = terminal(1);
    let (update, stats) = encoder.encode(&after, W, H, &[Rect::new(0, 0, W, H)], false);
    apply(&mut fb, &update, &mut ctx);
    assert!(fb == after, "decoded frame differs after the scroll");
    assert_eq!(stats.copies, 1);
    assert_eq!(update.regions[0].codec, Codec::CopyRect);
    let (full, _) = Encoder::new(W, H).encode(&after, W, H, &[], true);
    let full_bytes: usize = full.regions.iter().map(|r| r.payload.len()).sum();
    assert!(
        stats.bytes * 5 < full_bytes,
        "scroll cost {} bytes, a full frame {full_bytes}",
        stats.bytes
    );
}

#[test]
fn random_edits_decode_exactly() {
    let mut encoder = Encoder::new(W, H);
    let mut ctx = ZstdContext::new().unwrap();
    let mut frame = terminal(0);
    let mut fb = vec![0u8; frame.len()];
    let mut seed = 12345u64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for step in 0..40 {
        let x = (next() % u64::from(W - 1)) as u32;
        let y = (next() % u64::from(H - 1)) as u32;
        let rect = Rect::new(
            x,
            y,
            ((next() % 100) as u32 + 1).min(W - x),
            ((next() % 100) as u32 + 1).min(H - y),
        );
        for row in rect.y..rect.y + rect.height {
            for col in rect.x..rect.x + rect.width {
                let i = ((row * W + col) * 4) as usize;
                frame[i] = frame[i].wrapping_add((step as u8).wrapping_mul(7).wrapping_add(1));
                frame[i + 1] ^= (col as u8).wrapping_mul(step as u8);
            }
        }
        let (update, _) = encoder.encode(&frame, W, H, &[rect], step == 0);
        apply(&mut fb, &update, &mut ctx);
        assert!(fb == frame, "decoded frame differs at step {step}");
    }
}
