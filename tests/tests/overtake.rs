//! Typing while a video plays, over a slow link (the test relay: 5 Mbit/s towards the viewer,
//! 20 ms each way): the echoes are sent to overtake the video frames in flight (as
//! `FrameAfter`), pass the paced video and are applied ahead of it, and the terminal's
//! picture ends exact.

use std::time::Duration;

use wayray_client::{PinPolicy, Viewer};
use wayray_tests::film::{film_and_terminal, make_clip};
use wayray_tests::fixture::Fixture;
use wayray_tests::keys::type_codes;
use wayray_tests::pointer::{alt_drag, watch};
use wayray_tests::programs::require;
use wayray_tests::relay::{Shape, start_shaped};
use wayray_tests::remote::{serve_with, viewer_options};
use wayray_tests::runtime_dir::RuntimeDir;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typed_echoes_overtake_the_video_and_the_terminal_ends_exact() {
    let (Some(foot), Some(mpv), Some(ffmpeg)) =
        (require("foot"), require("mpv"), require("ffmpeg"))
    else {
        return;
    };
    let clips = RuntimeDir::new("overtake-clip").unwrap();
    let noise = "testsrc2=size=480x320:rate=30,noise=alls=20:allf=t";
    let clip = make_clip(&ffmpeg, clips.path(), "noise.mp4", noise, 4);
    let mut fixture = Fixture::new("overtake", 1280, 800);
    let state = fixture.dir.path().join("state");
    let served = serve_with(&fixture, "t", &state, 2, Default::default());
    film_and_terminal(&mut fixture, &mpv, &foot, &clip);

    let relay = start_shaped(
        served.addr,
        Shape {
            rate: Some(625_000),
            delay: Duration::from_millis(20),
            loss: 0.0,
        },
    )
    .await;
    let mut options = viewer_options(&served, &fixture, PinPolicy::AcceptNew, "t");
    options.server = relay.addr;
    let mut viewer = Viewer::connect(&options).await.expect("connect");
    // foot opens centred over the video: move it below.
    alt_drag(&mut viewer, 640.0, 400.0, 330.0).await;
    watch(&mut viewer, Duration::from_secs(2)).await;
    // Whether an echo reaches the viewer before the video frame it overtakes depends on
    // when it comes in the frame's pacing: type until one did, or 50 characters.
    for round in 0..10 {
        for code in [30, 48, 46, 32, 18] {
            type_codes(&mut viewer, &[code]).await.unwrap();
            watch(&mut viewer, Duration::from_millis(200)).await;
        }
        if round >= 2 && viewer.frames_ahead > 0 {
            break;
        }
    }
    watch(&mut viewer, Duration::from_secs(1)).await;
    let overtaking = served
        .link
        .stats
        .frames_overtaking
        .load(std::sync::atomic::Ordering::Relaxed);
    assert!(
        overtaking > 0,
        "no frame was sent to overtake the video ({} frames applied, {} ahead)",
        viewer.frames,
        viewer.frames_ahead
    );
    // The video's frames are paced: echoes written after them leave before their last
    // bytes and are applied before them.
    assert!(
        viewer.frames_ahead > 0,
        "{overtaking} frames sent to overtake, none applied ahead"
    );
    // The terminal (below the video) is exactly the session's.
    let shot = fixture.session.screenshot().unwrap();
    let fb = &viewer.framebuffer;
    let differing = (650..800u32)
        .flat_map(|y| (0..1280u32).map(move |x| (x, y)))
        .filter(|&(x, y)| fb.pixel(x, y) != shot.pixel(x, y))
        .count();
    assert_eq!(differing, 0, "{differing} pixels of the terminal differ");
    viewer.disconnect().await;
}
