//! Multi-user mode with real accounts, real PAM (pam_unix) and a real root start: `serve` as
//! root with `[login] enabled` starts the PAM helper and runs the network daemon as an
//! unprivileged user; headless viewers log in with a user name and password.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::process::Output;
use std::time::Duration;

use wayray_server::daemon::registry::Registry;
use wayray_tests::accounts::{TestAccounts, TestUser, uid_of};
use wayray_tests::multi_user::{MultiUserServer, as_user};
use wayray_tests::pixels::read_png_rgb;
use wayray_tests::wait::poll_until;

/// What each session writes to its user's home before starting foot.
const PROBE: &str = r#"{ id -u; echo "$HOME"; pwd; echo "$XDG_RUNTIME_DIR"
if dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.GetId >/dev/null 2>&1; then echo dbus-ok; else echo dbus-failed; fi
} > "$HOME/wayray-probe.txt""#;

/// The process limit counts every task of a user, so no other test's session of the same
/// users runs while the limits test does (the others run side by side).
static LIMITS: std::sync::RwLock<()> = std::sync::RwLock::new(());

fn accounts() -> Option<TestAccounts> {
    TestAccounts::create(&["wr-alice", "wr-bob"], "wr-daemon", "wayray-test")
}

fn ok(out: &Output, what: &str, server: &MultiUserServer) {
    assert!(
        out.status.success(),
        "{what} failed: {}\n--- server log ---\n{}",
        String::from_utf8_lossy(&out.stderr),
        server.logs()
    );
}

/// The session of `user` as `wayray-ctl sessions` shows it.
fn session_of(server: &MultiUserServer, user: &TestUser) -> serde_json::Value {
    let sessions = server.ctl_json(&["sessions"]);
    sessions
        .as_array()
        .expect("array")
        .iter()
        .find(|s| s["user"] == user.name.as_str())
        .cloned()
        .unwrap_or_else(|| panic!("no session of {}: {sessions}", user.name))
}

fn probe(user: &TestUser) -> Vec<String> {
    let path = user.home.join("wayray-probe.txt");
    poll_until(Duration::from_secs(20), || {
        std::fs::read_to_string(&path)
            .ok()
            .filter(|t| t.lines().count() >= 5)
            .ok_or(())
    })
    .expect("the session wrote its probe")
    .lines()
    .map(str::to_owned)
    .collect()
}

#[test]
fn a_login_runs_the_session_as_the_user_with_a_bus_and_its_token_hot_desks() {
    let _beside = LIMITS.read().unwrap_or_else(|e| e.into_inner());
    let Some(accounts) = accounts() else { return };
    let Some(server) = MultiUserServer::start("login", &accounts, PROBE) else {
        return;
    };
    let alice = accounts.user_named("wr-alice");
    let token = server.dir.join("alice.token");
    let shot = server.dir.join("alice.png");
    let out = server
        .login(&alice.name, &alice.password, &token)
        .args(["--exit-after-ms", "3000", "--screenshot"])
        .arg(&shot)
        .output()
        .expect("viewer runs");
    ok(&out, "alice's login", &server);

    // The picture is foot's: black, with its white prompt.
    let pixels = read_png_rgb(&shot);
    assert!(
        pixels.iter().any(|p| p[0] > 200),
        "no text in alice's session"
    );

    // The session and its apps run as alice, in her home, with her runtime dir and a bus.
    let session = session_of(&server, alice);
    let pid = session["pid"].as_u64().expect("pid");
    assert_eq!(uid_of(pid), alice.uid, "the session process runs as alice");
    let lines = probe(alice);
    assert_eq!(lines[0], alice.uid.to_string(), "{lines:?}");
    assert_eq!(lines[1], alice.home.to_string_lossy(), "HOME: {lines:?}");
    assert_eq!(lines[2], alice.home.to_string_lossy(), "cwd: {lines:?}");
    let runtime = server.dir.join("user").join(alice.uid.to_string());
    assert_eq!(lines[3], runtime.to_string_lossy(), "{lines:?}");
    assert_eq!(lines[4], "dbus-ok", "the session bus answers: {lines:?}");
    let meta = std::fs::metadata(&runtime).expect("runtime dir");
    assert_eq!((meta.uid(), meta.mode() & 0o777), (alice.uid, 0o700));

    // The desk token is private to alice's desk and moves the session without a password.
    let mode = std::fs::metadata(&token)
        .expect("saved token")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let out = server
        .with_token(&token)
        .args(["--exit-after-frames", "1"])
        .output()
        .expect("viewer runs");
    ok(&out, "the hot-desk with alice's token", &server);

    // Logging in again gets the same session back, not a second one.
    let again = server.dir.join("alice-2.token");
    server.log_in(alice, &again, "alice's second login");
    let sessions = server.ctl_json(&["sessions"]);
    assert_eq!(sessions.as_array().unwrap().len(), 1, "{sessions}");
    assert_eq!(session_of(&server, alice)["id"], session["id"]);
}

