//! The zstd stream end to end over real QUIC: a screen of text from foot reaches a viewer with
//! `zstd-stream` in fewer bytes than one without it, and both viewers' pixels equal the
//! session's exactly, through output that scrolls frame after frame.

use std::time::Duration;

use wayray_client::{PinPolicy, Viewer};
use wayray_protocol::Capabilities;
use wayray_tests::fixture::Fixture;
use wayray_tests::programs::require;
use wayray_tests::remote::{Served, serve, viewer_options};
use wayray_tests::viewing::{exact, type_text};

/// Connects with `capabilities`; the display bytes of the first picture (the keyframe),
/// then types `text` and checks the picture again.
async fn connect_and_type(
    fixture: &Fixture,
    served: &Served,
    capabilities: Capabilities,
    text: &str,
) -> u64 {
    let mut options = viewer_options(served, fixture, PinPolicy::AcceptNew, "stream-token");
    options.capabilities = capabilities;
    let mut viewer = Viewer::connect(&options).await.expect("viewer attaches");
    exact(fixture, &mut viewer).await;
    let first = viewer.bytes;
    type_text(&mut viewer, text, Duration::from_millis(200)).await;
    exact(fixture, &mut viewer).await;
    viewer.disconnect().await;
    first
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_costs_fewer_bytes_in_one_stream_and_stays_exact() {
    let Some(foot) = require("foot") else {
        return;
    };
    let mut fixture = Fixture::new("zstd-stream", 640, 480);
    let state = fixture.dir.path().join("state");
    let served = serve(&fixture, "stream-token", &state, 2);
    fixture.spawn_foot(
        &foot,
        "[cursor]\nblink=no\n",
        &["sh", "-c", "seq 1 100; PS1='$ ' exec sh"],
    );
    fixture.wait_for(Duration::from_secs(20), |s| s.windows == 1);
    let with = connect_and_type(
        &fixture,
        &served,
        Capabilities::implemented(),
        "seq 1 300\n",
    )
    .await;
    // The screen is the last lines of `seq 1 300` for both.
    let without = Capabilities::from_bits(
        Capabilities::implemented().bits() & !Capabilities::ZSTD_STREAM.bits(),
    );
    let alone = connect_and_type(&fixture, &served, without, "seq 1 300\n").await;
    let again = connect_and_type(
        &fixture,
        &served,
        Capabilities::implemented(),
        "seq 1 300\n",
    )
    .await;
    eprintln!("first picture: {with} and {again} bytes in a stream, {alone} one by one");
    assert!(
        again * 10 < alone * 8,
        "a screen of digits: {again} bytes in a stream, {alone} one by one (first run {with})"
    );
}
