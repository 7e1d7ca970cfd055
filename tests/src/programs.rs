//! Finding the real programs a test needs.

use std::path::PathBuf;

/// Whether this run is CI, where every program the tests use is installed and a missing one is
/// a failure, not a skip.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Looks `name` up on `PATH`.
pub fn find(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// Returns the program's path, or `None` when the test should be skipped (a developer machine
/// without it). Panics in CI, where a missing program is an installation bug.
pub fn require(name: &str) -> Option<PathBuf> {
    match find(name) {
        Some(path) => Some(path),
        None if in_ci() => panic!("{name} is not installed but CI=true: .ci/run must install it"),
        None => {
            eprintln!("skipping: {name} is not installed (CI=true makes this a failure)");
            None
        }
    }
}

/// A child process that is killed when this value drops (a server or viewer a test started).
#[derive(Debug)]
pub struct KillOnDrop(pub std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `target/<profile>/<name>`, built by `cargo test --workspace`; `None` (skip) outside CI when
/// it has not been built.
pub fn workspace_binary(name: &str) -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let path = exe.parent()?.parent()?.join(name);
    if path.is_file() {
        return Some(path);
    }
    assert!(
        !in_ci(),
        "{} is missing: run `cargo test --workspace`",
        path.display()
    );
    eprintln!("skipping: build {name} first (cargo test --workspace does)");
    None
}

/// `systemd-analyze verify` of unit files: it must pass without a single remark (an unknown
/// key is only a warning to systemd). Skips (returns) without the program outside CI.
pub fn assert_units_verify<P: AsRef<std::ffi::OsStr>>(units: &[P]) {
    let Some(analyze) = require("systemd-analyze") else {
        return;
    };
    let out = std::process::Command::new(analyze)
        .args(["verify", "--man=no"])
        .args(units)
        .output()
        .expect("systemd-analyze runs");
    let remarks = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && remarks.trim().is_empty(),
        "systemd-analyze verify: {remarks}"
    );
}

/// Every process id on the machine, from `/proc`.
pub fn pids() -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .collect()
}

/// The processes of the sound server whose directory is `dir`: its programs (`pulseaudio`,
/// or `pipewire`, `wireplumber` and `pipewire-pulse`) whose environment names `dir`.
pub fn sound_server_pids(dir: &std::path::Path) -> Vec<u32> {
    const PROGRAMS: [&str; 4] = ["pulseaudio", "pipewire", "wireplumber", "pipewire-pulse"];
    let dir = dir.to_string_lossy();
    pids()
        .into_iter()
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|comm| PROGRAMS.contains(&comm.trim()))
                && std::fs::read(format!("/proc/{pid}/environ"))
                    .is_ok_and(|env| String::from_utf8_lossy(&env).contains(dir.as_ref()))
        })
        .collect()
}

/// Resident memory of process `pid`, in KiB (0 if it is gone).
pub fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
        })
        .unwrap_or(0)
}
