//! A session's processes with a real daemon: a job that detaches (`setsid`) still ends with
//! its session, applications that exit never stay zombies, SIGTERM stops a session cleanly
//! (its link socket removed, its jobs ended), and one state dir serves one daemon.

use std::time::Duration;

use wayray_tests::daemon::Daemon;
use wayray_tests::programs::pids;
use wayray_tests::wait::poll_until;

/// A session with a viewer seen once: its id and process id.
fn running_session(daemon: &Daemon) -> (String, u32) {
    let (_, token) = daemon.issue_token();
    daemon.view_first_frame(&token);
    let session = &daemon.sessions()[0];
    let pid = session["pid"]
        .as_u64()
        .expect("a running session has a pid") as u32;
    (session["id"].to_string(), pid)
}

/// Processes whose command line is exactly `words`.
fn processes_running(words: &[&str]) -> Vec<u32> {
    let wanted: Vec<u8> = words
        .iter()
        .flat_map(|w| [w.as_bytes(), b"\0"].concat())
        .collect();
    pids()
        .into_iter()
        .filter(|pid| std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| c == wanted))
        .collect()
}

/// Children of `parent` that are zombies.
fn zombie_children(parent: u32) -> Vec<u32> {
    pids()
        .into_iter()
        .filter(|pid| {
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
                return false;
            };
            let Some(rest) = stat.rfind(')').map(|at| &stat[at + 1..]) else {
                return false;
            };
            let fields: Vec<&str> = rest.split_whitespace().collect();
            fields.first() == Some(&"Z") && fields.get(1) == Some(&parent.to_string().as_str())
        })
        .collect()
}

/// Starts `sh -c "setsid sleep SECONDS &"` in the session and waits until the job runs.
fn start_detached_job(daemon: &Daemon, id: &str, seconds: &str) {
    let script = format!("setsid sleep {seconds} & exit 0");
    daemon.ctl_json(&["session", "run", id, "--", "sh", "-c", &script]);
    poll_until(Duration::from_secs(10), || {
        (!processes_running(&["sleep", seconds]).is_empty())
            .then_some(())
            .ok_or(())
    })
    .expect("the detached job runs");
}

fn assert_ends(what: &str, seconds: &str) {
    let gone = poll_until(Duration::from_secs(10), || {
        let left = processes_running(&["sleep", seconds]);
        left.is_empty().then_some(()).ok_or(left)
    });
    if let Err(left) = gone {
        for pid in &left {
            // SAFETY: kill(2) of the job this test started.
            unsafe { libc::kill(*pid as i32, libc::SIGKILL) };
        }
        panic!("{what}: the detached job {left:?} outlived its session");
    }
}

#[test]
fn a_detached_job_ends_with_its_session() {
    let Some(daemon) = Daemon::start("proc-detached", "") else {
        return;
    };
    let (id, _) = running_session(&daemon);
    start_detached_job(&daemon, &id, "98761");
    daemon.ctl_json(&["session", "kill", &id]);
    assert_ends("session kill", "98761");
}

#[test]
fn an_application_that_exits_does_not_stay_a_zombie() {
    let Some(daemon) = Daemon::start("proc-zombie", "") else {
        return;
    };
    let (id, pid) = running_session(&daemon);
    daemon.ctl_json(&["session", "run", &id, "--", "true"]);
    std::thread::sleep(Duration::from_millis(300));
    let reaped = poll_until(Duration::from_secs(3), || {
        let zombies = zombie_children(pid);
        zombies.is_empty().then_some(()).ok_or(zombies)
    });
    assert!(reaped.is_ok(), "zombies of the session: {reaped:?}");
}

#[test]
fn sigterm_stops_a_session_cleanly() {
    let Some(daemon) = Daemon::start("proc-sigterm", "") else {
        return;
    };
    let (id, pid) = running_session(&daemon);
    let link = daemon
        .dir
        .path()
        .join("wayray/sessions")
        .join(format!("{id}.link"));
    assert!(link.exists(), "{} exists while it runs", link.display());
    start_detached_job(&daemon, &id, "98762");
    // SAFETY: kill(2) of the session process this test's daemon started.
    unsafe { libc::kill(pid as i32, libc::SIGTERM) };
    let cleaned = poll_until(Duration::from_secs(10), || {
        (!link.exists()).then_some(()).ok_or(())
    });
    assert!(cleaned.is_ok(), "the link socket is left behind");
    assert_ends("SIGTERM", "98762");
}

#[test]
fn a_second_daemon_on_the_same_state_dir_is_refused_and_the_first_keeps_running() {
    let Some(daemon) = Daemon::start("proc-two", "") else {
        return;
    };
    let out = daemon.second_serve().output().expect("serve runs");
    assert!(!out.status.success(), "a second daemon started");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let flat: String = stderr
        .split_whitespace()
        .filter(|w| *w != "│")
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        flat.contains("another wayray-server daemon is running"),
        "{stderr}"
    );
    let sessions = daemon.ctl(&["sessions"]);
    assert!(
        sessions.status.success(),
        "the first daemon's admin socket: {}",
        String::from_utf8_lossy(&sessions.stderr)
    );
}

#[test]
fn a_session_that_does_not_answer_a_restarted_daemon_is_stopped_not_left_unsupervised() {
    let Some(mut daemon) = Daemon::start("proc-unanswering", "") else {
        return;
    };
    let (_, pid) = running_session(&daemon);
    // A session that cannot answer: stopped, as a hung process would be.
    // SAFETY: kill(2) of the session process this test's daemon started.
    unsafe { libc::kill(pid as i32, libc::SIGSTOP) };
    daemon.restart();
    let gone = poll_until(Duration::from_secs(15), || {
        (!std::path::Path::new(&format!("/proc/{pid}")).exists() || zombie(pid))
            .then_some(())
            .ok_or(())
    });
    if gone.is_err() {
        // SAFETY: kill(2) of the session process this test's daemon started.
        unsafe { libc::kill(pid as i32, libc::SIGKILL) };
        panic!("the session that did not answer still runs, unsupervised");
    }
    let session = daemon.ctl_json(&["session", "show", "1"]);
    assert_eq!(session["state"], "ended", "{session}");
    assert_eq!(
        session["end_reason"]["kind"], "lost_while_daemon_down",
        "{session}"
    );
}

#[test]
fn a_session_whose_runtime_dir_is_gone_stops() {
    let Some(mut daemon) = Daemon::start("proc-rundir", "") else {
        return;
    };
    let (_, pid) = running_session(&daemon);
    daemon.kill();
    let runtime = daemon.dir.path().to_owned();
    std::fs::remove_dir_all(&runtime).expect("remove the runtime dir");
    let gone = poll_until(Duration::from_secs(10), || {
        (!std::path::Path::new(&format!("/proc/{pid}")).exists() || zombie(pid))
            .then_some(())
            .ok_or(())
    });
    // SAFETY: kill(2) of the session process this test's daemon started.
    unsafe { libc::kill(pid as i32, libc::SIGKILL) };
    assert!(gone.is_ok(), "the session runs on without its runtime dir");
}

fn zombie(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rfind(')')
            .is_some_and(|at| stat[at + 1..].trim_start().starts_with('Z'))
    })
}
