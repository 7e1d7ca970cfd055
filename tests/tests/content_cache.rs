//! The content cache end to end over real QUIC: characters typed again into foot travel as
//! references to what the viewer holds, and the viewer's pixels still equal the session's
//! exactly; a viewer without the capability gets no references.

use std::time::{Duration, Instant};

use wayray_client::{PinPolicy, Viewer};
use wayray_protocol::Capabilities;
use wayray_tests::fixture::Fixture;
use wayray_tests::programs::require;
use wayray_tests::remote::{Served, serve, viewer_options};
use wayray_tests::viewing::{exact, type_text};

/// Connects a viewer with `capabilities`, types `text` one character at a time (each echoed
/// before the next) and returns the regions applied from the cache meanwhile, once the
/// viewer's pixels equal the session's.
async fn type_and_match(
    fixture: &Fixture,
    served: &Served,
    capabilities: Capabilities,
    text: &str,
) -> u64 {
    let mut options = viewer_options(served, fixture, PinPolicy::AcceptNew, "cache-token");
    options.capabilities = capabilities;
    let mut viewer = Viewer::connect(&options).await.expect("viewer attaches");
    viewer
        .settle(
            Duration::from_millis(500),
            Instant::now() + Duration::from_secs(20),
        )
        .await
        .unwrap();
    let before = viewer.framebuffer.cached_regions();
    type_text(&mut viewer, text, Duration::from_secs(2)).await;
    exact(fixture, &mut viewer).await;
    let cached = viewer.framebuffer.cached_regions() - before;
    viewer.disconnect().await;
    cached
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_glyphs_are_references_and_the_picture_stays_exact() {
    let Some(foot) = require("foot") else {
        return;
    };
    let mut fixture = Fixture::new("content-cache", 640, 480);
    let state = fixture.dir.path().join("state");
    let served = serve(&fixture, "cache-token", &state, 2);
    fixture.spawn_foot(
        &foot,
        "[cursor]\nblink=no\n",
        &["sh", "-c", "PS1='$ ' exec sh"],
    );
    fixture.wait_for(Duration::from_secs(20), |s| s.windows == 1);
    let cached = type_and_match(
        &fixture,
        &served,
        Capabilities::implemented(),
        "abababababababab",
    )
    .await;
    assert!(cached >= 4, "only {cached} regions came from the cache");
    // Without the capability, the same typing is sent in full and matches as well.
    let without = Capabilities::from_bits(
        Capabilities::implemented().bits() & !Capabilities::CONTENT_CACHE.bits(),
    );
    let cached = type_and_match(&fixture, &served, without, "abababababababab").await;
    assert_eq!(cached, 0);
}
