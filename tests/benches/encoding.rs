//! Encoding figures for five workloads on a 1920x1080 session with real programs: typing one
//! character in a terminal, a full-screen terminal scroll by one line, dragging an 800x600
//! window, a 1080p30 video (an FFmpeg testsrc clip played by mpv --vo=wlshm), and idle.
//!
//! The frames and damage the compositor captures during each workload are recorded, then run
//! through the encoder and the viewer's decoder, with the zstd stream (ADR 0039) as a viewer
//! of this build negotiates it. For the same frames the baseline is zstd -1 of
//! the absolute BGRA of each damage rectangle. Prints a markdown table.
//!
//! Run: `cargo bench -p wayray-tests --bench encoding`

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use wayray_client::Framebuffer;
use wayray_protocol::InputMessage;
use wayray_protocol::Rect;
use wayray_protocol::messages::input::{ButtonState, Key, PointerButton, PointerMotion};
use wayray_server::session::SessionCommand;
use wayray_server::session::capture::{CapturedFrame, MoveHint};
use wayray_server::session::encode::{Encoder, FrameInput};
use wayray_tests::fixture::{Fixture, run_with_timeout};
use wayray_tests::programs::require;

type Frame = (Instant, Vec<u8>, Vec<Rect>, Vec<MoveHint>);
type Recording = Arc<Mutex<Option<Vec<Frame>>>>;

const W: u32 = 1920;
const H: u32 = 1080;

struct Bench {
    fixture: Fixture,
    recording: Recording,
}

impl Bench {
    fn new(label: &str) -> Self {
        let fixture = Fixture::new(label, W, H);
        let recording: Recording = Arc::default();
        let sink = recording.clone();
        fixture.session.send(SessionCommand::SetSink(Box::new(
            move |frame: &CapturedFrame<'_>| {
                if let Some(frames) = sink.lock().unwrap().as_mut() {
                    let damage = frame.damage_rects().collect();
                    frames.push((
                        Instant::now(),
                        frame.to_bgra(),
                        damage,
                        frame.moves().to_vec(),
                    ));
                }
            },
        )));
        Self { fixture, recording }
    }

    fn settle(&self) {
        // Wait until nothing has been rendered for 1.5 s.
        let mut last = self.fixture.session.stats().unwrap().frames;
        let mut quiet_since = Instant::now();
        let deadline = Instant::now() + Duration::from_secs(30);
        while quiet_since.elapsed() < Duration::from_millis(1500) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
            let now = self.fixture.session.stats().unwrap().frames;
            if now != last {
                last = now;
                quiet_since = Instant::now();
            }
        }
    }

    /// Records what `action` makes the compositor render; returns the frame before it and the
    /// recorded frames.
    fn record(&self, action: impl FnOnce(&Fixture)) -> (Vec<u8>, Vec<Frame>) {
        self.settle();
        let before = self.fixture.session.screenshot().unwrap().bgra;
        *self.recording.lock().unwrap() = Some(Vec::new());
        action(&self.fixture);
        self.recording
            .lock()
            .unwrap()
            .take()
            .map(|f| (before, f))
            .unwrap()
    }

    fn key(&self, code: u32) {
        for state in [ButtonState::Pressed, ButtonState::Released] {
            self.fixture.session.input(InputMessage::Key(Key {
                code,
                state,
                time_ms: 0,
            }));
        }
    }
}

struct Row {
    name: &'static str,
    updates: usize,
    copies: usize,
    video: usize,
    bytes: usize,
    baseline: usize,
    encode_ms: Vec<f64>,
    decode_ms: Vec<f64>,
    seconds: f64,
}

