//! Malformed control streams from a raw QUIC peer (TLS done, then bytes no viewer sends): each
//! is closed with a reason within a bounded time, and the daemon keeps serving real viewers.

use std::time::Duration;

use wayray_protocol::ControlMessage;
use wayray_protocol::framing::encode_frame_to_vec;
use wayray_protocol::messages::control::DisconnectReason;
use wayray_tests::daemon::Daemon;
use wayray_tests::programs::rss_kib;
use wayray_tests::raw_quic::{RawPeer, connect, hello_frame};

/// Starts a daemon, sends `bytes` on a raw peer's control stream and returns how the server
/// closed it; then checks that a real viewer still attaches. `None` (skip) without the
/// programs, outside CI.
fn closed_after(
    label: &str,
    bytes: Vec<u8>,
    finish: bool,
    within: Duration,
) -> Option<(Option<DisconnectReason>, String)> {
    let daemon = Daemon::start(label, "")?;
    let (_, token) = daemon.issue_token();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let closed = rt.block_on(async {
        let bind = "127.0.0.1:0".parse().unwrap();
        let peer: RawPeer = connect(daemon.addr, &daemon.fingerprint, bind)
            .await
            .expect("TLS completes");
        let _control = peer.send_control(&bytes, finish).await;
        peer.closed_within(within).await
    });
    daemon.view_first_frame(&token);
    Some(closed.unwrap_or_else(|| panic!("{label}: still open after {within:?}")))
}

fn frame(msg: &ControlMessage) -> Vec<u8> {
    encode_frame_to_vec(msg).unwrap()
}

const SOON: Duration = Duration::from_secs(3);

#[test]
fn a_message_before_the_hello_is_a_protocol_error() {
    let Some((reason, _)) = closed_after(
        "adv-first",
        frame(&ControlMessage::KeyframeRequest),
        false,
        SOON,
    ) else {
        return;
    };
    assert_eq!(reason, Some(DisconnectReason::ProtocolError));
}

#[test]
fn an_oversize_hello_is_a_protocol_error() {
    let Some((reason, text)) =
        closed_after("adv-oversize", u32::MAX.to_le_bytes().to_vec(), false, SOON)
    else {
        return;
    };
    assert_eq!(reason, Some(DisconnectReason::ProtocolError));
    assert!(text.contains("too large"), "{text}");
}

#[test]
fn a_truncated_hello_is_closed_with_a_reason() {
    let mut bytes = 100u32.to_le_bytes().to_vec();
    bytes.extend([0; 10]);
    let Some((reason, text)) = closed_after("adv-truncated", bytes, true, SOON) else {
        return;
    };
    assert_eq!(reason, Some(DisconnectReason::ProtocolError), "{text}");
}

#[test]
fn an_unknown_message_after_the_hello_is_a_protocol_error() {
    let mut bytes = hello_frame();
    bytes.extend(1u32.to_le_bytes());
    bytes.push(0xff);
    let Some((reason, _)) = closed_after("adv-unknown", bytes, false, SOON) else {
        return;
    };
    assert_eq!(reason, Some(DisconnectReason::ProtocolError));
}

#[test]
fn a_peer_that_stops_mid_hello_is_closed_at_the_deadline() {
    let Some((reason, _)) = closed_after("adv-silent", vec![7], false, Duration::from_secs(15))
    else {
        return;
    };
    assert_eq!(reason, Some(DisconnectReason::Timeout));
}

#[test]
fn a_viewer_that_never_reads_costs_the_daemon_bounded_memory_and_others_are_served() {
    let Some(daemon) = Daemon::start("adv-never-reads", "") else {
        return;
    };
    let (_, stuck) = daemon.issue_token();
    let (_, other) = daemon.issue_token();
    daemon.view_first_frame(&stuck);
    let id = daemon.sessions()[0]["id"].to_string();
    // A window that redraws all the time, so the session has frames to send.
    daemon.ctl_json(&[
        "session",
        "run",
        &id,
        "--",
        "foot",
        "sh",
        "-c",
        "while :; do ls -R /usr; done",
    ]);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let before = rss_kib(daemon.pid());
    let peer = rt.block_on(async {
        let bind = "127.0.0.1:0".parse().unwrap();
        let peer = connect(daemon.addr, &daemon.fingerprint, bind)
            .await
            .expect("TLS completes");
        peer.present_token(&stuck).await.expect("attached");
        // Attached, and from now on reads nothing.
        tokio::time::sleep(Duration::from_secs(6)).await;
        peer
    });
    let grown = rss_kib(daemon.pid()).saturating_sub(before);
    assert!(grown < 64 * 1024, "the daemon grew by {grown} KiB");
    // Another session is served meanwhile.
    daemon.view_first_frame(&other);
    drop(peer);
}
