//! 4:4:4 streams (`Chroma::Full`): sharp coloured edges survive them where 4:2:0 smears
//! them, a viewer's decoder takes a stream that starts again in another chroma format in
//! the same rectangle, and damaged 4:4:4 access units are errors or pictures, never a panic.

use std::time::Duration;

use super::tests::psnr;
use super::{Chroma, Decoders, H264Encoder, PixelView, PixelViewMut, h264_available};
use crate::Rect;
use crate::messages::display::{Codec, RegionUpdate};

const W: u32 = 256;
const H: u32 = 128;

/// Bars and blocks of saturated colours, moved `shift` pixels: every other frame their edges
/// fall on odd columns, which 4:2:0 shares with the column before (coloured text, a test
/// card).
fn card(shift: u32) -> Vec<u8> {
    const COLOURS: [[u8; 3]; 6] = [
        [0, 0, 255],
        [0, 255, 0],
        [255, 0, 0],
        [255, 255, 0],
        [0, 255, 255],
        [255, 0, 255],
    ];
    (0..H)
        .flat_map(|y| {
            (0..W).flat_map(move |x| {
                let x = x + shift;
                let i = if y < H / 2 {
                    (x / 16) as usize
                } else {
                    ((x / 16) ^ (y / 16)) as usize
                };
                let [b, g, r] = COLOURS[i % COLOURS.len()];
                [b, g, r, 0xff]
            })
        })
        .collect()
}

/// Encodes `frames` frames of the moving card in `chroma` and decodes them with `decoders`
/// into `fb`; the worst PSNR.
fn round_trip(
    decoders: &mut Decoders,
    fb: &mut [u8],
    chroma: Chroma,
    first: u32,
    frames: u32,
) -> f64 {
    let rect = Rect::new(0, 0, W, H);
    let mut encoder = H264Encoder::with_chroma(W, H, 100_000, chroma).unwrap();
    assert_eq!(encoder.chroma(), chroma);
    let mut worst = f64::INFINITY;
    for frame in first..first + frames {
        let content = card(frame);
        let src = PixelView::packed(&content, W, H).unwrap();
        let at = Duration::from_millis(u64::from(frame) * 33);
        let payload = encoder.encode(&src, rect, at).unwrap();
        let mut view = PixelViewMut::packed(fb, W, H).unwrap();
        let region = RegionUpdate {
            rect,
            codec: Codec::H264,
            payload,
        };
        decoders.apply(&mut view, &region).unwrap();
        worst = worst.min(psnr(fb, &content));
    }
    worst
}

#[test]
fn full_chroma_keeps_sharp_coloured_edges_that_half_chroma_smears() {
    if !h264_available() {
        assert!(std::env::var("CI").is_err(), "libx264 missing in CI");
        return;
    }
    let mut fb = vec![0u8; (W * H * 4) as usize];
    let half = round_trip(&mut Decoders::new().unwrap(), &mut fb, Chroma::Half, 0, 8);
    let full = round_trip(&mut Decoders::new().unwrap(), &mut fb, Chroma::Full, 0, 8);
    eprintln!("worst PSNR: 4:2:0 {half:.1} dB, 4:4:4 {full:.1} dB");
    // At CRF 23 the card's worst frame (the first after the keyframe) is about 38.5 dB in
    // 4:4:4; 4:2:0 mixes the colours of every edge at an odd column (about 17 dB).
    assert!(full >= 36.0, "4:4:4 gave {full:.1} dB");
    assert!(full > half + 10.0, "4:4:4 {full:.1} dB, 4:2:0 {half:.1} dB");
}

#[test]
fn a_stream_that_starts_again_in_another_chroma_format_decodes_in_the_same_rectangle() {
    if !h264_available() {
        assert!(std::env::var("CI").is_err(), "libx264 missing in CI");
        return;
    }
    let mut decoders = Decoders::new().unwrap();
    let mut fb = vec![0u8; (W * H * 4) as usize];
    let full = round_trip(&mut decoders, &mut fb, Chroma::Full, 0, 4);
    let half = round_trip(&mut decoders, &mut fb, Chroma::Half, 4, 4);
    let again = round_trip(&mut decoders, &mut fb, Chroma::Full, 8, 4);
    eprintln!("worst PSNR: 4:4:4 {full:.1}, then 4:2:0 {half:.1}, then 4:4:4 {again:.1} dB");
    assert!(full >= 36.0 && again >= 36.0, "{full:.1} / {again:.1} dB");
    // 4:2:0 smears this card, but its pictures are this card's, not a broken decode.
    assert!(half > 15.0, "{half:.1} dB");
}

#[test]
fn damaged_full_chroma_access_units_never_panic_the_decoder() {
    if !h264_available() {
        assert!(std::env::var("CI").is_err(), "libx264 missing in CI");
        return;
    }
    let rect = Rect::new(0, 0, W, H);
    let mut encoder = H264Encoder::with_chroma(W, H, 100_000, Chroma::Full).unwrap();
    let units: Vec<Vec<u8>> = (0..4u32)
        .map(|frame| {
            let content = card(frame);
            let src = PixelView::packed(&content, W, H).unwrap();
            let at = Duration::from_millis(u64::from(frame) * 33);
            encoder.encode(&src, rect, at).unwrap()
        })
        .collect();
    let mut fb = vec![0u8; (W * H * 4) as usize];
    // Cut short, bits flipped through the parameter sets and the slices, or a picture of
    // another size in this rectangle: each an error or a picture.
    for (i, unit) in units.iter().enumerate() {
        let mut damaged = vec![unit[..unit.len() / 2].to_vec()];
        for at in (0..unit.len()).step_by(unit.len() / 16 + 1) {
            let mut flipped = unit.clone();
            flipped[at] ^= 0x5a;
            damaged.push(flipped);
        }
        let mut decoders = Decoders::new().unwrap();
        for payload in damaged {
            let mut view = PixelViewMut::packed(&mut fb, W, H).unwrap();
            let region = RegionUpdate {
                rect,
                codec: Codec::H264,
                payload,
            };
            let _ = decoders.apply(&mut view, &region);
        }
        let small = Rect::new(0, 0, W / 2, H / 2);
        let mut view = PixelViewMut::packed(&mut fb, W, H).unwrap();
        let region = RegionUpdate {
            rect: small,
            codec: Codec::H264,
            payload: units[0].clone(),
        };
        assert!(decoders.apply(&mut view, &region).is_err(), "unit {i}");
    }
}
