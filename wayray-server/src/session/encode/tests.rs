//! Encoder round trips: whatever the encoder sends, a decoder that applies it in order ends up
//! with exactly the frame the encoder saw.

use std::time::{Duration, Instant};

use wayray_protocol::Rect;
use wayray_protocol::codec::{PixelViewMut, ZstdContext, decode_region};
use wayray_protocol::messages::display::{Codec, FrameUpdate};

use super::{CacheUse, Encoder, FrameInput};

const W: u32 = 640;
const H: u32 = 480;

#[path = "move_tests.rs"]
mod moves;

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
    let (update, _) =
        encoder.encode(&FrameInput::new(&frame, W, H, &[], Instant::now()).keyframe(false));
    assert!(update.keyframe);
    let mut fb = vec![0u8; frame.len()];
    apply(&mut fb, &update, &mut ZstdContext::new().unwrap());
    assert!(fb == frame);
}

#[test]
fn unchanged_damage_sends_nothing() {
    let mut encoder = Encoder::new(W, H);
    let frame = terminal(0);
    encoder.encode(&FrameInput::new(&frame, W, H, &[], Instant::now()).keyframe(true));
    let (update, stats) = encoder.encode(&FrameInput::new(
        &frame,
        W,
        H,
        &[Rect::new(0, 0, W, H)],
        Instant::now(),
    ));
    assert!(update.regions.is_empty());
    assert_eq!(stats.tiles_unchanged, stats.tiles_damaged);
}

#[test]
fn a_one_line_scroll_is_a_copy_plus_one_line() {
    let mut encoder = Encoder::new(W, H);
    let mut ctx = ZstdContext::new().unwrap();
    let before = terminal(0);
    let (key, _) =
        encoder.encode(&FrameInput::new(&before, W, H, &[], Instant::now()).keyframe(true));
    let mut fb = vec![0u8; before.len()];
    apply(&mut fb, &key, &mut ctx);
    let after = terminal(1);
    let (update, stats) = encoder.encode(&FrameInput::new(
        &after,
        W,
        H,
        &[Rect::new(0, 0, W, H)],
        Instant::now(),
    ));
    apply(&mut fb, &update, &mut ctx);
    assert!(fb == after, "decoded frame differs after the scroll");
    assert_eq!(stats.copies, 1);
    assert_eq!(update.regions[0].codec, Codec::CopyRect);
    let (full, _) = Encoder::new(W, H)
        .encode(&FrameInput::new(&after, W, H, &[], Instant::now()).keyframe(true));
    let full_bytes: usize = full.regions.iter().map(|r| r.payload.len()).sum();
    assert!(
        stats.bytes * 5 < full_bytes,
        "scroll cost {} bytes, a full frame {full_bytes}",
        stats.bytes
    );
}

#[test]
fn scrolls_frame_after_frame_are_copies_and_exact() {
    // From the third frame on the search takes the viewer's row hashes from the frame before.
    let mut encoder = Encoder::new(W, H);
    let mut ctx = ZstdContext::new().unwrap();
    let first = terminal(0);
    let (key, _) =
        encoder.encode(&FrameInput::new(&first, W, H, &[], Instant::now()).keyframe(true));
    let mut fb = vec![0u8; first.len()];
    apply(&mut fb, &key, &mut ctx);
    for (n, line) in [1, 2, 3, 3, 4, 5].into_iter().enumerate() {
        let frame = terminal(line);
        let damage = [Rect::new(0, 0, W, H)];
        let (update, stats) =
            encoder.encode(&FrameInput::new(&frame, W, H, &damage, Instant::now()));
        apply(&mut fb, &update, &mut ctx);
        assert!(fb == frame, "frame {n} differs");
        let moved = n != 3;
        assert_eq!(stats.copies, usize::from(moved), "frame {n}");
    }
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
        let (update, _) = encoder
            .encode(&FrameInput::new(&frame, W, H, &[rect], Instant::now()).keyframe(step == 0));
        apply(&mut fb, &update, &mut ctx);
        assert!(fb == frame, "decoded frame differs at step {step}");
    }
}