#[test]
fn a_wrong_password_is_refused_with_one_message_and_audited() {
    let _beside = LIMITS.read().unwrap_or_else(|e| e.into_inner());
    let Some(accounts) = accounts() else { return };
    let Some(server) = MultiUserServer::start("refuse", &accounts, "") else {
        return;
    };
    let bob = accounts.user_named("wr-bob");
    let token = server.dir.join("bob.token");
    for (user, password) in [
        (bob.name.as_str(), "Tr0ub4dor-3"),
        ("wr-nobody", "Tr0ub4dor-4"),
    ] {
        let out = server
            .login(user, password, &token)
            .args(["--exit-after-frames", "1"])
            .output()
            .expect("viewer runs");
        assert!(!out.status.success(), "{user} was let in");
        // miette wraps long lines: read the words, not the layout.
        let stderr = String::from_utf8_lossy(&out.stderr).replace('│', " ");
        let stderr = stderr.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(stderr.contains("login refused"), "{user}: {stderr}");
        assert!(
            !stderr.contains("unknown") && !stderr.contains("password is"),
            "{stderr}"
        );
    }
    assert!(!token.exists(), "a refused login saved a token");
    let sessions = server.ctl_json(&["sessions"]);
    assert_eq!(
        sessions.as_array().unwrap().len(),
        0,
        "something started: {sessions}"
    );
    let registry = Registry::open(&server.state_dir().join("registry.sqlite3")).unwrap();
    let refusals = registry
        .audit_log(100)
        .unwrap()
        .into_iter()
        .filter(|row| row.event == "login-refused")
        .count();
    assert_eq!(refusals, 2, "one audit row per refused login");
    assert!(
        !server.logs().contains("Tr0ub4dor"),
        "a password reached the logs"
    );
}

