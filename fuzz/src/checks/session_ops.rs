//! Drives a viewer and a server state machine against each other through a sequence of
//! operations chosen by the fuzzer (screen changes, time passing, resizes, keyframe requests,
//! keys, dropped and corrupt frames) over a network whose latency, jitter and loss the fuzzer
//! also picks. After every operation the in-flight window must hold and neither side may
//! commit a protocol error; once things settle the viewer must show the session's exact
//! screen. Any panic or failed check is a bug in the session logic.

use std::time::{Duration, Instant};

use wayray_protocol::session::ServerConfig;
use wayray_protocol::session::sim::{Network, Op, Pair};

/// One input; panics on a bug.
pub fn check(data: &[u8]) {
    let Some((head, rest)) = data.split_first_chunk::<6>() else {
        return;
    };
    let network = Network {
        latency: Duration::from_millis(u64::from(head[0] % 80)),
        jitter: Duration::from_millis(u64::from(head[1] % 50)),
        loss: f64::from(head[2] % 30) / 100.0,
    };
    let config = ServerConfig {
        frames_in_flight: usize::from(head[3] % 6) + 1,
        ..ServerConfig::default()
    };
    let seed = u64::from(u16::from_le_bytes([head[4], head[5]]));
    let mut pair = Pair::new(Instant::now(), seed, network, config);
    for op in Op::parse(rest).iter().take(400) {
        pair.apply(op);
        if let Err(err) = pair.check() {
            panic!("{err}");
        }
    }
    pair.settle(Duration::from_secs(30));
    if let Err(err) = pair.check_settled() {
        panic!("{err}");
    }
}
