//! Pools of servers: a viewer sent to the server that holds its session, one that does not
//! follow redirects, a forged redirect, and notices.

use std::time::Instant;

use super::login_tests::{exchange, mode};
use super::{
    ServerConfig, ServerConnection, ServerEvent, ViewerConfig, ViewerConnection, ViewerEvent,
};
use crate::framing::{decode_body, encode_frame_to_vec};
use crate::messages::control::{DisconnectReason, Redirect};
use crate::secret::Token;
use crate::{Capabilities, ControlMessage};

const FINGERPRINT: &str = "sha256:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

fn pair(now: Instant, viewer_caps: Capabilities) -> (ViewerConnection, ServerConnection) {
    let mut config = ViewerConfig::new(Token::new("t".repeat(43)));
    config.capabilities = viewer_caps;
    let mut viewer = ViewerConnection::new(now, config);
    let mut server = ServerConnection::new(now, ServerConfig::default());
    exchange(now, &mut viewer, &mut server);
    assert!(matches!(
        server.poll_event(),
        Some(ServerEvent::AttachRequested(_))
    ));
    (viewer, server)
}

fn to() -> Redirect {
    Redirect {
        address: "10.0.0.2:7300".into(),
        fingerprint: FINGERPRINT.into(),
    }
}

fn events(viewer: &mut ViewerConnection) -> Vec<ViewerEvent> {
    std::iter::from_fn(|| viewer.poll_event()).collect()
}

#[test]
fn a_pool_viewer_is_redirected_and_the_connection_ends() {
    let now = Instant::now();
    let (mut viewer, mut server) = pair(now, Capabilities::implemented());
    server.redirect(to(), "your session is on 10.0.0.2:7300");
    exchange(now, &mut viewer, &mut server);
    let seen = events(&mut viewer);
    assert!(seen.contains(&ViewerEvent::Redirected(to())), "{seen:?}");
    assert!(matches!(seen.last(), Some(ViewerEvent::Closed(_))));
    assert!(server.is_closed() && viewer.is_closed());
}

#[test]
fn a_viewer_without_pool_support_is_told_where_to_connect() {
    let now = Instant::now();
    let caps =
        Capabilities::from_bits(Capabilities::implemented().bits() & !Capabilities::POOL.bits());
    let (mut viewer, mut server) = pair(now, caps);
    server.redirect(to(), "your session is on 10.0.0.2:7300; connect there");
    exchange(now, &mut viewer, &mut server);
    let seen = events(&mut viewer);
    assert!(!seen.iter().any(|e| matches!(e, ViewerEvent::Redirected(_))));
    match seen.last() {
        Some(ViewerEvent::Closed(close)) => {
            assert_eq!(close.reason, DisconnectReason::SessionEnded);
            assert!(close.message.contains("10.0.0.2:7300"), "{}", close.message);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_redirect_after_attaching_or_unasked_is_a_protocol_error() {
    let now = Instant::now();
    let (mut viewer, mut server) = pair(now, Capabilities::implemented());
    server.accept("1".into(), mode(), None);
    exchange(now, &mut viewer, &mut server);
    viewer.handle_message(now, ControlMessage::Redirect(to()));
    let seen = events(&mut viewer);
    assert!(!seen.iter().any(|e| matches!(e, ViewerEvent::Redirected(_))));
    match seen.last() {
        Some(ViewerEvent::Closed(close)) => {
            assert_eq!(close.reason, DisconnectReason::ProtocolError)
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_malformed_fingerprint_does_not_decode() {
    let bad = ControlMessage::Redirect(Redirect {
        address: "x:1".into(),
        fingerprint: "sha256:XYZ".into(),
    });
    let bytes = encode_frame_to_vec(&bad);
    let decoded = bytes.map(|b| decode_body::<ControlMessage>(&b[4..]));
    assert!(!matches!(decoded, Ok(Ok(_))), "{decoded:?}");
    assert!(Redirect::well_formed_fingerprint(FINGERPRINT));
    assert!(!Redirect::well_formed_fingerprint(
        &FINGERPRINT.to_uppercase()
    ));
}

#[test]
fn notices_reach_pool_viewers_only() {
    let now = Instant::now();
    let (mut viewer, mut server) = pair(now, Capabilities::implemented());
    server.accept("7".into(), mode(), None);
    server.notice("your previous session was lost");
    exchange(now, &mut viewer, &mut server);
    let seen = events(&mut viewer);
    assert!(seen.contains(&ViewerEvent::Notice(
        "your previous session was lost".into()
    )));

    let caps =
        Capabilities::from_bits(Capabilities::implemented().bits() & !Capabilities::POOL.bits());
    let (mut viewer, mut server) = pair(now, caps);
    server.accept("7".into(), mode(), None);
    server.notice("not for this one");
    assert!(
        !std::iter::from_fn(|| server.poll_transmit())
            .any(|m| matches!(m, ControlMessage::Notice(_)))
    );
    exchange(now, &mut viewer, &mut server);
    assert!(
        !events(&mut viewer)
            .iter()
            .any(|e| matches!(e, ViewerEvent::Notice(_)))
    );
}
