//! Real clients map windows, and the captured pixels show them where the window manager put
//! them, in their colours.

use std::time::Duration;

use wayray_tests::fixture::Fixture;
use wayray_tests::pixels::{background, bbox, count_in, rgb, same_rgb};
use wayray_tests::programs::require;

const WAIT: Duration = Duration::from_secs(20);

#[test]
fn weston_simple_shm_is_centred_and_keeps_getting_frames() {
    let Some(program) = require("weston-simple-shm") else {
        return;
    };
    let mut fixture = Fixture::new("simple-shm", 1280, 720);
    fixture.spawn(fixture.command(&program));
    let bg = background();
    let (mapped, shot) = fixture.wait_for(WAIT, |s| s.windows == 1 && s.frames > 5);
    assert!(
        mapped,
        "weston-simple-shm did not map and animate (frames {})",
        shot.frames
    );
    // simple-shm draws a 250x250 buffer; the WM centres it on the 1280x720 output.
    let area = bbox(&shot, |p| !same_rgb(p, bg)).expect("something is drawn");
    assert_eq!(area, (515, 235, 250, 250), "window is not centred");
    // It animates: frames keep coming, each one rendered on its commit.
    let before = shot.frames;
    let (animating, _) = fixture.wait_for(WAIT, |s| s.frames >= before + 10);
    assert!(animating, "frames stopped after {before}");
}

/// Starts foot without client-side decorations and a plain `sh` with prompt `prompt`.
fn start_foot(fixture: &mut Fixture, foot: &std::path::Path, ini: &str, prompt: &str) {
    let shell = format!("PS1='{prompt}' exec sh");
    fixture.spawn_foot(
        foot,
        ini,
        &["--override=csd.preferred=none", "sh", "-c", &shell],
    );
}

#[test]
fn foot_shows_its_configured_background_centred() {
    let Some(foot) = require("foot") else {
        return;
    };
    let mut fixture = Fixture::new("foot", 1280, 720);
    let ini = "[colors]\nbackground=336699\nforeground=ffffff\n[main]\nfont=monospace:size=10\n";
    start_foot(&mut fixture, &foot, ini, "$ ");
    let colour = rgb(0x336699);
    let (mapped, shot) = fixture.wait_for(WAIT, |s| bbox(s, |p| same_rgb(p, colour)).is_some());
    assert!(
        mapped,
        "foot's background never appeared (windows: {})",
        shot.windows
    );
    let (x, y, w, h) = bbox(&shot, |p| same_rgb(p, colour)).unwrap();
    let centre = (x + w / 2, y + h / 2);
    assert!(
        centre.0.abs_diff(640) <= 2 && centre.1.abs_diff(360) <= 2,
        "foot at {x},{y} {w}x{h} is not centred"
    );
    assert!(w > 200 && h > 100, "foot is too small: {w}x{h}");
}

#[test]
fn typing_into_foot_draws_the_text() {
    use wayray_protocol::InputMessage;
    use wayray_protocol::messages::input::{ButtonState, Key};
    let Some(foot) = require("foot") else {
        return;
    };
    let mut fixture = Fixture::new("foot-typing", 1280, 720);
    // An empty prompt, so every new white pixel comes from what is typed.
    let ini = "[colors]\nbackground=000000\nforeground=ffffff\n[cursor]\nblink=no\n";
    start_foot(&mut fixture, &foot, ini, "");
    let black = rgb(0x000000);
    let (mapped, shot) = fixture.wait_for(WAIT, |s| bbox(s, |p| same_rgb(p, black)).is_some());
    assert!(mapped, "foot never appeared");
    let area = bbox(&shot, |p| same_rgb(p, black)).unwrap();
    let white = |p: [u8; 4]| p[0] > 200 && p[1] > 200 && p[2] > 200;
    let before = count_in(&shot, area, white);
    // "echo hi": KEY_E 18, KEY_C 46, KEY_H 35, KEY_O 24, KEY_SPACE 57, KEY_I 23.
    for code in [18, 46, 35, 24, 57, 35, 23] {
        for state in [ButtonState::Pressed, ButtonState::Released] {
            fixture.session.input(InputMessage::Key(Key {
                code,
                state,
                time_ms: 0,
            }));
        }
    }
    let (typed, shot) = fixture.wait_for(WAIT, |s| count_in(s, area, white) > before + 40);
    assert!(
        typed,
        "typed text did not appear: {} white pixels before, {} after",
        before,
        count_in(&shot, area, white)
    );
}

#[test]
fn weston_terminal_maps_a_window() {
    let Some(program) = require("weston-terminal") else {
        return;
    };
    let mut fixture = Fixture::new("weston-terminal", 1280, 720);
    fixture.spawn(fixture.command(&program));
    let bg = background();
    let (mapped, shot) = fixture.wait_for(WAIT, |s| {
        s.windows == 1 && bbox(s, |p| !same_rgb(p, bg)).is_some()
    });
    assert!(
        mapped,
        "weston-terminal did not map (windows: {})",
        shot.windows
    );
    let (x, y, w, h) = bbox(&shot, |p| !same_rgb(p, bg)).unwrap();
    assert!(w > 100 && h > 100, "window too small: {w}x{h} at {x},{y}");
}

