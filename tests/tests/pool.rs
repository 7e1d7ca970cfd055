//! A pool of two real daemons on a real 3-member etcd cluster (loopback, data on tmpfs):
//! redirects to the server that holds a session, placement by load, failover when a server
//! dies, a restarted server re-registering its sessions, a revocation on one server closing a
//! viewer on another, and etcd losing a member or quorum.

use std::time::{Duration, Instant};

use wayray_client::{ConnectError, Viewer};
use wayray_tests::daemon::Daemon;
use wayray_tests::etcd::EtcdCluster;
use wayray_tests::viewing::*;

const TTL: u64 = 3;

/// A daemon in the pool of `cluster` with id `id`.
fn member(cluster: &EtcdCluster, id: &str) -> Option<Daemon> {
    cluster.pool_member(id, TTL)
}

fn server<'a>(servers: &'a [serde_json::Value], id: &str) -> &'a serde_json::Value {
    servers
        .iter()
        .find(|s| s["id"] == id)
        .expect("server listed")
}

/// Waits until `daemon` sees the pool's servers as `pred` wants. A request that fails (etcd
/// just regained quorum and the daemon's client has not reconnected yet) counts as not yet.
fn wait_pool(daemon: &Daemon, what: &str, pred: impl Fn(&[serde_json::Value]) -> bool) -> Duration {
    let start = Instant::now();
    let seen = wayray_tests::wait::poll_until(Duration::from_secs(30), || {
        let out = daemon.ctl(&["--json", "pool", "servers"]);
        let servers: Vec<serde_json::Value> = if out.status.success() {
            serde_json::from_slice(&out.stdout).expect("JSON on stdout")
        } else {
            return Err(vec![serde_json::Value::String(
                String::from_utf8_lossy(&out.stderr).into_owned(),
            )]);
        };
        if pred(&servers) { Ok(()) } else { Err(servers) }
    });
    if let Err(servers) = seen {
        panic!(
            "timed out waiting for {what}: {servers:?}\n{}",
            daemon.logs()
        );
    }
    start.elapsed()
}

