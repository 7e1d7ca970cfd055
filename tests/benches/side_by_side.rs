//! Side by side: the same scripted workloads in foot (full screen at 1920×1080, DejaVu Sans
//! Mono 11; an 800×600 window moved across the screen for the drag) through WayRay, wayvnc 0.5 on a headless sway (read by a VNC reader asking for
//! ZRLE, as a VNC viewer would) and waypipe 0.8 (zstd and lz4, its display side on weston).
//! Bytes each way are counted between the two halves (UDP payload for WayRay, TCP payload for
//! VNC, the unix stream for waypipe), from the connection on; CPU seconds of each side over the
//! workload (foot itself not counted). Prints a Markdown table and writes an SVG and PNG chart
//! of the bytes towards the desk.
//!
//! Run as root (sway refuses root: the peers run as an account this creates and removes):
//! `scripts/side-by-side`, or `cargo build --release -p wayray-client` and then
//! `cargo bench -p wayray-tests --bench side_by_side`. `SIDE_BY_SIDE_WORKLOADS=typing,seq`
//! runs only those (typing, seq, scrolling, drag, video, idle), `SIDE_BY_SIDE_STACKS=wayray,wayvnc`
//! only those stacks (wayray, wayvnc, waypipe-zstd, waypipe-lz4); `SIDE_BY_SIDE_CHART=path.png` says where
//! the chart goes (default `side_by_side.png`).

use std::path::Path;
use std::time::{Duration, Instant};

use wayray_tests::accounts::{TestAccounts, TestUser};
use wayray_tests::peers::rfb::Reader;
use wayray_tests::peers::sway::SwayVnc;
use wayray_tests::peers::waypipe::Waypipe;
use wayray_tests::peers::{Cost, Workload, chart, cpu_of_family, run_workload, user_dir, wayray};
use wayray_tests::wait::wait_until;

/// The stacks compared, in the table's order.
const STACKS: [&str; 4] = ["WayRay", "wayvnc (ZRLE)", "waypipe zstd", "waypipe lz4"];
/// Their names in `SIDE_BY_SIDE_STACKS`.
const SHORT: [&str; 4] = ["wayray", "wayvnc", "waypipe-zstd", "waypipe-lz4"];

fn cpu_sum(pids: &[u32]) -> Duration {
    pids.iter().map(|&pid| cpu_of_family(pid)).sum()
}

fn vnc(user: &TestUser, workload: Workload) -> Option<Cost> {
    let dir = user_dir(user, "vnc");
    let stack = SwayVnc::start(user, &dir, workload)?;
    let reader = Reader::start(stack.addr).expect("wayvnc accepts the reader");
    wait_until("wayvnc's first update", Duration::from_secs(20), || {
        (reader.updates() > 0).then_some(())
    });
    let before = cpu_sum(&stack.server_pids);
    run_workload(&dir, workload, |to| {
        if let Some(point) = to {
            stack.sway.move_foot(point);
        }
    });
    let server_cpu = cpu_sum(&stack.server_pids) - before;
    let (down, up) = reader.bytes();
    let updates = reader.updates();
    reader
        .stop()
        .expect("the reader read everything wayvnc sent");
    drop(stack);
    let _ = std::fs::remove_dir_all(&dir);
    Some(Cost {
        down,
        up,
        server_cpu,
        updates: Some(updates),
        ..Cost::default()
    })
}

fn waypipe(user: &TestUser, workload: Workload, compression: &str) -> Option<Cost> {
    let dir = user_dir(user, "waypipe");
    let stack = Waypipe::start(user, &dir, workload, compression)?;
    let (server0, desk0) = (cpu_sum(&stack.server_pids), cpu_sum(&stack.desk_pids));
    run_workload(&dir, workload, |to| {
        if let (Some(point), Some(sway)) = (to, &stack.sway) {
            sway.move_foot(point);
        }
    });
    let server_cpu = cpu_sum(&stack.server_pids) - server0;
    let desk_cpu = cpu_sum(&stack.desk_pids) - desk0;
    let (down, up) = stack.bytes();
    drop(stack);
    let _ = std::fs::remove_dir_all(&dir);
    Some(Cost {
        down,
        up,
        server_cpu,
        desk_cpu: Some(desk_cpu),
        ..Cost::default()
    })
}

fn kb(bytes: u64) -> String {
    format!("{:.1} kB", bytes as f64 / 1000.0)
}

fn secs(cpu: Option<Duration>) -> String {
    cpu.map_or("—".into(), |d| format!("{:.2} s", d.as_secs_f64()))
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        println!("side_by_side: benchmark");
        return;
    }
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("side_by_side: run as root (the peers run as an account it creates)");
        return;
    }
    let Some(accounts) = TestAccounts::create(&["wayray-peer"], "wayray-peer-d", "wayray-peer")
    else {
        return;
    };
    let user = accounts.user_named("wayray-peer").clone();
    let started = Instant::now();
    let mut results: Vec<(Workload, Vec<Option<Cost>>)> = Vec::new();
    let chosen = std::env::var("SIDE_BY_SIDE_WORKLOADS").unwrap_or_default();
    let stacks = std::env::var("SIDE_BY_SIDE_STACKS").unwrap_or_default();
    let chosen_stacks: Vec<&str> = stacks.split(',').filter(|s| !s.is_empty()).collect();
    for workload in Workload::chosen(&chosen) {
        let costs: Vec<Option<Cost>> = (0..STACKS.len())
            .map(|i| match i {
                _ if !chosen_stacks.is_empty() && !chosen_stacks.contains(&SHORT[i]) => None,
                0 => wayray::run(workload),
                1 => vnc(&user, workload),
                2 => waypipe(&user, workload, "zstd"),
                _ => waypipe(&user, workload, "lz4"),
            })
            .collect();
        for (stack, cost) in STACKS.iter().zip(&costs) {
            eprintln!("{} / {stack}: {cost:?}", workload.name());
        }
        results.push((workload, costs));
    }
    println!(
        "| workload | stack | → desk | desk → | updates | CPU, server side | CPU, desk side | \
         desk's picture |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for (workload, costs) in &results {
        for (stack, cost) in STACKS.iter().zip(costs) {
            match cost {
                Some(c) => println!(
                    "| {} | {stack} | {} | {} | {} | {} | {} | {} |",
                    workload.name(),
                    kb(c.down),
                    kb(c.up),
                    c.updates.map_or("—".into(), |n| n.to_string()),
                    secs(Some(c.server_cpu)),
                    secs(c.desk_cpu),
                    match c.differing {
                        Some(0) => "exact".to_owned(),
                        Some(n) => format!("{n} pixels differ"),
                        None => "not checked".to_owned(),
                    },
                ),
                None => println!("| {} | {stack} | not run | | | | | |", workload.name()),
            }
        }
    }
    let png = std::env::var("SIDE_BY_SIDE_CHART").unwrap_or_else(|_| "side_by_side.png".into());
    chart::write(Path::new(&png), &STACKS, &results);
    eprintln!("side_by_side: {:.0} s", started.elapsed().as_secs_f64());
}
