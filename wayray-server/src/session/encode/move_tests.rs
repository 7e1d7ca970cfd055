//! Window moves the compositor reports: a copy of the window plus what it uncovered, and a
//! scroll elsewhere in the same frame still found.

use std::time::Instant;

use wayray_protocol::Rect;
use wayray_protocol::codec::ZstdContext;

use super::super::{Encoder, FrameInput};
use super::{H, W, apply, terminal};
use crate::session::capture::MoveHint;

/// A 300×200 window with a pattern of its own at (`x0`, `y0`) on a plain background.
fn window(x0: u32, y0: u32) -> Vec<u8> {
    let mut out = vec![0u8; (W * H * 4) as usize];
    for y in 0..H {
        for x in 0..W {
            let inside = (x0..x0 + 300).contains(&x) && (y0..y0 + 200).contains(&y);
            let i = ((y * W + x) * 4) as usize;
            let v = if inside {
                [
                    (x - x0) as u8,
                    ((y - y0) * 3) as u8,
                    ((x - x0) ^ (y - y0)) as u8,
                    0xff,
                ]
            } else {
                [0x26, 0x1e, 0x1a, 0xff]
            };
            out[i..i + 4].copy_from_slice(&v);
        }
    }
    out
}

#[test]
fn a_window_move_is_a_copy_plus_the_exposed_background() {
    let mut encoder = Encoder::new(W, H);
    let mut ctx = ZstdContext::new().unwrap();
    let before = window(50, 40);
    let (key, _) =
        encoder.encode(&FrameInput::new(&before, W, H, &[], Instant::now()).keyframe(true));
    let mut fb = vec![0u8; before.len()];
    apply(&mut fb, &key, &mut ctx);
    let after = window(87, 51);
    let hint = MoveHint {
        id: 1,
        from: Rect::new(50, 40, 300, 200),
        to: Rect::new(87, 51, 300, 200),
    };
    let damage = [Rect::new(50, 40, 337, 211)];
    let (update, stats) = encoder.encode(&FrameInput {
        moves: &[hint],
        ..FrameInput::new(&after, W, H, &damage, Instant::now())
    });
    apply(&mut fb, &update, &mut ctx);
    assert!(fb == after, "decoded frame differs after the move");
    assert_eq!(stats.copies, 1);
    assert!(stats.bytes < 1500, "a move cost {} bytes", stats.bytes);
}

#[test]
fn a_scroll_beside_a_moved_window_is_still_found() {
    // The window above row 240, a terminal's lines below it.
    let frame = |x0: u32, y0: u32, first_line: u32| {
        let mut out = window(x0, y0);
        let split = (240 * W * 4) as usize;
        out[split..].copy_from_slice(&terminal(first_line)[split..]);
        out
    };
    let mut encoder = Encoder::new(W, H);
    let mut ctx = ZstdContext::new().unwrap();
    let before = frame(50, 20, 0);
    let (key, _) =
        encoder.encode(&FrameInput::new(&before, W, H, &[], Instant::now()).keyframe(true));
    let mut fb = vec![0u8; before.len()];
    apply(&mut fb, &key, &mut ctx);
    let after = frame(87, 31, 1);
    let hint = MoveHint {
        id: 1,
        from: Rect::new(50, 20, 300, 200),
        to: Rect::new(87, 31, 300, 200),
    };
    let damage = [Rect::new(50, 20, 337, 211), Rect::new(0, 240, W, H - 240)];
    let (update, stats) = encoder.encode(&FrameInput {
        moves: &[hint],
        ..FrameInput::new(&after, W, H, &damage, Instant::now())
    });
    apply(&mut fb, &update, &mut ctx);
    assert!(fb == after, "decoded frame differs");
    assert_eq!(
        stats.copies, 2,
        "the move and the scroll: {:?}",
        update.regions
    );
}

#[test]
fn a_dragged_window_costs_its_copy_and_a_few_fills_a_step() {
    // Steps of (10, 4), as a pointer drags a window: its corner's tile holds an L of uncovered
    // background around the window's new pixels, which goes as bands joined to the strips.
    use wayray_protocol::messages::display::Codec;
    let mut encoder = Encoder::new(W, H);
    let mut ctx = ZstdContext::new().unwrap();
    let (mut x, mut y) = (50, 40);
    let before = window(x, y);
    let (key, _) =
        encoder.encode(&FrameInput::new(&before, W, H, &[], Instant::now()).keyframe(true));
    let mut fb = vec![0u8; before.len()];
    apply(&mut fb, &key, &mut ctx);
    for step in 0..12 {
        let after = window(x + 10, y + 4);
        let hint = MoveHint {
            id: 1,
            from: Rect::new(x, y, 300, 200),
            to: Rect::new(x + 10, y + 4, 300, 200),
        };
        let damage = [Rect::new(x, y, 310, 204)];
        let (update, _) = encoder.encode(&FrameInput {
            moves: &[hint],
            ..FrameInput::new(&after, W, H, &damage, Instant::now())
        });
        apply(&mut fb, &update, &mut ctx);
        assert!(fb == after, "decoded frame differs after step {step}");
        // The copy, then fills only: at most the two strips, each cut where a tile column or
        // row splits the corner.
        let codecs: Vec<Codec> = update.regions.iter().map(|r| r.codec).collect();
        assert!(
            codecs[0] == Codec::CopyRect
                && codecs[1..].iter().all(|c| *c == Codec::Solid)
                && codecs.len() <= 5,
            "step {step} at ({x}, {y}): {:?}",
            update
                .regions
                .iter()
                .map(|r| (r.codec, r.rect))
                .collect::<Vec<_>>()
        );
        (x, y) = (x + 10, y + 4);
    }
}
