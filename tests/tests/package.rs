//! The Debian packages: `scripts/package --dev` builds them with cargo-deb from this build,
//! `dpkg -i` installs them, the installed units pass `systemd-analyze verify`, and a user logs
//! in to a server run from the installed programs, as the daemon user the package created,
//! through the PAM service it installed. The packages are purged afterwards, and the accounts
//! their installation created are removed.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::Command;

use wayray_tests::accounts::{TestAccounts, kill_processes_of, uid_of};
use wayray_tests::multi_user::{MultiUserServer, Setup};
use wayray_tests::programs::{assert_units_verify, require};

const PACKAGES: [&str; 2] = ["wayray-server", "wayray-client"];

fn installed(package: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", package])
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).contains("install ok installed"))
}

/// `getent DATABASE KEY`'s fields, if the entry exists.
fn getent(database: &str, key: &str) -> Option<Vec<String>> {
    let out = Command::new("getent").args([database, key]).output().ok()?;
    out.status.success().then(|| {
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .split(':')
            .map(str::to_owned)
            .collect()
    })
}

/// The installation; purging it on drop removes what it made (and only that).
struct Installation {
    made_user: bool,
    made_group: bool,
    made_admin_group: bool,
}

impl Installation {
    fn install(debs: &[std::path::PathBuf]) -> Self {
        for package in PACKAGES {
            assert!(
                !installed(package),
                "{package} is installed on this machine: the test will not touch it"
            );
        }
        let made = Self {
            made_user: getent("passwd", "wayray").is_none(),
            made_group: getent("group", "wayray").is_none(),
            made_admin_group: getent("group", "wayray-admin").is_none(),
        };
        let out = Command::new("dpkg")
            .arg("-i")
            .args(debs)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .output()
            .expect("dpkg runs");
        assert!(
            out.status.success(),
            "dpkg -i: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        made
    }
}

impl Drop for Installation {
    fn drop(&mut self) {
        let _ = Command::new("dpkg").arg("--purge").args(PACKAGES).output();
        if self.made_user {
            if let Some(entry) = getent("passwd", "wayray") {
                if let Ok(uid) = entry[2].parse() {
                    kill_processes_of(uid);
                }
            }
            let _ = Command::new("userdel").arg("wayray").output();
        }
        if self.made_group && getent("group", "wayray").is_some() {
            let _ = Command::new("groupdel").arg("wayray").output();
        }
        if self.made_admin_group {
            let _ = Command::new("groupdel").arg("wayray-admin").output();
        }
    }
}

fn build_packages(root: &Path) -> Vec<std::path::PathBuf> {
    let out = Command::new(root.join("scripts/package"))
        .arg("--dev")
        .current_dir(root)
        .output()
        .expect("scripts/package runs");
    assert!(
        out.status.success(),
        "scripts/package --dev: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let version = env!("CARGO_PKG_VERSION");
    PACKAGES
        .iter()
        .map(|name| {
            let deb = root.join(format!("target/debian/{name}_{version}-1_amd64.deb"));
            assert!(deb.is_file(), "{} was not built", deb.display());
            deb
        })
        .collect()
}

#[test]
fn the_packages_install_and_a_user_logs_in_to_the_installed_server() {
    if require("dpkg-deb").is_none() || require("cargo-deb").is_none() {
        return;
    }
    // Builds first: the accounts (and their lock) are held only while installed.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let debs = build_packages(&root);
    let Some(accounts) = TestAccounts::create(&["wr-alice"], "wr-daemon", "wayray-test") else {
        return;
    };
    let _installation = Installation::install(&debs);

    // What the package put in place.
    for path in [
        "/usr/bin/wayray-server",
        "/usr/bin/wayray-ctl",
        "/usr/bin/wayray-client",
        "/etc/wayray/server.toml",
        "/etc/pam.d/wayray",
        "/usr/share/man/man1/wayray-server.1.gz",
        "/usr/share/man/man1/wayray-ctl-session.1.gz",
        "/usr/share/man/man1/wayray-client-connect.1.gz",
        "/usr/share/bash-completion/completions/wayray-ctl",
        "/usr/share/zsh/vendor-completions/_wayray-client",
    ] {
        assert!(Path::new(path).is_file(), "{path} is not installed");
    }
    let user = getent("passwd", "wayray").expect("postinst creates the wayray user");
    let uid: u32 = user[2].parse().unwrap();
    assert!(uid < 1000, "wayray is a system user (uid {uid})");
    assert_eq!(user[6], "/usr/sbin/nologin");
    assert!(getent("group", "wayray-admin").is_some(), "the admin group");
    let state = std::fs::metadata("/var/lib/wayray").expect("the state dir");
    assert_eq!(
        (state.uid(), state.permissions().mode() & 0o7777),
        (uid, 0o700)
    );

    // The installed units name installed programs and pass verify.
    assert_units_verify(&[
        "/lib/systemd/system/wayray.service",
        "/lib/systemd/system/wayray-sessiond.service",
    ]);

    // A server from the installed programs, as `wayray`, checking passwords through the
    // installed PAM service (pam_unix via common-auth).
    let setup = Setup {
        programs: Some(Path::new("/usr/bin")),
        daemon_user: "wayray",
        pam_service: "wayray",
    };
    let server =
        MultiUserServer::start_installed("package", &setup).expect("the installed server starts");
    let alice = accounts.user_named("wr-alice");
    server.log_in(alice, &server.dir.join("alice.token"), "alice's login");
    let sessions = server.ctl_json(&["sessions"]);
    assert_eq!(sessions[0]["user"], "wr-alice", "{sessions}");
    assert_eq!(
        uid_of(server.daemon_pid().into()),
        uid,
        "the network daemon runs as wayray"
    );
}
