//! Multi-user mode as the systemd units run it: the helper as a root service of its own and
//! the network daemon started directly as its unprivileged user; and the units themselves
//! pass `systemd-analyze verify`.

use wayray_tests::accounts::TestAccounts;
use wayray_tests::multi_user::MultiUserServer;
use wayray_tests::programs::{assert_units_verify, workspace_binary};

#[test]
fn the_systemd_units_pass_verify() {
    let Some(server) = workspace_binary("wayray-server") else {
        return;
    };
    let units = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../packaging/systemd");
    let dir = wayray_tests::runtime_dir::RuntimeDir::new("units").unwrap();
    let mut files = Vec::new();
    for name in ["wayray.service", "wayray-sessiond.service"] {
        let text = std::fs::read_to_string(units.join(name)).unwrap();
        // Verified against the binary just built (the unit names the installed path).
        let text = text.replace("/usr/bin/wayray-server", &server.to_string_lossy());
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        files.push(path);
    }
    assert_units_verify(&files);
}

#[test]
fn the_helper_and_the_daemon_run_as_two_services() {
    let Some(accounts) = TestAccounts::create(&["wr-alice"], "wr-daemon", "wayray-test") else {
        return;
    };
    let Some(server) = MultiUserServer::start_split("services", &accounts) else {
        return;
    };
    let alice = accounts.user_named("wr-alice");
    server.log_in(alice, &server.dir.join("alice.token"), "alice's login");
    let sessions = server.ctl_json(&["sessions"]);
    assert_eq!(sessions[0]["user"], alice.name.as_str(), "{sessions}");
}
