//! The two machines against each other in simulated time ([`sim::Pair`]), and each alone
//! against hand-written peers.

use std::time::{Duration, Instant};

use proptest::prelude::*;

use super::sim::{CELLS, Network, Op, Pair};
use super::*;
use crate::framing::{LENGTH_PREFIX, encode_frame_to_vec};
use crate::messages::control::{FrameAck, Hello, OutputMode, PeerInfo};
use crate::messages::input::{ButtonState, Key};
use crate::{Capabilities, ControlMessage, InputMessage};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn lan() -> Network {
    Network {
        latency: ms(1),
        ..Network::default()
    }
}

fn lossy() -> Network {
    Network {
        latency: ms(25),
        jitter: ms(10),
        loss: 0.05,
    }
}

fn typing(pair: &mut Pair, keystrokes: usize) {
    for i in 0..keystrokes {
        pair.apply(&Op::Damage {
            cell: i * 7,
            value: i as u8,
        });
        pair.apply(&Op::Advance(ms(30)));
        pair.check().unwrap();
    }
}

#[test]
fn a_clean_link_attaches_and_shows_every_change() {
    let mut pair = Pair::new(Instant::now(), 1, lan(), ServerConfig::default());
    pair.run_for(ms(20));
    assert!(pair.viewer.is_attached() && pair.server.is_attached());
    assert!(pair.log.first_frame.is_some(), "the keyframe arrived");
    typing(&mut pair, 50);
    pair.settle(ms(1000));
    pair.check_settled().unwrap();
    assert_eq!(pair.log.keyframes_sent, 1, "no recovery was needed");
    assert!(pair.log.max_in_flight <= 2);
    assert!(pair.viewer.rtt().is_some_and(|rtt| rtt == ms(2)));
}

#[test]
fn loss_and_delay_end_in_the_exact_picture_without_a_keyframe() {
    for seed in 1..20 {
        let mut pair = Pair::new(Instant::now(), seed, lossy(), ServerConfig::default());
        typing(&mut pair, 60);
        pair.settle(ms(5000));
        pair.check_settled().unwrap();
        // QUIC resends lost packets: the frames arrive late, never missing.
        assert_eq!(pair.log.keyframes_sent, 1, "seed {seed}");
    }
}

#[test]
fn frames_that_overtake_each_other_are_applied_in_order() {
    let network = Network {
        latency: ms(5),
        jitter: ms(40),
        loss: 0.0,
    };
    let config = ServerConfig {
        frames_in_flight: 8,
        ..ServerConfig::default()
    };
    let mut pair = Pair::new(Instant::now(), 7, network, config);
    for i in 0..200 {
        pair.apply(&Op::Damage {
            cell: i,
            value: (i * 3) as u8,
        });
        pair.apply(&Op::Advance(ms(2)));
    }
    pair.settle(ms(3000));
    pair.check_settled().unwrap();
    assert!(
        pair.log.max_in_flight > 2,
        "frames really were in flight together"
    );
}

#[test]
fn a_decode_error_asks_for_a_keyframe_and_keeps_the_connection() {
    let mut pair = Pair::new(Instant::now(), 3, lan(), ServerConfig::default());
    typing(&mut pair, 5);
    pair.apply(&Op::CorruptNextFrame);
    typing(&mut pair, 5);
    pair.settle(ms(2000));
    pair.check_settled().unwrap();
    assert!(pair.viewer.is_attached(), "no reconnect");
    assert_eq!(pair.log.keyframe_requests, 1);
    assert_eq!(pair.log.keyframes_sent, 2);
}

#[test]
fn a_lost_frame_followed_by_others_is_recovered_by_a_keyframe() {
    let mut pair = Pair::new(Instant::now(), 4, lan(), ServerConfig::default());
    typing(&mut pair, 3);
    pair.apply(&Op::DropNextFrame);
    typing(&mut pair, 3);
    pair.settle(ms(2000));
    pair.check_settled().unwrap();
    assert_eq!(pair.log.keyframes_sent, 2);
}

#[test]
fn a_lost_last_frame_cannot_freeze_the_picture() {
    // With one frame in flight, a lost frame that nothing follows leaves the viewer no gap to
    // see; the server gives the frame up after its ack timeout.
    let config = ServerConfig {
        frames_in_flight: 1,
        ..ServerConfig::default()
    };
    let timeout = config.ack_timeout.unwrap_or(Duration::from_secs(2));
    let mut pair = Pair::new(Instant::now(), 5, lan(), config);
    typing(&mut pair, 2);
    pair.apply(&Op::DropNextFrame);
    pair.apply(&Op::Damage { cell: 3, value: 99 });
    pair.apply(&Op::Damage { cell: 4, value: 98 });
    pair.run_for(ms(100));
    assert_ne!(pair.picture, pair.screen, "the frame was lost");
    pair.settle(timeout + ms(500));
    pair.check_settled().unwrap();
}

