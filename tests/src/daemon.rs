//! A real daemon (`wayray-server serve`) in its own runtime and state dirs, with foot as the
//! session command, administered through the real `wayray-ctl`. Every process it started is
//! killed on drop, including session processes that outlived a killed daemon.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use wayray_client::{ConnectOptions, PinPolicy};
use wayray_protocol::secret::Token;
use wayray_protocol::session::Credentials;

use crate::programs::require;
use crate::programs::workspace_binary;
use crate::runtime_dir::RuntimeDir;

/// foot as the tests configure it: black background, white text, no blinking cursor.
pub const FOOT_INI: &str = "[colors]\nbackground=000000\nforeground=ffffff\n[cursor]\nblink=no\n";

/// A running daemon and its directories.
pub struct Daemon {
    /// Runtime dir (sockets) and state dir (identity, registry, logs) live in here.
    pub dir: RuntimeDir,
    /// Where viewers connect.
    pub addr: SocketAddr,
    /// The server's fingerprint.
    pub fingerprint: String,
    server: PathBuf,
    ctl: PathBuf,
    config: PathBuf,
    child: Option<Child>,
    starts: u32,
    log: String,
}

impl Daemon {
    /// Starts a daemon whose sessions run foot in a `width`x`height` output; `extra` is
    /// appended to the top of the configuration file. `None` (skip) without the programs,
    /// outside CI.
    pub fn start(label: &str, extra: &str) -> Option<Self> {
        Self::start_with(label, extra, "640x480", "debug")
    }

    /// [`Daemon::start`] with the sessions' output `size` and the processes' log filter.
    pub fn start_with(label: &str, extra: &str, size: &str, log: &str) -> Option<Self> {
        Self::build(label, extra, "", size, log, 0, None)
    }

    /// [`Daemon::start`] with `tables` (e.g. `[clipboard]` and its keys) at the end of the
    /// configuration file.
    pub fn start_with_tables(label: &str, tables: &str) -> Option<Self> {
        Self::build(
            label,
            "",
            &format!("\n{tables}"),
            "640x480",
            "debug",
            0,
            None,
        )
    }

    /// [`Daemon::start`] listening on `listen` (known before it starts, as a pool's
    /// `advertise` must be), with `tables` at the end of the configuration file.
    pub fn start_listening(label: &str, listen: SocketAddr, tables: &str) -> Option<Self> {
        Self::build(
            label,
            "",
            &format!("\n{tables}"),
            "640x480",
            "debug",
            0,
            Some(listen),
        )
    }

    /// [`Daemon::start`] whose detached sessions end after `secs` without a viewer.
    pub fn start_with_idle_timeout(label: &str, secs: u64) -> Option<Self> {
        Self::build(label, "", "", "640x480", "debug", secs, None)
    }

    /// [`Daemon::start`] with `keys` added to the `[session]` table.
    pub fn start_with_session_keys(label: &str, keys: &str) -> Option<Self> {
        Self::start_logged_with_session_keys(label, keys, "debug")
    }

    /// [`Daemon::start_with_session_keys`] with the processes' log filter.
    pub fn start_logged_with_session_keys(label: &str, keys: &str, log: &str) -> Option<Self> {
        Self::build(label, "", keys, "640x480", log, 0, None)
    }

    fn build(
        label: &str,
        extra: &str,
        session_keys: &str,
        size: &str,
        log: &str,
        idle_secs: u64,
        listen: Option<SocketAddr>,
    ) -> Option<Self> {
        let foot = require("foot")?;
        let server = workspace_binary("wayray-server")?;
        let ctl = workspace_binary("wayray-ctl")?;
        let dir = RuntimeDir::new(label).expect("private dir");
        let foot_ini = dir.path().join("foot.ini");
        std::fs::write(&foot_ini, FOOT_INI).expect("foot.ini");
        let config = dir.path().join("server.toml");
        let toml = format!(
            "{extra}\nstate_dir = {state:?}\n\n[session]\ncommand = [{foot:?}, \"--config\", \
             {ini:?}, \"sh\", \"-c\", \"PS1='$ ' exec sh\"]\nsize = {size:?}\n\
             idle_timeout_secs = {idle_secs}\n{session_keys}\n",
            state = dir.path().join("state"),
            foot = foot,
            ini = foot_ini,
        );
        std::fs::write(&config, toml).expect("server.toml");
        let mut daemon = Self {
            dir,
            addr: listen.unwrap_or_else(|| "127.0.0.1:0".parse().expect("address")),
            fingerprint: String::new(),
            server,
            ctl,
            config,
            child: None,
            starts: 0,
            log: log.to_owned(),
        };
        daemon.launch();
        Some(daemon)
    }