#[test]
fn continuous_motion_becomes_video_and_is_refreshed_losslessly_when_it_stops() {
    if !wayray_protocol::codec::h264_available() {
        return;
    }
    let mut encoder = Encoder::new(W, H);
    encoder.set_video(true);
    let mut ctx = wayray_protocol::codec::Decoders::new().unwrap();
    let mut fb = vec![0u8; (W * H * 4) as usize];
    let start = Instant::now();
    let mut frame = terminal(0);
    let area = Rect::new(64, 64, 256, 192);
    let mut saw_video = false;
    // 30 updates per second for a second over a 256x192 area: a video.
    for step in 0..30u32 {
        for y in area.y..area.y + area.height {
            for x in area.x..area.x + area.width {
                let i = ((y * W + x) * 4) as usize;
                frame[i] = (x + step * 5) as u8;
                frame[i + 1] = (y * 3 + step) as u8;
                frame[i + 2] = ((x ^ y) + step * 11) as u8;
            }
        }
        let now = start + Duration::from_millis(u64::from(step) * 33);
        let (update, stats) =
            encoder.encode(&FrameInput::new(&frame, W, H, &[area], now).keyframe(step == 0));
        saw_video |= stats.video_bytes > 0;
        let mut view = PixelViewMut::packed(&mut fb, W, H).unwrap();
        for region in &update.regions {
            ctx.apply(&mut view, region).unwrap();
        }
    }
    assert!(saw_video, "continuous motion was never sent as video");
    let due = encoder.refresh_due().expect("a refresh is scheduled");
    let (refresh, stats) = encoder.encode(&FrameInput::new(&frame, W, H, &[], due).keyframe(false));
    assert!(stats.refreshed > 0, "nothing was refreshed");
    let mut view = PixelViewMut::packed(&mut fb, W, H).unwrap();
    for region in &refresh.regions {
        assert_ne!(region.codec, Codec::H264);
        ctx.apply(&mut view, region).unwrap();
    }
    let bad: Vec<(usize, usize)> = fb
        .chunks_exact(4)
        .zip(frame.chunks_exact(4))
        .enumerate()
        .filter(|(_, (a, b))| a != b)
        .map(|(i, _)| (i % W as usize, i / W as usize))
        .collect();
    assert!(
        bad.is_empty(),
        "after the lossless refresh {} pixels differ, first {:?} last {:?}; refreshed {}",
        bad.len(),
        bad.first(),
        bad.last(),
        stats.refreshed
    );
    assert!(encoder.refresh_due().is_none());
}

#[test]
fn a_keyframe_of_a_mostly_uniform_screen_is_small_and_exact() {
    let (w, h) = (1920, 1080);
    let mut frame = vec![0u8; (w * h * 4) as usize];
    for px in frame.chunks_exact_mut(4) {
        px.copy_from_slice(&[0x22, 0x22, 0x22, 0xff]);
    }
    // A prompt in the top-left corner.
    for y in 4..16 {
        for x in 2..20 {
            if (x + y) % 3 == 0 {
                let i = ((y * w + x) * 4) as usize;
                frame[i..i + 4].copy_from_slice(&[0xdd, 0xdd, 0xdd, 0xff]);
            }
        }
    }
    let mut encoder = Encoder::new(w, h);
    let (update, _) =
        encoder.encode(&FrameInput::new(&frame, w, h, &[], Instant::now()).keyframe(true));
    assert!(update.keyframe);
    // The prompt's tile, the rest of its row, and the rows below it.
    assert_eq!(update.regions.len(), 3, "{:?}", update.regions);
    let message = wayray_protocol::messages::display::DisplayMessage::FrameUpdate(update.clone());
    let bytes = wayray_protocol::framing::encode_frame_to_vec(&message)
        .unwrap()
        .len();
    assert!(bytes < 1000, "a keyframe of {bytes} bytes");
    let mut fb = vec![0u8; frame.len()];
    apply(&mut fb, &update, &mut ZstdContext::new().unwrap());
    assert!(fb == frame);
}

/// Draws glyph `g` (a pattern of its own) into the 8×16 cell at column `col`, row 0.
fn draw_glyph(frame: &mut [u8], col: u32, g: u32) {
    for y in 0..16 {
        for x in 0..8 {
            let on = (x * 3 + y * g) % 7 < 3;
            let i = ((y * W + col * 8 + x) * 4) as usize;
            let v = if on { 0xee } else { 0x11 };
            frame[i..i + 4].copy_from_slice(&[v, v, v, 0xff]);
        }
    }
}

