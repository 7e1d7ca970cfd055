//! Writes seed inputs for the `h264` fuzz target (fuzz/fuzz_targets/h264.rs) from real encodes:
//! a shape byte, then access units as a little-endian u16 length and the unit's bytes.
//!
//! `cargo run -p wayray-protocol --example h264_corpus -- fuzz/regressions/h264`

use std::path::PathBuf;

use wayray_protocol::Rect;
use wayray_protocol::codec::{H264Encoder, PixelView};

fn picture(width: u32, height: u32, t: u32) -> Vec<u8> {
    let mut data = Vec::with_capacity((width * height * 4) as usize);
    for y in 0..height {
        for x in 0..width {
            let moving = (x + 3 * t) % 24 < 8 && (y + t) % 16 < 10;
            let (b, g, r) = if moving {
                (240, 240, 240)
            } else {
                ((x * 4) as u8, (y * 5) as u8, (t * 20) as u8)
            };
            data.extend_from_slice(&[b, g, r, 255]);
        }
    }
    data
}

fn stream(
    width: u32,
    height: u32,
    frames: u32,
) -> Result<Vec<Vec<u8>>, Box<dyn std::error::Error>> {
    let mut encoder = H264Encoder::new(width, height)?;
    let mut units = Vec::new();
    for t in 0..frames {
        let pixels = picture(width, height, t);
        let view = PixelView::packed(&pixels, width, height).ok_or("bad picture size")?;
        let at = std::time::Duration::from_millis(u64::from(t) * 33);
        units.push(encoder.encode(&view, Rect::new(0, 0, width, height), at)?);
    }
    Ok(units)
}

fn seed(shape: u8, units: &[Vec<u8>]) -> Vec<u8> {
    let mut out = vec![shape];
    for unit in units {
        let len = u16::try_from(unit.len()).unwrap_or(u16::MAX);
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&unit[..usize::from(len)]);
    }
    out
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(std::env::args().nth(1).ok_or("usage: h264_corpus DIR")?);
    std::fs::create_dir_all(&dir)?;
    let small = stream(64, 48, 8)?;
    let large = stream(96, 72, 4)?;
    let seeds = [
        ("keyframe", seed(0, &small[..1])),
        ("stream", seed(0, &small)),
        ("stream_at_origin", seed(1, &small)),
        ("wrong_rectangle", seed(3, &small[..3])),
        ("full", seed(3, &large)),
    ];
    for (name, bytes) in seeds {
        std::fs::write(dir.join(name), &bytes)?;
        println!("{name}: {} bytes", bytes.len());
    }
    Ok(())
}
