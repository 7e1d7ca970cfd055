//! Round trips of every lossless codec on synthetic content, and garbage payloads.

use proptest::prelude::*;

use super::*;
use crate::messages::display::{Codec, RegionUpdate};

const W: u32 = 96;
const H: u32 = 64;

fn image(mut f: impl FnMut(u32, u32) -> [u8; 4]) -> Vec<u8> {
    let mut out = Vec::with_capacity((W * H * 4) as usize);
    for y in 0..H {
        for x in 0..W {
            out.extend_from_slice(&f(x, y));
        }
    }
    out
}

/// A 5x7 bitmap font, enough to draw text-like content: glyphs of two colours on a background.
fn text_like() -> Vec<u8> {
    const GLYPHS: [[u8; 7]; 4] = [
        [0x0e, 0x11, 0x11, 0x1f, 0x11, 0x11, 0x11], // A
        [0x1e, 0x11, 0x11, 0x1e, 0x11, 0x11, 0x1e], // B
        [0x0e, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0e], // C
        [0x11, 0x11, 0x11, 0x1f, 0x11, 0x11, 0x11], // H
    ];
    image(|x, y| {
        let (cell_x, cell_y) = (x / 6, y / 9);
        let glyph = GLYPHS[((cell_x + cell_y) % 4) as usize];
        let (gx, gy) = (x % 6, y % 9);
        let on = gx < 5 && gy < 7 && glyph[gy as usize] >> (4 - gx) & 1 == 1;
        if on {
            if cell_y % 2 == 0 {
                [0xe0, 0xe0, 0xe0, 0xff]
            } else {
                [0x40, 0xc0, 0x40, 0xff]
            }
        } else {
            [0x20, 0x1a, 0x18, 0xff]
        }
    })
}

fn gradient() -> Vec<u8> {
    image(|x, y| [(x * 2) as u8, (y * 3) as u8, ((x + y) / 2) as u8, 0xff])
}

fn noise(seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    image(|_, _| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let v = state.to_le_bytes();
        [v[0], v[1], v[2], 0xff]
    })
}

/// A smooth "photo": low-frequency waves plus a little noise.
fn photo() -> Vec<u8> {
    let n = noise(7);
    image(|x, y| {
        let i = ((y * W + x) * 4) as usize;
        let base =
            |f: f32| (((x as f32 * f).sin() + (y as f32 * f * 0.7).cos()) * 60.0 + 128.0) as u8;
        [
            base(0.05).wrapping_add(n[i] % 8),
            base(0.07),
            base(0.03).wrapping_add(n[i + 1] % 8),
            0xff,
        ]
    })
}

fn round_trip(current: &[u8], previous: &[u8], rect: Rect) {
    let mut ctx = ZstdContext::new().unwrap();
    let src = PixelView::packed(current, W, H).unwrap();
    let prev = PixelView::packed(previous, W, H).unwrap();
    let mut candidates = vec![
        (Codec::RawZstd, encode_raw(&mut ctx, &src, rect).unwrap()),
        (
            Codec::DeltaZstd,
            encode_delta(&mut ctx, &src, &prev, rect).unwrap(),
        ),
    ];
    if let Some(payload) = encode_palette(&mut ctx, &src, rect, 256).unwrap() {
        candidates.push((Codec::Palette, payload));
    }
    if let Some(colour) = solid_colour(&src, rect) {
        candidates.push((Codec::Solid, encode_solid(colour)));
    }
    for (codec, payload) in candidates {
        let mut fb = previous.to_vec();
        let mut view = PixelViewMut::packed(&mut fb, W, H).unwrap();
        let region = RegionUpdate {
            rect,
            codec,
            payload,
        };
        decode_region(&mut view, &region, &mut ctx).unwrap();
        let out = PixelView::packed(&fb, W, H).unwrap();
        for y in 0..rect.height {
            assert_eq!(
                out.row(rect, y),
                src.row(rect, y),
                "{codec:?} differs in row {y} of {rect:?}"
            );
        }
    }
}

#[test]
fn every_lossless_codec_is_exact_on_synthetic_content() {
    let contents = [text_like(), gradient(), noise(1), photo()];
    for current in &contents {
        for previous in &contents {
            for rect in [
                Rect::new(0, 0, W, H),
                Rect::new(5, 3, 64, 32),
                Rect::new(95, 63, 1, 1),
            ] {
                round_trip(current, previous, rect);
            }
        }
    }
}

#[test]
fn text_uses_few_bits_per_pixel() {
    let text = text_like();
    let mut ctx = ZstdContext::new().unwrap();
    let src = PixelView::packed(&text, W, H).unwrap();
    let rect = Rect::new(0, 0, W, H);
    let palette = encode_palette(&mut ctx, &src, rect, 256).unwrap().unwrap();
    let raw = encode_raw(&mut ctx, &src, rect).unwrap();
    assert!(
        palette.len() < (W * H * 4 / 20) as usize,
        "palette {} bytes",
        palette.len()
    );
    assert!(
        palette.len() <= raw.len(),
        "palette {} vs raw {}",
        palette.len(),
        raw.len()
    );
}