#[test]
fn content_the_viewer_holds_goes_as_a_reference_and_decodes_exactly() {
    for usage in [CacheUse::Keys, CacheUse::Ordinals] {
        references_decode_exactly(usage);
    }
}

fn references_decode_exactly(usage: CacheUse) {
    let mut encoder = Encoder::new(W, H);
    encoder.set_cache(usage);
    let mut decoders = wayray_protocol::codec::Decoders::new().unwrap();
    decoders.set_content_cache(true);
    let mut fb = vec![0u8; (W * H * 4) as usize];
    let mut frame = fb.clone();
    for px in frame.chunks_exact_mut(4) {
        px.copy_from_slice(&[0x11, 0x11, 0x11, 0xff]);
    }
    let mut apply_cached = |fb: &mut Vec<u8>, update: &FrameUpdate| {
        if update.keyframe {
            decoders.reset()?;
        }
        let mut view = PixelViewMut::packed(fb, W, H).unwrap();
        for region in &update.regions {
            decoders.apply(&mut view, region)?;
        }
        Ok::<(), wayray_protocol::codec::CodecError>(())
    };
    let t = Instant::now();
    let (key, _) = encoder.encode(&FrameInput::new(&frame, W, H, &[], t).keyframe(true));
    apply_cached(&mut fb, &key).unwrap();
    // "abab": the second a and b are references; the pixels still match exactly.
    let mut cached = 0;
    for (col, g) in [(0, 2), (1, 5), (2, 2), (3, 5)] {
        draw_glyph(&mut frame, col, g);
        let damage = [Rect::new(col * 8, 0, 8, 16)];
        let (update, _) = encoder.encode(&FrameInput::new(&frame, W, H, &damage, t));
        for region in update.regions.iter().filter(|r| r.codec == Codec::Cached) {
            cached += 1;
            // The short form where the viewer takes it.
            let short = region.payload.len() < 16;
            assert_eq!(short, usage == CacheUse::Ordinals, "{usage:?}");
        }
        apply_cached(&mut fb, &update).unwrap();
        assert!(fb == frame, "after glyph {col}");
    }
    assert_eq!(cached, 2);
    // A viewer without the entries cannot apply a reference: it fails, and asks for a
    // keyframe, which empties both caches.
    draw_glyph(&mut frame, 4, 2);
    let damage = [Rect::new(32, 0, 8, 16)];
    let (update, _) = encoder.encode(&FrameInput::new(&frame, W, H, &damage, t));
    assert_eq!(update.regions[0].codec, Codec::Cached);
    let mut fresh = wayray_protocol::codec::Decoders::new().unwrap();
    fresh.set_content_cache(true);
    let mut view = PixelViewMut::packed(&mut fb, W, H).unwrap();
    assert!(fresh.apply(&mut view, &update.regions[0]).is_err());
    let (update, _) = encoder.encode(&FrameInput::new(&frame, W, H, &[], t).keyframe(true));
    assert!(update.regions.iter().all(|r| r.codec != Codec::Cached));
}

#[test]
fn a_window_said_to_show_video_streams_from_its_first_change() {
    if !wayray_protocol::codec::h264_available() {
        return;
    }
    let window = Rect::new(50, 40, 300, 200);
    let run = |video: &[Rect]| {
        let mut encoder = Encoder::new(W, H);
        encoder.set_video(true);
        let mut frame = terminal(0);
        let t = Instant::now();
        let (_, _) = encoder.encode(&FrameInput::new(&frame, W, H, &[], t).keyframe(true));
        // One change inside the window.
        for y in window.y..window.y + window.height {
            for x in window.x..window.x + window.width {
                let i = ((y * W + x) * 4) as usize;
                frame[i] = (x * 7 + y) as u8;
                frame[i + 1] = (x ^ y) as u8;
            }
        }
        let damage = [window];
        let mut input = FrameInput::new(&frame, W, H, &damage, t + Duration::from_millis(33));
        input.video = video;
        let (update, _) = encoder.encode(&input);
        update
            .regions
            .iter()
            .filter(|r| r.codec == Codec::H264)
            .map(|r| r.rect)
            .collect::<Vec<Rect>>()
    };
    // The stream covers the tiles wholly inside the window: (64, 64) to (320, 192).
    assert_eq!(run(&[window]), vec![Rect::new(64, 64, 256, 128)]);
    // Without the hint one change is not motion.
    assert!(run(&[]).is_empty());
}

