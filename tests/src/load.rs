//! A scripted load on one daemon: many sessions, each with a viewer of its own, half of them
//! typing (each key timed to the frame that shows it) and half scrolling a terminal's output,
//! and what the server side (the daemon, its session processes and their applications) costs
//! meanwhile in CPU time and memory.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::daemon::Daemon;
use crate::keys::typist;
use crate::programs::pids;
use crate::viewing::attach;

/// What a load run measured.
#[derive(Debug)]
pub struct LoadReport {
    /// Sessions (and viewers) in the run.
    pub sessions: usize,
    /// Keystroke → pixels latencies of the typing viewers, sorted, in ms (2000: lost).
    pub keys: Vec<f64>,
    /// Frames the scrolling viewers received.
    pub scroll_frames: u64,
    /// What went wrong in any viewer (empty when nothing did).
    pub errors: Vec<String>,
    /// Server-side CPU time over the run, in % of one core.
    pub cpu_percent: f64,
    /// Server-side proportional memory (PSS) before and after the run, in MiB.
    pub memory_mib: (f64, f64),
    /// Sessions still running after the run (their viewers have left).
    pub alive_after: usize,
}

impl LoadReport {
    /// The `p` quantile (0–1) of the keystroke latencies.
    pub fn key_percentile(&self, p: f64) -> f64 {
        if self.keys.is_empty() {
            return f64::NAN;
        }
        self.keys[((self.keys.len() as f64 - 1.0) * p).round() as usize]
    }

    /// Keys that never showed (no frame within 2 s).
    pub fn lost_keys(&self) -> usize {
        self.keys.iter().filter(|&&ms| ms >= 2000.0).count()
    }
}

/// `root` and every process below it.
pub fn process_tree(root: u32) -> Vec<u32> {
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    for pid in pids() {
        if let Some(parent) = stat_field(pid, 1) {
            children.entry(parent as u32).or_default().push(pid);
        }
    }
    let mut tree = vec![root];
    let mut at = 0;
    while at < tree.len() {
        tree.extend(children.get(&tree[at]).into_iter().flatten());
        at += 1;
    }
    tree
}

/// Field `index` after the command name of `/proc/PID/stat` (0: state, 1: ppid, 11: utime).
pub fn stat_field(pid: u32, index: usize) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(index)?.parse().ok()
}

/// User and system CPU time of the processes, in clock ticks (1/100 s).
fn cpu_ticks(tree: &[u32]) -> u64 {
    tree.iter()
        .map(|&pid| stat_field(pid, 11).unwrap_or(0) + stat_field(pid, 12).unwrap_or(0))
        .sum()
}

/// Proportional set size of the processes (shared pages split between their users), in MiB.
fn pss_mib(tree: &[u32]) -> f64 {
    let kib: u64 = tree
        .iter()
        .filter_map(|pid| {
            let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
            rollup
                .lines()
                .find_map(|l| l.strip_prefix("Pss:"))?
                .split_whitespace()
                .next()?
                .parse::<u64>()
                .ok()
        })
        .sum();
    kib as f64 / 1024.0
}

/// What the scrolling sessions run: a terminal printing a new screenful four times a second
/// (new numbers each time: the same ones would leave the same pixels).
const SCROLLER: &str = "i=0; while :; do i=$((i + 40)); seq $i $((i + 39)); sleep 0.25; done";

/// Starts `sessions` sessions on `daemon` with a viewer each, then for `duration` has the even
/// ones type ten keys a second and the odd ones show a scrolling terminal.
pub async fn run(daemon: &Daemon, sessions: usize, duration: Duration) -> LoadReport {
    let mut viewers = Vec::with_capacity(sessions);
    for i in 0..sessions {
        let (_, token) = daemon.issue_token();
        let viewer = attach(daemon, &token).await;
        if i % 2 == 1 {
            let id = viewer.session_id.clone();
            daemon.ctl_json(&["session", "run", &id, "--", "foot", "sh", "-c", SCROLLER]);
        }
        viewers.push(viewer);
    }
    let tree = process_tree(daemon.pid());
    let memory_before = pss_mib(&tree);
    let ticks_before = cpu_ticks(&tree);
    let started = Instant::now();
    let until = started + duration;
    let mut typing = Vec::new();
    let mut scrolling = Vec::new();
    for (i, mut viewer) in viewers.into_iter().enumerate() {
        if i % 2 == 0 {
            typing.push(tokio::spawn(typist(
                viewer,
                until,
                Duration::from_millis(100),
            )));
        } else {
            scrolling.push(tokio::spawn(async move {
                let mut frames = 0u64;
                while Instant::now() < until {
                    match tokio::time::timeout(Duration::from_secs(2), viewer.next_update()).await {
                        Ok(Ok(_)) => frames += 1,
                        Ok(Err(e)) => return Err(e.to_string()),
                        Err(_) => {
                            return Err(format!(
                                "no frame for 2 s while scrolling, after {frames} frames"
                            ));
                        }
                    }
                }
                viewer.disconnect().await;
                Ok(frames)
            }));
        }
    }
    let mut keys = Vec::new();
    let mut errors = Vec::new();
    let mut scroll_frames = 0;
    for task in typing {
        match task.await {
            Ok(samples) => keys.extend(samples),
            Err(e) => errors.push(format!("a typing viewer failed: {e}")),
        }
    }
    for task in scrolling {
        match task.await {
            Ok(Ok(frames)) => scroll_frames += frames,
            Ok(Err(e)) => errors.push(format!("a scrolling viewer failed: {e}")),
            Err(e) => errors.push(format!("a scrolling viewer failed: {e}")),
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let tree = process_tree(daemon.pid());
    let cpu_percent = cpu_ticks(&tree).saturating_sub(ticks_before) as f64 / elapsed;
    let memory_after = pss_mib(&tree);
    keys.sort_by(f64::total_cmp);
    let alive_after = daemon
        .sessions()
        .iter()
        .filter(|s| s["state"] == "attached" || s["state"] == "detached")
        .count();
    LoadReport {
        sessions,
        keys,
        scroll_frames,
        errors,
        cpu_percent,
        memory_mib: (memory_before, memory_after),
        alive_after,
    }
}
