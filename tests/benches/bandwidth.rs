//! Bandwidth adaptation (ADR 0033).
//!
//! 1. Quality at a rate cap: a 1280×480 testsrc2 clip's frames (30 a second) through the
//!    session's encoder with its video capped at 2, 5 and 20 Mbit/s (and uncapped), for a
//!    viewer that decodes 4:2:0 only and one that decodes 4:4:4 (`h264-444`), decoded
//!    by the viewer's framebuffer; the rate it produced and the PSNR of every video frame
//!    against the server's own frame.
//! 2. Over a shaped link (the test relay: 2, 5, 20 Mbit/s towards the viewer, 20 ms each way,
//!    and unshaped loopback): a session (1280×800) plays a noisy 640×360 clip in mpv (which
//!    at constant quality wants more than these links carry) while foot sits below it; a
//!    viewer (the library) types a key every 200 ms. Video frames a second at the viewer, the
//!    rate received, and keystroke → the typed line's update, p50 / p99; then the same with
//!    the cap fixed at 100 Mbit/s, as before the video adapted.
//!
//! Run: `cargo bench -p wayray-tests --bench bandwidth`; `BENCH_LINKS=5,20` runs only part 2
//! over those links (Mbit/s; 0 is unshaped loopback), `BENCH_QUALITY_ONLY=1` only part 1.

use std::path::Path;
use std::time::{Duration, Instant};

use wayray_client::{Framebuffer, PinPolicy, Viewer};
use wayray_protocol::Rect;
use wayray_protocol::messages::display::Codec;
use wayray_protocol::session::rate::{MAX_KBPS, RateLimits};
use wayray_server::session::encode::{Encoder, FrameInput};
use wayray_tests::film::{film_and_terminal, make_clip};
use wayray_tests::fixture::Fixture;
use wayray_tests::keys::type_codes;
use wayray_tests::pointer::alt_drag;
use wayray_tests::programs::require;
use wayray_tests::relay::{Shape, start_shaped};
use wayray_tests::remote::{Served, serve_with, viewer_options};
use wayray_tests::runtime_dir::RuntimeDir;

const VW: u32 = 1280;
const VH: u32 = 480;
/// Part 2's clip: noisy, so that it wants more than the links carry, and small enough for
/// this machine's two cores to play, composite, encode and decode at full rate.
const NOISY: &str = "testsrc2=size=640x360:rate=30,noise=alls=20:allf=t";
/// Where mpv shows it (centred on the 1280×800 output).
const NOISY_AT: Rect = Rect::new(320, 220, 640, 360);
const FPS: u64 = 30;
const LINKS_MBIT: [u64; 3] = [2, 5, 20];
const PHASE: Duration = Duration::from_secs(15);

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn psnr(a: &[u8], b: &[u8]) -> f64 {
    let mut sum = 0.0;
    let mut n = 0.0;
    for (pa, pb) in a.chunks_exact(4).zip(b.chunks_exact(4)) {
        for c in 0..3 {
            let d = f64::from(pa[c]) - f64::from(pb[c]);
            sum += d * d;
            n += 1.0;
        }
    }
    let mse = sum / n;
    if mse == 0.0 {
        99.0
    } else {
        10.0 * (255.0 * 255.0 / mse).log10()
    }
}

fn overlaps(a: Rect, b: Rect) -> bool {
    a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height
}

/// The clip's first `count` frames as BGRA.
fn clip_frames(ffmpeg: &Path, clip: &Path, count: usize) -> Vec<Vec<u8>> {
    let out = std::process::Command::new(ffmpeg)
        .args(["-loglevel", "error", "-i"])
        .arg(clip)
        .args(["-frames:v", &count.to_string()])
        .args(["-f", "rawvideo", "-pix_fmt", "bgra", "-"])
        .output()
        .expect("ffmpeg runs");
    assert!(out.status.success(), "cannot decode the test clip");
    out.stdout
        .chunks_exact((VW * VH * 4) as usize)
        .map(<[u8]>::to_vec)
        .collect()
}