#[test]
fn a_client_that_redraws_continuously_draws_at_the_refresh_rate() {
    let Some(program) = require("weston-simple-shm") else {
        return;
    };
    let mut fixture = Fixture::new("paced", 1280, 720);
    fixture.spawn(fixture.command(&program));
    let (mapped, _) = fixture.wait_for(WAIT, |s| s.windows == 1 && s.frames > 5);
    assert!(mapped, "weston-simple-shm did not map and animate");
    // simple-shm draws its next frame as soon as its frame callback comes: the callbacks set
    // its pace, 60 a second on the default 60 Hz output.
    let frames = || fixture.session.stats().expect("session is running").frames;
    let (start, before) = (std::time::Instant::now(), frames());
    std::thread::sleep(Duration::from_secs(2));
    let rate = (frames() - before) as f64 / start.elapsed().as_secs_f64();
    assert!(
        (30.0..=64.0).contains(&rate),
        "{rate:.0} frames a second on a 60 Hz output"
    );
}

/// A viewer that takes no frames (it never acknowledges one) holds a continuously redrawing
/// client's frame callbacks once the frames in flight are used up: the client stops drawing
/// instead of rendering frames nobody sees, and draws again as soon as that viewer goes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_that_takes_no_frames_pauses_a_redrawing_client_until_it_goes() {
    let Some(program) = require("weston-simple-shm") else {
        return;
    };
    let mut fixture = Fixture::new("backlog", 640, 480);
    let served = wayray_tests::remote::serve(&fixture, "tok", &fixture.dir.path().join("s"), 2);
    fixture.spawn(fixture.command(&program));
    let (animating, _) = fixture.wait_for(WAIT, |s| s.windows == 1 && s.frames > 30);
    assert!(animating, "weston-simple-shm did not animate");

    // A viewer whose frames are never applied, so none is acknowledged.
    let options = wayray_tests::remote::viewer_options(
        &served,
        &fixture,
        wayray_client::PinPolicy::AcceptNew,
        "tok",
    );
    let viewer = wayray_client::Viewer::connect(&options)
        .await
        .expect("viewer attaches");
    let frames = || fixture.session.stats().expect("stats").frames;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let held = frames();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let later = frames();
    assert!(
        later - held <= 2,
        "the client kept drawing for a viewer that takes no frames: {} frames in 2 s",
        later - held
    );

    viewer.disconnect().await;
    let (resumed, shot) = fixture.wait_for(WAIT, |s| s.frames >= later + 30);
    assert!(
        resumed,
        "the client did not draw again after the viewer left ({} frames)",
        shot.frames - later
    );
}

/// Frames the session rendered per second over 2 s, the second 2 s of a viewer connected
/// with `options` that takes every frame (so nothing is held back by the frames in flight).
async fn paced_rate(fixture: &Fixture, options: &wayray_client::ConnectOptions) -> f64 {
    let mut viewer = wayray_client::Viewer::connect(options)
        .await
        .expect("viewer attaches");
    let frames = || fixture.session.stats().expect("stats").frames;
    // The first 2 s let the report arrive and the output change.
    let mut rate = 0.0;
    for _ in 0..2 {
        let (start, before) = (std::time::Instant::now(), frames());
        let until = start + Duration::from_secs(2);
        while let Some(left) = until.checked_duration_since(std::time::Instant::now()) {
            let _ = tokio::time::timeout(left, viewer.next_update()).await;
        }
        rate = (frames() - before) as f64 / start.elapsed().as_secs_f64();
    }
    viewer.disconnect().await;
    rate
}

/// A viewer whose desk refreshes at 24 Hz says so: a continuously redrawing client then gets
/// its frame callbacks 24 times a second, and again 60 once that viewer is gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_reporting_its_refresh_rate_paces_a_redrawing_client_to_it() {
    let Some(program) = require("weston-simple-shm") else {
        return;
    };
    let mut fixture = Fixture::new("refresh", 640, 480);
    let served = wayray_tests::remote::serve(&fixture, "tok", &fixture.dir.path().join("s"), 2);
    fixture.spawn(fixture.command(&program));
    let (animating, _) = fixture.wait_for(WAIT, |s| s.windows == 1 && s.frames > 30);
    assert!(animating, "weston-simple-shm did not animate");

    let mut options = wayray_tests::remote::viewer_options(
        &served,
        &fixture,
        wayray_client::PinPolicy::AcceptNew,
        "tok",
    );
    options.refresh_millihertz = Some(24_000);
    let rate = paced_rate(&fixture, &options).await;
    assert!(
        (16.0..=28.0).contains(&rate),
        "{rate:.0} frames a second for a 24 Hz desk"
    );
    // A viewer that reports nothing gets the default 60 Hz.
    options.refresh_millihertz = None;
    let rate = paced_rate(&fixture, &options).await;
    assert!(
        (36.0..=64.0).contains(&rate),
        "{rate:.0} frames a second for a desk that reported no rate"
    );
}
