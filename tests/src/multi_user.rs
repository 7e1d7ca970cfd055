//! A multi-user server as an administrator runs it: `wayray-server serve` started as root with
//! `[login] enabled`, which starts the PAM helper and continues as an unprivileged daemon
//! user. Its programs are copied into a directory every user can reach (the build tree may not
//! be), and everything lives under one temporary directory removed on drop.

use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use wayray_client::{ConnectOptions, PinPolicy};
use wayray_protocol::session::Credentials;

use crate::accounts::{TestAccounts, TestUser};
use crate::daemon::FOOT_INI;
use crate::programs::{require, workspace_binary};

/// A running multi-user server.
pub struct MultiUserServer {
    /// Everything lives in here (mode 0711: users may pass, not list).
    pub dir: PathBuf,
    /// Where viewers connect.
    pub addr: SocketAddr,
    server: Option<Child>,
    /// The helper as a service of its own (the systemd units' way), when split.
    helper: Option<Child>,
    /// Run the daemon as this uid/gid with the helper apart, instead of `serve` as root.
    split: Option<(u32, u32)>,
    program: PathBuf,
    config: PathBuf,
    starts: u32,
    client: PathBuf,
    ctl: PathBuf,
}

/// Where a server's programs come from and whom it runs as.
pub struct Setup<'a> {
    /// A directory of installed programs; `None`: the ones this workspace built.
    pub programs: Option<&'a Path>,
    /// `[login] daemon_user`.
    pub daemon_user: &'a str,
    /// `[login] pam_service`.
    pub pam_service: &'a str,
}