/// Part 1: (kbit/s produced, mean PSNR, lowest PSNR, video frames, encode and decode ms per
/// video frame) at `cap` (None: uncapped), for a viewer that decodes 4:4:4 (`full`) or not.
fn quality(frames: &[Vec<u8>], cap: Option<u32>, full: bool) -> (f64, f64, f64, usize, f64, f64) {
    let mut encoder = Encoder::new(VW, VH);
    encoder.set_video(true);
    encoder.set_full_chroma(full);
    encoder.set_video_rate(cap.unwrap_or(wayray_protocol::session::rate::MAX_KBPS));
    let mut fb = Framebuffer::new().unwrap();
    let t0 = Instant::now();
    let whole = [Rect::new(0, 0, VW, VH)];
    let (mut bytes, mut scores) = (0usize, Vec::new());
    let (mut encoding, mut decoding) = (Duration::ZERO, Duration::ZERO);
    for (i, frame) in frames.iter().enumerate() {
        let at = t0 + Duration::from_millis(i as u64 * 1000 / FPS);
        let input = FrameInput::new(frame, VW, VH, &whole, at).keyframe(i == 0);
        let started = Instant::now();
        let (update, _) = encoder.encode(&input);
        let encoded = Instant::now();
        fb.apply(&update).unwrap();
        if update.regions.iter().any(|r| r.codec == Codec::H264) {
            encoding += encoded - started;
            decoding += encoded.elapsed();
            bytes += update
                .regions
                .iter()
                .map(|r| r.payload.len())
                .sum::<usize>();
            scores.push(psnr(fb.pixels(), frame));
        }
    }
    let secs = scores.len() as f64 / FPS as f64;
    let kbps = bytes as f64 * 8.0 / secs / 1000.0;
    let mean = scores.iter().sum::<f64>() / scores.len() as f64;
    let low = scores.iter().copied().fold(f64::INFINITY, f64::min);
    let per_frame = |d: Duration| d.as_secs_f64() * 1000.0 / scores.len() as f64;
    (
        kbps,
        mean,
        low,
        scores.len(),
        per_frame(encoding),
        per_frame(decoding),
    )
}

