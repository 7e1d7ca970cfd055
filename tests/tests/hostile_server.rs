//! The viewer against a hostile server (a real QUIC server built from the server's own
//! identity and the sans-IO session machine): after the attach it opens 40 display streams,
//! each announcing the largest display message and then sending its body without ever
//! finishing it. The viewer's budget for display bytes stops its reading; the server cannot
//! push more than the budget and the streams' windows into it.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use wayray_client::{ConnectOptions, PinPolicy, Viewer};
use wayray_protocol::messages::control::OutputMode;
use wayray_protocol::quic::{MessageReader, write_message};
use wayray_protocol::secret::Token;
use wayray_protocol::session::{Credentials, ServerConfig, ServerConnection, ServerEvent};
use wayray_protocol::{Channel, ControlMessage};
use wayray_server::daemon::transport::{Identity, endpoint};

const STREAMS: usize = 40;
const CHUNK: usize = 1024 * 1024;

/// Hello and attach through the server's own machine, then the flood; counts the bytes the
/// viewer accepted.
async fn hostile(endpoint: quinn::Endpoint, written: Arc<AtomicUsize>) {
    let Some(incoming) = endpoint.accept().await else {
        return;
    };
    let conn = incoming.await.expect("TLS");
    let (mut send, mut recv) = conn.accept_bi().await.expect("control stream");
    let mut machine = ServerConnection::new(Instant::now(), ServerConfig::default());
    let mut prefix = [0u8; 4];
    recv.read_exact(&mut prefix).await.expect("hello");
    let mut body = vec![0; u32::from_le_bytes(prefix) as usize];
    recv.read_exact(&mut body).await.expect("hello");
    machine.handle_hello(Instant::now(), &body);
    let mut reader = MessageReader::<ControlMessage>::new(recv);
    loop {
        while let Some(msg) = machine.poll_transmit() {
            write_message(&mut send, &msg).await.expect("control");
        }
        if machine.is_attached() {
            break;
        }
        if let Some(ServerEvent::AttachRequested(_)) = machine.poll_event() {
            let mode = OutputMode {
                width: 64,
                height: 64,
                scale_120: 120,
            };
            // As the daemon does: an attached viewer may open its input stream.
            wayray_server::daemon::transport::limits::grant_attached(&conn);
            machine.accept("1".into(), mode, None);
            continue;
        }
        let msg = reader.next().await.expect("control").expect("attach");
        machine.handle_message(Instant::now(), msg);
    }
    let declared = Channel::Display.max_message_size() as u32;
    for _ in 0..STREAMS {
        let conn = conn.clone();
        let written = written.clone();
        tokio::spawn(async move {
            let Ok(mut stream) = conn.open_uni().await else {
                return;
            };
            if stream.write_all(&declared.to_le_bytes()).await.is_err() {
                return;
            }
            let chunk = vec![0x5a; CHUNK];
            while stream.write_all(&chunk).await.is_ok() {
                written.fetch_add(CHUNK, Ordering::Relaxed);
            }
        });
    }
    // Keep the connection (and the control stream) open while the viewer is measured.
    tokio::time::sleep(Duration::from_secs(30)).await;
    drop(send);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_flooding_display_streams_cannot_make_the_viewer_hold_more_than_its_budget() {
    let dir = wayray_tests::runtime_dir::RuntimeDir::new("hostile-server").unwrap();
    let identity = Identity::load_or_create(&dir.path().join("state")).expect("identity");
    let server = endpoint(&identity, "127.0.0.1:0".parse().unwrap()).expect("endpoint");
    let addr = server.local_addr().unwrap();
    let written = Arc::new(AtomicUsize::new(0));
    tokio::spawn(hostile(server, written.clone()));

    let options = ConnectOptions {
        server: addr,
        label: format!("localhost:{}", addr.port()),
        known_servers: dir.path().join("known_servers"),
        pin: PinPolicy::Fingerprint(identity.fingerprint.clone()),
        credentials: Credentials::Token(Token::new("any".into())),
        preferred_mode: None,
        keymap: Default::default(),
        timeout: Duration::from_secs(20),
        capabilities: wayray_protocol::Capabilities::implemented(),
        clipboard: None,
        refresh_millihertz: None,
        audio: None,
        microphone: None,
    };
    let connected = tokio::time::timeout(Duration::from_secs(20), Viewer::connect(&options));
    let mut viewer = connected.await.expect("in time").expect("attached");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(8);
    while tokio::time::Instant::now() < deadline {
        let _ = tokio::time::timeout_at(deadline, viewer.next_update()).await;
    }
    let accepted = written.load(Ordering::Relaxed);
    // 128 MiB of budget plus the streams' receive windows (1.25 MB each); without the
    // budget the viewer read on towards 40 x 64 MiB.
    assert!(
        accepted < 300 * CHUNK,
        "the viewer took {} MiB from a hostile server",
        accepted / CHUNK
    );
    assert!(accepted > 0, "the flood never started");
}