fn measure(name: &'static str, before: &[u8], frames: &[Frame], tile: u32) -> Row {
    let mut encoder = Encoder::new(W, H).with_tile_size(tile);
    encoder.set_video(true);
    // As a viewer of this build negotiates it.
    encoder.set_zstd_stream(true);
    let mut fb = Framebuffer::new().unwrap();
    fb.set_zstd_stream(true).unwrap();
    let start = frames.first().map(|f| f.0).unwrap_or_else(Instant::now);
    let (key, _) = encoder.encode(&FrameInput::new(before, W, H, &[], start).keyframe(true));
    fb.apply(&key).unwrap();
    let mut compressor = zstd::bulk::Compressor::new(1).unwrap();
    let mut row = Row {
        name,
        updates: 0,
        copies: 0,
        video: 0,
        bytes: 0,
        baseline: 0,
        encode_ms: vec![],
        decode_ms: vec![],
        seconds: 0.0,
    };
    for (at, pixels, damage, moves) in frames {
        for rect in damage {
            let mut raw = Vec::with_capacity(rect.area() as usize * 4);
            for y in rect.y..rect.y + rect.height {
                let start = ((y * W + rect.x) * 4) as usize;
                raw.extend_from_slice(&pixels[start..start + rect.width as usize * 4]);
            }
            row.baseline += compressor.compress(&raw).unwrap().len();
        }
        let t = Instant::now();
        let (update, stats) = encoder.encode(&FrameInput {
            moves,
            ..FrameInput::new(pixels, W, H, damage, *at)
        });
        row.encode_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        if update.regions.is_empty() {
            continue;
        }
        let t = Instant::now();
        fb.apply(&update).unwrap();
        row.decode_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        if std::env::var_os("WAYRAY_BENCH_DEBUG").is_some() && row.updates < 3 {
            eprintln!(
                "{name}: damage {damage:?} regions {:?}",
                update
                    .regions
                    .iter()
                    .map(|r| (r.rect, r.codec, r.payload.len()))
                    .collect::<Vec<_>>()
            );
        }
        row.updates += 1;
        row.copies += stats.copies;
        row.video += usize::from(stats.video_bytes > 0);
        row.bytes += stats.bytes;
    }
    if let (Some(first), Some(last)) = (frames.first(), frames.last()) {
        row.seconds = last.0.duration_since(first.0).as_secs_f64();
    }
    row
}

