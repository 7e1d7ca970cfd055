//! The daemon's figures, on loopback with real session processes running foot:
//!
//! - hot-desking: a new viewer connects with a session's token → its first full frame, over
//!   60 moves at 1920×1080;
//! - memory (RSS) of an idle session process with foot (foot not counted);
//! - how many concurrent sessions this machine holds while each gets a keystroke a second
//!   with p99 keystroke → changed pixels below 20 ms.
//!
//! Run (the binaries the daemon starts must be built with the same profile):
//! `cargo build --release -p wayray-server -p wayray-ctl && cargo bench -p wayray-tests --bench daemon`
//! (append `-- hot-desk` for the hot-desk and memory figures alone).

use std::time::{Duration, Instant};

use wayray_client::Viewer;
use wayray_tests::daemon::Daemon;
use wayray_tests::keys::typist;

const MOVES: usize = 60;
const TARGET_P99_MS: f64 = 20.0;
const SECONDS_PER_STEP: u64 = 15;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

async fn first_frame(viewer: &mut Viewer) {
    while viewer.frames == 0 {
        viewer.next_update().await.expect("first frame");
    }
}

/// A `kB` field of a /proc file.
fn kib(file: &str, field: &str) -> u64 {
    file.lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no {field}"))
}

/// RSS, its anonymous part, and PSS of a process, in KiB.
fn memory(pid: u64) -> (u64, u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).expect("smaps");
    (
        kib(&status, "VmRSS:"),
        kib(&status, "RssAnon:"),
        kib(&rollup, "Pss:"),
    )
}

/// Hot-desk samples (sorted, ms), the idle session's memory, and the time from connecting to
/// that idle session (its encoder parked) to the first full frame (ms).
async fn hot_desk() -> (Vec<f64>, (u64, u64, u64), f64) {
    let daemon = Daemon::start_with("bench-hotdesk", "", "1920x1080", "warn").expect("daemon");
    let (_, token) = daemon.issue_token();
    let mut current = Viewer::connect(&daemon.viewer_options(&token))
        .await
        .expect("connect");
    first_frame(&mut current).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut samples = Vec::new();
    for _ in 0..MOVES {
        let t = Instant::now();
        let mut next = Viewer::connect(&daemon.viewer_options(&token))
            .await
            .expect("move");
        first_frame(&mut next).await;
        samples.push(t.elapsed().as_secs_f64() * 1000.0);
        drop(std::mem::replace(&mut current, next));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    current.disconnect().await;
    // Idle: no viewer, nothing changes; the session process alone (foot is its own process).
    // Measured well after the 2 s grace period and the drain that follows it (up to 1 s).
    tokio::time::sleep(Duration::from_secs(5)).await;
    let pid = daemon.sessions()[0]["pid"].as_u64().expect("pid");
    let idle = memory(pid);
    let t = Instant::now();
    let mut back = Viewer::connect(&daemon.viewer_options(&token))
        .await
        .expect("attach to the idle session");
    first_frame(&mut back).await;
    let unpark_ms = t.elapsed().as_secs_f64() * 1000.0;
    back.disconnect().await;
    samples.sort_by(f64::total_cmp);
    (samples, idle, unpark_ms)
}

async fn concurrent(daemon: &Daemon, viewers: &mut Vec<Viewer>, n: usize) -> f64 {
    while viewers.len() < n {
        let (_, token) = daemon.issue_token();
        let mut viewer = Viewer::connect(&daemon.viewer_options(&token))
            .await
            .expect("connect");
        first_frame(&mut viewer).await;
        viewers.push(viewer);
    }
    // Let every foot start and settle before measuring.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mut settled = Vec::new();
    for mut v in viewers.drain(..) {
        let _ = v
            .settle(
                Duration::from_millis(300),
                Instant::now() + Duration::from_secs(5),
            )
            .await;
        settled.push(v);
    }
    let until = Instant::now() + Duration::from_secs(SECONDS_PER_STEP);
    let tasks: Vec<_> = settled
        .into_iter()
        .map(|v| tokio::spawn(typist(v, until, Duration::from_secs(1))))
        .collect();
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.expect("typist"));
    }
    all.sort_by(f64::total_cmp);
    percentile(&all, 0.99)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let (moves, rss, unpark_ms) = hot_desk().await;
    println!("| figure | value |");
    println!("|---|---|");
    println!(
        "| hot-desk: new viewer's connect → first full frame 1920×1080, p50 of {} moves | {:.1} ms |",
        moves.len(),
        percentile(&moves, 0.5)
    );
    println!(
        "| hot-desk, p90 / max | {:.1} / {:.1} ms |",
        percentile(&moves, 0.9),
        moves[moves.len() - 1]
    );
    let mb = |k: u64| k as f64 / 1024.0;
    println!(
        "| idle session process with foot (1920×1080, foot not counted): RSS / anonymous / PSS | {:.1} / {:.1} / {:.1} MB |",
        mb(rss.0),
        mb(rss.1),
        mb(rss.2)
    );
    println!("| attaching to that idle session: connect → first full frame | {unpark_ms:.1} ms |");
    if std::env::args().any(|a| a == "hot-desk") {
        return;
    }

    // Sessions are added in steps; each step reconnects fresh viewers to every session.
    let daemon = Daemon::start_with("bench-concurrent", "", "1280x720", "warn").expect("daemon");
    let mut held = 0;
    let mut tokens = Vec::new();
    for n in [1usize, 2, 4, 8, 16, 24, 32, 48, 64] {
        while tokens.len() < n {
            tokens.push(daemon.issue_token().1);
        }
        let mut viewers = Vec::new();
        for token in &tokens {
            let mut viewer = Viewer::connect(&daemon.viewer_options(token))
                .await
                .expect("connect");
            first_frame(&mut viewer).await;
            viewers.push(viewer);
        }
        let p99 = concurrent(&daemon, &mut viewers, n).await;
        println!("| {n} concurrent sessions, keystroke p99 | {p99:.1} ms |");
        if p99 >= TARGET_P99_MS {
            break;
        }
        held = n;
    }
    println!(
        "| concurrent sessions held with keystroke p99 < {TARGET_P99_MS} ms (1280×720 each) | {held} |"
    );
}
