//! The daemon with real session processes running foot, real viewers over QUIC on loopback,
//! and the real wayray-ctl: hot-desking, surviving a killed viewer, isolation of sessions, a
//! daemon restart, refusals, and that no token ever reaches a log.

use std::time::{Duration, Instant};

use wayray_client::Viewer;
use wayray_protocol::messages::control::DisconnectReason;
use wayray_tests::daemon::Daemon;
use wayray_tests::programs::require;
use wayray_tests::viewing::*;

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
    // Unknown and revoked read the same: the peer learns nothing about which tokens exist.
    for (token, what) in [(wrong, "unknown"), (revoked.as_str(), "revoked")] {
        let err = Viewer::connect(&daemon.viewer_options(token))
            .await
            .expect_err(what);
        let text = err.to_string();
        assert_eq!(
            refusal(err),
            DisconnectReason::AuthenticationFailed,
            "{what}"
        );
        assert!(text.contains("does not accept the token"), "{what}: {text}");
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
    // The viewer hears of the end from its relay, the registry from the process's exit: the
    // session may show as detached for a moment first.
    let shown =
        wayray_tests::wait::wait_until("the session to end", Duration::from_secs(10), || {
            let shown = daemon.ctl_json(&["session", "show", &v1.session_id]);
            (shown["state"] == "ended").then_some(shown)
        });
    assert_eq!(shown["end_reason"]["kind"], "crashed", "{shown}");
    assert!(
        shown["end_reason"]["detail"]
            .as_str()
            .unwrap()
            .contains("signal"),
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
