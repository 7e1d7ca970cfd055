//! Idle cost of a session: a 1920x1080 session with foot open and nothing happening. Measures,
//! over 10 seconds, the compositor thread's wakeups (context switches) and CPU time from
//! /proc. Target: about zero wakeups per second.
//!
//! Run: `cargo bench -p wayray-tests --bench idle`

use std::time::{Duration, Instant};

use wayray_tests::fixture::Fixture;
use wayray_tests::programs::require;

/// (context switches, CPU ticks) of the thread named `name` in this process.
fn thread_counters(name: &str) -> Option<(u64, u64)> {
    for task in std::fs::read_dir("/proc/self/task").ok()?.flatten() {
        let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
        if comm.trim() != name {
            continue;
        }
        let status = std::fs::read_to_string(task.path().join("status")).ok()?;
        let switches: u64 = status
            .lines()
            .filter(|l| l.contains("ctxt_switches"))
            .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
            .sum();
        let stat = std::fs::read_to_string(task.path().join("stat")).ok()?;
        let after_comm = stat.rsplit_once(')')?.1;
        let fields: Vec<&str> = after_comm.split_whitespace().collect();
        // utime and stime are fields 14 and 15 of stat; after the comm they are at 11 and 12.
        let ticks = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
        return Some((switches, ticks));
    }
    None
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        println!("idle_session_with_foot: benchmark");
        return;
    }
    let Some(foot) = require("foot") else {
        return;
    };
    let mut fixture = Fixture::new("bench-idle", 1920, 1080);
    fixture.spawn_foot(&foot, "[cursor]\nblink=no\n", &[]);
    let (mapped, _) = fixture.wait_for(Duration::from_secs(20), |s| s.windows == 1);
    assert!(mapped, "foot did not start");
    std::thread::sleep(Duration::from_secs(3));

    let window = Duration::from_secs(10);
    let (switches0, ticks0) = thread_counters("wayray-session").expect("session thread");
    let frames0 = fixture.session.stats().expect("stats").frames;
    let started = Instant::now();
    std::thread::sleep(window);
    let elapsed = started.elapsed().as_secs_f64();
    // Read the counters before asking for stats: the stats request itself wakes the thread.
    let (switches1, ticks1) = thread_counters("wayray-session").expect("session thread");
    let frames1 = fixture.session.stats().expect("stats").frames;
    let ticks_per_second = 100.0; // USER_HZ on Linux
    println!(
        "idle session with foot, 1920x1080, {elapsed:.1} s: {:.2} wakeups/s, {:.3}% CPU, {} frames",
        (switches1 - switches0) as f64 / elapsed,
        (ticks1 - ticks0) as f64 / ticks_per_second / elapsed * 100.0,
        frames1 - frames0,
    );
}
