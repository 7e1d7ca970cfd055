//! Peers that complete TLS and then never attach: what one may cost a real daemon before it
//! proves who it is, and that a flood of them from one address does not lock others out.

use std::time::Duration;

use wayray_tests::daemon::Daemon;
use wayray_tests::raw_quic::{Opening, connect, open_within};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

#[test]
fn a_peer_that_has_not_attached_gets_the_control_stream_and_no_other() {
    let Some(daemon) = Daemon::start("raw-streams", "") else {
        return;
    };
    runtime().block_on(async {
        let bind = "127.0.0.1:0".parse().unwrap();
        let peer = connect(daemon.addr, &daemon.fingerprint, bind)
            .await
            .expect("TLS completes");
        let wait = Duration::from_millis(500);
        // Held open (a dropped stream would be finished, and the server would hang up).
        let _control = peer.conn.open_bi().await.expect("the control stream opens");
        assert_eq!(
            open_within(wait, peer.conn.open_bi()).await,
            Opening::Waited,
            "a second bidirectional stream waits for the server, which does not allow it"
        );
        assert_eq!(
            open_within(wait, peer.conn.open_uni()).await,
            Opening::Waited,
            "no unidirectional stream before the attach"
        );
    });
}

#[test]
fn a_flood_of_unattached_connections_from_one_address_does_not_lock_others_out() {
    let Some(daemon) = Daemon::start("raw-flood", "") else {
        return;
    };
    let (_, token) = daemon.issue_token();
    let rt = runtime();
    let flood = "127.0.0.2:0".parse().unwrap();
    // One address may have 16 connections pending (TLS done, no attach yet)...
    let held = rt.block_on(async {
        let mut held = Vec::new();
        for n in 0..16 {
            let peer = connect(daemon.addr, &daemon.fingerprint, flood)
                .await
                .unwrap_or_else(|e| panic!("pending connection {n} from one address: {e}"));
            held.push(peer);
        }
        held
    });
    // ...the next one is refused before it costs a TLS handshake...
    let refused = rt.block_on(connect(daemon.addr, &daemon.fingerprint, flood));
    let Err(error) = refused else {
        panic!("a 17th pending connection from one address was accepted");
    };
    assert!(error.contains("refused"), "{error}");
    // ...while a viewer from another address attaches and is served.
    daemon.view_first_frame(&token);
    drop(held);
}

#[test]
fn refused_tokens_make_their_source_wait_without_costing_the_registry() {
    use wayray_protocol::messages::control::DisconnectReason;
    let Some(daemon) = Daemon::start("raw-tokens", "") else {
        return;
    };
    let (_, good) = daemon.issue_token();
    let (revoked_id, revoked) = daemon.issue_token();
    daemon.ctl_json(&["token", "revoke", &revoked_id]);
    let flood = "127.0.0.2:0".parse().unwrap();
    let refusal = |token: String| {
        let daemon = &daemon;
        async move {
            let peer = connect(daemon.addr, &daemon.fingerprint, flood)
                .await
                .expect("TLS completes");
            peer.present_token(&token)
                .await
                .expect_err("a bad token is refused")
        }
    };
    let rt = runtime();
    let first = rt.block_on(refusal(revoked));
    let second = rt.block_on(refusal("not-a-token".into()));
    assert_eq!(first.0, DisconnectReason::AuthenticationFailed);
    assert_eq!(first, second, "revoked and unknown tokens read the same");
    for _ in 0..30 {
        let refused = rt.block_on(refusal("not-a-token".into()));
        assert_eq!(refused, second);
    }
    // A viewer elsewhere is not held back.
    daemon.view_first_frame(&good);
    // 32 refusals, but the source waited after the fourth (1 s, then 2 s, 4 s…): only a few
    // reached the audit log, even on a slow machine.
    let registry = wayray_server::daemon::registry::Registry::open(
        &daemon.dir.path().join("state").join("registry.sqlite3"),
    )
    .expect("registry");
    let refused_rows = registry
        .audit_log(1000)
        .expect("audit log")
        .iter()
        .filter(|row| row.event == "refused")
        .count();
    assert!(
        (4..=8).contains(&refused_rows),
        "{refused_rows} refusals audited"
    );
}

#[test]
fn a_server_with_max_sessions_running_refuses_another_and_keeps_the_others() {
    let Some(daemon) = Daemon::start("max-sessions", "max_sessions = 1") else {
        return;
    };
    let (_, first) = daemon.issue_token();
    let (_, second) = daemon.issue_token();
    daemon.view_first_frame(&first);
    let refused = runtime().block_on(async {
        let peer = connect(
            daemon.addr,
            &daemon.fingerprint,
            "127.0.0.1:0".parse().unwrap(),
        )
        .await
        .expect("TLS completes");
        peer.present_token(&second).await
    });
    let (_, message) = refused.expect_err("a second session is refused");
    assert!(message.contains("the server is full"), "{message}");
    // The running session still takes its viewer.
    daemon.view_first_frame(&first);
    assert_eq!(daemon.sessions().len(), 1);
}

#[test]
fn auto_create_starts_only_so_many_sessions_for_one_address() {
    let Some(daemon) = Daemon::start(
        "per-source",
        "auto_create = true\nmax_sessions_per_source = 2",
    ) else {
        return;
    };
    let rt = runtime();
    let present = |bind: &str, token: &str| {
        let daemon = &daemon;
        let bind = bind.parse().unwrap();
        let token = token.to_owned();
        rt.block_on(async move {
            let peer = connect(daemon.addr, &daemon.fingerprint, bind)
                .await
                .expect("TLS completes");
            peer.present_token(&token).await
        })
    };
    present("127.0.0.2:0", "made-up-token-one").expect("a first session starts");
    present("127.0.0.2:0", "made-up-token-two").expect("a second session starts");
    let (_, message) =
        present("127.0.0.2:0", "made-up-token-three").expect_err("a third is refused");
    assert!(message.contains("max_sessions_per_source"), "{message}");
    // Its running sessions still take their viewers, and another address starts its own.
    present("127.0.0.2:0", "made-up-token-one").expect("a running session is attached");
    present("127.0.0.3:0", "made-up-token-four").expect("another address starts a session");
    assert_eq!(daemon.sessions().len(), 3);
}
