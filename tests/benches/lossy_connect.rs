//! Connect → first frame through a shaping relay (these kernels have no netem): a viewer
//! attaches to a running session (foot at 640×480) on a daemon on loopback, again and again,
//! over three links: loopback as it is, 25 ms each way, and 25 ms each way with 5 % of the
//! datagrams lost in both directions (a fixed seed). Each attach is a new QUIC connection with
//! its TLS handshake, hello, token and the session's keyframe; it counts from the dial to the
//! first frame applied.
//!
//! Run with the binaries it starts built in the same profile: `cargo build --release -p
//! wayray-server -p wayray-client -p wayray-ctl && cargo bench -p wayray-tests --bench
//! lossy_connect`. `WAYRAY_BENCH_ATTACHES` sets the attaches per link (default 60).

use std::time::{Duration, Instant};

use wayray_client::Viewer;
use wayray_tests::daemon::Daemon;
use wayray_tests::relay::{Shape, start_shaped};

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// Dial → attached, and dial → first frame.
async fn first_frame(
    daemon: &Daemon,
    token: &str,
    via: std::net::SocketAddr,
) -> (Duration, Duration) {
    let mut options = daemon.viewer_options(token);
    options.server = via;
    let start = Instant::now();
    let mut viewer = Viewer::connect(&options).await.expect("viewer attaches");
    let attached = start.elapsed();
    while viewer.framebuffer.width() == 0 {
        viewer.next_update().await.expect("the first frame arrives");
    }
    let first = start.elapsed();
    viewer.disconnect().await;
    (attached, first)
}

fn main() {
    let attaches: usize = std::env::var("WAYRAY_BENCH_ATTACHES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(60);
    let log = std::env::var("WAYRAY_BENCH_LOG").unwrap_or_else(|_| "warn".into());
    let daemon = Daemon::start_with("bench-lossy", "", "640x480", &log).expect("daemon");
    let (_, token) = daemon.issue_token();
    daemon.view_first_frame(&token);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let links = [
        ("loopback", Shape::default()),
        (
            "25 ms each way",
            Shape {
                delay: Duration::from_millis(25),
                ..Shape::default()
            },
        ),
        (
            "25 ms each way, 5 % loss",
            Shape {
                delay: Duration::from_millis(25),
                loss: 0.05,
                ..Shape::default()
            },
        ),
    ];
    println!("connect -> first frame, {attaches} attaches per link (ms)");
    println!("| link | attached p50 | first frame p50 | p90 | max |");
    println!("|---|---|---|---|---|");
    for (name, shape) in links {
        let (mut attached, mut times) = rt.block_on(async {
            let relay = start_shaped(daemon.addr, shape).await;
            let mut attached = Vec::with_capacity(attaches);
            let mut times = Vec::with_capacity(attaches);
            for _ in 0..attaches {
                let (attach, frame) = first_frame(&daemon, &token, relay.addr).await;
                attached.push(attach.as_secs_f64() * 1000.0);
                times.push(frame.as_secs_f64() * 1000.0);
                // The daemon notices the previous viewer left before the next arrives.
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            (attached, times)
        });
        if std::env::var_os("WAYRAY_BENCH_VERBOSE").is_some() {
            let each: Vec<String> = times.iter().map(|t| format!("{t:.0}")).collect();
            println!("{name}: {}", each.join(" "));
        }
        attached.sort_by(f64::total_cmp);
        times.sort_by(f64::total_cmp);
        println!(
            "| {name} | {:.0} | {:.0} | {:.0} | {:.0} |",
            percentile(&attached, 0.5),
            percentile(&times, 0.5),
            percentile(&times, 0.9),
            times[times.len() - 1]
        );
    }
    if let Some(path) = std::env::var_os("WAYRAY_BENCH_LOG_FILE") {
        std::fs::write(path, daemon.logs()).expect("write the daemon's log");
    }
}