    fn launch(&mut self) {
        self.starts += 1;
        // A restarted daemon listens where the first one did, as an admin's would: on a port
        // below the ephemeral range, which no other test's socket can take in between.
        let listen = if self.starts == 1 && self.addr.port() == 0 {
            format!("127.0.0.1:{}", crate::ports::listen_port())
        } else {
            self.addr.to_string()
        };
        let log = std::fs::File::create(self.log_path(self.starts)).expect("daemon log");
        let mut child = Command::new(&self.server)
            .arg("serve")
            .arg("--config")
            .arg(&self.config)
            .arg("--listen")
            .arg(&listen)
            .env("XDG_RUNTIME_DIR", self.dir.path())
            .env("RUST_LOG", &self.log)
            .env_remove("WAYLAND_DISPLAY")
            .env_remove("DISPLAY")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .expect("daemon starts");
        let Some((fingerprint, addr)) = wait_listening(&mut child) else {
            panic!("daemon did not start; log:\n{}", self.logs());
        };
        self.addr = addr;
        self.fingerprint = fingerprint.expect("fingerprint printed before the address");
        self.child = Some(child);
    }

    /// The daemon's process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("the daemon runs").id()
    }

    /// Another `serve` with this daemon's configuration and runtime dir (on a port of its
    /// own), for tests of what two daemons do.
    pub fn second_serve(&self) -> Command {
        let mut command = Command::new(&self.server);
        command
            .arg("serve")
            .arg("--config")
            .arg(&self.config)
            .args(["--listen", "127.0.0.1:0"])
            .env("XDG_RUNTIME_DIR", self.dir.path())
            .env_remove("WAYLAND_DISPLAY")
            .env_remove("DISPLAY")
            .stdin(Stdio::null());
        command
    }

    fn log_path(&self, start: u32) -> PathBuf {
        self.dir.path().join(format!("daemon-{start}.log"))
    }

    /// Kills the daemon with SIGKILL (its sessions keep running).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the daemon again on the same state and runtime dirs and the same port.
    pub fn restart(&mut self) {
        self.kill();
        self.launch();
    }

    /// Runs `wayray-ctl` with `args` against this daemon.
    pub fn ctl(&self, args: &[&str]) -> Output {
        Command::new(&self.ctl)
            .env("XDG_RUNTIME_DIR", self.dir.path())
            .args(args)
            .output()
            .expect("wayray-ctl runs")
    }

    /// Runs `wayray-ctl --json` with `args`; it must succeed.
    pub fn ctl_json(&self, args: &[&str]) -> serde_json::Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let out = self.ctl(&all);
        assert!(
            out.status.success(),
            "wayray-ctl {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("JSON on stdout")
    }

    /// Issues a token; returns its id and secret.
    pub fn issue_token(&self) -> (String, String) {
        let issued = self.ctl_json(&["token", "issue"]);
        (
            issued["id"].as_str().expect("id").to_owned(),
            issued["token"].as_str().expect("token").to_owned(),
        )
    }

    /// The sessions that are not ended.
    pub fn sessions(&self) -> Vec<serde_json::Value> {
        self.ctl_json(&["sessions"])
            .as_array()
            .expect("an array")
            .clone()
    }

    /// Waits until `pred` holds for the session list.
    pub fn wait_sessions(&self, what: &str, pred: impl Fn(&[serde_json::Value]) -> bool) {
        let seen = crate::wait::poll_until(Duration::from_secs(20), || {
            let sessions = self.sessions();
            if pred(&sessions) {
                Ok(())
            } else {
                Err(sessions)
            }
        });
        if let Err(sessions) = seen {
            panic!("timed out waiting for {what}: {sessions:?}");
        }
    }

    /// The headless viewer program connecting to this daemon with `token` (its file written
    /// into the daemon's directory), pinning into the daemon's own known-servers file; `None`
    /// (skip) when the program is not built outside CI.
    pub fn viewer_program(&self, token: &str) -> Option<Command> {
        let client = workspace_binary("wayray-client")?;
        let token_file = self.dir.path().join("token");
        std::fs::write(&token_file, token).expect("token file");
        let mut command = Command::new(client);
        command
            .args(["connect", &self.addr.to_string(), "--token-file"])
            .arg(&token_file)
            .arg("--known-servers")
            .arg(self.dir.path().join("known_servers"))
            .args(["--accept-new", "--headless"]);
        Some(command)
    }

    /// A headless viewer with `token` shows the first frame and exits; panics with its error
    /// and the daemon's log otherwise.
    pub fn view_first_frame(&self, token: &str) {
        let Some(mut viewer) = self.viewer_program(token) else {
            return;
        };
        let out = viewer
            .args(["--exit-after-frames", "1"])
            .output()
            .expect("viewer runs");
        assert!(
            out.status.success(),
            "viewer: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            self.logs()
        );
    }

    /// [`Daemon::viewer_program`] that runs for `exit_after_ms`, then writes its report and a
    /// screenshot; returns the command and the paths it writes.
    pub fn reporting_viewer(
        &self,
        token: &str,
        exit_after_ms: u64,
    ) -> Option<(Command, PathBuf, PathBuf)> {
        let mut command = self.viewer_program(token)?;
        let report = self.dir.path().join("report.json");
        let screenshot = self.dir.path().join("viewer.png");
        command
            .args(["--exit-after-ms", &exit_after_ms.to_string()])
            .arg("--report")
            .arg(&report)
            .arg("--screenshot")
            .arg(&screenshot);
        Some((command, report, screenshot))
    }

    /// Viewer options for `token`, pinning into this daemon's own known-servers file.
    pub fn viewer_options(&self, token: &str) -> ConnectOptions {
        ConnectOptions {
            server: self.addr,
            label: format!("localhost:{}", self.addr.port()),
            known_servers: self.dir.path().join("known_servers"),
            pin: PinPolicy::AcceptNew,
            credentials: Credentials::Token(Token::new(token.into())),
            preferred_mode: None,
            keymap: wayray_protocol::messages::input::KeymapLayout {
                layout: "us".into(),
                ..Default::default()
            },
            timeout: Duration::from_secs(20),
            capabilities: wayray_protocol::Capabilities::implemented(),
            clipboard: None,
            refresh_millihertz: None,
            audio: None,
            microphone: None,
        }
    }

    /// Everything the daemons and session processes logged.
    pub fn logs(&self) -> String {
        let mut all = String::new();
        for start in 1..=self.starts {
            all += &std::fs::read_to_string(self.log_path(start)).unwrap_or_default();
        }
        let sessions = self.dir.path().join("state").join("sessions");
        if let Ok(entries) = std::fs::read_dir(sessions) {
            for entry in entries.flatten() {
                all += &std::fs::read_to_string(entry.path()).unwrap_or_default();
            }
        }
        all
    }

    /// The directories of this daemon's session sound servers (`wayray-sound-PID`, each
    /// holding the server's `native` socket).
    pub fn sound_dirs(&self) -> Vec<PathBuf> {
        std::fs::read_dir(self.dir.path())
            .map(|entries| {
                entries
                    .flatten()
                    .map(|e| e.path())
                    .filter(|p| {
                        p.file_name()
                            .is_some_and(|n| n.to_string_lossy().starts_with("wayray-sound-"))
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Process ids of this daemon's session processes (found by their link socket path).
    pub fn session_pids(&self) -> Vec<u32> {
        session_processes(&self.dir.path().join("wayray").join("sessions"))
    }
}

/// What `serve` prints once it listens: its fingerprint and its address; `None` when it has
/// not said so within 30 s.
pub fn wait_listening(child: &mut Child) -> Option<(Option<String>, SocketAddr)> {
    let stdout = child.stdout.take()?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut fingerprint = None;
    loop {
        let line = rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .ok()?;
        if let Some(f) = line.strip_prefix("server fingerprint: ") {
            fingerprint = Some(f.to_owned());
        }
        if let Some(addr) = line.strip_prefix("listening on ") {
            return Some((fingerprint, addr.parse().ok()?));
        }
    }
}

/// Processes whose command line names a path under `dir`.
fn session_processes(dir: &Path) -> Vec<u32> {
    let needle = dir.to_string_lossy().into_owned();
    crate::programs::pids()
        .into_iter()
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|cmd| {
                cmd.split(|b| *b == 0)
                    .any(|arg| String::from_utf8_lossy(arg).starts_with(&needle))
            })
        })
        .collect()
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.kill();
        for pid in self.session_pids() {
            kill_hard(pid.into());
        }
    }
}

/// SIGKILL to process `pid` (a session process a test started or wants to crash).
pub fn kill_hard(pid: u64) {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return;
    };
    if pid > 1 {
        // SAFETY: kill(2) has no memory preconditions; `pid` is a process a test started.
        unsafe {
            libc::kill(pid, libc::SIGKILL);
        }
    }
}