#[test]
fn a_keyframe_request_flood_reaches_the_session_at_a_bounded_rate() {
    let mut pair = Pair::new(Instant::now(), 6, lan(), ServerConfig::default());
    pair.run_for(ms(10));
    let start = pair.log.keyframe_requests;
    for _ in 0..1000 {
        pair.server
            .handle_message(pair.now, ControlMessage::KeyframeRequest);
        pair.apply(&Op::Advance(ms(1)));
    }
    let forwarded = pair.log.keyframe_requests - start;
    // A burst of 10 (one went to the first keyframe's recovery budget at most), then one per
    // 100 ms over one second, and the last one held is still served.
    assert!((18..=21).contains(&forwarded), "{forwarded} forwarded");
    pair.settle(ms(1000));
    pair.check_settled().unwrap();
}

#[test]
fn resizes_are_clamped_and_the_newest_of_a_burst_wins() {
    let mut pair = Pair::new(Instant::now(), 8, lan(), ServerConfig::default());
    pair.run_for(ms(10));
    for w in 1..=100 {
        pair.apply(&Op::Resize(100 + w, 100));
    }
    pair.apply(&Op::Resize(16384, 16384));
    pair.run_for(ms(500));
    let last = *pair.log.resizes.last().unwrap();
    assert_eq!((last.width, last.height), (7680, 4320));
    assert!(pair.log.resizes.len() <= 3, "{:?}", pair.log.resizes);
}

fn server_attached(now: Instant) -> ServerConnection {
    let mut server = ServerConnection::new(now, ServerConfig::default());
    server.handle_hello(now, &hello_body(crate::PROTOCOL_VERSION));
    server.handle_message(
        now,
        ControlMessage::Attach(crate::messages::control::Attach {
            token: crate::secret::Token::new("t".into()),
            preferred_mode: None,
        }),
    );
    let mode = OutputMode {
        width: 64,
        height: 64,
        scale_120: 120,
    };
    server.accept("s".into(), mode, None);
    while server.poll_transmit().is_some() {}
    while server.poll_event().is_some() {}
    server
}

fn hello_body(version: u16) -> Vec<u8> {
    let hello = ControlMessage::Hello(Hello {
        protocol_version: version,
        capabilities: Capabilities::implemented(),
        client: PeerInfo::default(),
    });
    encode_frame_to_vec(&hello).unwrap()[LENGTH_PREFIX..].to_vec()
}

fn closed_with(server: &mut ServerConnection) -> Option<Close> {
    std::iter::from_fn(|| server.poll_event()).find_map(|e| match e {
        ServerEvent::Closed(c) => Some(c),
        _ => None,
    })
}

#[test]
fn an_ack_for_a_frame_never_sent_closes_with_a_protocol_error() {
    let now = Instant::now();
    let mut server = server_attached(now);
    server.frame_sent(now, 5, true);
    let ack = |sequence| ControlMessage::FrameAck(FrameAck { sequence });
    server.handle_message(now, ack(5));
    server.handle_message(now, ack(4)); // old and duplicated acks are harmless
    server.handle_message(now, ack(5));
    assert!(server.is_attached());
    server.handle_message(now, ack(u64::MAX));
    let close = closed_with(&mut server).unwrap();
    assert_eq!(close.reason, DisconnectReason::ProtocolError);
    assert!(matches!(
        server.poll_transmit(),
        Some(ControlMessage::Disconnect(_))
    ));
}

#[test]
fn a_silent_peer_is_closed_at_the_handshake_deadline() {
    let now = Instant::now();
    let mut server = ServerConnection::new(now, ServerConfig::default());
    let deadline = server.poll_timeout().unwrap();
    assert_eq!(deadline, now + Duration::from_secs(10));
    server.handle_timeout(deadline);
    let close = closed_with(&mut server).unwrap();
    assert_eq!(close.reason, DisconnectReason::Timeout);
}