fn median(v: &[f64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    s[s.len() / 2]
}

fn foot_fullscreen(bench: &mut Bench, foot: &Path) {
    bench.fixture.spawn_foot(
        foot,
        "[cursor]\nblink=no\n",
        &["--fullscreen", "sh", "-c", "PS1='$ ' exec sh"],
    );
    bench
        .fixture
        .wait_for(Duration::from_secs(20), |s| s.windows == 1);
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let (Some(foot), Some(mpv), Some(ffmpeg)) =
        (require("foot"), require("mpv"), require("ffmpeg"))
    else {
        return;
    };
    let mut recordings: Vec<(&'static str, Vec<u8>, Vec<Frame>)> = Vec::new();

    // Typing and scrolling in a full-screen terminal.
    let mut bench = Bench::new("bench-term");
    foot_fullscreen(&mut bench, &foot);
    // Fill the screen so the next new line scrolls: "seq 1 200" + Enter.
    for code in [31, 18, 16, 57, 2, 57, 3, 11, 11, 28] {
        bench.key(code);
    }
    let (before, frames) = bench.record(|_| {
        bench.key(30); // 'a'
        std::thread::sleep(Duration::from_millis(500));
    });
    recordings.push(("typing one character", before, frames));
    bench.key(14); // backspace
    let (before, frames) = bench.record(|_| {
        bench.key(28); // Enter on the last line: the screen scrolls by one line
        std::thread::sleep(Duration::from_millis(500));
    });
    recordings.push(("terminal scroll by one line", before, frames));
    let (before, frames) = bench.record(|_| std::thread::sleep(Duration::from_secs(2)));
    recordings.push(("idle (2 s)", before, frames));
    drop(bench);

    // Dragging an 800x600 window with Alt+drag.
    let mut bench = Bench::new("bench-drag");
    let mut command = bench.fixture.command(&foot);
    command
        .arg("--window-size-pixels=800x600")
        .args(["sh", "-c", "seq 1 40; exec sh"]);
    bench.fixture.spawn(command);
    bench
        .fixture
        .wait_for(Duration::from_secs(20), |s| s.windows == 1);
    let (before, frames) = bench.record(|f| {
        let motion =
            |x: f64, y: f64| InputMessage::PointerMotion(PointerMotion { x, y, time_ms: 0 });
        f.session.input(motion(960.0, 540.0));
        f.session.input(InputMessage::Key(Key {
            code: 56,
            state: ButtonState::Pressed,
            time_ms: 0,
        }));
        f.session.input(InputMessage::PointerButton(PointerButton {
            button: 0x110,
            state: ButtonState::Pressed,
            time_ms: 0,
        }));
        for step in 1..=30 {
            f.session.input(motion(
                960.0 + f64::from(step) * 10.0,
                540.0 + f64::from(step) * 4.0,
            ));
            std::thread::sleep(Duration::from_millis(33));
        }
        f.session.input(InputMessage::PointerButton(PointerButton {
            button: 0x110,
            state: ButtonState::Released,
            time_ms: 0,
        }));
        f.session.input(InputMessage::Key(Key {
            code: 56,
            state: ButtonState::Released,
            time_ms: 0,
        }));
        std::thread::sleep(Duration::from_millis(300));
    });
    recordings.push(("dragging an 800x600 window", before, frames));
    drop(bench);

    // A 1080p30 test clip in mpv, full screen.
    let bench = Bench::new("bench-video");
    let clip = bench.fixture.dir.path().join("testsrc.mp4");
    let mut make = std::process::Command::new(&ffmpeg);
    make.args([
        "-loglevel",
        "error",
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=1920x1080:rate=30",
        "-t",
        "8",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-pix_fmt",
        "yuv420p",
    ])
    .arg(&clip);
    assert!(
        run_with_timeout(make, Duration::from_secs(120))
            .status
            .success(),
        "cannot make the test clip"
    );
    let mut command = bench.fixture.command(&mpv);
    command
        .args([
            "--vo=wlshm",
            "--fs",
            "--no-audio",
            "--really-quiet",
            "--loop=inf",
        ])
        .arg(&clip);
    let mut bench = bench;
    bench.fixture.spawn(command);
    bench
        .fixture
        .wait_for(Duration::from_secs(20), |s| s.windows == 1);
    std::thread::sleep(Duration::from_secs(2));
    *bench.recording.lock().unwrap() = Some(Vec::new());
    let before = bench.fixture.session.screenshot().unwrap().bgra;
    std::thread::sleep(Duration::from_secs(3));
    let frames = bench.recording.lock().unwrap().take().unwrap();
    recordings.push(("1080p30 video (mpv, testsrc)", before, frames));
    drop(bench);

    let rows: Vec<Row> = recordings
        .iter()
        .map(|(name, before, frames)| measure(name, before, frames, 64))
        .collect();
    println!(
        "| workload | updates | copies | H.264 updates | bytes/update | ratio to zstd-1 baseline | encode ms (median) | decode ms (median) | updates/s |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for row in &rows {
        let per_update = row.bytes.checked_div(row.updates).unwrap_or(0);
        let ratio = if row.baseline == 0 {
            "—".to_string()
        } else {
            format!("{:.3}", row.bytes as f64 / row.baseline as f64)
        };
        let rate = if row.seconds > 0.0 {
            format!("{:.1}", row.updates as f64 / row.seconds)
        } else {
            "—".into()
        };
        println!(
            "| {} | {} | {} | {} | {} | {} | {:.3} | {:.3} | {} |",
            row.name,
            row.updates,
            row.copies,
            row.video,
            per_update,
            ratio,
            median(&row.encode_ms),
            median(&row.decode_ms),
            rate
        );
    }

    println!();
    println!("Tile size (same recordings): total bytes / median encode ms");
    println!();
    println!("| workload | 32×32 | 64×64 | 128×128 |");
    println!("|---|---|---|---|");
    for (name, before, frames) in &recordings {
        let cells: Vec<String> = [32, 64, 128]
            .iter()
            .map(|&tile| {
                let row = measure(name, before, frames, tile);
                format!("{} B / {:.3} ms", row.bytes, median(&row.encode_ms))
            })
            .collect();
        println!("| {name} | {} |", cells.join(" | "));
    }
}
