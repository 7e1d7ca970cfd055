//! The daemon killed (SIGKILL, no clean-up) while a viewer is in the middle of attaching: at
//! every stage of the attach (before the handshake, during it, between the token and the first
//! frame) the session and its applications survive, and once the daemon is back the viewer
//! gets the same screen.

use std::time::Duration;

use wayray_client::Viewer;
use wayray_tests::daemon::Daemon;
use wayray_tests::viewing::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_daemon_killed_during_an_attach_loses_nothing() {
    let Some(mut daemon) = Daemon::start("killed-mid-attach", "") else {
        return;
    };
    let (_, token) = daemon.issue_token();
    let mut before = attach(&daemon, &token).await;
    type_hello(&mut before).await;
    let screen = before.framebuffer.pixels().to_vec();
    before.disconnect().await;
    let pid = daemon.sessions()[0]["pid"].as_u64();
    for delay_ms in [0, 2, 5, 10, 20, 40, 80] {
        let options = daemon.viewer_options(&token);
        let attaching = tokio::spawn(async move {
            let mut viewer = Viewer::connect(&options).await.ok()?;
            first_frame(&mut viewer).await;
            Some(viewer)
        });
        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
        daemon.kill();
        // A viewer still attaching would only wait for its idle timeout now.
        attaching.abort();
        assert_eq!(
            daemon.session_pids().len(),
            1,
            "the session process must outlive a daemon killed {delay_ms} ms into an attach"
        );
        daemon.restart();
        let sessions = daemon.sessions();
        assert_eq!(sessions.len(), 1, "{sessions:?}");
        assert_eq!(sessions[0]["pid"].as_u64(), pid, "{sessions:?}");
        let mut after = tokio::time::timeout(Duration::from_secs(30), async {
            let mut viewer = Viewer::connect(&daemon.viewer_options(&token))
                .await
                .expect("the viewer attaches once the daemon is back");
            first_frame(&mut viewer).await;
            viewer
        })
        .await
        .unwrap_or_else(|_| panic!("no first frame after a kill {delay_ms} ms into an attach"));
        settle(&mut after).await;
        assert!(
            after.framebuffer.pixels() == screen.as_slice(),
            "after a kill {delay_ms} ms into an attach the session's screen changed"
        );
        after.disconnect().await;
    }
}