#[test]
fn a_future_version_and_messages_out_of_order_are_refused() {
    let now = Instant::now();
    let mut server = ServerConnection::new(now, ServerConfig::default());
    server.handle_hello(now, &hello_body(crate::PROTOCOL_VERSION + 1));
    let close = closed_with(&mut server).unwrap();
    assert_eq!(close.reason, DisconnectReason::UnsupportedVersion);

    let mut server = ServerConnection::new(now, ServerConfig::default());
    server.handle_hello(now, &hello_body(crate::PROTOCOL_VERSION));
    let key = InputMessage::Key(Key {
        time_ms: 0,
        code: 30,
        state: ButtonState::Pressed,
    });
    server.handle_input(now, key);
    let close = closed_with(&mut server).unwrap();
    assert_eq!(close.reason, DisconnectReason::ProtocolError);
    assert_eq!(close.message, "input before attaching");

    let mut server = ServerConnection::new(now, ServerConfig::default());
    server.handle_hello(now, &hello_body(crate::PROTOCOL_VERSION));
    server.handle_message(now, ControlMessage::KeyframeRequest);
    let close = closed_with(&mut server).unwrap();
    assert_eq!(close.message, "unexpected KeyframeRequest before attaching");
}

#[test]
fn the_viewer_refuses_a_server_that_skips_the_hello() {
    let now = Instant::now();
    let token = crate::secret::Token::new("t".into());
    let mut viewer = ViewerConnection::new(now, ViewerConfig::new(token));
    let attached = crate::messages::control::Attached {
        session_id: "s".into(),
        mode: OutputMode {
            width: 1,
            height: 1,
            scale_120: 120,
        },
        desk_token: None,
    };
    viewer.handle_message(now, ControlMessage::Attached(attached));
    let closed = std::iter::from_fn(|| viewer.poll_event()).find_map(|e| match e {
        ViewerEvent::Closed(c) => Some(c),
        _ => None,
    });
    assert_eq!(closed.unwrap().reason, DisconnectReason::ProtocolError);
}

#[test]
fn frames_piling_up_behind_a_missing_one_are_bounded_in_bytes() {
    use crate::messages::display::{Codec, FrameUpdate, RegionUpdate};
    use crate::{DisplayMessage, Rect};
    let now = Instant::now();
    let mut viewer = super::login_tests::attached_viewer(now);
    let frame = |sequence: u64, keyframe: bool| {
        DisplayMessage::FrameUpdate(FrameUpdate {
            sequence,
            output_width: 800,
            output_height: 600,
            keyframe,
            regions: vec![RegionUpdate {
                rect: Rect::new(0, 0, 800, 600),
                codec: Codec::RawZstd,
                payload: vec![0; 40 * 1024 * 1024],
            }],
        })
    };
    viewer.handle_display(now, frame(1, true), 0);
    // Frame 2 never comes; 3.. are 40 MiB each, more than the 256 MiB kept waiting.
    for sequence in 3..12 {
        viewer.handle_display(now, frame(sequence, false), sequence);
    }
    let keyframe_asked = std::iter::from_fn(|| viewer.poll_transmit())
        .any(|m| matches!(m, ControlMessage::KeyframeRequest));
    assert!(
        keyframe_asked,
        "frames were dropped and a keyframe asked for"
    );
    assert!(viewer.pending_bytes() <= 256 * 1024 * 1024);
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..CELLS, any::<u8>()).prop_map(|(cell, value)| Op::Damage { cell, value }),
        3 => (0u64..200).prop_map(|n| Op::Advance(ms(n))),
        1 => (1u32..9000, 1u32..5000).prop_map(|(w, h)| Op::Resize(w, h)),
        1 => Just(Op::RequestKeyframe),
        1 => (0u32..255).prop_map(Op::Key),
        1 => Just(Op::DropNextFrame),
        1 => Just(Op::CorruptNextFrame),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Whatever happens, in any order, over any network: the window stays bounded, nobody
    /// commits a protocol error, and once things settle the viewer shows the exact screen.
    #[test]
    fn any_sequence_of_operations_ends_in_the_exact_picture(
        ops in prop::collection::vec(op(), 1..120),
        seed in any::<u64>(),
        latency in 0u64..60,
        jitter in 0u64..40,
        loss in 0.0f64..0.2,
        window in 1usize..6,
    ) {
        let network = Network { latency: ms(latency), jitter: ms(jitter), loss };
        let config = ServerConfig { frames_in_flight: window, ..ServerConfig::default() };
        let mut pair = Pair::new(Instant::now(), seed, network, config);
        for op in &ops {
            pair.apply(op);
            prop_assert_eq!(pair.check(), Ok(()));
        }
        pair.settle(Duration::from_secs(20));
        prop_assert_eq!(pair.check_settled(), Ok(()));
        prop_assert!(pair.viewer.is_attached());
    }
}

