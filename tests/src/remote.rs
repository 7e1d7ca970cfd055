//! A session served over real QUIC on loopback: compositor, encoder pipeline, link socket and
//! QUIC front end, in this process, for end-to-end tests of viewers.

use std::net::SocketAddr;
use std::sync::Arc;

use wayray_protocol::messages::control::OutputMode;
use wayray_protocol::secret::Token;
use wayray_server::daemon::transport::{Identity, SingleSession, Transport, TransportConfig};
use wayray_server::session::SessionCommand;
use wayray_server::session::encode::pipeline::Pipeline;
use wayray_server::session::link::{LinkConfig, LinkServer};

use crate::fixture::Fixture;

/// The QUIC side of a fixture's session.
pub struct Served {
    /// Where viewers connect.
    pub addr: SocketAddr,
    /// The server's fingerprint.
    pub fingerprint: String,
    /// The QUIC front end.
    pub transport: Transport,
    /// The session's link (its counters are read by tests).
    pub link: LinkServer,
    _pipeline: Arc<Pipeline>,
}

/// Serves `fixture`'s session on loopback with `token`, identity kept in `state_dir`: the
/// session's link socket in the fixture's runtime dir, and the QUIC front end relaying to it.
pub fn serve(
    fixture: &Fixture,
    token: &str,
    state_dir: &std::path::Path,
    frames_in_flight: usize,
) -> Served {
    serve_with(
        fixture,
        token,
        state_dir,
        frames_in_flight,
        wayray_protocol::session::rate::RateLimits::default(),
    )
}

/// [`serve`] with each viewer's video rate cap moving within `video` (`RateLimits::fixed`:
/// no adaptation).
pub fn serve_with(
    fixture: &Fixture,
    token: &str,
    state_dir: &std::path::Path,
    frames_in_flight: usize,
    video: wayray_protocol::session::rate::RateLimits,
) -> Served {
    let identity = Identity::load_or_create(state_dir).expect("identity");
    let fingerprint = identity.fingerprint.clone();
    let (pipeline, sink, frames) = Pipeline::start(1, true).expect("encoder thread starts");
    let pipeline = Arc::new(pipeline);
    fixture
        .session
        .send(SessionCommand::SetSink(Box::new(sink)));
    let shot = fixture.session.screenshot().expect("screenshot");
    let path = fixture.dir.path().join("link.sock");
    let link = wayray_server::session::link::start(
        LinkConfig {
            path: path.clone(),
            frames_in_flight,
            mode: OutputMode {
                width: shot.width,
                height: shot.height,
                scale_120: 120,
            },
            wayland_display: fixture.session.socket_name().to_owned(),
            audio: None,
            microphone: None,
        },
        frames,
        pipeline.clone(),
        fixture.session.command_sender(),
    )
    .expect("link");
    fixture
        .session
        .send(SessionCommand::SetCursorSink(link.cursor_sink()));
    let resolver = Arc::new(
        SingleSession::new(Token::new(token.into()), "test-session".into(), path)
            .with_video_rate(video),
    );
    let transport = wayray_server::daemon::transport::start(TransportConfig {
        listen: "127.0.0.1:0".parse().expect("address"),
        identity,
        resolver,
    })
    .expect("transport");
    Served {
        addr: transport.local_addr,
        fingerprint,
        transport,
        link,
        _pipeline: pipeline,
    }
}

/// Connection options for a viewer of `served`, pinning into the fixture's own known-servers
/// file.
pub fn viewer_options(
    served: &Served,
    fixture: &Fixture,
    pin: wayray_client::PinPolicy,
    token: &str,
) -> wayray_client::ConnectOptions {
    wayray_client::ConnectOptions {
        server: served.addr,
        label: format!("localhost:{}", served.addr.port()),
        known_servers: fixture.dir.path().join("known_servers"),
        pin,
        credentials: wayray_protocol::session::Credentials::Token(Token::new(token.into())),
        preferred_mode: None,
        keymap: wayray_protocol::messages::input::KeymapLayout {
            layout: "us".into(),
            ..Default::default()
        },
        timeout: std::time::Duration::from_secs(10),
        capabilities: wayray_protocol::Capabilities::implemented(),
        clipboard: None,
        refresh_millihertz: None,
        audio: None,
        microphone: None,
    }
}

/// Connects a viewer with `token` (pinning on first use) and applies frames until the screen
/// has been quiet for half a second (at most `within`).
pub async fn connect_settled(
    served: &Served,
    fixture: &Fixture,
    token: &str,
    within: std::time::Duration,
) -> wayray_client::Viewer {
    let options = viewer_options(served, fixture, wayray_client::PinPolicy::AcceptNew, token);
    let mut viewer = wayray_client::Viewer::connect(&options)
        .await
        .expect("viewer attaches");
    viewer
        .settle(
            std::time::Duration::from_millis(500),
            std::time::Instant::now() + within,
        )
        .await
        .expect("viewer settles");
    viewer
}
