//! The session sends only what the viewer decodes: while an application animates, a viewer
//! that announces H.264 and 4:4:4 gets 4:4:4 H.264 regions, one with H.264 alone gets 4:2:0,
//! and one without H.264 gets lossless frames only — and still ends with the exact picture.

use std::time::{Duration, Instant};

use wayray_client::{PinPolicy, Viewer};
use wayray_protocol::Capabilities;
use wayray_protocol::codec::Chroma;
use wayray_tests::fixture::Fixture;
use wayray_tests::programs::require;
use wayray_tests::remote::{serve, viewer_options};

/// Applies frames for `how_long`; whether any second of it had H.264 regions.
async fn saw_h264(viewer: &mut Viewer, how_long: Duration) -> bool {
    let until = Instant::now() + how_long;
    let mut seen = false;
    while Instant::now() < until {
        let _ = tokio::time::timeout(Duration::from_millis(250), viewer.next_update()).await;
        let mix = viewer.stats.summary(Instant::now()).codec_mix;
        seen |= mix
            .iter()
            .any(|(codec, share)| *codec == "h264" && *share > 0.0);
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_gets_video_only_in_the_chroma_formats_it_decodes() {
    if !wayray_protocol::codec::h264_available() {
        assert!(
            std::env::var_os("CI").is_none(),
            "this build has no H.264 (FFmpeg): CI must test video"
        );
        return;
    }
    let Some(program) = require("weston-simple-shm") else {
        return;
    };
    let mut fixture = Fixture::new("quic-caps", 640, 480);
    let served = serve(&fixture, "tok", &fixture.dir.path().join("state"), 2);
    let mut child = fixture.command(&program);
    child.stdout(std::process::Stdio::null());
    fixture.spawn(child);
    fixture.wait_for(Duration::from_secs(20), |s| s.windows == 1 && s.frames > 5);

    let mut opts = viewer_options(&served, &fixture, PinPolicy::AcceptNew, "tok");
    let mut capable = Viewer::connect(&opts).await.expect("viewer attaches");
    assert!(
        saw_h264(&mut capable, Duration::from_secs(4)).await,
        "the animation never became video: the check below would prove nothing"
    );
    assert_eq!(capable.framebuffer.video_chroma(), Some(Chroma::Full));
    capable.disconnect().await;

    opts.capabilities = Capabilities::implemented()
        .intersect(Capabilities::from_bits(!Capabilities::H264_444.bits()));
    let mut half = Viewer::connect(&opts).await.expect("viewer attaches");
    assert!(saw_h264(&mut half, Duration::from_secs(4)).await);
    assert_eq!(half.framebuffer.video_chroma(), Some(Chroma::Half));
    half.disconnect().await;

    opts.capabilities =
        Capabilities::implemented().intersect(Capabilities::from_bits(!Capabilities::H264.bits()));
    let mut lossless = Viewer::connect(&opts).await.expect("viewer attaches");
    assert!(
        !saw_h264(&mut lossless, Duration::from_secs(4)).await,
        "a viewer without H.264 got H.264 regions"
    );
    assert!(lossless.frames > 5, "only {} frames", lossless.frames);
    // Stopped, the session's last picture arrives exactly.
    fixture.spawn_kill_all();
    lossless
        .settle(
            Duration::from_millis(700),
            Instant::now() + Duration::from_secs(15),
        )
        .await
        .unwrap();
    let shot = fixture.session.screenshot().unwrap();
    assert_eq!(lossless.framebuffer.pixels(), &shot.bgra[..]);
}
