//! The stats overlay: a few lines of text (fps, round-trip time, keystroke latency, bandwidth,
//! codec mix) drawn with an 8×8 bitmap font into a small opaque BGRA image that the GPU copies
//! over the top-left corner of the window.

use std::time::Duration;

use crate::stats::Summary;

/// Each font pixel becomes this many screen pixels.
const SCALE: usize = 2;
/// Space around the text, in screen pixels.
const PAD: usize = 6;
const GLYPH: usize = 8 * SCALE;
const BACKGROUND: [u8; 4] = [0x20, 0x20, 0x20, 0xff];
const FOREGROUND: [u8; 4] = [0x80, 0xff, 0x80, 0xff];

/// The overlay's text for `summary`, the round-trip time and the session's sound.
pub fn lines(
    summary: &Summary,
    rtt: Option<Duration>,
    audio: Option<&crate::audio::AudioPlayer>,
) -> Vec<String> {
    let ms = |d: Option<Duration>| {
        d.map_or("-".to_string(), |d| {
            format!("{:.1} ms", d.as_secs_f64() * 1000.0)
        })
    };
    let mix = if summary.codec_mix.is_empty() {
        "-".to_string()
    } else {
        summary
            .codec_mix
            .iter()
            .map(|(name, share)| format!("{name} {:.0}%", share * 100.0))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut lines = vec![
        format!("{:.0} fps  {:.2} Mbit/s", summary.fps, summary.mbit_per_s),
        format!("rtt {}  latency {}", ms(rtt), ms(summary.latency)),
        format!("codecs {mix}"),
    ];
    if let Some(audio) = audio {
        lines.push(audio_line(&audio.stats(), audio.volume(), audio.muted()));
    }
    lines
}

/// The sound's line: latency, what waits in the jitter buffer, what was lost or dropped.
fn audio_line(stats: &crate::audio::AudioStats, volume: u32, muted: bool) -> String {
    let level = if muted {
        "muted".to_string()
    } else {
        format!("vol {volume}%")
    };
    format!(
        "audio {:.0} ms  buf {:.0} ms  lost {}  drop {}  {level}",
        stats.latency_ms, stats.buffered_ms, stats.concealed, stats.dropped
    )
}

/// An opaque BGRA image of `lines`: (pixels, width, height).
pub fn render(lines: &[String]) -> (Vec<u8>, u32, u32) {
    let columns = lines.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    let width = columns * GLYPH + 2 * PAD;
    let height = lines.len() * GLYPH + 2 * PAD;
    let mut pixels: Vec<u8> = BACKGROUND
        .iter()
        .copied()
        .cycle()
        .take(width * height * 4)
        .collect();
    for (row, line) in lines.iter().enumerate() {
        for (column, ch) in line.chars().enumerate() {
            let glyph = font8x8::legacy::BASIC_LEGACY
                .get(ch as usize)
                .copied()
                .unwrap_or(font8x8::legacy::BASIC_LEGACY[usize::from(b'?')]);
            for (gy, bits) in glyph.iter().enumerate() {
                for gx in 0..8 {
                    if bits & (1 << gx) == 0 {
                        continue;
                    }
                    for sy in 0..SCALE {
                        let y = PAD + row * GLYPH + gy * SCALE + sy;
                        let x = PAD + column * GLYPH + gx * SCALE;
                        let start = (y * width + x) * 4;
                        for px in pixels[start..start + SCALE * 4].chunks_exact_mut(4) {
                            px.copy_from_slice(&FOREGROUND);
                        }
                    }
                }
            }
        }
    }
    (pixels, width as u32, height as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_show_every_figure() {
        let summary = Summary {
            fps: 59.6,
            mbit_per_s: 1.234,
            latency: Some(Duration::from_micros(2100)),
            codec_mix: vec![("palette", 0.75), ("h264", 0.25)],
        };
        let text = lines(&summary, Some(Duration::from_micros(400)), None).join("\n");
        assert_eq!(
            text,
            "60 fps  1.23 Mbit/s\nrtt 0.4 ms  latency 2.1 ms\ncodecs palette 75% h264 25%"
        );
    }

    #[test]
    fn the_sound_line_shows_latency_buffer_losses_and_volume() {
        let stats = crate::audio::AudioStats {
            latency_ms: 23.4,
            buffered_ms: 10.0,
            concealed: 3,
            dropped: 1,
            ..Default::default()
        };
        assert_eq!(
            audio_line(&stats, 80, false),
            "audio 23 ms  buf 10 ms  lost 3  drop 1  vol 80%"
        );
        assert!(audio_line(&stats, 80, true).ends_with("muted"));
    }

    #[test]
    fn text_is_drawn_on_an_opaque_panel() {
        let (pixels, width, height) = render(&["I".to_string()]);
        assert_eq!((width, height), (28, 28));
        let lit = pixels.chunks_exact(4).filter(|p| *p == FOREGROUND).count();
        assert!(lit > 0);
        assert!(pixels.chunks_exact(4).all(|p| p[3] == 0xff));
    }
}