#[test]
fn a_token_attach_shows_the_first_frame_one_round_trip_after_the_hello() {
    let network = Network {
        latency: ms(25),
        jitter: ms(0),
        loss: 0.0,
    };
    let start = Instant::now();
    let mut pair = Pair::new(start, 7, network, ServerConfig::default());
    pair.settle(ms(2000));
    pair.check_settled().unwrap();
    // The attach travels with the hello: hello and attach out, server hello, attached and
    // the keyframe back. (Waiting for the server hello first took a round trip more.)
    let first = pair.log.first_frame.expect("a first frame") - start;
    assert!(
        first >= ms(50) && first < ms(75),
        "first frame after {first:?}"
    );
    assert_eq!(pair.log.keyframes_sent, 1);
}

#[test]
fn a_viewer_measuring_round_trips_through_its_transport_never_pings() {
    use super::login_tests::{exchange, mode};
    let now = Instant::now();
    let mut config = ViewerConfig::with_credentials(Credentials::Login {
        user: "alice".into(),
        password: crate::secret::Secret::new("pw".into()),
    });
    config.ping_interval = None;
    let mut viewer = ViewerConnection::new(now, config);
    let mut server = ServerConnection::new(now, ServerConfig::default());
    exchange(now, &mut viewer, &mut server);
    server.accept("7".into(), mode(), None);
    exchange(now, &mut viewer, &mut server);
    assert!(viewer.is_attached());
    for second in 1..=30 {
        viewer.handle_timeout(now + Duration::from_secs(second));
    }
    let sent: Vec<ControlMessage> = std::iter::from_fn(|| viewer.poll_transmit()).collect();
    assert!(
        !sent.iter().any(|m| matches!(m, ControlMessage::Ping(_))),
        "{sent:?}"
    );
    assert_eq!(viewer.rtt(), None);
    for rtt in [3, 1, 2] {
        viewer.transport_rtt(ms(rtt));
    }
    assert_eq!(viewer.rtt(), Some(ms(2)));
}

#[test]
fn a_reported_refresh_rate_reaches_a_server_that_paces_and_no_other() {
    use super::login_tests::{exchange, mode};
    let now = Instant::now();
    let attached = |server_caps: Capabilities| {
        let mut config = ViewerConfig::with_credentials(Credentials::Login {
            user: "alice".into(),
            password: crate::secret::Secret::new("pw".into()),
        });
        config.refresh_millihertz = Some(144_000);
        let mut viewer = ViewerConnection::new(now, config);
        let mut server = ServerConnection::new(
            now,
            ServerConfig {
                capabilities: server_caps,
                ..ServerConfig::default()
            },
        );
        exchange(now, &mut viewer, &mut server);
        server.accept("7".into(), mode(), None);
        while let Some(msg) = server.poll_transmit() {
            viewer.handle_message(now, msg);
        }
        (viewer, server)
    };
    let sent = |viewer: &mut ViewerConnection| -> Vec<u32> {
        std::iter::from_fn(|| viewer.poll_transmit())
            .filter_map(|m| match m {
                ControlMessage::RefreshRate(r) => Some(r),
                _ => None,
            })
            .collect()
    };
    let (mut viewer, mut server) = attached(Capabilities::implemented());
    assert_eq!(sent(&mut viewer), vec![144_000], "told once attached");
    server.handle_message(now, ControlMessage::RefreshRate(144_000));
    let events: Vec<ServerEvent> = std::iter::from_fn(|| server.poll_event()).collect();
    assert!(
        events.contains(&ServerEvent::Refresh(144_000)),
        "{events:?}"
    );
    // The same rate again is not sent; another one is.
    viewer.report_refresh(144_000);
    viewer.report_refresh(60_000);
    assert_eq!(sent(&mut viewer), vec![60_000]);

    let without = Capabilities::from_bits(
        Capabilities::implemented().bits() & !Capabilities::REFRESH_RATE.bits(),
    );
    let (mut viewer, mut server) = attached(without);
    assert!(sent(&mut viewer).is_empty(), "an older server is not told");
    server.handle_message(now, ControlMessage::RefreshRate(60_000));
    assert!(
        closed_with(&mut server).is_some(),
        "unoffered messages close"
    );
}