#[test]
fn motion_on_a_slow_link_becomes_video_after_one_lossless_frame() {
    if !wayray_protocol::codec::h264_available() {
        return;
    }
    // Two updates a second, each merging 15 captured frames (a 30 fps video whose viewer
    // takes two frames a second): video from the second update; counted as one capture
    // each, never.
    let area = Rect::new(64, 64, 256, 192);
    let damage = [area];
    let run_at = |captures: u64, kbps: u32| {
        let mut encoder = Encoder::new(W, H);
        encoder.set_video(true);
        encoder.set_video_rate(kbps);
        let start = Instant::now();
        let mut frame = terminal(0);
        let mut first_video = None;
        for step in 0..6u32 {
            for y in area.y..area.y + area.height {
                for x in area.x..area.x + area.width {
                    let i = ((y * W + x) * 4) as usize;
                    frame[i] = (x * 7 + step * 41) as u8;
                    frame[i + 1] = (y * 3 + step * 13) as u8;
                    frame[i + 2] = ((x ^ y) + step * 29) as u8;
                }
            }
            let now = start + Duration::from_millis(u64::from(step) * 500);
            let input = FrameInput {
                captures,
                ..FrameInput::new(&frame, W, H, &damage, now).keyframe(step == 0)
            };
            let (_, stats) = encoder.encode(&input);
            if stats.video_bytes > 0 && first_video.is_none() {
                first_video = Some(step);
            }
        }
        first_video
    };
    let fast = wayray_protocol::session::rate::START_KBPS;
    assert_eq!(
        run_at(15, fast),
        Some(2),
        "merged captures count as changes"
    );
    assert_eq!(
        run_at(1, fast),
        None,
        "two changes a second alone are not a video"
    );
    // A link too slow for the motion's lossless frames: streamed after the first.
    assert_eq!(
        run_at(1, 300),
        Some(2),
        "a slow link streams motion at once"
    );
}

#[test]
fn the_scroll_search_takes_only_the_rows_that_changed() {
    use super::tiles::changed_bands;
    let damage = [Rect::new(0, 0, 640, 480), Rect::new(640, 0, 128, 480)];
    // Changed parts in the first rectangle only: rows 70..90 and 200..264.
    let parts = [
        (Rect::new(0, 64, 64, 64), Rect::new(10, 70, 20, 20)),
        (Rect::new(128, 192, 64, 64), Rect::new(128, 200, 64, 64)),
    ];
    assert_eq!(
        changed_bands(&damage, &parts),
        vec![Rect::new(0, 70, 640, 194)]
    );
    // A part sticking out of a narrower damaged rectangle counts only inside it.
    let narrow = [Rect::new(0, 100, 640, 50)];
    assert_eq!(
        changed_bands(&narrow, &parts),
        Vec::<Rect>::new(),
        "no changed row inside it"
    );
    let tall = [Rect::new(0, 80, 640, 150)];
    assert_eq!(
        changed_bands(&tall, &parts),
        vec![Rect::new(0, 80, 640, 150)]
    );
}

#[test]
fn a_scroll_is_searched_first_and_a_few_changed_rows_are_compared_first() {
    use super::scroll::mostly_changed;
    fn view(p: &[u8]) -> wayray_protocol::codec::PixelView<'_> {
        wayray_protocol::codec::PixelView::packed(p, W, H).unwrap()
    }
    let (old, scrolled) = (terminal(0), terminal(1));
    let full = [Rect::new(0, 0, W, H)];
    assert!(mostly_changed(&view(&scrolled), &view(&old), &full));
    // A player's surface damaged whole with a few rows changed.
    let mut few = old.clone();
    few[(100 * W * 4) as usize..(120 * W * 4) as usize].fill(0x80);
    assert!(!mostly_changed(&view(&few), &view(&old), &full));
    // Rectangles too small for a search do not count.
    assert!(!mostly_changed(
        &view(&scrolled),
        &view(&old),
        &[Rect::new(0, 0, 32, H)]
    ));
}
