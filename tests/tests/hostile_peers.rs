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
    let mut viewer = daemon.viewer_program(&token).expect("viewer");
    let out = viewer
        .args(["--exit-after-frames", "1"])
        .output()
        .expect("viewer runs");
    assert!(
        out.status.success(),
        "viewer during the flood: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        daemon.logs()
    );
    drop(held);
}
