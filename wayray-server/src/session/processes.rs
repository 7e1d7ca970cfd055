//! The session process's hold on everything it started: it is a child subreaper, so a job that
//! detaches (`setsid`, `nohup`, a double fork) is re-parented to the session instead of init;
//! it reaps every child that exits, so none stays a zombie; it ends its whole tree of
//! descendants when it stops; and SIGTERM, SIGINT and SIGHUP stop it cleanly (applications
//! ended, link socket removed) instead of killing it mid-frame.
//!
//! A compositor that runs inside another program (nested mode, tests) is no subreaper: it
//! reaps and ends only the applications it started and their descendants, never its host's
//! other children.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use nix::sys::signal::{SigSet, Signal};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;

/// How long descendants have to end after SIGTERM before they get SIGKILL.
const TERM_GRACE: Duration = Duration::from_secs(1);

static SUBREAPER: AtomicBool = AtomicBool::new(false);

/// Makes this process the reaper of its orphaned descendants: everything below it is the
/// session's (only the `session` process, which runs nothing else, does this).
pub fn become_subreaper() {
    // SAFETY: prctl(2) with an integer argument.
    if unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1) } == 0 {
        SUBREAPER.store(true, Ordering::SeqCst);
    } else {
        tracing::warn!(err = %std::io::Error::last_os_error(), "cannot become a child subreaper");
    }
}

/// The signals that stop a session.
fn stop_signals() -> SigSet {
    let mut set = SigSet::empty();
    for signal in [Signal::SIGTERM, Signal::SIGINT, Signal::SIGHUP] {
        set.add(signal);
    }
    set
}

/// Blocks the stop signals in this thread and every thread started after it (call it first
/// in `main`); [`on_stop_signal`] then receives them. Children get an empty mask again (the
/// standard library resets it in `Command::spawn`).
pub fn block_stop_signals() {
    if let Err(err) = stop_signals().thread_block() {
        tracing::warn!(%err, "cannot block the stop signals");
    }
}

/// Runs `stop` on a thread of its own when a stop signal arrives.
pub fn on_stop_signal(stop: impl FnOnce(Signal) + Send + 'static) {
    let spawned = std::thread::Builder::new()
        .name("wayray-signals".into())
        .spawn(move || match stop_signals().wait() {
            Ok(signal) => {
                tracing::info!(?signal, "stopping on a signal");
                stop(signal);
            }
            Err(err) => tracing::warn!(%err, "cannot wait for signals"),
        });
    if let Err(err) = spawned {
        tracing::warn!(%err, "cannot watch for signals");
    }
}

/// Collects the children that have exited: every child when this process is the subreaper,
/// otherwise only `apps`. Returns their process ids.
pub fn reap(apps: &[u32]) -> Vec<u32> {
    let mut reaped = Vec::new();
    if SUBREAPER.load(Ordering::SeqCst) {
        loop {
            match waitpid(Pid::from_raw(-1), Some(WaitPidFlag::WNOHANG)) {
                Ok(WaitStatus::StillAlive) | Err(_) => return reaped,
                Ok(status) => reaped.extend(status.pid().map(|p| p.as_raw() as u32)),
            }
        }
    }
    for &pid in apps {
        match waitpid(Pid::from_raw(pid as i32), Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::StillAlive) => {}
            // Exited, or not a child to wait for any more.
            _ => reaped.push(pid),
        }
    }
    reaped
}

/// Every process below `ancestor`, from `/proc`.
pub fn descendants(ancestor: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    for pid in entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
    {
        if let Some(parent) = parent_of(pid) {
            children.entry(parent).or_default().push(pid);
        }
    }
    let mut found = Vec::new();
    let mut next = vec![ancestor];
    while let Some(pid) = next.pop() {
        for &child in children.get(&pid).map(Vec::as_slice).unwrap_or_default() {
            found.push(child);
            next.push(child);
        }
    }
    found
}

/// The parent of `pid` (field 4 of `/proc/PID/stat`, after the command name's parentheses).
fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_name = &stat[stat.rfind(')')? + 1..];
    after_name.split_whitespace().nth(1)?.parse().ok()
}

/// What stopping the session ends: every descendant of the subreaper, otherwise `apps`
/// and their descendants.
fn tree(apps: &[u32]) -> Vec<u32> {
    if SUBREAPER.load(Ordering::SeqCst) {
        return descendants(std::process::id());
    }
    let mut all = Vec::new();
    for &app in apps {
        all.push(app);
        all.extend(descendants(app));
    }
    all.retain(|&pid| std::path::Path::new(&format!("/proc/{pid}")).exists());
    all
}

/// Ends the session's processes (see [`tree`]): SIGTERM, a grace period while reaping, then
/// SIGKILL for what is left. Reaped applications leave `apps` (their ids may be reused).
pub fn end_tree(apps: &mut Vec<u32>) {
    let reap_apps = |apps: &mut Vec<u32>| {
        let gone = reap(apps);
        apps.retain(|pid| !gone.contains(pid));
    };
    for signal in [Signal::SIGTERM, Signal::SIGKILL] {
        let pids = tree(apps);
        if pids.is_empty() {
            break;
        }
        for &pid in &pids {
            let _ = nix::sys::signal::kill(Pid::from_raw(pid as i32), signal);
        }
        let deadline = Instant::now() + TERM_GRACE;
        loop {
            reap_apps(apps);
            if tree(apps).is_empty() || Instant::now() >= deadline {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    reap_apps(apps);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_parent_is_read_past_a_name_with_spaces_and_parentheses() {
        let me = std::process::id();
        let child = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .unwrap();
        assert_eq!(parent_of(child.id()), Some(me));
        assert!(descendants(me).contains(&child.id()));
        let mut child = child;
        let _ = child.kill();
        let _ = child.wait();
    }
}
