//! Bandwidth adaptation end to end: a session playing a noisy video (far more than the link
//! carries at constant quality) to a viewer behind a 1.5 Mbit/s link (the test relay, 20 ms
//! each way). The daemon's estimate of the link caps the video below it, and `wayray-ctl
//! session show` reports the cap.

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use wayray_client::Viewer;
use wayray_tests::daemon::Daemon;
use wayray_tests::film::make_clip;
use wayray_tests::pointer::watch;
use wayray_tests::programs::require;
use wayray_tests::relay::{Shape, start_shaped};
use wayray_tests::runtime_dir::RuntimeDir;

/// The link towards the viewer, bytes a second (1.5 Mbit/s).
const LINK: u64 = 187_500;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_video_is_capped_below_a_slow_viewer_link() {
    let (Some(mpv), Some(ffmpeg)) = (require("mpv"), require("ffmpeg")) else {
        return;
    };
    let Some(daemon) = Daemon::start("bandwidth", "") else {
        return;
    };
    // A clip anyone can read (the session may run as another user).
    let clips = RuntimeDir::new("bandwidth-clip").unwrap();
    std::fs::set_permissions(clips.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let noise = "testsrc2=size=480x320:rate=30,noise=alls=20:allf=t";
    let clip = make_clip(&ffmpeg, clips.path(), "noise.mp4", noise, 4);
    std::fs::set_permissions(&clip, std::fs::Permissions::from_mode(0o644)).unwrap();

    let relay = start_shaped(
        daemon.addr,
        Shape {
            rate: Some(LINK),
            delay: Duration::from_millis(20),
            loss: 0.0,
        },
    )
    .await;
    let (_, token) = daemon.issue_token();
    let mut options = daemon.viewer_options(&token);
    options.server = relay.addr;
    let mut viewer = Viewer::connect(&options).await.expect("connect");
    watch(&mut viewer, Duration::from_secs(2)).await;
    let id = daemon.sessions()[0]["id"].as_u64().unwrap().to_string();
    let before = daemon.ctl_json(&["session", "show", &id]);
    assert_eq!(
        before["video_kbps"].as_u64(),
        Some(u64::from(wayray_protocol::session::rate::START_KBPS)),
        "a new viewer starts at the starting cap while nothing moves: {before}"
    );

    daemon.ctl_json(&[
        "session",
        "run",
        &id,
        "--",
        mpv.to_str().unwrap(),
        "--vo=wlshm",
        "--no-audio",
        "--really-quiet",
        "--loop=inf",
        clip.to_str().unwrap(),
    ]);
    watch(&mut viewer, Duration::from_secs(10)).await;
    let mut caps = Vec::new();
    for _ in 0..8 {
        watch(&mut viewer, Duration::from_millis(250)).await;
        let show = daemon.ctl_json(&["session", "show", &id]);
        caps.push(show["video_kbps"].as_u64().expect("a cap while attached"));
    }
    caps.sort_unstable();
    eprintln!(
        "video caps behind the {} kbit/s link: {caps:?}",
        LINK * 8 / 1000
    );
    let link_kbps = LINK * 8 / 1000;
    assert!(
        caps[caps.len() / 2] <= link_kbps,
        "the video's cap stays near the {link_kbps} kbit/s link: {caps:?}"
    );
    assert!(
        caps[0] >= u64::from(wayray_protocol::session::rate::MIN_KBPS),
        "{caps:?}"
    );
    let text = String::from_utf8(daemon.ctl(&["session", "show", &id]).stdout).unwrap();
    assert!(text.contains("video cap"), "{text}");
    viewer.disconnect().await;
}
