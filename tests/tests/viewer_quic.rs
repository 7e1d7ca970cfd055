//! End to end over real QUIC on loopback: a viewer types into foot through its input stream,
//! and its framebuffer equals the server's output pixel for pixel; identity pinning.

use std::time::{Duration, Instant};

use wayray_client::{ConnectError, ConnectOptions, PinPolicy, Viewer};
use wayray_protocol::InputMessage;
use wayray_tests::fixture::Fixture;
use wayray_tests::keys::{ECHO_HELLO, type_codes};
use wayray_tests::programs::require;
use wayray_tests::relay::Relay;
use wayray_tests::remote::{Served, serve};

fn options(
    served: &wayray_tests::remote::Served,
    fixture: &Fixture,
    pin: PinPolicy,
    token: &str,
) -> ConnectOptions {
    wayray_tests::remote::viewer_options(served, fixture, pin, token)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typing_through_the_viewer_reaches_foot_and_pixels_match() {
    let Some(foot) = require("foot") else {
        return;
    };
    let mut fixture = Fixture::new("quic-type", 1280, 720);
    let state = fixture.dir.path().join("state");
    let served = serve(&fixture, "wr_test_token", &state, 2);
    fixture.spawn_foot(
        &foot,
        "[colors]\nbackground=000000\nforeground=ffffff\n[cursor]\nblink=no\n",
        &["sh", "-c", "PS1='$ ' exec sh"],
    );
    fixture.wait_for(Duration::from_secs(20), |s| s.windows == 1);

    let opts = options(&served, &fixture, PinPolicy::AcceptNew, "wr_test_token");
    let mut viewer = Viewer::connect(&opts).await.expect("viewer attaches");
    assert_eq!(viewer.session_id, "test-session");
    let deadline = Instant::now() + Duration::from_secs(30);
    viewer
        .settle(Duration::from_secs(1), deadline)
        .await
        .unwrap();
    let white = |p: &[u8]| p[0] > 200 && p[1] > 200 && p[2] > 200;
    let before = viewer
        .framebuffer
        .pixels()
        .chunks_exact(4)
        .filter(|p| white(p))
        .count();
    // "echo hello" + Enter as evdev codes, through the viewer's input stream.
    type_codes(&mut viewer, &ECHO_HELLO).await.unwrap();
    // Converge: the viewer's framebuffer must equal the server's output exactly.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        viewer
            .settle(Duration::from_millis(700), deadline)
            .await
            .unwrap();
        let after = viewer
            .framebuffer
            .pixels()
            .chunks_exact(4)
            .filter(|p| white(p))
            .count();
        if after > before + 100 && fixture.pixels_differing(&viewer.framebuffer) == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no exact match: {} pixels differ, white {before} -> {after}; viewer applied {} frames, \
             server sent {}",
            fixture.pixels_differing(&viewer.framebuffer),
            viewer.frames,
            served
                .link
                .stats
                .frames_sent
                .load(std::sync::atomic::Ordering::Relaxed)
        );
    }
    viewer.disconnect().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identity_is_pinned_on_first_use_and_a_change_is_refused() {
    let fixture = Fixture::new("quic-pin", 320, 240);
    let state = fixture.dir.path().join("state");
    let served = serve(&fixture, "tok", &state, 2);
    // Unknown server, no --accept-new: refused with the fingerprint to check.
    let err = Viewer::connect(&options(&served, &fixture, PinPolicy::Known, "tok"))
        .await
        .unwrap_err();
    match err {
        ConnectError::NewServer { fingerprint, .. } => assert_eq!(fingerprint, served.fingerprint),
        other => panic!("expected NewServer, got {other}"),
    }
    // --accept-new pins it; afterwards the pinned identity is enough.
    Viewer::connect(&options(&served, &fixture, PinPolicy::AcceptNew, "tok"))
        .await
        .unwrap()
        .disconnect()
        .await;
    Viewer::connect(&options(&served, &fixture, PinPolicy::Known, "tok"))
        .await
        .unwrap()
        .disconnect()
        .await;
    // A wrong --fingerprint is refused.
    let wrong = format!("sha256:{}", "0".repeat(64));
    assert!(matches!(
        Viewer::connect(&options(
            &served,
            &fixture,
            PinPolicy::Fingerprint(wrong),
            "tok"
        ))
        .await,
        Err(ConnectError::PinMismatch { .. })
    ));
    // A server with a new key on the same address is refused, ssh-style.
    drop(served);
    let fixture2 = Fixture::new("quic-pin2", 320, 240);
    let other = serve(&fixture2, "tok", &fixture2.dir.path().join("state"), 2);
    let mut opts = options(&other, &fixture, PinPolicy::AcceptNew, "tok");
    let pinned_label = format!("localhost:{}", other.addr.port());
    wayray_client::known_servers::add(
        &opts.known_servers,
        &pinned_label,
        &format!("sha256:{}", "a".repeat(64)),
    )
    .unwrap();
    opts.label = pinned_label;
    let err = Viewer::connect(&opts).await.unwrap_err();
    assert!(matches!(err, ConnectError::PinMismatch { .. }), "{err}");
    assert!(err.to_string().contains("has changed"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_token_is_refused_with_a_reason() {
    let fixture = Fixture::new("quic-token", 320, 240);
    let served = serve(&fixture, "right", &fixture.dir.path().join("state"), 2);
    let err = Viewer::connect(&options(&served, &fixture, PinPolicy::AcceptNew, "wrong"))
        .await
        .unwrap_err();
    match err {
        ConnectError::Refused { reason, .. } => {
            assert_eq!(
                reason,
                wayray_protocol::messages::control::DisconnectReason::AuthenticationFailed
            )
        }
        other => panic!("expected a refusal, got {other}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_slow_link_frames_in_flight_stay_bounded_and_the_last_frame_is_exact() {
    let Some(program) = require("weston-simple-shm") else {
        return;
    };
    const IN_FLIGHT: usize = 2;
    let mut fixture = Fixture::new("quic-slow", 640, 480);
    let served = serve(
        &fixture,
        "tok",
        &fixture.dir.path().join("state"),
        IN_FLIGHT,
    );
    let relay = wayray_tests::relay::start(served.addr, 2_000_000 / 8).await; // 2 Mbit/s
    // simple-shm animates as fast as frames are captured: far more than 2 Mbit/s of changes.
    let (mut viewer, _) = animated_through(
        &mut fixture,
        &served,
        &program,
        relay.addr,
        Duration::from_secs(4),
    )
    .await;
    let stats = &served.link.stats;
    let max = stats
        .max_in_flight
        .load(std::sync::atomic::Ordering::Relaxed);
    let sent = stats.frames_sent.load(std::sync::atomic::Ordering::Relaxed);
    assert!(sent > 5, "only {sent} frames were sent");
    // The floor, and more while the link delivers them (ADR 0037), never past the ceiling.
    let ceiling = wayray_server::session::link::MAX_IN_FLIGHT as u64;
    assert!(
        max <= ceiling,
        "{max} frames were in flight at once (ceiling {ceiling})"
    );
    // Stop the animation: the newest content arrives within a bounded delay and is exact.
    fixture.spawn_kill_all();
    settles_exact(&fixture, &served, &mut viewer, Duration::from_secs(15)).await;
}

/// Over a long round trip the in-flight window grows past its floor of two (ADR 0037): an
/// animation at the desk's 60 Hz needs more frames on their way than two per 50 ms loop.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_a_long_round_trip_more_frames_go_in_flight_and_the_last_is_exact() {
    let Some(program) = require("weston-simple-shm") else {
        return;
    };
    const FLOOR: usize = 2;
    let (mut fixture, served, _relay, mut viewer, shown) =
        animated_over("quic-long-rtt", &program, 0.0, Duration::from_secs(4)).await;
    let max = served
        .link
        .stats
        .max_in_flight
        .load(std::sync::atomic::Ordering::Relaxed);
    assert!(
        max > FLOOR as u64,
        "at most {max} frames were in flight over a 50 ms round trip ({shown} shown in 4 s)"
    );
    assert!(max <= wayray_server::session::link::MAX_IN_FLIGHT as u64);
    fixture.spawn_kill_all();
    settles_exact(&fixture, &served, &mut viewer, Duration::from_secs(15)).await;
}

/// A 640×480 session (two frames in flight at least) animating `program`, followed for
/// `watch` by a viewer through a relay adding 25 ms each way and dropping `loss` of the
/// datagrams; the frames the viewer applied meanwhile. The relay stops when dropped.
async fn animated_over(
    label: &str,
    program: &std::path::Path,
    loss: f64,
    watch: Duration,
) -> (Fixture, Served, Relay, Viewer, u64) {
    let mut fixture = Fixture::new(label, 640, 480);
    let served = serve(&fixture, "tok", &fixture.dir.path().join("state"), 2);
    let shape = wayray_tests::relay::Shape {
        rate: None,
        delay: Duration::from_millis(25),
        loss,
    };
    let relay = wayray_tests::relay::start_shaped(served.addr, shape).await;
    let (viewer, shown) = animated_through(&mut fixture, &served, program, relay.addr, watch).await;
    (fixture, served, relay, viewer, shown)
}

/// Starts `program` (an animation) in the session, attaches a viewer through `through` and
/// lets it follow for `watch`; returns the viewer and the frames it applied meanwhile.
async fn animated_through(
    fixture: &mut Fixture,
    served: &wayray_tests::remote::Served,
    program: &std::path::Path,
    through: std::net::SocketAddr,
    watch: Duration,
) -> (Viewer, u64) {
    let mut child = fixture.command(program);
    child.stdout(std::process::Stdio::null());
    fixture.spawn(child);
    fixture.wait_for(Duration::from_secs(20), |s| s.windows == 1 && s.frames > 5);
    let mut opts = options(served, fixture, PinPolicy::AcceptNew, "tok");
    opts.server = through;
    let mut viewer = Viewer::connect(&opts)
        .await
        .expect("viewer attaches through the relay");
    let before = viewer.frames;
    let until = Instant::now() + watch;
    while Instant::now() < until {
        let _ = tokio::time::timeout(Duration::from_millis(500), viewer.next_update()).await;
    }
    let shown = viewer.frames - before;
    (viewer, shown)
}

/// Waits until the viewer shows exactly the session's screen (within `within`).
async fn settles_exact(
    fixture: &Fixture,
    served: &wayray_tests::remote::Served,
    viewer: &mut Viewer,
    within: Duration,
) {
    let deadline = Instant::now() + within;
    loop {
        viewer
            .settle(Duration::from_millis(700), deadline)
            .await
            .unwrap();
        if fixture.pixels_differing(&viewer.framebuffer) == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{} pixels still differ (viewer applied {} frames, server sent {})",
            fixture.pixels_differing(&viewer.framebuffer),
            viewer.frames,
            served
                .link
                .stats
                .frames_sent
                .load(std::sync::atomic::Ordering::Relaxed)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_5_percent_loss_and_25_ms_each_way_the_session_stays_usable_and_ends_exact() {
    let Some(program) = require("weston-simple-shm") else {
        return;
    };
    let (mut fixture, served, _relay, mut viewer, shown) =
        animated_over("quic-lossy", &program, 0.05, Duration::from_secs(3)).await;
    assert!(shown > 10, "only {shown} frames in 3 s");
    fixture.spawn_kill_all();
    settles_exact(&fixture, &served, &mut viewer, Duration::from_secs(20)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resize_request_changes_the_session_output_and_the_viewer_follows() {
    use wayray_protocol::messages::control::OutputMode;
    let fixture = Fixture::new("quic-resize", 640, 480);
    let served = serve(&fixture, "tok", &fixture.dir.path().join("state"), 2);
    let mut viewer = Viewer::connect(&options(&served, &fixture, PinPolicy::AcceptNew, "tok"))
        .await
        .unwrap();
    // The first messages may be the cursor; wait for the first frame.
    while viewer.framebuffer.width() == 0 {
        viewer.next_update().await.unwrap();
    }
    assert_eq!(
        (viewer.framebuffer.width(), viewer.framebuffer.height()),
        (640, 480)
    );
    viewer
        .resize(OutputMode {
            width: 800,
            height: 600,
            scale_120: 120,
        })
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while (viewer.framebuffer.width(), viewer.framebuffer.height()) != (800, 600) {
        assert!(
            Instant::now() < deadline,
            "the viewer never got an 800x600 frame"
        );
        let _ = tokio::time::timeout(Duration::from_secs(1), viewer.next_update()).await;
    }
    let shot = fixture.session.screenshot().unwrap();
    assert_eq!((shot.width, shot.height), (800, 600));
    viewer
        .settle(Duration::from_millis(500), deadline)
        .await
        .unwrap();
    assert_eq!(fixture.pixels_differing(&viewer.framebuffer), 0);
    // The next viewer is told the size in effect now.
    let second = Viewer::connect(&options(&served, &fixture, PinPolicy::AcceptNew, "tok"))
        .await
        .unwrap();
    assert_eq!((second.mode.width, second.mode.height), (800, 600));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sessions_cursor_shape_reaches_the_viewer() {
    use wayland_protocols::wp::cursor_shape::v1::client::wp_cursor_shape_device_v1::Shape;
    use wayray_protocol::messages::display::CursorShape;
    use wayray_protocol::messages::input::PointerMotion;
    let fixture = Fixture::new("quic-cursor", 640, 480);
    let served = serve(&fixture, "tok", &fixture.dir.path().join("state"), 2);
    let stream = fixture.session.connect_client().unwrap();
    let dir = fixture.dir.path().to_owned();
    // A real Wayland client that asks for the text cursor over its window.
    let client = std::thread::spawn(move || {
        let mut c = wayray_tests::wl_client::WlClient::connect(stream, &dir);
        c.use_cursor_shape(Shape::Text);
        let mut window = c.toplevel("cursor");
        c.roundtrip();
        c.ack(&window, 0);
        c.draw(&mut window, 400, 300, 0xff336699);
        c.dispatch_for(Duration::from_secs(8));
        c.events.log
    });
    let mut viewer =
        wayray_tests::remote::connect_settled(&served, &fixture, "tok", Duration::from_secs(5))
            .await;
    // Point at the middle of the (centred) window.
    viewer
        .send_input(&InputMessage::PointerMotion(PointerMotion {
            x: 320.0,
            y: 240.0,
            time_ms: 1,
        }))
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while viewer.cursor_shape() != Some(CursorShape::Text) {
        assert!(
            Instant::now() < deadline,
            "cursor is {:?}",
            viewer.cursor_shape()
        );
        let _ = tokio::time::timeout(Duration::from_millis(500), viewer.next_update()).await;
    }
    let log = client.join().unwrap();
    assert!(
        log.iter().any(|l| l.starts_with("pointer enter")),
        "{log:?}"
    );
}
