//! The daemon with real session processes running foot, real viewers over QUIC on loopback,
//! and the real wayray-ctl: hot-desking, surviving a killed viewer, isolation of sessions, a
//! daemon restart, refusals, and that no token ever reaches a log.

use std::time::{Duration, Instant};

use wayray_client::{ConnectError, Viewer, ViewerError};
use wayray_protocol::messages::control::DisconnectReason;
use wayray_tests::daemon::Daemon;
use wayray_tests::keys::{ECHO_HELLO, type_codes};
use wayray_tests::programs::require;

fn white(viewer: &Viewer) -> usize {
    viewer
        .framebuffer
        .pixels()
        .chunks_exact(4)
        .filter(|p| p[0] > 200 && p[1] > 200 && p[2] > 200)
        .count()
}

async fn settle(viewer: &mut Viewer) {
    let deadline = Instant::now() + Duration::from_secs(30);
    viewer
        .settle(Duration::from_millis(700), deadline)
        .await
        .expect("viewer settles");
}

/// Connects and waits until foot is on screen and quiet.
async fn attach(daemon: &Daemon, token: &str) -> Viewer {
    let mut viewer = Viewer::connect(&daemon.viewer_options(token))
        .await
        .expect("viewer attaches");
    // foot paints its window some time after the session starts.
    let deadline = Instant::now() + Duration::from_secs(30);
    while white(&viewer) == 0 {
        assert!(Instant::now() < deadline, "foot never appeared");
        tokio::time::timeout(Duration::from_millis(500), viewer.next_update())
            .await
            .ok();
    }
    settle(&mut viewer).await;
    viewer
}

/// Types `echo hello` and waits until the text is on the viewer's screen.
async fn type_hello(viewer: &mut Viewer) {
    let before = white(viewer);
    type_codes(viewer, &ECHO_HELLO).await.expect("input sent");
    let deadline = Instant::now() + Duration::from_secs(30);
    while white(viewer) < before + 100 {
        assert!(Instant::now() < deadline, "the typed text never appeared");
        tokio::time::timeout(Duration::from_millis(500), viewer.next_update())
            .await
            .ok();
    }
    settle(viewer).await;
}

/// The viewer's connection ends; returns why.
async fn closed_reason(viewer: &mut Viewer) -> Option<DisconnectReason> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match tokio::time::timeout(Duration::from_millis(500), viewer.next_update()).await {
            Ok(Err(ViewerError::Disconnected { reason, .. })) => return reason,
            Ok(Err(other)) => panic!("unexpected error: {other}"),
            _ => assert!(Instant::now() < deadline, "the viewer was not disconnected"),
        }
    }
}

/// Waits for the viewer's first frame (a full frame of the session).
async fn first_frame(viewer: &mut Viewer) {
    while viewer.frames == 0 {
        viewer.next_update().await.expect("first frame");
    }
}

/// Whether two viewers show the same pixels (not printed: they are large).
fn same_screen(a: &Viewer, b: &Viewer) -> bool {
    a.framebuffer.width() == b.framebuffer.width()
        && a.framebuffer.pixels() == b.framebuffer.pixels()
}

