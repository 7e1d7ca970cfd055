//! The server pool, end to end on a real 3-member etcd (loopback, tmpfs) and two real daemons:
//!
//! - attach through a redirect: a viewer (the library, in this process) connects to server B,
//!   is sent to A, which holds its session, and shows A's first frame — against connecting to
//!   A directly (p50 and p90 of 20 each);
//! - etcd requests per attach (both servers together; leases of 300 s keep membership traffic
//!   out of the count): a redirected attach, a direct one, and a token's first attach;
//! - failover: server A (holding the session) killed with SIGKILL; a viewer retrying at B every
//!   100 ms (each try allowing a server 1 s to answer) until a new session's first frame —
//!   with leases of 3 s and of 10 s (the default).
//!
//! Run with the binaries it starts built in the same profile: `cargo build --release -p
//! wayray-server -p wayray-client -p wayray-ctl && cargo bench -p wayray-tests --bench pool`.

use std::time::{Duration, Instant};

use wayray_client::Viewer;
use wayray_tests::daemon::Daemon;
use wayray_tests::etcd::EtcdCluster;
use wayray_tests::viewing::first_frame;

const ROUNDS: usize = 20;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// Waits until `daemon` sees the servers `ids` alive (servers of earlier rounds may linger
/// until their leases lapse).
fn both_alive(daemon: &Daemon, ids: [&str; 2]) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let servers = daemon.ctl_json(&["pool", "servers"]);
        let alive = servers
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["alive"] == true && ids.iter().any(|id| s["id"] == *id))
            .count();
        if alive == 2 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the pool did not form: {servers}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn etcd_requests(daemon: &Daemon) -> u64 {
    daemon.ctl_json(&["status"])["pool"]["etcd_requests"]
        .as_u64()
        .unwrap()
}

/// Connects with `token` through `via` and waits for the first frame; milliseconds.
async fn attach_ms(via: &Daemon, token: &str) -> f64 {
    let start = Instant::now();
    let mut viewer = Viewer::connect(&via.viewer_options(token))
        .await
        .expect("attach");
    first_frame(&mut viewer).await;
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    viewer.disconnect().await;
    ms
}

fn summary(label: &str, mut samples: Vec<f64>) {
    samples.sort_by(f64::total_cmp);
    println!(
        "{label:<34} p50 {:7.1} ms   p90 {:7.1} ms   ({} runs)",
        percentile(&samples, 0.5),
        percentile(&samples, 0.9),
        samples.len()
    );
}

async fn redirects(cluster: &EtcdCluster) {
    let a = cluster.pool_member("a", 300).expect("daemon a");
    let b = cluster.pool_member("b", 300).expect("daemon b");
    both_alive(&b, ["a", "b"]);
    let (_, token) = a.issue_token();
    attach_ms(&a, &token).await; // the session starts on A
    tokio::time::sleep(Duration::from_secs(2)).await; // foot has drawn
    let before = etcd_requests(&a) + etcd_requests(&b);
    let mut direct = Vec::new();
    for _ in 0..ROUNDS {
        direct.push(attach_ms(&a, &token).await);
    }
    let middle = etcd_requests(&a) + etcd_requests(&b);
    let mut redirected = Vec::new();
    for _ in 0..ROUNDS {
        redirected.push(attach_ms(&b, &token).await);
    }
    let after = etcd_requests(&a) + etcd_requests(&b);
    summary("attach at the holding server", direct);
    summary("attach through a redirect", redirected);
    println!(
        "etcd requests per attach: direct {:.1}, redirected {:.1} (both servers)",
        (middle - before) as f64 / ROUNDS as f64,
        (after - middle) as f64 / ROUNDS as f64
    );
    // A token's first attach: the token looked up, placement, the claim, the session started
    // and registered.
    let tokens: Vec<String> = (0..4).map(|_| b.issue_token().1).collect();
    tokio::time::sleep(Duration::from_millis(500)).await; // the tokens are published
    let before = etcd_requests(&a) + etcd_requests(&b);
    for token in &tokens {
        attach_ms(&b, token).await;
    }
    let after = etcd_requests(&a) + etcd_requests(&b);
    println!(
        "etcd requests per new session: {:.1} (both servers)",
        (after - before) as f64 / tokens.len() as f64
    );
}

async fn failover(cluster: &EtcdCluster, ttl: u64, rounds: usize) {
    let mut samples = Vec::new();
    for round in 0..rounds {
        let (id_a, id_b) = (format!("fa{ttl}-{round}"), format!("fb{ttl}-{round}"));
        let mut a = cluster.pool_member(&id_a, ttl).expect("daemon a");
        let b = cluster.pool_member(&id_b, ttl).expect("daemon b");
        both_alive(&b, [&id_a, &id_b]);
        let (_, token) = a.issue_token();
        let mut viewer = Viewer::connect(&a.viewer_options(&token))
            .await
            .expect("attach");
        first_frame(&mut viewer).await;
        let pids = a.session_pids();
        let killed = Instant::now();
        a.kill();
        // The desk retries at B until the pool gives it a new session there.
        let ms = loop {
            let mut options = b.viewer_options(&token);
            // Until A's lease lapses B still sends the desk there: each try gives a dead
            // server 1 s.
            options.timeout = Duration::from_secs(1);
            let attempt =
                tokio::time::timeout(Duration::from_secs(5), Viewer::connect(&options)).await;
            if let Ok(Ok(mut viewer)) = attempt {
                first_frame(&mut viewer).await;
                break killed.elapsed().as_secs_f64() * 1000.0;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        samples.push(ms);
        for pid in pids {
            wayray_tests::daemon::kill_hard(u64::from(pid));
        }
        drop(viewer);
    }
    summary(&format!("failover, lease {ttl} s"), samples);
}

fn main() {
    let cluster = EtcdCluster::start("bench-pool", 3).expect("etcd is installed");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        redirects(&cluster).await;
        failover(&cluster, 3, 3).await;
        failover(&cluster, 10, 2).await;
    });
}
