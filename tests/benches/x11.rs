//! What X11 applications cost: a session's Xwayland from start to ready, its memory while
//! idle (PSS and RSS), and the keystroke → pixels latency of xterm through a viewer over QUIC
//! on loopback (typing into `cat`, 300 keys), next to foot's in the same run.
//!
//! Run: `cargo bench -p wayray-tests --bench x11`

use std::time::{Duration, Instant};

use wayray_tests::fixture::{Fixture, run_with_timeout};
use wayray_tests::programs::require;
use wayray_tests::remote::{connect_settled, serve};

const KEYS: u32 = 300;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// The process id of the Xwayland serving `display`.
fn xwayland_pid(display: &str) -> Option<u32> {
    std::fs::read_dir("/proc")
        .ok()?
        .flatten()
        .find_map(|entry| {
            let pid = entry.file_name().to_string_lossy().parse::<u32>().ok()?;
            let cmdline = std::fs::read(entry.path().join("cmdline")).ok()?;
            let args: Vec<&[u8]> = cmdline.split(|&b| b == 0).collect();
            (args.first()?.ends_with(b"Xwayland") && args.get(1)? == &display.as_bytes())
                .then_some(pid)
        })
}

/// (PSS, RSS) of a process in MiB.
fn memory(pid: u32) -> (f64, f64) {
    let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap_or_default();
    let field = |name: &str| {
        rollup
            .lines()
            .find_map(|l| {
                l.strip_prefix(name)?
                    .split_whitespace()
                    .next()?
                    .parse::<f64>()
                    .ok()
            })
            .unwrap_or(0.0)
            / 1024.0
    };
    (field("Pss:"), field("Rss:"))
}

/// Keystroke → pixels latencies (ms) typing into whatever the session shows.
async fn typing(fixture: &Fixture, label: &str) -> Vec<f64> {
    let served = serve(fixture, label, &fixture.dir.path().join("state"), 2);
    let viewer = connect_settled(&served, fixture, label, Duration::from_secs(20)).await;
    // ~KEYS keys at 50 per second.
    let until = Instant::now() + Duration::from_millis(u64::from(KEYS) * 20);
    let mut samples = wayray_tests::keys::typist(viewer, until, Duration::from_millis(20)).await;
    samples.sort_by(f64::total_cmp);
    samples
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    if std::env::args().any(|a| a == "--list") {
        println!("x11: benchmark");
        return;
    }
    let (Some(_), Some(xterm), Some(xdotool), Some(foot)) = (
        require("Xwayland"),
        require("xterm"),
        require("xdotool"),
        require("foot"),
    ) else {
        return;
    };

    // Start → an X11 client connects and gets an answer.
    let mut ready = Vec::new();
    for i in 0..5 {
        let started = Instant::now();
        let fixture = Fixture::with_x11(&format!("bench-x11-start-{i}"), 1280, 720);
        loop {
            let mut query = fixture.x11_command(&xdotool);
            query.arg("getdisplaygeometry");
            if run_with_timeout(query, Duration::from_secs(10))
                .status
                .success()
            {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "Xwayland never answered"
            );
        }
        ready.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    ready.sort_by(f64::total_cmp);

    // Memory of an idle Xwayland, with and without an xterm.
    let mut fixture = Fixture::with_x11("bench-x11", 1280, 720);
    let display = fixture.session.x11_display().expect("Xwayland").to_owned();
    std::thread::sleep(Duration::from_secs(2));
    let pid = xwayland_pid(&display).expect("Xwayland's process");
    let idle = memory(pid);
    let mut command = fixture.x11_command(&xterm);
    command.args(["-geometry", "80x24", "-e", "cat"]);
    fixture.spawn(command);
    fixture.wait_for(Duration::from_secs(20), |s| s.windows == 1);
    std::thread::sleep(Duration::from_secs(2));
    let with_xterm = memory(pid);
    let x11_keys = typing(&fixture, "x11").await;
    drop(fixture);

    let mut fixture = Fixture::new("bench-foot", 1280, 720);
    fixture.spawn_foot(&foot, "[cursor]\nblink=no\n", &["cat"]);
    fixture.wait_for(Duration::from_secs(20), |s| s.windows == 1);
    std::thread::sleep(Duration::from_secs(1));
    let foot_keys = typing(&fixture, "foot").await;

    let lost = |s: &[f64]| s.iter().filter(|&&v| v >= 2000.0).count();
    println!(
        "Xwayland start → first X11 reply: p50 {:.0} ms, max {:.0} ms (5 sessions)",
        percentile(&ready, 0.5),
        ready[ready.len() - 1]
    );
    println!(
        "Xwayland idle: PSS {:.1} MiB, RSS {:.1} MiB; with an 80x24 xterm: PSS {:.1} MiB, RSS {:.1} MiB",
        idle.0, idle.1, with_xterm.0, with_xterm.1
    );
    for (name, s) in [("xterm (X11)", &x11_keys), ("foot (Wayland)", &foot_keys)] {
        println!(
            "keystroke → pixels, {name}: p50 {:.1} ms, p99 {:.1} ms over {} keys, {} lost",
            percentile(s, 0.5),
            percentile(s, 0.99),
            s.len(),
            lost(s)
        );
    }
}