#[test]
fn users_cannot_reach_the_admin_socket_the_key_or_each_other() {
    let _beside = LIMITS.read().unwrap_or_else(|e| e.into_inner());
    let Some(accounts) = accounts() else { return };
    let Some(server) = MultiUserServer::start("isolation", &accounts, "") else {
        return;
    };
    let alice = accounts.user_named("wr-alice");
    let bob = accounts.user_named("wr-bob");
    for user in [alice, bob] {
        let token = server.dir.join(format!("{}.token", user.name));
        server.log_in(user, &token, "a login");
    }
    let bobs = session_of(&server, bob);
    assert_eq!(uid_of(bobs["pid"].as_u64().unwrap()), bob.uid);

    // The admin socket: alice sees and manages only her own sessions.
    let out = server.ctl_as(Some(alice), &["sessions"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mine: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let users: Vec<&str> = mine
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["user"].as_str().unwrap_or("?"))
        .collect();
    assert_eq!(users, ["wr-alice"], "alice's view: {mine}");
    let bob_id = bobs["id"].to_string();
    for args in [
        vec!["session", "kill", bob_id.as_str()],
        vec!["token", "issue", "--session", bob_id.as_str()],
        vec!["status"],
    ] {
        let out = server.ctl_as(Some(alice), &args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success() && stderr.contains("permission denied"),
            "alice ran {args:?}: {stderr}"
        );
    }
    assert_eq!(
        session_of(&server, bob)["id"],
        bobs["id"],
        "bob's session is untouched"
    );
    // The server's key and registry.
    for file in ["server.key", "registry.sqlite3"] {
        let mut cat = std::process::Command::new("cat");
        cat.arg(server.state_dir().join(file));
        as_user(&mut cat, alice);
        let out = cat.output().expect("cat runs");
        assert!(!out.status.success(), "alice read {file}");
    }
    // Bob's Wayland socket and his session's link.
    let bob_display = server
        .dir
        .join("user")
        .join(bob.uid.to_string())
        .join(bobs["wayland_display"].as_str().unwrap());
    assert!(
        std::fs::metadata(&bob_display).is_ok(),
        "bob's socket exists"
    );
    let link = server
        .dir
        .join("run/sessions")
        .join(bobs["id"].to_string())
        .join("link");
    for socket in [&bob_display, &link] {
        let mut ctl = std::process::Command::new(server.dir.join("bin/wayray-ctl"));
        ctl.arg("--socket").arg(socket).arg("sessions");
        as_user(&mut ctl, alice);
        let out = ctl.output().expect("wayray-ctl runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success() && stderr.to_lowercase().contains("permission denied"),
            "alice reached {}: {stderr}",
            socket.display()
        );
    }
}

#[test]
fn sessions_of_users_survive_a_daemon_crash_and_their_desk_token_reattaches() {
    let _beside = LIMITS.read().unwrap_or_else(|e| e.into_inner());
    let Some(accounts) = accounts() else { return };
    let Some(mut server) = MultiUserServer::start("restart", &accounts, "") else {
        return;
    };
    let alice = accounts.user_named("wr-alice");
    let token = server.dir.join("alice.token");
    server.log_in(alice, &token, "alice's login");
    let before = session_of(&server, alice);
    let pid = before["pid"].as_u64().expect("pid");

    // The daemon and its helper die; the session, running as alice, does not.
    let helpers = server.helper_pids();
    assert_eq!(helpers.len(), 1, "one helper: {helpers:?}");
    server.restart();
    let gone = poll_until(Duration::from_secs(5), || {
        let alive: Vec<u32> = server
            .helper_pids()
            .into_iter()
            .filter(|p| helpers.contains(p))
            .collect();
        alive.is_empty().then_some(()).ok_or(alive)
    });
    assert!(
        gone.is_ok(),
        "the old root helper outlived its daemon: {gone:?}"
    );
    assert_eq!(uid_of(pid), alice.uid, "alice's session survived");
    let after = session_of(&server, alice);
    assert_eq!(after["id"], before["id"], "adopted: {after}");
    assert_eq!(after["state"], "detached", "{after}");
    let out = server
        .with_token(&token)
        .args(["--exit-after-frames", "1"])
        .output()
        .expect("viewer runs");
    ok(&out, "alice's reattach after the restart", &server);
    assert_eq!(session_of(&server, alice)["id"], before["id"]);
}

#[test]
fn one_user_cannot_run_more_processes_or_use_more_memory_than_the_limits() {
    let _alone = LIMITS.write().unwrap_or_else(|e| e.into_inner());
    let Some(accounts) = accounts() else { return };
    // The limit counts every task of the user, threads included: a user who fills it may
    // break their own session, never the host or other users.
    // dd's 300 MiB buffer is more memory than one process may have.
    let script = r#"{ ulimit -p; ulimit -n; ulimit -d;
  dd if=/dev/zero of=/dev/null bs=300M count=1 2>/dev/null && echo dd-ran || echo dd-refused;
} > "$HOME/limits.txt"
(sleep 2; i=0; while [ $i -lt 60 ]; do sleep 60 & i=$((i+1)); done) 2>/dev/null &"#;
    let limits = "max_processes = 30\nmax_open_files = 1000\nmax_process_memory_mib = 256";
    let Some(server) = MultiUserServer::start_with("limits", &accounts, script, limits) else {
        return;
    };
    let alice = accounts.user_named("wr-alice");
    let token = server.dir.join("alice.token");
    server.log_in(alice, &token, "alice's login");
    let path = alice.home.join("limits.txt");
    let seen = poll_until(Duration::from_secs(20), || {
        std::fs::read_to_string(&path)
            .ok()
            .filter(|t| t.lines().count() == 4)
            .ok_or(())
    })
    .expect("the session wrote its limits");
    assert_eq!(seen, "30\n1000\n262144\ndd-refused\n");
    // The loop has run into the limit by now (60 sleeps asked for).
    std::thread::sleep(Duration::from_secs(2));
    let running = tasks_of(alice.uid);
    assert!((25..=30).contains(&running), "alice runs {running} tasks");
    // Another user is not held back by alice's limit.
    let bob = accounts.user_named("wr-bob");
    server.log_in(
        bob,
        &server.dir.join("bob.token"),
        "bob's login while alice is at her limit",
    );
}

/// How many tasks (processes and their threads: what `RLIMIT_NPROC` counts) run as `uid`.
fn tasks_of(uid: u32) -> usize {
    std::fs::read_dir("/proc")
        .expect("/proc")
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u64>().ok())
        .filter(|pid| std::fs::metadata(format!("/proc/{pid}")).is_ok_and(|m| m.uid() == uid))
        .map(|pid| std::fs::read_dir(format!("/proc/{pid}/task")).map_or(0, |t| t.count()))
        .sum()
}
