//! A window whose application says it shows video (wp_content_type_v1) is streamed as H.264
//! from its first frames; the same animation without the hint stays lossless (its frames are
//! flat colours, which never look like video to motion detection).

use std::time::{Duration, Instant};

use wayray_tests::fixture::Fixture;
use wayray_tests::remote::serve;
use wayray_tests::wl_client::WlClient;

/// Shares of H.264 regions the viewer saw while a 400×300 window changed colour every 33 ms
/// for 1.5 s, the window marked as video or not.
async fn h264_share(marked: bool) -> f64 {
    let label = if marked { "ctype-video" } else { "ctype-none" };
    let fixture = Fixture::new(label, 640, 480);
    let served = serve(&fixture, "tok", &fixture.dir.path().join("state"), 2);
    let options = wayray_tests::remote::viewer_options(
        &served,
        &fixture,
        wayray_client::PinPolicy::AcceptNew,
        "tok",
    );
    let mut viewer = wayray_client::Viewer::connect(&options)
        .await
        .expect("viewer attaches");
    let stream = fixture.session.connect_client().expect("connect");
    let dir = fixture.dir.path().to_owned();
    let client = std::thread::spawn(move || {
        let mut c = WlClient::connect(stream, &dir);
        let mut window = c.toplevel("player");
        if marked {
            c.mark_video(&window);
        }
        c.roundtrip();
        c.ack(&window, 0);
        for step in 0..60u32 {
            let shade = (step * 4) & 0xff;
            c.draw(
                &mut window,
                400,
                300,
                0xff00_0000 | shade << 16 | (255 - shade),
            );
            c.dispatch_for(Duration::from_millis(33));
        }
    });
    let mut shares = 0.0;
    let until = Instant::now() + Duration::from_millis(1500);
    while let Some(left) = until.checked_duration_since(Instant::now()) {
        let _ = tokio::time::timeout(left, viewer.next_update()).await;
        let mix = viewer.stats.summary(Instant::now()).codec_mix;
        let h264 = mix
            .iter()
            .find(|(name, _)| *name == "h264")
            .map_or(0.0, |m| m.1);
        shares = f64::max(shares, h264);
    }
    client.join().expect("client");
    viewer.disconnect().await;
    shares
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_window_marked_as_video_is_streamed_at_once_and_an_unmarked_one_is_not() {
    if !wayray_protocol::codec::h264_available() {
        assert!(std::env::var("CI").is_err(), "FFmpeg is missing");
        return;
    }
    let marked = h264_share(true).await;
    assert!(marked > 0.0, "no H.264 for a window marked as video");
    let unmarked = h264_share(false).await;
    assert_eq!(unmarked, 0.0, "H.264 for flat colours nobody called video");
}
