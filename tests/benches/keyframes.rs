//! What a keyframe of a real application's screen costs, its zstd-coded payloads each
//! compressed on its own or as the parts of one zstd stream (ADR 0039): foot full of text,
//! gtk4-demo (GTK 4, client-side decorations) and FeatherPad (Qt 5) on a 1920×1080 output,
//! each screen encoded as a keyframe (median time of five) and decoded again by a viewer's
//! framebuffer (exact).
//!
//! Run: `cargo bench -p wayray-tests --bench keyframes`

use std::time::{Duration, Instant};

use wayray_client::Framebuffer;
use wayray_server::session::encode::{Encoder, FrameInput};
use wayray_tests::fixture::Fixture;
use wayray_tests::programs::require;

const W: u32 = 1920;
const H: u32 = 1080;

/// (bytes, median encode ms of five) of `pixels` as a keyframe; the decoded picture must be
/// exact.
fn keyframe(pixels: &[u8], stream: bool) -> (usize, f64) {
    let mut times = Vec::new();
    let mut bytes = 0;
    for _ in 0..5 {
        let mut encoder = Encoder::new(W, H);
        encoder.set_zstd_stream(stream);
        let started = Instant::now();
        let (update, stats) = encoder.encode(&FrameInput::new(pixels, W, H, &[], started));
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        let mut fb = Framebuffer::new().unwrap();
        fb.set_zstd_stream(stream).unwrap();
        fb.apply(&update).unwrap();
        assert!(fb.pixels() == pixels, "the keyframe decodes exactly");
        bytes = stats.bytes;
    }
    times.sort_by(f64::total_cmp);
    (bytes, times[2])
}

/// The screen once the session has had `settle` to draw.
fn screen(fixture: &Fixture, settle: Duration) -> Vec<u8> {
    std::thread::sleep(settle);
    fixture.session.screenshot().expect("screenshot").bgra
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let (Some(foot), Some(gtk), Some(qt)) =
        (require("foot"), require("gtk4-demo"), require("featherpad"))
    else {
        return;
    };
    let mut screens: Vec<(&str, Vec<u8>)> = Vec::new();

    let mut fixture = Fixture::new("bench-key-foot", W, H);
    fixture.spawn_foot(
        &foot,
        "font=DejaVu Sans Mono:size=11\n[cursor]\nblink=no\n",
        &[
            "--fullscreen",
            "sh",
            "-c",
            "ls -l /usr/bin | head -60; exec sh",
        ],
    );
    fixture.wait_for(Duration::from_secs(20), |s| s.windows == 1);
    screens.push((
        "foot, a screen of `ls -l`",
        screen(&fixture, Duration::from_secs(2)),
    ));
    drop(fixture);

    let mut fixture = Fixture::new("bench-key-gtk", W, H);
    let mut command = fixture.command(&gtk);
    command.env("GDK_BACKEND", "wayland");
    fixture.spawn(command);
    fixture.wait_for(Duration::from_secs(30), |s| s.windows == 1);
    screens.push(("gtk4-demo", screen(&fixture, Duration::from_secs(3))));
    drop(fixture);

    let mut fixture = Fixture::new("bench-key-qt", W, H);
    let file = fixture.dir.path().join("note.txt");
    let text: String = (1..=40)
        .map(|i| format!("line {i}: the quick brown fox jumps over the lazy dog\n"))
        .collect();
    std::fs::write(&file, text).expect("note");
    let mut command = fixture.qt_command(&qt);
    command.arg(&file);
    fixture.spawn(command);
    fixture.wait_for(Duration::from_secs(30), |s| s.windows == 1);
    screens.push((
        "FeatherPad with 40 lines",
        screen(&fixture, Duration::from_secs(3)),
    ));
    drop(fixture);

    println!(
        "| screen (1920×1080 keyframe) | one by one | one stream | ratio | encode ms, one by one | encode ms, stream |"
    );
    println!("|---|---|---|---|---|---|");
    for (name, pixels) in &screens {
        let (alone, alone_ms) = keyframe(pixels, false);
        let (stream, stream_ms) = keyframe(pixels, true);
        println!(
            "| {name} | {:.1} kB | {:.1} kB | {:.2} | {alone_ms:.1} | {stream_ms:.1} |",
            alone as f64 / 1000.0,
            stream as f64 / 1000.0,
            stream as f64 / alone as f64
        );
    }
}
