//! The daemon with the viewer program and with viewers that outlive their sessions: reports,
//! ending on SIGINT/SIGTERM, resuming after a daemon restart, a session moved to another desk, idle timeouts and revoked
//! tokens.

use std::process::Command;
use std::time::{Duration, Instant};

use wayray_client::{ConnectError, Viewer};
use wayray_protocol::messages::control::DisconnectReason;
use wayray_tests::daemon::Daemon;
use wayray_tests::viewing::*;

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

#[test]
fn sigint_and_sigterm_end_the_headless_viewer_with_its_report_and_screenshot() {
    let Some(daemon) = Daemon::start("viewer-signals", "") else {
        return;
    };
    let (_, token) = daemon.issue_token();
    for signal in ["INT", "TERM"] {
        // No exit condition: only the signal ends it.
        let Some((mut command, report, screenshot)) = daemon.reporting_viewer(&token, 600_000)
        else {
            return;
        };
        let _ = std::fs::remove_file(&report);
        let _ = std::fs::remove_file(&screenshot);
        let mut viewer = command.spawn().expect("viewer starts");
        daemon.wait_sessions("the viewer attached", |s| {
            s.len() == 1 && s[0]["state"] == "attached"
        });
        std::thread::sleep(Duration::from_millis(500));
        let pid = viewer.id().to_string();
        let sent = Command::new("kill")
            .args([&format!("-{signal}"), &pid])
            .status();
        assert!(sent.is_ok_and(|s| s.success()), "kill -{signal}");
        let ended = wayray_tests::wait::poll_until(Duration::from_secs(10), || {
            viewer.try_wait().ok().flatten().ok_or(())
        });
        let Ok(status) = ended else {
            let _ = viewer.kill();
            panic!("the viewer did not end on SIG{signal}");
        };
        assert!(status.success(), "SIG{signal}: exit status {status}");
        let report = read_report(&report);
        assert!(
            report["frames"].as_u64().is_some_and(|f| f >= 1),
            "{report}"
        );
        let png = std::fs::read(&screenshot).expect("screenshot written");
        assert!(png.starts_with(b"\x89PNG"), "SIG{signal}: no PNG");
        // The session was left politely: it is detached, not broken.
        daemon.wait_sessions("the viewer gone", |s| {
            s.len() == 1 && s[0]["state"] == "detached"
        });
    }
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
    assert_eq!(shown["end_reason"]["kind"], "idle_timeout", "{shown}");
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_asking_for_more_than_the_servers_largest_output_gets_the_largest() {
    use wayray_protocol::messages::control::OutputMode;
    let Some(daemon) = Daemon::start_with_session_keys("max-size", "max_size = \"800x600\"") else {
        return;
    };
    let (_, token) = daemon.issue_token();
    let mut viewer = attach(&daemon, &token).await;
    viewer
        .resize(OutputMode {
            width: 16384,
            height: 16384,
            scale_120: 120,
        })
        .await
        .expect("resize sent");
    let deadline = Instant::now() + Duration::from_secs(20);
    while (viewer.framebuffer.width(), viewer.framebuffer.height()) != (800, 600) {
        assert!(
            Instant::now() < deadline,
            "the output is {}x{}, not the 800x600 cap",
            viewer.framebuffer.width(),
            viewer.framebuffer.height()
        );
        let _ = tokio::time::timeout(Duration::from_secs(1), viewer.next_update()).await;
    }
}

#[test]
fn a_first_contact_with_accept_new_takes_one_handshake_and_pins_the_server() {
    let Some(daemon) = Daemon::start("first-contact", "") else {
        return;
    };
    let (_, token) = daemon.issue_token();
    let known = daemon.dir.path().join("known_servers");
    assert!(!known.exists(), "no pin before the first contact");
    daemon.view_first_frame(&token);
    // The daemon logs at debug level, rustls included: one TLS handshake per connection.
    let handshakes = daemon.logs().matches("Chosen ALPN protocol").count();
    assert_eq!(handshakes, 1, "handshakes for one first contact");
    let pinned = std::fs::read_to_string(&known).expect("the server is pinned");
    assert!(pinned.contains(&daemon.fingerprint), "{pinned}");
}
