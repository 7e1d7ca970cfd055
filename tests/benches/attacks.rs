//! Reliability figures: a real viewer's keystroke → changed pixels latency on a daemon (foot
//! at 640×480, loopback, a new session per phase) while a raw QUIC peer on 127.0.0.2 attacks
//! it, 10 s per phase, and how much the daemon's resident memory grew:
//!
//! - no attack (the baseline);
//! - a flood of bad tokens (30 attaches a second);
//! - a flood of connections that never attach (16 held pending, more tried every 20 ms);
//! - a viewer attached to another, busy session that never reads what it is sent.
//!
//! Run with the binaries it starts built in the same profile: `cargo build --release -p
//! wayray-server -p wayray-client -p wayray-ctl && cargo bench -p wayray-tests --bench attacks`.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use wayray_tests::daemon::Daemon;
use wayray_tests::keys::typist;
use wayray_tests::programs::rss_kib;
use wayray_tests::raw_quic::connect;
use wayray_tests::viewing::attach;

const PHASE: Duration = Duration::from_secs(10);

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn rss_mib(pid: u32) -> f64 {
    rss_kib(pid) as f64 / 1024.0
}

#[derive(Clone, Copy)]
enum Attack {
    None,
    BadTokens,
    Pending,
    NeverReads,
}

/// Runs `attack` from 127.0.0.2 until `until`; returns how many attempts it made.
async fn run(attack: Attack, daemon: (SocketAddr, String), other: String, until: Instant) -> usize {
    let flood: SocketAddr = "127.0.0.2:0".parse().expect("address");
    let (addr, fingerprint) = daemon;
    let mut attempts = 0;
    let mut held = Vec::new();
    while Instant::now() < until {
        attempts += 1;
        match attack {
            Attack::None => tokio::time::sleep(Duration::from_millis(100)).await,
            Attack::BadTokens => {
                if let Ok(peer) = connect(addr, &fingerprint, flood).await {
                    let _ = peer.present_token("not-a-token").await;
                }
                tokio::time::sleep(Duration::from_millis(33)).await;
            }
            Attack::Pending => {
                if let Ok(peer) = connect(addr, &fingerprint, flood).await {
                    held.push(peer);
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Attack::NeverReads => {
                if held.is_empty() {
                    let peer = connect(addr, &fingerprint, flood).await.expect("TLS");
                    peer.present_token(&other).await.expect("attached");
                    held.push(peer);
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    attempts
}

fn main() {
    let daemon = Daemon::start_with("bench-attacks", "", "640x480", "warn").expect("daemon");
    let (_, other) = daemon.issue_token();
    // The other session redraws all the time, so a viewer that never reads has frames waiting.
    daemon.view_first_frame(&other);
    let other_id = daemon.sessions()[0]["id"].to_string();
    let busy = ["foot", "sh", "-c", "while :; do ls -R /usr; done"];
    let mut run_args = vec!["session", "run", &other_id, "--"];
    run_args.extend(busy);
    daemon.ctl_json(&run_args);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let phases = [
        ("no attack", Attack::None),
        ("bad tokens", Attack::BadTokens),
        ("pending connections", Attack::Pending),
        ("a viewer that never reads", Attack::NeverReads),
    ];
    runtime.block_on(async {
        for (what, attack) in phases {
            // A session of its own per phase: each starts from the same fresh foot.
            let (_, mine) = daemon.issue_token();
            let mut viewer = attach(&daemon, &mine).await;
            viewer
                .settle(
                    Duration::from_millis(300),
                    Instant::now() + Duration::from_secs(5),
                )
                .await
                .expect("settles");
            let before = rss_mib(daemon.pid());
            let until = Instant::now() + PHASE;
            let target = (daemon.addr, daemon.fingerprint.clone());
            // The attacker has a runtime of its own: it must not slow the measuring viewer's.
            let other = other.clone();
            let attacker = std::thread::spawn(move || {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime")
                    .block_on(run(attack, target, other, until))
            });
            let mut samples = typist(viewer, until, Duration::from_millis(100)).await;
            let attempts = attacker.join().expect("attacker");
            samples.sort_by(f64::total_cmp);
            println!(
                "{what} ({attempts} attempts): keystroke → pixels p50 {:.1} ms, p99 {:.1} ms \
                 over {} keys; daemon RSS {:.1} → {:.1} MiB",
                percentile(&samples, 0.5),
                percentile(&samples, 0.99),
                samples.len(),
                before,
                rss_mib(daemon.pid())
            );
        }
    });
}
