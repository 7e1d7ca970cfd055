//! Real Unix accounts and a PAM service for the multi-user tests: created as root with
//! `useradd` and `chpasswd`, marked as WayRay's own, and removed on drop with everything they
//! ran. An account or PAM file of the same name that WayRay did not create is never touched:
//! the test fails instead.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, MutexGuard};

use crate::programs::in_ci;

/// The comment field that marks an account as created by these tests.
const MARK: &str = "WayRay test account";
/// The first line of a PAM service file created by these tests.
const PAM_MARK: &str = "# WayRay test service";

/// One set of accounts at a time in a test binary: they are global to the machine.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// A test user.
#[derive(Debug, Clone)]
pub struct TestUser {
    /// Login name.
    pub name: String,
    /// Password.
    pub password: String,
    /// User id.
    pub uid: u32,
    /// Primary group.
    pub gid: u32,
    /// Home directory.
    pub home: PathBuf,
}

/// Accounts and a PAM service that exist while this value lives.
pub struct TestAccounts {
    /// Users who log in (with a home and a password).
    pub users: Vec<TestUser>,
    /// The unprivileged user the daemon runs as.
    pub daemon: TestUser,
    /// The PAM service name.
    pub pam_service: String,
    _serial: MutexGuard<'static, ()>,
}

fn run(program: &str, args: &[&str], stdin: Option<&str>) -> Result<(), String> {
    use std::io::Write;
    let mut child = Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("{program}: {e}"))?;
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(text.as_bytes()).map_err(|e| e.to_string())?;
    }
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{program} {args:?}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// The passwd entry of `name`: (uid, gid, comment, home), if the user exists.
fn passwd(name: &str) -> Option<(u32, u32, String, PathBuf)> {
    let text = std::fs::read_to_string("/etc/passwd").ok()?;
    text.lines().find_map(|line| {
        let f: Vec<&str> = line.split(':').collect();
        (f.len() >= 7 && f[0] == name).then(|| {
            (
                f[2].parse().unwrap_or(u32::MAX),
                f[3].parse().unwrap_or(u32::MAX),
                f[4].to_owned(),
                PathBuf::from(f[5]),
            )
        })
    })
}

impl TestAccounts {
    /// Creates `users` (with passwords) and `daemon` (a system user) and a PAM service
    /// `service` using pam_unix. `None` (skip) when not root outside CI; in CI (which runs as
    /// root) anything missing fails.
    pub fn create(users: &[&str], daemon: &str, service: &str) -> Option<Self> {
        // SAFETY: geteuid(2) has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            assert!(!in_ci(), "CI runs as root; the multi-user tests need it");
            eprintln!("skipping: the multi-user tests create accounts and need root");
            return None;
        }
        let serial = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
        let pam_file = Path::new("/etc/pam.d").join(service);
        if let Ok(existing) = std::fs::read_to_string(&pam_file) {
            assert!(
                existing.starts_with(PAM_MARK),
                "{} exists and was not made by these tests: not touching it",
                pam_file.display()
            );
        }
        let pam = format!(
            "{PAM_MARK}\nauth required pam_unix.so nodelay\naccount required pam_unix.so\n\
             session required pam_unix.so\n"
        );
        std::fs::write(&pam_file, pam).expect("PAM service file");
        let mut made = Vec::new();
        for name in users {
            let password = format!("pw-{name}-{}", std::process::id());
            made.push(Self::user(name, &password, false));
        }
        let daemon = Self::user(daemon, "", true);
        Some(Self {
            users: made,
            daemon,
            pam_service: service.to_owned(),
            _serial: serial,
        })
    }

    fn user(name: &str, password: &str, system: bool) -> TestUser {
        match passwd(name) {
            Some((_, _, comment, _)) => assert_eq!(
                comment, MARK,
                "user {name} exists and was not made by these tests: not touching it"
            ),
            None => {
                let mut args = vec!["--comment", MARK, "--shell", "/bin/sh"];
                args.extend(if system {
                    ["--system", "--no-create-home"]
                } else {
                    ["--create-home", "--user-group"]
                });
                args.push(name);
                run("useradd", &args, None).expect("useradd");
            }
        }
        if !password.is_empty() {
            run("chpasswd", &[], Some(&format!("{name}:{password}\n"))).expect("chpasswd");
        }
        let (uid, gid, _, home) = passwd(name).expect("the user exists now");
        TestUser {
            name: name.to_owned(),
            password: password.to_owned(),
            uid,
            gid,
            home,
        }
    }

    /// The user called `name`.
    pub fn user_named(&self, name: &str) -> &TestUser {
        self.users
            .iter()
            .find(|u| u.name == name)
            .expect("a test user")
    }
}

/// The uid a process runs as.
pub fn uid_of(pid: u64) -> u32 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("process");
    status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|ids| ids.split_whitespace().next()?.parse().ok())
        .expect("Uid line")
}

/// Kills every process of `uid` (what a test's sessions left), so the account can go.
pub fn kill_processes_of(uid: u32) {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return;
    };
    for pid in entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
    {
        let owner = std::fs::read_to_string(format!("/proc/{pid}/status"))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix("Uid:"))
                    .and_then(|ids| ids.split_whitespace().next()?.parse::<u32>().ok())
            });
        if owner == Some(uid) && pid > 1 {
            // SAFETY: kill(2) on a process of a test account.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
            }
        }
    }
}

impl Drop for TestAccounts {
    fn drop(&mut self) {
        for user in self.users.iter().chain([&self.daemon]) {
            for _ in 0..50 {
                kill_processes_of(user.uid);
                if run("userdel", &["--remove", &user.name], None).is_ok()
                    || passwd(&user.name).is_none()
                {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
        }
        let _ = std::fs::remove_file(Path::new("/etc/pam.d").join(&self.pam_service));
    }
}