/// Where typing shows: the rows that change on the server when three 'a's are typed (and
/// erased again).
async fn typed_line(fixture: &Fixture, viewer: &mut Viewer) -> Rect {
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = fixture.session.screenshot().unwrap();
    type_codes(viewer, &[30, 30, 30]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = fixture.session.screenshot().unwrap();
    type_codes(viewer, &[14, 14, 14]).await.unwrap();
    let (mut y0, mut y1) = (u32::MAX, 0);
    for y in 640..after.height {
        for x in 0..after.width {
            if before.pixel(x, y) != after.pixel(x, y) {
                (y0, y1) = (y0.min(y), y1.max(y));
            }
        }
    }
    assert!(y0 <= y1, "typing changed nothing below the video");
    Rect::new(0, y0, after.width, y1 - y0 + 1)
}

/// Part 2 over one link: (video frames/s, kbit/s received, keystroke latencies in ms).
async fn over_link(
    fixture: &Fixture,
    served: &Served,
    mbit: Option<u64>,
    line: Rect,
) -> (f64, f64, Vec<f64>) {
    let shape = Shape {
        rate: mbit.map(|m| m * 125_000),
        delay: Duration::from_millis(if mbit.is_some() { 20 } else { 0 }),
        loss: 0.0,
    };
    let relay = start_shaped(served.addr, shape).await;
    let mut options = viewer_options(served, fixture, PinPolicy::AcceptNew, "bench");
    options.server = relay.addr;
    let mut viewer = Viewer::connect(&options).await.expect("connect");
    // The controller finds the link's rate in the first seconds.
    let warm = Instant::now() + Duration::from_secs(5);
    while Instant::now() < warm {
        let _ = tokio::time::timeout(Duration::from_secs(1), viewer.next_update()).await;
    }
    let (down0, _) = relay.bytes.get();
    let started = Instant::now();
    let (mut video_frames, mut samples) = (0u64, Vec::new());
    let mut i = 0u32;
    while started.elapsed() < PHASE {
        let code = if i % 20 < 10 { 30 } else { 14 };
        i += 1;
        let t = Instant::now();
        type_codes(&mut viewer, &[code]).await.unwrap();
        let mut seen = None;
        while t.elapsed() < Duration::from_millis(200) || seen.is_none() {
            let left = Duration::from_secs(2).saturating_sub(t.elapsed());
            let Ok(Ok(rects)) = tokio::time::timeout(left, viewer.next_update()).await else {
                break;
            };
            // A video frame repaints most of the clip (a frame may also come as a small
            // update beside it, e.g. the edge of the player's window, which does not count).
            if rects
                .iter()
                .any(|r| overlaps(*r, NOISY_AT) && r.area() * 2 >= NOISY_AT.area())
            {
                video_frames += 1;
            }
            if seen.is_none() && rects.iter().any(|r| overlaps(*r, line)) {
                seen = Some(t.elapsed().as_secs_f64() * 1000.0);
            }
        }
        samples.push(seen.unwrap_or(2000.0));
    }
    let secs = started.elapsed().as_secs_f64();
    let (down1, _) = relay.bytes.get();
    viewer.disconnect().await;
    let kbps = (down1 - down0) as f64 * 8.0 / secs / 1000.0;
    (video_frames as f64 / secs, kbps, samples)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let (Some(foot), Some(mpv), Some(ffmpeg)) =
        (require("foot"), require("mpv"), require("ffmpeg"))
    else {
        return;
    };
    let clip_dir = RuntimeDir::new("bench-bandwidth-clip").unwrap();
    let source = format!("testsrc2=size={VW}x{VH}:rate={FPS}");
    let clip = make_clip(&ffmpeg, clip_dir.path(), "testsrc2.mp4", &source, 3);
    let noisy = make_clip(&ffmpeg, clip_dir.path(), "noisy.mp4", NOISY, 10);

    // `BENCH_LINKS=5` (a list of Mbit/s) runs part 2 over those links only, skipping the rest.
    let only: Option<Vec<u64>> = std::env::var("BENCH_LINKS")
        .ok()
        .map(|v| v.split(',').filter_map(|m| m.trim().parse().ok()).collect());
    if let Some(links) = only {
        let adaptive = setup(&foot, &mpv, &noisy, RateLimits::default()).await;
        for mbit in links {
            // 0: loopback, unshaped.
            row(&adaptive, (mbit > 0).then_some(mbit), "").await;
        }
        return;
    }
    println!(
        "| video cap | viewer | produced | PSNR mean / lowest | video frames | encode / decode ms a frame |"
    );
    println!("|---|---|---|---|---|---|");
    let frames = clip_frames(&ffmpeg, &clip, 90);
    let frames = &frames[..];
    for cap in [Some(1_000), Some(2_000), Some(5_000), Some(20_000), None] {
        for full in [false, true] {
            // Times: the best of three runs (the same bytes and pictures each time).
            let (kbps, mean, low, n, mut enc, mut dec) = quality(frames, cap, full);
            for _ in 0..2 {
                let again = quality(frames, cap, full);
                (enc, dec) = (enc.min(again.4), dec.min(again.5));
            }
            let name = cap.map_or("uncapped".to_string(), |c| format!("{} Mbit/s", c / 1000));
            let viewer = if full { "h264-444" } else { "h264" };
            println!(
                "| {name} | {viewer} | {kbps:.0} kbit/s | {mean:.1} / {low:.1} dB | {n} | {enc:.1} / {dec:.1} |"
            );
        }
    }
    if std::env::var_os("BENCH_QUALITY_ONLY").is_some() {
        return;
    }

    println!();
    println!("| link | video frames/s at the viewer | received | keystroke p50 / p99 |");
    println!("|---|---|---|---|");
    let adaptive = setup(&foot, &mpv, &noisy, RateLimits::default()).await;
    row(&adaptive, None, "").await;
    for mbit in LINKS_MBIT {
        row(&adaptive, Some(mbit), "").await;
    }
    drop(adaptive);
    // The same at a fixed cap far above the links: what the video did before it adapted.
    let fixed = setup(&foot, &mpv, &noisy, RateLimits::fixed(MAX_KBPS)).await;
    for mbit in [2, 5] {
        row(&fixed, Some(mbit), ", cap fixed at 100 Mbit/s").await;
    }
}

/// One line of part 2's table.
async fn row(setup: &(Fixture, Served, Rect), mbit: Option<u64>, note: &str) {
    let (fixture, served, line) = setup;
    let (fps, kbps, mut samples) = over_link(fixture, served, mbit, *line).await;
    samples.sort_by(f64::total_cmp);
    let link = mbit.map_or("loopback, unshaped".into(), |m| {
        format!("{m} Mbit/s, 20 ms each way")
    });
    println!(
        "| {link}{note} | {fps:.1} | {:.2} Mbit/s | {:.1} / {:.1} ms ({} keys) |",
        kbps / 1000.0,
        percentile(&samples, 0.5),
        percentile(&samples, 0.99),
        samples.len()
    );
}

/// A session playing `clip` in mpv with foot below it, each viewer's video cap within
/// `video`; and where typing shows.
async fn setup(foot: &Path, mpv: &Path, clip: &Path, video: RateLimits) -> (Fixture, Served, Rect) {
    let mut fixture = Fixture::new("bench-bandwidth", VW, 800);
    let state = fixture.dir.path().join("state");
    let served = serve_with(&fixture, "bench", &state, 2, video);
    film_and_terminal(&mut fixture, mpv, foot, clip);
    let options = viewer_options(&served, &fixture, PinPolicy::AcceptNew, "bench");
    let mut viewer = Viewer::connect(&options).await.expect("connect");
    // foot opens centred over the video: move it below (y 650 on).
    alt_drag(&mut viewer, 640.0, 400.0, 330.0).await;
    let line = typed_line(&fixture, &mut viewer).await;
    viewer.disconnect().await;
    (fixture, served, line)
}
