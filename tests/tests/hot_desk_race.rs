//! Two desks presenting one token at the same moment: the session ends up served to exactly
//! one of them (the one bound last), and the other is told the session moved. Attaches to
//! one session reach its link in the order they were bound.

use std::time::Duration;

use wayray_client::{Viewer, ViewerError};
use wayray_protocol::messages::control::DisconnectReason;
use wayray_tests::daemon::Daemon;
use wayray_tests::viewing::{attach, type_hello};

/// Whether the viewer is still connected after `wait` (`None`), or why it was closed.
async fn fate(viewer: &mut Viewer, wait: Duration) -> Option<Option<DisconnectReason>> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        match tokio::time::timeout_at(deadline, viewer.next_update()).await {
            Err(_) => return None,
            Ok(Err(ViewerError::Disconnected { reason, .. })) => return Some(reason),
            Ok(Err(other)) => panic!("unexpected error: {other}"),
            Ok(Ok(_)) => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_desks_taking_one_session_at_once_leave_it_served_to_one() {
    let Some(daemon) = Daemon::start("hotdesk-race", "") else {
        return;
    };
    let (_, token) = daemon.issue_token();
    let mut holder = attach(&daemon, &token).await;
    for round in 0..6 {
        let options = daemon.viewer_options(&token);
        let (a, b) = tokio::join!(Viewer::connect(&options), Viewer::connect(&options));
        let mut viewers: Vec<Viewer> = [a, b].into_iter().filter_map(Result::ok).collect();
        let mut fates = Vec::new();
        for viewer in &mut viewers {
            fates.push(fate(viewer, Duration::from_millis(1500)).await);
        }
        let connected: Vec<usize> = (0..viewers.len()).filter(|&i| fates[i].is_none()).collect();
        assert_eq!(connected.len(), 1, "round {round}: {fates:?}");
        for (i, fate) in fates.iter().enumerate() {
            if let Some(reason) = fate {
                assert_eq!(
                    *reason,
                    Some(DisconnectReason::SessionMoved),
                    "round {round}: {i}"
                );
            }
        }
        // The one left is really served: what it types comes back.
        let mut winner = viewers.swap_remove(connected[0]);
        type_hello(&mut winner).await;
        std::mem::swap(&mut holder, &mut winner);
        drop(winner);
    }
    holder.disconnect().await;
}