#[test]
fn copy_rect_handles_overlap_both_ways() {
    let original = gradient();
    for (src, dst) in [
        ((0, 0), Rect::new(0, 10, W, H - 10)),
        ((0, 10), Rect::new(0, 0, W, H - 10)),
    ] {
        let mut fb = original.clone();
        let mut view = PixelViewMut::packed(&mut fb, W, H).unwrap();
        let region = RegionUpdate {
            rect: dst,
            codec: Codec::CopyRect,
            payload: encode_copy_rect(src.0, src.1),
        };
        decode_region(&mut view, &region, &mut ZstdContext::new().unwrap()).unwrap();
        let before = PixelView::packed(&original, W, H).unwrap();
        let after = PixelView::packed(&fb, W, H).unwrap();
        for y in 0..dst.height {
            assert_eq!(
                after.row(dst, y),
                before.row(Rect::new(src.0, src.1, dst.width, dst.height), y)
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn random_rects_round_trip(x in 0u32..W, y in 0u32..H, w in 1u32..=W, h in 1u32..=H, seed in any::<u64>()) {
        let rect = Rect::new(x, y, w.min(W - x), h.min(H - y));
        round_trip(&noise(seed), &gradient(), rect);
        round_trip(&text_like(), &noise(seed), rect);
    }

    #[test]
    fn garbage_payloads_are_errors_not_panics(
        codec in any::<Codec>(),
        payload in proptest::collection::vec(any::<u8>(), 0..300),
        x in 0u32..W, y in 0u32..H, w in 1u32..200, h in 1u32..200,
    ) {
        let mut fb = vec![0u8; (W * H * 4) as usize];
        let mut view = PixelViewMut::packed(&mut fb, W, H).unwrap();
        let region = RegionUpdate { rect: Rect::new(x, y, w, h), codec, payload };
        let _ = decode_region(&mut view, &region, &mut ZstdContext::new().unwrap());
    }

    #[test]
    fn valid_zstd_of_the_wrong_size_is_refused(extra in 1usize..100) {
        let mut ctx = ZstdContext::new().unwrap();
        let rect = Rect::new(0, 0, 8, 8);
        let payload = zstd::bulk::compress(&vec![7u8; 8 * 8 * 4 + extra], 1).unwrap();
        let mut fb = vec![0u8; (W * H * 4) as usize];
        let mut view = PixelViewMut::packed(&mut fb, W, H).unwrap();
        for codec in [Codec::RawZstd, Codec::DeltaZstd, Codec::Palette] {
            let region = RegionUpdate { rect, codec, payload: payload.clone() };
            prop_assert!(decode_region(&mut view, &region, &mut ctx).is_err());
        }
    }
}

#[test]
fn oversize_regions_are_refused_before_decompressing() {
    let mut fb = vec![0u8; 1024 * 1024 * 4];
    let mut view = PixelViewMut::packed(&mut fb, 1024, 1024).unwrap();
    let region = RegionUpdate {
        rect: Rect::new(0, 0, 1024, 1024),
        codec: Codec::RawZstd,
        payload: vec![],
    };
    let err = decode_region(&mut view, &region, &mut ZstdContext::new().unwrap()).unwrap_err();
    assert!(matches!(err, CodecError::RegionTooLarge { .. }), "{err}");
}

/// Peak signal-to-noise ratio between two BGRA images (B, G, R), in dB.
pub(super) fn psnr(a: &[u8], b: &[u8]) -> f64 {
    let mse: f64 = a
        .chunks_exact(4)
        .zip(b.chunks_exact(4))
        .map(|(p, q)| {
            (0..3)
                .map(|i| (f64::from(p[i]) - f64::from(q[i])).powi(2))
                .sum::<f64>()
        })
        .sum::<f64>()
        / (a.len() / 4 * 3) as f64;
    if mse == 0.0 {
        f64::INFINITY
    } else {
        10.0 * (255.0f64 * 255.0 / mse).log10()
    }
}

/// The PSNR floor the video path must stay above on photo-like content.
const PSNR_FLOOR_DB: f64 = 30.0;

#[test]
fn h264_round_trip_is_above_the_psnr_floor() {
    if !h264_available() {
        assert!(
            !cfg!(feature = "h264") || std::env::var("CI").is_err(),
            "libx264 missing in CI"
        );
        return;
    }
    let rect = Rect::new(0, 0, W, H);
    let mut encoder = H264Encoder::new(W, H).unwrap();
    let mut decoders = Decoders::new().unwrap();
    let mut fb = vec![0u8; (W * H * 4) as usize];
    let mut worst = f64::INFINITY;
    for frame in 0..10u32 {
        // A photo-like image panning one pixel per frame.
        let base = photo();
        let content = image(|x, y| {
            let i = ((y * W + (x + frame) % W) * 4) as usize;
            [base[i], base[i + 1], base[i + 2], 0xff]
        });
        let src = PixelView::packed(&content, W, H).unwrap();
        let at = std::time::Duration::from_millis(u64::from(frame) * 33);
        let payload = encoder.encode(&src, rect, at).unwrap();
        assert!(!payload.is_empty(), "one packet per frame (zerolatency)");
        let mut view = PixelViewMut::packed(&mut fb, W, H).unwrap();
        decoders
            .apply(
                &mut view,
                &RegionUpdate {
                    rect,
                    codec: Codec::H264,
                    payload,
                },
            )
            .unwrap();
        worst = worst.min(psnr(&fb, &content));
    }
    eprintln!("h264 worst PSNR over 10 frames: {worst:.1} dB");
    assert!(
        worst > PSNR_FLOOR_DB,
        "PSNR {worst:.1} dB is below {PSNR_FLOOR_DB} dB"
    );
}

#[test]
fn h264_garbage_is_an_error() {
    if !h264_available() {
        return;
    }
    let mut decoders = Decoders::new().unwrap();
    let mut fb = vec![0u8; (W * H * 4) as usize];
    let mut view = PixelViewMut::packed(&mut fb, W, H).unwrap();
    for payload in [vec![], vec![0, 0, 0, 1, 0x65, 1, 2, 3], vec![0xff; 300]] {
        let region = RegionUpdate {
            rect: Rect::new(0, 0, W, H),
            codec: Codec::H264,
            payload,
        };
        assert!(decoders.apply(&mut view, &region).is_err());
    }
}