fn both_alive(servers: &[serde_json::Value]) -> bool {
    servers.len() == 2 && servers.iter().all(|s| s["alive"] == true)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_from_one_server_is_redirected_to_its_session_and_new_sessions_spread() {
    let Some(cluster) = EtcdCluster::start("pool-redirect", 3) else {
        return;
    };
    let (Some(a), Some(b)) = (member(&cluster, "a"), member(&cluster, "b")) else {
        return;
    };
    wait_pool(&b, "both servers", both_alive);
    let status = a.ctl_json(&["status"]);
    assert_eq!(status["pool"]["server_id"], "a", "{status}");
    assert_eq!(status["pool"]["joined"], true, "{status}");
    // Issued through A, first used at A: placement puts it there (fewest sessions, then id).
    let (token_id, token) = a.issue_token();
    let mut first = attach(&a, &token).await;
    type_hello(&mut first).await;
    assert_eq!(a.sessions().len(), 1);
    // Presented to B: redirected to A, the same session (its screen, with the typed text).
    let mut second = attach(&b, &token).await;
    assert_eq!(second.session_id, first.session_id);
    assert!(b.sessions().is_empty(), "B started a session of its own");
    assert_eq!(
        closed_reason(&mut first).await,
        Some(wayray_protocol::messages::control::DisconnectReason::SessionMoved)
    );
    settle(&mut second).await;
    assert!(
        same_screen(&first, &second),
        "the redirected viewer shows another screen"
    );
    let sessions = a.ctl_json(&["pool", "sessions"]);
    let held = sessions
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["token_id"] == token_id.as_str());
    assert_eq!(held.expect("listed")["server"], "a", "{sessions}");
    // A new token presented to A while A holds a session: placed on B by redirect.
    wait_pool(&a, "A's session counted", |s| {
        server(s, "a")["sessions"] == 1
    });
    let (_, other) = a.issue_token();
    let third = attach(&a, &other).await;
    assert_eq!(
        b.sessions().len(),
        1,
        "the new session did not go to the idle server"
    );
    assert_eq!(a.sessions().len(), 1);
    // Revoked through B: the viewer attached at A goes at once, and A refuses the token.
    let revoked = b.ctl(&["token", "revoke", &token_id]);
    assert!(
        revoked.status.success(),
        "{}",
        String::from_utf8_lossy(&revoked.stderr)
    );
    assert_eq!(
        closed_reason(&mut second).await,
        Some(wayray_protocol::messages::control::DisconnectReason::AuthenticationFailed)
    );
    let again = Viewer::connect(&a.viewer_options(&token)).await;
    assert!(
        matches!(again, Err(ConnectError::Refused { .. })),
        "{:?}",
        again.map(|v| v.session_id.clone())
    );
    drop(third);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_server_s_sessions_fail_over_and_it_re_registers_the_rest_when_back() {
    let Some(cluster) = EtcdCluster::start("pool-failover", 3) else {
        return;
    };
    let (Some(mut a), Some(b)) = (member(&cluster, "a"), member(&cluster, "b")) else {
        return;
    };
    wait_pool(&b, "both servers", both_alive);
    let (lost_id, lost) = a.issue_token();
    drop(attach(&a, &lost).await);
    // A second token bound to that session (`token issue --session`).
    let on_a = a.sessions()[0]["id"].as_u64().unwrap().to_string();
    let bound = a.ctl_json(&["token", "issue", "--session", &on_a]);
    let bound_id = bound["id"].as_str().unwrap().to_owned();
    // A second session on A: placement would send it to B, so B drains meanwhile.
    let (second_id, second) = a.issue_token();
    b.ctl_json(&["pool", "drain", "b"]);
    drop(attach(&a, &second).await);
    b.ctl_json(&["pool", "drain", "b", "--undo"]);
    assert_eq!(a.sessions().len(), 2, "{:?}", a.sessions());
    wait_pool(&b, "A's sessions counted", |s| {
        server(s, "a")["sessions"] == 2
    });

    a.kill();
    let gone = wait_pool(&b, "A's lease lapsing", |s| {
        server(s, "a")["alive"] == false
    });
    assert!(
        gone < Duration::from_secs(TTL + 5),
        "A was listed alive for {gone:?}"
    );
    // The token presented to B: a new session there, and the viewer is told.
    let mut viewer = attach(&b, &lost).await;
    assert_eq!(b.sessions().len(), 1);
    let deadline = Instant::now() + Duration::from_secs(10);
    while viewer.notice.is_none() && Instant::now() < deadline {
        let _ = tokio::time::timeout(Duration::from_millis(200), viewer.next_update()).await;
    }
    let notice = viewer
        .notice
        .clone()
        .expect("a notice about the lost session");
    assert!(
        notice.contains("lost") && notice.contains("(a)"),
        "{notice}"
    );
    // A's other session is marked lost by B's next membership round (every TTL / 3).
    let marked = wayray_tests::wait::poll_until(Duration::from_secs(5), || {
        let pool = b.ctl_json(&["pool", "sessions"]);
        let state = |token: &str| {
            pool.as_array()
                .unwrap()
                .iter()
                .find(|s| s["token_id"] == token)
                .cloned()
        };
        let moved = state(&lost_id).is_some_and(|s| s["server"] == "b");
        let lost = state(&second_id).is_some_and(|s| s["state"] == "lost");
        if moved && lost { Ok(()) } else { Err(pool) }
    });
    assert!(marked.is_ok(), "{marked:?}");

    // A comes back: its sessions survived the daemon and are registered again, except the
    // one whose token now has a session on B.
    a.restart();
    let registered = wayray_tests::wait::poll_until(Duration::from_secs(20), || {
        let pool = b.ctl_json(&["pool", "sessions"]);
        let found = pool
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["token_id"] == second_id.as_str())
            .cloned();
        match found {
            Some(s) if s["server"] == "a" && s["state"] == "running" => Ok(()),
            other => Err(other),
        }
    });
    assert!(
        registered.is_ok(),
        "not re-registered: {registered:?}\n{}",
        a.logs()
    );
    let pool = b.ctl_json(&["pool", "sessions"]);
    let lost_now = pool
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["token_id"] == lost_id.as_str());
    assert_eq!(lost_now.unwrap()["server"], "b", "{pool}");
    let bound_now = pool
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["token_id"] == bound_id.as_str());
    assert_eq!(bound_now.unwrap()["server"], "a", "{pool}");
    // And a viewer presenting the surviving session's token to B is sent to A.
    let back = attach(&b, &second).await;
    assert!(
        a.sessions()
            .iter()
            .any(|s| s["id"].as_u64().unwrap().to_string() == back.session_id)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pool_survives_a_lost_etcd_member_and_waits_out_a_lost_quorum() {
    let Some(mut cluster) = EtcdCluster::start("pool-quorum", 3) else {
        return;
    };
    let (Some(a), Some(b)) = (member(&cluster, "a"), member(&cluster, "b")) else {
        return;
    };
    wait_pool(&b, "both servers", both_alive);
    let (_, token) = a.issue_token();
    let mut viewer = attach(&a, &token).await;

    // One member of three killed: the pool goes on (a new token, placed and redirected).
    cluster.kill(0);
    let (_, other) = b.issue_token();
    drop(attach(&b, &other).await);

    // Quorum lost: attached viewers are still served; new placements are refused clearly.
    cluster.kill(1);
    type_hello(&mut viewer).await;
    let (_, third) = a.issue_token();
    let refused = Viewer::connect(&b.viewer_options(&third)).await;
    match refused {
        Err(ConnectError::Refused { message, .. }) => {
            assert!(message.contains("pool"), "{message}")
        }
        other => panic!(
            "expected a refusal while etcd has no quorum, got {:?}",
            other.map(|v| v.session_id.clone())
        ),
    }
    // Quorum back: the token issued at A meanwhile reaches the pool with A's next round, and
    // then attaches at B. Until then B may refuse it (unknown, or etcd still electing).
    cluster.restart(0);
    cluster.restart(1);
    cluster.wait_healthy(Duration::from_secs(20));
    wait_pool(&b, "both servers back", both_alive);
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        match Viewer::connect(&b.viewer_options(&third)).await {
            Ok(back) => break assert!(!back.session_id.is_empty()),
            Err(err) if Instant::now() < deadline => {
                eprintln!("not yet: {err:?}");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(err) => panic!("{err:?} after quorum came back\n{}\n{}", a.logs(), b.logs()),
        }
    }
}
