//! Logging in with a user name and password: the exchange, a server without login, and a
//! viewer that tries to log in where login is not offered.

use std::time::Instant;

use super::{
    Credentials, ServerConfig, ServerConnection, ServerEvent, ViewerConfig, ViewerConnection,
    ViewerEvent,
};
use crate::framing::{decode_body, encode_frame_to_vec};
use crate::messages::control::{DisconnectReason, OutputMode};
use crate::secret::{Secret, Token};
use crate::{Capabilities, ControlMessage};

pub(super) fn login_viewer(now: Instant) -> ViewerConnection {
    let credentials = Credentials::Login {
        user: "alice".into(),
        password: Secret::new("correct horse".into()),
    };
    ViewerConnection::new(now, ViewerConfig::with_credentials(credentials))
}

/// A message through the wire format and back (validation included).
fn body(msg: &ControlMessage) -> Vec<u8> {
    encode_frame_to_vec(msg).unwrap()[4..].to_vec()
}

fn wire(msg: ControlMessage) -> ControlMessage {
    decode_body(&body(&msg)).unwrap()
}

/// Moves every control message between the two until neither has anything to say.
pub(super) fn exchange(now: Instant, viewer: &mut ViewerConnection, server: &mut ServerConnection) {
    loop {
        let mut moved = false;
        while let Some(msg) = viewer.poll_transmit() {
            moved = true;
            if matches!(msg, ControlMessage::Hello(_)) {
                server.handle_hello(now, &body(&msg));
            } else {
                server.handle_message(now, wire(msg));
            }
        }
        while let Some(msg) = server.poll_transmit() {
            moved = true;
            viewer.handle_message(now, wire(msg));
        }
        if !moved {
            return;
        }
    }
}

/// A viewer logged in and attached to session 7 at `now`.
pub(super) fn attached_viewer(now: Instant) -> ViewerConnection {
    let mut viewer = login_viewer(now);
    let mut server = ServerConnection::new(now, ServerConfig::default());
    exchange(now, &mut viewer, &mut server);
    server.accept("7".into(), mode(), None);
    exchange(now, &mut viewer, &mut server);
    viewer
}

pub(super) fn mode() -> OutputMode {
    OutputMode {
        width: 800,
        height: 600,
        scale_120: 120,
    }
}

#[test]
fn a_login_attaches_and_hands_the_viewer_a_desk_token() {
    let now = Instant::now();
    let mut viewer = login_viewer(now);
    let mut server = ServerConnection::new(now, ServerConfig::default());
    exchange(now, &mut viewer, &mut server);
    let login = std::iter::from_fn(|| server.poll_event())
        .find_map(|e| match e {
            ServerEvent::LoginRequested(login) => Some(login),
            _ => None,
        })
        .expect("the server was asked to check a login");
    assert_eq!(login.user, "alice");
    assert_eq!(login.password.expose(), "correct horse");
    assert!(!format!("{login:?}").contains("horse"), "password in Debug");

    server.accept("7".into(), mode(), Some(Token::new("wr_desk".into())));
    exchange(now, &mut viewer, &mut server);
    let attached = std::iter::from_fn(|| viewer.poll_event())
        .find_map(|e| match e {
            ViewerEvent::Attached(a) => Some(a),
            _ => None,
        })
        .expect("attached");
    assert_eq!(attached.session_id, "7");
    assert_eq!(attached.desk_token.unwrap().expose(), "wr_desk");
    assert!(viewer.is_attached() && server.is_attached());
}

#[test]
fn a_refused_login_closes_with_authentication_failed() {
    let now = Instant::now();
    let mut viewer = login_viewer(now);
    let mut server = ServerConnection::new(now, ServerConfig::default());
    exchange(now, &mut viewer, &mut server);
    server.refuse(DisconnectReason::AuthenticationFailed, "login refused");
    exchange(now, &mut viewer, &mut server);
    let closed = std::iter::from_fn(|| viewer.poll_event())
        .find_map(|e| match e {
            ViewerEvent::Closed(c) => Some(c),
            _ => None,
        })
        .unwrap();
    assert_eq!(closed.reason, DisconnectReason::AuthenticationFailed);
    assert_eq!(closed.message, "login refused");
    assert!(closed.by_peer);
}

#[test]
fn a_viewer_never_sends_its_password_to_a_server_without_login() {
    let now = Instant::now();
    let mut viewer = login_viewer(now);
    let config = ServerConfig {
        capabilities: Capabilities::implemented()
            .intersect(Capabilities::from_bits(!Capabilities::LOGIN.bits())),
        ..ServerConfig::default()
    };
    let mut server = ServerConnection::new(now, config);
    let mut sent = Vec::new();
    let hello = viewer.poll_transmit().unwrap();
    server.handle_hello(now, &body(&hello));
    while let Some(msg) = server.poll_transmit() {
        viewer.handle_message(now, msg);
    }
    while let Some(msg) = viewer.poll_transmit() {
        sent.push(msg);
    }
    assert!(
        sent.iter().all(|m| !matches!(m, ControlMessage::Login(_))),
        "{sent:?}"
    );
    let closed = std::iter::from_fn(|| viewer.poll_event())
        .find_map(|e| match e {
            ViewerEvent::Closed(c) => Some(c),
            _ => None,
        })
        .unwrap();
    assert_eq!(closed.reason, DisconnectReason::AuthenticationFailed);
    assert!(closed.message.contains("token"), "{}", closed.message);
}

#[test]
fn a_server_without_login_refuses_a_login_message() {
    let now = Instant::now();
    let config = ServerConfig {
        capabilities: Capabilities::CURSOR,
        ..ServerConfig::default()
    };
    let mut server = ServerConnection::new(now, config);
    let mut viewer = login_viewer(now);
    let hello = viewer.poll_transmit().unwrap();
    server.handle_hello(now, &body(&hello));
    let login = ControlMessage::Login(crate::messages::control::Login {
        user: "alice".into(),
        password: Secret::new("pw".into()),
        preferred_mode: None,
    });
    server.handle_message(now, login);
    let events: Vec<_> = std::iter::from_fn(|| server.poll_event()).collect();
    assert!(
        events
            .iter()
            .all(|e| !matches!(e, ServerEvent::LoginRequested(_))),
        "{events:?}"
    );
    let closed = events.iter().find_map(|e| match e {
        ServerEvent::Closed(c) => Some(c),
        _ => None,
    });
    assert_eq!(
        closed.unwrap().reason,
        DisconnectReason::AuthenticationFailed
    );
}