fn refusal(err: ConnectError) -> DisconnectReason {
    match err {
        ConnectError::Refused { reason, .. } => reason,
        other => panic!("expected a refusal, got {other}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hot_desking_moves_the_session_to_the_new_viewer() {
    let Some(daemon) = Daemon::start("hotdesk", "") else {
        return;
    };
    let (_, token) = daemon.issue_token();
    let mut a = attach(&daemon, &token).await;
    type_hello(&mut a).await;
    assert_eq!(daemon.sessions()[0]["state"], "attached");

    let mut b = Viewer::connect(&daemon.viewer_options(&token))
        .await
        .expect("second viewer attaches");
    assert_eq!(b.session_id, a.session_id, "same session");
    assert_eq!(
        closed_reason(&mut a).await,
        Some(DisconnectReason::SessionMoved)
    );
    // B's first frame is a full frame of the session: what A typed is there.
    first_frame(&mut b).await;
    assert!(same_screen(&a, &b), "B's first frame differs from A's last");
    let sessions = daemon.sessions();
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0]["state"], "attached");
    b.disconnect().await;
    daemon.wait_sessions("detached", |s| s[0]["state"] == "detached");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_left_alone_past_the_grace_period_shows_the_same_screen_later() {
    let Some(daemon) = Daemon::start("alone", "") else {
        return;
    };
    let (_, token) = daemon.issue_token();
    let mut a = attach(&daemon, &token).await;
    type_hello(&mut a).await;
    let seen = a.framebuffer.pixels().to_vec();
    a.disconnect().await;
    // Longer than the grace period after which the encoder parks and frees its frames (that it
    // frees them is checked in encode_sequences.rs; here: the next viewer still sees it all).
    tokio::time::sleep(Duration::from_secs(4)).await;
    let mut b = Viewer::connect(&daemon.viewer_options(&token))
        .await
        .unwrap();
    first_frame(&mut b).await;
    assert!(
        b.framebuffer.pixels() == seen.as_slice(),
        "the screen after the idle period differs"
    );
    // And it keeps working: typing shows up.
    type_hello(&mut b).await;
    b.disconnect().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_killed_mid_frame_leaves_the_session_running() {
    let Some(daemon) = Daemon::start("sigkill", "") else {
        return;
    };
    let (_, token) = daemon.issue_token();
    // A real viewer process, with a busy app so that frames are in flight when it dies.
    let mut first = attach(&daemon, &token).await;
    type_hello(&mut first).await;
    first.disconnect().await;
    let id = daemon.sessions()[0]["id"].as_u64().unwrap();
    let pid = daemon.sessions()[0]["pid"].as_u64().unwrap();
    let Some(shm) = require("weston-simple-shm") else {
        return;
    };
    daemon.ctl_json(&[
        "session",
        "run",
        &id.to_string(),
        "--",
        shm.to_str().unwrap(),
    ]);
    let mut viewer = daemon
        .viewer_program(&token)
        .expect("wayray-client is built")
        .args(["--exit-after-ms", "60000"])
        .stderr(std::fs::File::create(daemon.dir.path().join("viewer.log")).unwrap())
        .spawn()
        .unwrap();
    daemon.wait_sessions("the viewer process attached", |s| s[0]["attached"] == true);
    std::thread::sleep(Duration::from_millis(300));
    viewer.kill().unwrap(); // SIGKILL
    viewer.wait().unwrap();

    // The session is still there, same process; a new viewer sees it with foot's text.
    let mut again = Viewer::connect(&daemon.viewer_options(&token))
        .await
        .expect("reattach");
    // The animating app keeps sending frames: the session and its apps are alive.
    for _ in 0..5 {
        again.next_update().await.expect("frames keep coming");
    }
    let sessions = daemon.sessions();
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0]["id"].as_u64(), Some(id));
    assert_eq!(sessions[0]["pid"].as_u64(), Some(pid));
    assert!(white(&again) > 0, "foot is gone");
    again.disconnect().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_tokens_give_two_isolated_sessions() {
    let Some(daemon) = Daemon::start("isolation", "") else {
        return;
    };
    let (_, t1) = daemon.issue_token();
    let (_, t2) = daemon.issue_token();
    let mut v1 = attach(&daemon, &t1).await;
    let mut v2 = attach(&daemon, &t2).await;
    assert_ne!(v1.session_id, v2.session_id);
    let sessions = daemon.sessions();
    assert_eq!(sessions.len(), 2);
    assert_ne!(
        sessions[0]["wayland_display"],
        sessions[1]["wayland_display"]
    );

    // Typing in session 2 shows there and does not reach session 1's foot.
    settle(&mut v1).await;
    let quiet1 = v1.framebuffer.pixels().to_vec();
    type_hello(&mut v2).await;
    let _ = tokio::time::timeout(Duration::from_secs(1), v1.next_update()).await;
    assert!(
        v1.framebuffer.pixels() == quiet1.as_slice(),
        "session 1 changed when typing into session 2"
    );

    let quiet2 = v2.framebuffer.pixels().to_vec();
    let before1 = v1.framebuffer.pixels().to_vec();
    // An app started in session 1 shows there and nowhere else.
    let Some(shm) = require("weston-simple-shm") else {
        return;
    };
    daemon.ctl_json(&[
        "session",
        "run",
        &v1.session_id,
        "--",
        shm.to_str().unwrap(),
    ]);
    let deadline = Instant::now() + Duration::from_secs(20);
    while v1.framebuffer.pixels() == before1.as_slice() {
        assert!(
            Instant::now() < deadline,
            "the app never showed in session 1"
        );
        tokio::time::timeout(Duration::from_millis(500), v1.next_update())
            .await
            .ok();
    }
    let _ = tokio::time::timeout(Duration::from_secs(1), v2.next_update()).await;
    assert!(
        v2.framebuffer.pixels() == quiet2.as_slice(),
        "session 2 changed when an app started in session 1"
    );
    v1.disconnect().await;
    v2.disconnect().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_daemon_adopts_the_running_session() {
    let Some(mut daemon) = Daemon::start("restart", "") else {
        return;
    };
    let (_, token) = daemon.issue_token();
    let mut before = attach(&daemon, &token).await;
    type_hello(&mut before).await;
    let pid = daemon.sessions()[0]["pid"].as_u64().unwrap();

    daemon.kill(); // SIGKILL: no chance to clean up
    assert_eq!(
        daemon.session_pids(),
        vec![pid as u32],
        "the session process must outlive the daemon"
    );
    daemon.restart();
    let sessions = daemon.sessions();
    assert_eq!(sessions.len(), 1, "{sessions:?}");
    assert_eq!(sessions[0]["state"], "detached");
    assert_eq!(sessions[0]["pid"].as_u64(), Some(pid));

    let mut after = Viewer::connect(&daemon.viewer_options(&token))
        .await
        .expect("reattach after the restart");
    first_frame(&mut after).await;
    assert_eq!(after.session_id, before.session_id);
    assert!(
        same_screen(&before, &after),
        "foot with the typed text is not what the new viewer sees"
    );
    after.disconnect().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_tokens_are_refused_and_disturb_nothing() {
    let Some(daemon) = Daemon::start("refusals", "") else {
        return;
    };
    let (_, good) = daemon.issue_token();
    let (revoked_id, revoked) = daemon.issue_token();
    let mut viewer = attach(&daemon, &good).await;
    daemon.ctl_json(&["token", "revoke", &revoked_id]);

    let wrong = "wrt_0000000000000000000000000000000000000000000000000000000000000000";
    for (token, what) in [
        (wrong, "does not know the token"),
        (revoked.as_str(), "revoked"),
    ] {
        let err = Viewer::connect(&daemon.viewer_options(token))
            .await
            .expect_err(what);
        let text = err.to_string();
        assert_eq!(
            refusal(err),
            DisconnectReason::AuthenticationFailed,
            "{what}"
        );
        assert!(text.contains(what), "{what}: {text}");
    }
    // No session was created and the attached one still runs and answers.
    let sessions = daemon.sessions();
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0]["state"], "attached");
    type_hello(&mut viewer).await;
    viewer.disconnect().await;

    // No secret reaches a log, not even the refused ones (the logs are at debug level).
    let logs = daemon.logs();
    assert!(logs.contains("viewer refused"), "the refusals are logged");
    for secret in [good.as_str(), revoked.as_str(), wrong] {
        assert!(!logs.contains(secret), "a token is in the logs");
    }
    assert!(
        !logs.contains("wrt_"),
        "something like a token is in the logs"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_create_starts_a_session_for_an_unknown_token() {
    let Some(daemon) = Daemon::start("autocreate", "auto_create = true") else {
        return;
    };
    let secret = "a-secret-the-daemon-never-issued-0123456789";
    let viewer = attach(&daemon, secret).await;
    let tokens = daemon.ctl_json(&["token", "list"]);
    assert_eq!(tokens.as_array().unwrap().len(), 1);
    assert_eq!(daemon.sessions().len(), 1);
    let id = viewer.session_id.clone();
    viewer.disconnect().await;
    // The same token finds the same session again.
    let again = Viewer::connect(&daemon.viewer_options(secret))
        .await
        .unwrap();
    assert_eq!(again.session_id, id);
    again.disconnect().await;
    assert!(!daemon.logs().contains(secret));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crashed_session_is_reported_and_others_carry_on() {
    let Some(daemon) = Daemon::start("crash", "") else {
        return;
    };
    let (_, t1) = daemon.issue_token();
    let (_, t2) = daemon.issue_token();
    let mut v1 = attach(&daemon, &t1).await;
    let mut v2 = attach(&daemon, &t2).await;
    let sessions = daemon.sessions();
    let victim = sessions
        .iter()
        .find(|s| s["id"].as_u64() == v1.session_id.parse().ok())
        .unwrap();
    let pid = victim["pid"].as_u64().unwrap();
    wayray_tests::daemon::kill_hard(pid);
    assert_eq!(
        closed_reason(&mut v1).await,
        Some(DisconnectReason::SessionEnded)
    );
    let shown = daemon.ctl_json(&["session", "show", &v1.session_id]);
    assert_eq!(shown["state"], "ended");
    assert!(
        shown["end_reason"].as_str().unwrap().contains("crashed"),
        "{shown}"
    );
    assert_eq!(daemon.sessions().len(), 1);
    type_hello(&mut v2).await;
    v2.disconnect().await;
    // The token of the crashed session starts a fresh one.
    let fresh = attach(&daemon, &t1).await;
    assert_ne!(fresh.session_id, v1.session_id);
    fresh.disconnect().await;
}

#[test]
fn the_headless_viewer_program_reports_frames_and_round_trip_time() {
    let Some(daemon) = Daemon::start("report", "") else {
        return;
    };
    let (_, token) = daemon.issue_token();
    let Some((mut viewer, report, shot)) = daemon.reporting_viewer(&token, 4000) else {
        return;
    };
    let out = viewer.args(["--type", "echo typed\n"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = read_report(&report);
    assert!(report["frames"].as_u64().unwrap() >= 1, "{report}");
    assert!(report["bytes"].as_u64().unwrap() > 0, "{report}");
    let rtt = report["rtt_ms"].as_f64().expect("an RTT was measured");
    assert!(rtt > 0.0 && rtt < 1000.0, "{report}");
    // Each typed key was timed to the frame that showed it.
    assert!(
        report["keystrokes_measured"].as_u64().unwrap() >= 8,
        "{report}"
    );
    let p50 = report["latency_ms_p50"].as_f64().unwrap();
    let p99 = report["latency_ms_p99"].as_f64().unwrap();
    assert!(0.0 < p50 && p50 <= p99 && p99 < 1000.0, "{report}");
    assert_eq!(report["reconnects"], 0, "{report}");
    assert!(shot.is_file());
}

#[test]
fn the_viewer_program_resumes_its_session_when_the_daemon_restarts() {
    let Some(mut daemon) = Daemon::start("resume", "") else {
        return;
    };
    let (_, token) = daemon.issue_token();
    let Some((mut viewer, report, shot)) = daemon.reporting_viewer(&token, 14000) else {
        return;
    };
    let viewer = viewer
        .args(["--timeout", "2"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    daemon.wait_sessions("attached", |s| s.len() == 1 && s[0]["state"] == "attached");
    let pid = daemon.sessions()[0]["pid"].as_u64().unwrap();

    daemon.kill();
    daemon.restart();
    // The viewer notices the silence, connects again by itself and gets the same session.
    daemon.wait_sessions("attached again", |s| {
        s.len() == 1 && s[0]["state"] == "attached" && s[0]["pid"].as_u64() == Some(pid)
    });
    let out = viewer.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = read_report(&report);
    assert_eq!(report["reconnects"], 1, "{report}");
    // What the resumed viewer shows is the session's screen.
    let id = daemon.sessions()[0]["id"].as_u64().unwrap().to_string();
    let server_png = daemon.dir.path().join("server.png");
    daemon.ctl(&["session", "screenshot", &id, server_png.to_str().unwrap()]);
    assert_eq!(
        wayray_tests::pixels::read_png_rgb(&shot),
        wayray_tests::pixels::read_png_rgb(&server_png),
        "the resumed viewer does not show the session's screen"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_whose_session_moved_to_another_desk_does_not_take_it_back() {
    let Some(daemon) = Daemon::start("moved-no-resume", "") else {
        return;
    };
    let (_, token) = daemon.issue_token();
    let Some(mut program) = daemon.viewer_program(&token) else {
        return;
    };
    // The first desk: the viewer program, which resumes dropped connections.
    let first = program
        .args(["--exit-after-ms", "30000", "--timeout", "2"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    daemon.wait_sessions("the first desk attached", |s| {
        s.len() == 1 && s[0]["state"] == "attached"
    });
    // The second desk takes the session.
    let mut second = attach(&daemon, &token).await;
    let out = tokio::task::spawn_blocking(move || first.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the first desk should exit: {said}");
    assert!(said.contains("moved to another viewer"), "{said}");
    assert!(said.contains("now shown on another desk"), "{said}");
    // The second desk keeps it: no reconnect from the first took it back.
    second
        .settle(
            Duration::from_secs(3),
            Instant::now() + Duration::from_secs(6),
        )
        .await
        .expect("the second desk keeps the session");
    assert_eq!(daemon.sessions()[0]["attached"], true);
    second.disconnect().await;
}

/// The viewer's `--report` file.
fn read_report(path: &std::path::Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).expect("the viewer wrote its report");
    serde_json::from_str(&text).expect("the report is JSON")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_detached_session_ends_after_its_idle_timeout_and_an_attached_one_does_not() {
    let Some(daemon) = Daemon::start_with_idle_timeout("idle-timeout", 2) else {
        return;
    };
    let (_, left) = daemon.issue_token();
    let (_, kept) = daemon.issue_token();
    let gone = attach(&daemon, &left).await;
    let gone_id = gone.session_id.clone();
    let mut watched = attach(&daemon, &kept).await;
    gone.disconnect().await;
    daemon.wait_sessions("the detached session ended", |s| {
        s.len() == 1
            && s[0]["id"].as_u64().map(|id| id.to_string()) == Some(watched.session_id.clone())
    });
    let shown = daemon.ctl_json(&["session", "show", &gone_id]);
    assert_eq!(shown["state"], "ended", "{shown}");
    assert_eq!(shown["end_reason"], "idle timeout", "{shown}");
    // The attached one is still served after more than its timeout.
    tokio::time::sleep(Duration::from_secs(3)).await;
    type_hello(&mut watched).await;
    assert_eq!(daemon.sessions()[0]["state"], "attached");
    watched.disconnect().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoking_a_token_disconnects_its_viewer_and_refuses_it_later() {
    let Some(daemon) = Daemon::start("revoke", "") else {
        return;
    };
    let (token_id, token) = daemon.issue_token();
    let mut viewer = attach(&daemon, &token).await;
    daemon.ctl_json(&["token", "revoke", &token_id]);
    assert_eq!(
        closed_reason(&mut viewer).await,
        Some(DisconnectReason::AuthenticationFailed)
    );
    match Viewer::connect(&daemon.viewer_options(&token)).await {
        Err(ConnectError::Refused { reason, .. }) => {
            assert_eq!(reason, DisconnectReason::AuthenticationFailed);
        }
        Err(other) => panic!("refused for another reason: {other}"),
        Ok(_) => panic!("a revoked token attached"),
    }
    // The session itself keeps running, detached.
    daemon.wait_sessions("detached", |s| s.len() == 1 && s[0]["state"] == "detached");
}
