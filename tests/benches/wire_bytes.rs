//! Bytes on the wire for the small updates of a desk's day: foot full screen at 1920×1080
//! (DejaVu Sans Mono 11, no cursor blink), a viewer connecting through a relay that counts the
//! UDP payload each way. Each workload is a whole run on a new connection, from the dial
//! (QUIC and TLS handshake, hello, keyframe, cursor, keymap) to the viewer's goodbye:
//!
//! - idle: 20 s with nothing happening;
//! - typing: 200 characters at 10 per second;
//! - seq: `seq 1 20000` typed and run, until the screen is still for a second.
//!
//! Also the set-up alone (connect → first frame, then at once away).
//!
//! Run: `cargo bench -p wayray-tests --bench wire_bytes`

use std::time::{Duration, Instant};

use wayray_client::keys::{stroke_events, us_strokes};
use wayray_client::{PinPolicy, Viewer};
use wayray_tests::fixture::Fixture;
use wayray_tests::programs::require;
use wayray_tests::relay::{Shape, start_shaped};
use wayray_tests::remote::{Served, serve, viewer_options};

/// Applies whatever arrives until `until`.
async fn pump(viewer: &mut Viewer, until: Instant) {
    while let Some(left) = until.checked_duration_since(Instant::now()) {
        if let Ok(result) = tokio::time::timeout(left, viewer.next_update()).await {
            result.expect("viewer keeps up");
        }
    }
}

/// Types `text`, one character every `period`, applying frames in between.
async fn type_text(viewer: &mut Viewer, text: &str, period: Duration) {
    let mut next = Instant::now();
    for stroke in us_strokes(text).expect("typable text") {
        for event in stroke_events(stroke) {
            viewer.send_input(&event).await.expect("input");
        }
        next += period;
        pump(viewer, next).await;
    }
}

/// Runs `work` on a new viewer through a counting relay; (down, up) bytes of the whole run.
async fn measured<F>(served: &Served, fixture: &Fixture, work: F) -> (u64, u64)
where
    F: AsyncFnOnce(&mut Viewer),
{
    let relay = start_shaped(served.addr, Shape::default()).await;
    let mut options = viewer_options(served, fixture, PinPolicy::AcceptNew, "bench");
    options.server = relay.addr;
    let mut viewer = Viewer::connect(&options).await.expect("viewer attaches");
    while viewer.framebuffer.width() == 0 {
        viewer.next_update().await.expect("first frame");
    }
    work(&mut viewer).await;
    viewer.disconnect().await;
    // The last acks and the close reach the relay.
    tokio::time::sleep(Duration::from_millis(300)).await;
    relay.bytes.get()
}

fn kb(bytes: u64) -> String {
    format!("{:.1} kB", bytes as f64 / 1000.0)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    if std::env::args().any(|a| a == "--list") {
        println!("wire_bytes: benchmark");
        return;
    }
    let Some(foot) = require("foot") else {
        return;
    };
    let mut fixture = Fixture::new("bench-wire", 1920, 1080);
    let served = serve(&fixture, "bench", &fixture.dir.path().join("state"), 2);
    fixture.spawn_foot(
        &foot,
        "font=DejaVu Sans Mono:size=11\n[cursor]\nblink=no\n",
        &["--fullscreen", "sh", "-c", "PS1='$ ' exec sh"],
    );
    fixture.wait_for(Duration::from_secs(20), |s| s.windows == 1);
    std::thread::sleep(Duration::from_secs(2));

    let setup = measured(&served, &fixture, async |_| {}).await;
    let idle = measured(&served, &fixture, async |viewer| {
        pump(viewer, Instant::now() + Duration::from_secs(20)).await;
    })
    .await;
    let typing = measured(&served, &fixture, async |viewer| {
        let text = "the quick brown fox jumps over the lazy dog ".repeat(5);
        type_text(viewer, &text[..200], Duration::from_millis(100)).await;
        pump(viewer, Instant::now() + Duration::from_millis(500)).await;
    })
    .await;
    // The typed line is run (and fails) and the screen cleared, on a connection not counted.
    let options = viewer_options(&served, &fixture, PinPolicy::AcceptNew, "bench");
    let mut viewer = Viewer::connect(&options).await.expect("viewer attaches");
    type_text(&mut viewer, "\nclear\n", Duration::from_millis(20)).await;
    pump(&mut viewer, Instant::now() + Duration::from_secs(1)).await;
    viewer.disconnect().await;
    let seq = measured(&served, &fixture, async |viewer| {
        type_text(viewer, "seq 1 20000\n", Duration::from_millis(20)).await;
        viewer
            .settle(
                Duration::from_secs(1),
                Instant::now() + Duration::from_secs(60),
            )
            .await
            .expect("seq ends");
    })
    .await;

    println!("| workload (1920×1080, foot) | server → viewer | viewer → server |");
    println!("|---|---|---|");
    for (name, (down, up)) in [
        ("set-up only (connect → first frame → goodbye)", setup),
        ("idle 20 s", idle),
        ("typing 200 characters at 10/s", typing),
        ("`seq 1 20000`", seq),
    ] {
        println!("| {name} | {} | {} |", kb(down), kb(up));
    }
}
