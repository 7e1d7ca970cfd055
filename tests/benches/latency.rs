//! Keystroke latency over QUIC on loopback at 1920x1080: a key sent by the viewer core →
//! the changed pixels in the viewer's framebuffer, p50 and p99 over 500 keystrokes into foot.
//! Also: connect → first full frame, and the time of a full-frame update.
//!
//! Run: `cargo bench -p wayray-tests --bench latency`

use std::time::{Duration, Instant};

use wayray_client::{PinPolicy, Viewer};
use wayray_tests::fixture::Fixture;
use wayray_tests::keys::type_codes;
use wayray_tests::programs::require;
use wayray_tests::remote::serve;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let Some(foot) = require("foot") else {
        return;
    };
    let mut fixture = Fixture::new("bench-latency", 1920, 1080);
    let served = serve(&fixture, "bench", &fixture.dir.path().join("state"), 2);
    fixture.spawn_foot(
        &foot,
        "[cursor]\nblink=no\n",
        &["--fullscreen", "sh", "-c", "PS1='$ ' exec sh"],
    );
    fixture.wait_for(Duration::from_secs(20), |s| s.windows == 1);
    std::thread::sleep(Duration::from_secs(2));

    let options =
        wayray_tests::remote::viewer_options(&served, &fixture, PinPolicy::AcceptNew, "bench");
    let started = Instant::now();
    let mut viewer = Viewer::connect(&options).await.expect("connect");
    while viewer.framebuffer.width() == 0 {
        viewer.next_update().await.expect("first frame");
    }
    let first_frame = started.elapsed();
    viewer
        .settle(
            Duration::from_millis(500),
            Instant::now() + Duration::from_secs(10),
        )
        .await
        .unwrap();

    // Full-frame update: a keyframe of the whole 1920x1080 output, request to applied.
    let mut full = Vec::new();
    for _ in 0..10 {
        let t = Instant::now();
        viewer.request_keyframe().await.unwrap();
        viewer.next_update().await.unwrap();
        full.push(t.elapsed().as_secs_f64() * 1000.0);
    }

    // 500 keystrokes: 'a' pressed and released, then backspace now and then to stay on one line.
    let mut samples = Vec::new();
    for i in 0..520 {
        let code = if i % 40 == 39 { 14 } else { 30 };
        let t = Instant::now();
        type_codes(&mut viewer, &[code]).await.unwrap();
        // The first update after the key press is the echo of the character.
        tokio::time::timeout(Duration::from_secs(5), viewer.next_update())
            .await
            .expect("echo")
            .unwrap();
        if code == 30 {
            samples.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        // Let the frame settle so the next keystroke is measured alone.
        let _ = viewer
            .settle(
                Duration::from_millis(15),
                Instant::now() + Duration::from_millis(200),
            )
            .await;
    }
    samples.sort_by(f64::total_cmp);
    full.sort_by(f64::total_cmp);
    println!("| figure | value |");
    println!("|---|---|");
    println!(
        "| keystroke → changed pixels in the viewer, p50 ({} keystrokes) | {:.2} ms |",
        samples.len(),
        percentile(&samples, 0.5)
    );
    println!(
        "| keystroke → changed pixels in the viewer, p99 | {:.2} ms |",
        percentile(&samples, 0.99)
    );
    println!(
        "| full-frame update 1920×1080 (keyframe request → applied), median of 10 | {:.1} ms |",
        percentile(&full, 0.5)
    );
    println!(
        "| connect → first full frame | {:.1} ms |",
        first_frame.as_secs_f64() * 1000.0
    );
    viewer.disconnect().await;
}
