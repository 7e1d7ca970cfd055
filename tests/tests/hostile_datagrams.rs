//! Datagrams from attached peers: only a viewer that negotiated the microphone may send
//! them, and only audio messages. Anything else ends that one connection with a reason; the
//! daemon goes on serving others.

use std::time::Duration;

use wayray_protocol::Capabilities;
use wayray_protocol::framing::encode_body;
use wayray_protocol::messages::audio::{AudioMessage, AudioPacket};
use wayray_protocol::messages::control::DisconnectReason;
use wayray_tests::daemon::Daemon;
use wayray_tests::raw_quic::connect;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// Attaches a raw peer announcing `capabilities`, sends `datagram`, and returns how the
/// server closed the connection.
fn close_after_datagram(
    daemon: &Daemon,
    capabilities: Capabilities,
    datagram: Vec<u8>,
) -> (Option<DisconnectReason>, String) {
    let (_, token) = daemon.issue_token();
    runtime().block_on(async {
        let bind = "127.0.0.1:0".parse().unwrap();
        let peer = connect(daemon.addr, &daemon.fingerprint, bind)
            .await
            .expect("TLS completes");
        let _control = peer
            .attach(&token, capabilities)
            .await
            .expect("the peer attaches");
        assert!(
            peer.closed_within(Duration::from_millis(300))
                .await
                .is_none(),
            "closed before the datagram"
        );
        peer.conn
            .send_datagram(datagram.into())
            .expect("datagram sent");
        peer.closed_within(Duration::from_secs(5))
            .await
            .expect("the server closes the connection")
    })
}

fn audio_datagram() -> Vec<u8> {
    encode_body(&AudioMessage::Opus(AudioPacket {
        sequence: 0,
        capture_us: 0,
        payload: vec![0xf8, 0xff, 0xfe],
    }))
    .expect("encodes")
}

#[test]
fn a_datagram_from_a_viewer_without_the_microphone_ends_its_connection() {
    let Some(daemon) = Daemon::start("datagram-nomic", "auto_create = false") else {
        return;
    };
    let without = Capabilities::from_bits(
        Capabilities::implemented().bits() & !Capabilities::MICROPHONE.bits(),
    );
    let (reason, text) = close_after_datagram(&daemon, without, audio_datagram());
    assert_eq!(reason, Some(DisconnectReason::ProtocolError), "{text}");
    assert!(text.contains("without the microphone"), "{text}");
    // The daemon goes on serving.
    let (_, token) = daemon.issue_token();
    daemon.view_first_frame(&token);
}

#[test]
fn a_malformed_microphone_datagram_ends_only_that_connection() {
    let Some(daemon) = Daemon::start("datagram-bad", "auto_create = false") else {
        return;
    };
    let (reason, text) = close_after_datagram(
        &daemon,
        Capabilities::implemented(),
        b"\x07not an audio message".to_vec(),
    );
    assert_eq!(reason, Some(DisconnectReason::ProtocolError), "{text}");
    assert!(text.contains("malformed microphone datagram"), "{text}");
    let (_, token) = daemon.issue_token();
    daemon.view_first_frame(&token);
}
