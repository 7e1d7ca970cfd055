//! Load: 20 sessions (foot at 640×480) on one daemon, each with its own viewer over QUIC on
//! loopback, for 2 minutes: ten viewers type ten keys a second (each timed to the frame that
//! shows it), ten watch a terminal that scrolls a screenful four times a second. Reports the
//! keystroke → pixels latency, lost keys, errors, and the server side's CPU and memory (the
//! daemon, the session processes and their applications; PSS).
//!
//! Run with the binaries it starts built in the same profile: `cargo build --release -p
//! wayray-server -p wayray-client -p wayray-ctl && cargo bench -p wayray-tests --bench load`.
//! `WAYRAY_LOAD_SESSIONS` and `WAYRAY_LOAD_SECS` change the size (default 20 and 120). The
//! viewers run in this process, on the same 2 cores as the server.

use std::time::Duration;

use wayray_tests::daemon::Daemon;

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let sessions = env("WAYRAY_LOAD_SESSIONS", 20) as usize;
    let secs = env("WAYRAY_LOAD_SECS", 120);
    let daemon = Daemon::start_with("bench-load", "", "640x480", "warn").expect("daemon");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let report = rt.block_on(wayray_tests::load::run(
        &daemon,
        sessions,
        Duration::from_secs(secs),
    ));
    println!(
        "{} sessions, {secs} s: keystroke → pixels p50 {:.1} ms, p99 {:.1} ms over {} keys \
         ({} lost); {} scrolling frames; server CPU {:.0} % of a core; server PSS {:.0} → {:.0} MiB; \
         {} sessions running after; errors: {:?}",
        report.sessions,
        report.key_percentile(0.5),
        report.key_percentile(0.99),
        report.keys.len(),
        report.lost_keys(),
        report.scroll_frames,
        report.cpu_percent,
        report.memory_mib.0,
        report.memory_mib.1,
        report.alive_after,
        report.errors
    );
}