fn copy_program(name: &str, bin: &Path, installed: Option<&Path>) -> Option<PathBuf> {
    let from = match installed {
        Some(dir) => dir.join(name),
        None => workspace_binary(name)?,
    };
    let to = bin.join(name);
    std::fs::copy(&from, &to).expect("copy program");
    std::fs::set_permissions(&to, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    Some(to)
}

impl MultiUserServer {
    /// Starts a server whose sessions run `session_script` (a shell script, given the
    /// session's environment) followed by foot. `None` (skip) without the programs outside CI.
    pub fn start(label: &str, accounts: &TestAccounts, session_script: &str) -> Option<Self> {
        Self::start_with(label, accounts, session_script, "")
    }

    /// [`MultiUserServer::start`] with `login_keys` added to the `[login]` table.
    pub fn start_with(
        label: &str,
        accounts: &TestAccounts,
        session_script: &str,
        login_keys: &str,
    ) -> Option<Self> {
        let setup = Setup {
            programs: None,
            daemon_user: &accounts.daemon.name,
            pam_service: &accounts.pam_service,
        };
        Self::start_from(label, &setup, session_script, login_keys)
    }

    /// [`MultiUserServer::start`] from installed programs (in `programs`, e.g. `/usr/bin`),
    /// with the daemon user and PAM service an installation provides.
    pub fn start_installed(label: &str, setup: &Setup<'_>) -> Option<Self> {
        Self::start_from(label, setup, "", "")
    }

    fn start_from(
        label: &str,
        setup: &Setup<'_>,
        session_script: &str,
        login_keys: &str,
    ) -> Option<Self> {
        let foot = require("foot")?;
        let dir = std::env::temp_dir().join(format!("wayray-mu-{label}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let bin = dir.join("bin");
        std::fs::create_dir_all(&bin).expect("test dir");
        for d in [&dir, &bin] {
            std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o711)).expect("chmod");
        }
        let server = copy_program("wayray-server", &bin, setup.programs)?;
        let client = copy_program("wayray-client", &bin, setup.programs)?;
        let ctl = copy_program("wayray-ctl", &bin, setup.programs)?;
        let foot_ini = dir.join("foot.ini");
        std::fs::write(&foot_ini, FOOT_INI).expect("foot.ini");
        let script = dir.join("session.sh");
        std::fs::write(
            &script,
            format!("#!/bin/sh\n{session_script}\nexec {foot:?} --config {foot_ini:?}\n"),
        )
        .expect("session script");
        for f in [&foot_ini, &script] {
            std::fs::set_permissions(f, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        }
        let config = dir.join("server.toml");
        let toml = format!(
            "listen = \"127.0.0.1:0\"\nstate_dir = {state:?}\n\n[session]\n\
             command = [\"/bin/sh\", {script:?}]\nsize = \"640x480\"\n\n[login]\nenabled = true\n\
             daemon_user = {daemon:?}\npam_service = {pam:?}\nruntime_dir = {run:?}\n\
             user_runtime_base = {users:?}\n{login_keys}\n",
            state = dir.join("state"),
            daemon = setup.daemon_user,
            pam = setup.pam_service,
            run = dir.join("run"),
            users = dir.join("user"),
        );
        std::fs::write(&config, toml).expect("server.toml");
        let mut started = Self {
            dir,
            addr: "127.0.0.1:0".parse().expect("address"),
            server: None,
            helper: None,
            split: None,
            program: server,
            config,
            starts: 0,
            client,
            ctl,
        };
        started.launch();
        Some(started)
    }

    /// [`MultiUserServer::start`] the way the systemd units run it: `sessiond` as root, and
    /// `serve` started directly as the daemon's user.
    pub fn start_split(label: &str, accounts: &TestAccounts) -> Option<Self> {
        let mut server = Self::start(label, accounts, "")?;
        server.kill();
        server.split = Some((accounts.daemon.uid, accounts.daemon.gid));
        server.launch();
        Some(server)
    }

    /// Starts `serve` (again on the same port after the first time) and waits until it
    /// listens.
    fn launch(&mut self) {
        self.starts += 1;
        let log_path = self.dir.join(format!("serve-{}.log", self.starts));
        let log = std::fs::File::create(&log_path).expect("log");
        let mut serve = Command::new(&self.program);
        if let Some((uid, gid)) = self.split {
            use std::os::unix::process::CommandExt;
            let helper_log_path = self.dir.join("sessiond.log");
            let helper_log = std::fs::File::create(&helper_log_path).expect("log");
            // A helper killed before (with the server started as root) leaves its socket:
            // waiting for the file alone would let `serve` look for it while the new helper
            // replaces it. The new helper says when it listens.
            let socket = self.dir.join("run").join("sessiond.sock");
            let _ = std::fs::remove_file(&socket);
            let helper = Command::new(&self.program)
                .args(["sessiond", "--config"])
                .arg(&self.config)
                .env("RUST_LOG", "info")
                .stdin(Stdio::null())
                .stderr(Stdio::from(helper_log))
                .spawn()
                .expect("sessiond starts");
            self.helper = Some(helper);
            crate::wait::poll_until(Duration::from_secs(20), || {
                let log = std::fs::read_to_string(&helper_log_path).unwrap_or_default();
                (socket.exists() && log.contains("session helper ready"))
                    .then_some(())
                    .ok_or(())
            })
            .expect("the helper listens");
            serve.uid(uid).gid(gid);
        }
        let mut child = serve
            .args(["serve", "--config"])
            .arg(&self.config)
            .arg("--listen")
            .arg(self.addr.to_string())
            .env("RUST_LOG", "info")
            .env_remove("WAYLAND_DISPLAY")
            .env_remove("DISPLAY")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .expect("serve starts");
        let Some((_, addr)) = crate::daemon::wait_listening(&mut child) else {
            panic!("the multi-user server did not start; log:\n{}", self.logs());
        };
        self.addr = addr;
        self.server = Some(child);
    }

    /// The pids of this server's session helpers (`sessiond` with its configuration) alive
    /// now.
    pub fn helper_pids(&self) -> Vec<u32> {
        let config = self.config.to_string_lossy().into_owned();
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return Vec::new();
        };
        entries
            .flatten()
            .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
            .filter(|pid| {
                let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
                let args: Vec<String> = cmdline
                    .split(|b| *b == 0)
                    .map(|a| String::from_utf8_lossy(a).into_owned())
                    .collect();
                args.iter().any(|a| a == "sessiond") && args.contains(&config)
            })
            .collect()
    }

    /// Kills `serve` with SIGKILL (its helper follows; sessions keep running) and starts it
    /// again, as a crash and a restart by the service manager would.
    pub fn restart(&mut self) {
        self.kill();
        self.launch();
    }

    fn kill(&mut self) {
        for mut child in [self.server.take(), self.helper.take()]
            .into_iter()
            .flatten()
        {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// A headless viewer logging in as `user` with `password`; it pins the server into a
    /// known-servers file of its own and saves its desk token to `token_out`.
    pub fn login(&self, user: &str, password: &str, token_out: &Path) -> Command {
        let password_file = self.dir.join(format!("password-{user}-{}", password.len()));
        std::fs::write(&password_file, format!("{password}\n")).expect("password file");
        let mut command = self.viewer();
        command
            .args(["--user", user, "--password-file"])
            .arg(&password_file)
            .arg("--save-token")
            .arg(token_out);
        command
    }

    /// `user` logs in (headless, until the first frame) and keeps the desk card in `token`;
    /// panics with the server's log unless that succeeded.
    pub fn log_in(&self, user: &TestUser, token: &Path, what: &str) {
        let out = self
            .login(&user.name, &user.password, token)
            .args(["--exit-after-frames", "1"])
            .output()
            .expect("viewer runs");
        assert!(
            out.status.success(),
            "{what} failed: {}\n--- server log ---\n{}",
            String::from_utf8_lossy(&out.stderr),
            self.logs()
        );
    }

    /// A headless viewer presenting the token in `token_file`.
    pub fn with_token(&self, token_file: &Path) -> Command {
        let mut command = self.viewer();
        command.arg("--token-file").arg(token_file);
        command
    }

    /// The window viewer with no credentials: it shows the login screen.
    pub fn viewer_window(&self) -> Command {
        let mut command = Command::new(&self.client);
        command
            .args(["connect", &self.addr.to_string()])
            .arg("--known-servers")
            .arg(self.dir.join("known_servers"))
            .args(["--accept-new", "--reconnect-for", "0"]);
        command
    }

    fn viewer(&self) -> Command {
        let mut command = Command::new(&self.client);
        command
            .args(["connect", &self.addr.to_string()])
            .arg("--known-servers")
            .arg(self.dir.join("known_servers"))
            .args(["--accept-new", "--headless", "--reconnect-for", "0"]);
        command
    }

    /// Viewer options (the library) for `credentials`, pinning into this server's own
    /// known-servers file.
    pub fn options(&self, credentials: Credentials) -> ConnectOptions {
        ConnectOptions {
            server: self.addr,
            label: format!("localhost:{}", self.addr.port()),
            known_servers: self.dir.join("known_servers"),
            pin: PinPolicy::AcceptNew,
            credentials,
            preferred_mode: None,
            keymap: wayray_protocol::messages::input::KeymapLayout {
                layout: "us".into(),
                ..Default::default()
            },
            timeout: Duration::from_secs(30),
            capabilities: wayray_protocol::Capabilities::implemented(),
            clipboard: None,
            refresh_millihertz: None,
            audio: None,
            microphone: None,
        }
    }

    /// `wayray-ctl --json ARGS` as root against the admin socket; it must succeed.
    pub fn ctl_json(&self, args: &[&str]) -> serde_json::Value {
        let out = self.ctl_as(None, args);
        assert!(
            out.status.success(),
            "wayray-ctl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("JSON")
    }

    /// `wayray-ctl --json ARGS` against the admin socket, as `user` (root when `None`).
    pub fn ctl_as(&self, user: Option<&TestUser>, args: &[&str]) -> Output {
        let mut command = Command::new(&self.ctl);
        command
            .arg("--socket")
            .arg(self.admin_socket())
            .arg("--json")
            .args(args);
        if let Some(user) = user {
            as_user(&mut command, user);
        }
        command.output().expect("wayray-ctl runs")
    }

    /// The process id of `serve` (the network daemon once it dropped root).
    pub fn daemon_pid(&self) -> u32 {
        self.server.as_ref().expect("the server runs").id()
    }

    /// The admin socket.
    pub fn admin_socket(&self) -> PathBuf {
        self.dir.join("run").join("admin.sock")
    }

    /// The server's state dir (identity, registry, session logs).
    pub fn state_dir(&self) -> PathBuf {
        self.dir.join("state")
    }

    /// What the server and its sessions logged.
    pub fn logs(&self) -> String {
        let mut all = std::fs::read_to_string(self.dir.join("sessiond.log")).unwrap_or_default();
        for start in 1..=self.starts {
            let log = self.dir.join(format!("serve-{start}.log"));
            all += &std::fs::read_to_string(log).unwrap_or_default();
        }
        if let Ok(entries) = std::fs::read_dir(self.state_dir().join("sessions")) {
            for entry in entries.flatten() {
                all += &std::fs::read_to_string(entry.path()).unwrap_or_default();
            }
        }
        all
    }
}

/// Runs `command` as `user` (uid, primary gid, no other groups), like a program in the
/// user's session.
pub fn as_user(command: &mut Command, user: &TestUser) {
    use std::os::unix::process::CommandExt;
    command.uid(user.uid).gid(user.gid).env("HOME", &user.home);
}

impl Drop for MultiUserServer {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
