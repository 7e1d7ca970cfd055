//! Starting a session process as its user: a PAM session opened for as long as it runs, the
//! user's groups, uid, home, environment and runtime directory, a session bus when
//! `dbus-run-session` is installed, and a link socket in a directory shared only with the
//! daemon's group.
//!
//! Each session has a keeper thread that holds the PAM transaction, waits for the process and
//! then closes the PAM session.

use std::ffi::OsString;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use pam_client::Flag;
use wayray_protocol::secret::Secret;

use super::HelperOptions;
use crate::programs::on_path;
use crate::sessiond_wire::{HelperReply, StartOptions};
use crate::users::{self, UserInfo};

/// How long a new session may take to open its link socket.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// Resource limits of a session's processes (0: none), so that one user cannot exhaust the
/// host: processes count for the whole user (`RLIMIT_NPROC`), open files and memory per
/// process.
#[derive(Debug, Clone, Copy, Default)]
pub struct Limits {
    /// Most processes of the user.
    pub max_processes: u64,
    /// Most open files per process.
    pub max_open_files: u64,
    /// Most memory per process in MiB (`RLIMIT_DATA`: heap and private writable mappings,
    /// not address space merely reserved, which browsers reserve in plenty).
    pub max_process_memory_mib: u64,
}

impl Limits {
    /// Applies the limits to this process (and what it starts). Only system calls: safe
    /// between `fork` and `exec`.
    fn apply(self) -> std::io::Result<()> {
        use nix::sys::resource::{Resource, setrlimit};
        if self.max_processes > 0 {
            setrlimit(
                Resource::RLIMIT_NPROC,
                self.max_processes,
                self.max_processes,
            )?;
        }
        if self.max_open_files > 0 {
            setrlimit(
                Resource::RLIMIT_NOFILE,
                self.max_open_files,
                self.max_open_files,
            )?;
        }
        if self.max_process_memory_mib > 0 {
            let bytes = self.max_process_memory_mib.saturating_mul(1 << 20);
            setrlimit(Resource::RLIMIT_DATA, bytes, bytes)?;
        }
        Ok(())
    }
}

/// A login that should start a session.
#[derive(Debug)]
pub struct Login {
    /// The user name.
    pub user: String,
    /// The password.
    pub password: Secret<String>,
    /// The viewer's address.
    pub remote: String,
    /// The session's number.
    pub session: u64,
    /// How it starts.
    pub options: StartOptions,
}

/// Why no session was started.
#[derive(Debug)]
pub enum StartError {
    /// PAM refused the login (the text is for the helper's log).
    Refused(String),
    /// Something else failed.
    Failed(String),
}

/// A started session: its process, and a channel that closes when it has ended.
#[derive(Debug)]
pub struct Running {
    /// The session process (leader of its process group).
    pub pid: u32,
    /// Disconnects when the process has exited and the PAM session is closed.
    pub ended: mpsc::Receiver<()>,
}

/// Authenticates and starts the session; returns the reply for the daemon.
pub fn start(options: &HelperOptions, login: Login) -> Result<(HelperReply, Running), StartError> {
    check(&login.options).map_err(StartError::Failed)?;
    let (result_tx, result_rx) = mpsc::channel();
    let (ended_tx, ended) = mpsc::channel::<()>();
    let options = options.clone();
    std::thread::spawn(move || keep(&options, login, &result_tx, ended_tx));
    let (reply, pid) = result_rx
        .recv()
        .map_err(|_| StartError::Failed("the session keeper ended early".into()))??;
    Ok((reply, Running { pid, ended }))
}

type StartResult = Result<(HelperReply, u32), StartError>;

/// The keeper thread: PAM session open → process → wait → PAM session closed.
fn keep(
    options: &HelperOptions,
    login: Login,
    result: &mpsc::Sender<StartResult>,
    _ended: mpsc::Sender<()>,
) {
    let service = &options.pam_service;
    let password = login.password.expose();
    let mut context = match super::pam::authenticate(service, &login.user, password, &login.remote)
    {
        Ok(context) => context,
        Err(why) => return drop(result.send(Err(StartError::Refused(why)))),
    };
    let user = match users::lookup(&login.user) {
        Ok(user) => user,
        Err(err) => return drop(result.send(Err(StartError::Failed(err)))),
    };
    let session = match context.open_session(Flag::NONE) {
        Ok(session) => session,
        Err(err) => {
            let failed = StartError::Failed(format!("cannot open the PAM session: {err}"));
            return drop(result.send(Err(failed)));
        }
    };
    let pam_env: Vec<(OsString, OsString)> = session
        .envlist()
        .iter_tuples()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let id = login.session;
    let mut child = match launch(options, &user, &pam_env, id, &login.options) {
        Ok(launched) => launched,
        Err(err) => return drop(result.send(Err(StartError::Failed(err)))),
    };
    let pid = child.id();
    let link = options.sessions_dir.join(id.to_string()).join("link");
    match wait_ready(&mut child, &link) {
        Ok(()) => {
            tracing::info!(session = id, user = %user.name, pid, "session started");
            let reply = HelperReply::Started {
                pid,
                uid: user.uid,
                link,
                wayland_display: format!("wayray-{id}"),
            };
            let _ = result.send(Ok((reply, pid)));
            let status = child.wait();
            tracing::info!(
                session = id,
                ?status,
                "session ended; closing its PAM session"
            );
        }
        Err(err) => {
            users::kill_group(pid);
            let _ = child.wait();
            let _ = result.send(Err(StartError::Failed(err)));
        }
    }
    let _ = std::fs::remove_dir_all(options.sessions_dir.join(id.to_string()));
    drop(session);
}

/// Waits until the session listens on its link, or fails when it exits first.
fn wait_ready(child: &mut Child, link: &Path) -> Result<(), String> {
    let deadline = Instant::now() + START_TIMEOUT;
    while Instant::now() < deadline {
        if std::os::unix::net::UnixStream::connect(link).is_ok() {
            return Ok(());
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("the session process exited at start ({status})"));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Err("the session process did not open its link in time".into())
}

/// Checks what the daemon asked for.
fn check(options: &StartOptions) -> Result<(), String> {
    wayray_protocol::geometry::parse_size(&options.size).map_err(|e| e.to_string())?;
    if !(0.5..=8.0).contains(&options.scale) {
        return Err("scale out of range".into());
    }
    if !(1..=16).contains(&options.frames_in_flight) {
        return Err("frames_in_flight out of range".into());
    }
    let layout_ok = !options.keyboard_layout.is_empty()
        && options.keyboard_layout.len() <= 64
        && options
            .keyboard_layout
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-(),".contains(c));
    if !layout_ok {
        return Err("bad keyboard layout".into());
    }
    Ok(())
}

/// Prepares the session's directories and log and starts its process as `user`.
fn launch(
    options: &HelperOptions,
    user: &UserInfo,
    pam_env: &[(OsString, OsString)],
    id: u64,
    start: &StartOptions,
) -> Result<Child, String> {
    let at = |what: &str, path: &Path| {
        let path = path.display().to_string();
        let what = what.to_owned();
        move |e: std::io::Error| format!("{what} {path}: {e}")
    };
    // The link's directory: the user creates the socket in it, the daemon's group may pass
    // and connect (setgid: the socket gets that group) but not write, nobody else can.
    let dir = options.sessions_dir.join(id.to_string());
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(at("cannot clear", &dir))?;
    }
    std::fs::create_dir(&dir).map_err(at("cannot create", &dir))?;
    std::os::unix::fs::chown(&dir, Some(user.uid), Some(options.daemon_gid))
        .map_err(at("cannot hand over", &dir))?;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o2750))
        .map_err(at("cannot secure", &dir))?;
    let runtime = user_runtime_dir(&options.user_runtime_base, user)?;
    let log_path = options.logs_dir.join(format!("{id}.log"));
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(&log_path)
        .map_err(at("cannot open", &log_path))?;
    std::os::unix::fs::chown(&log_path, Some(options.daemon_uid), None)
        .map_err(at("cannot hand over", &log_path))?;
    let log_err = log.try_clone().map_err(|e| e.to_string())?;

    let mut session: Vec<OsString> = vec![
        options.exe.clone().into(),
        "session".into(),
        "--link".into(),
        dir.join("link").into(),
        "--socket".into(),
        format!("wayray-{id}").into(),
        "--size".into(),
        start.size.clone().into(),
        "--scale".into(),
        start.scale.to_string().into(),
        "--keyboard-layout".into(),
        start.keyboard_layout.clone().into(),
        "--frames-in-flight".into(),
        start.frames_in_flight.to_string().into(),
    ];
    if start.x11 {
        session.push("--x11".into());
    }
    if start.audio {
        session.push("--audio".into());
        session.push("--sound-server".into());
        session.push(start.sound_server.name().into());
    }
    session.push("--".into());
    session.extend(options.command.iter().map(OsString::from));
    // A session bus for the session's applications (GTK, portals), ended with the session.
    if let Some(dbus) = on_path("dbus-run-session") {
        session.splice(0..0, [dbus.into_os_string(), "--".into()]);
    }
    let home = if user.home.is_dir() {
        user.home.clone()
    } else {
        PathBuf::from("/")
    };
    let mut command = Command::new(&session[0]);
    command
        .args(&session[1..])
        .env_clear()
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .envs(
            ["LANG", "LC_ALL", "TZ"]
                .iter()
                .filter_map(|k| std::env::var_os(k).map(|v| (OsString::from(k), v))),
        )
        .envs(pam_env.iter().map(|(k, v)| (k, v)))
        .env("HOME", &home)
        .env("USER", &user.name)
        .env("LOGNAME", &user.name)
        .env("SHELL", &user.shell)
        .env("XDG_RUNTIME_DIR", &runtime)
        .env("XDG_SESSION_TYPE", "wayland")
        .current_dir(&home)
        .stdin(Stdio::null())
        .stdout(Stdio::from(log))
        .stderr(Stdio::from(log_err))
        .process_group(0);
    let (uid, gid) = (
        users::Uid::from_raw(user.uid),
        users::Gid::from_raw(user.gid),
    );
    let groups = users::gids(&user.groups);
    let limits = options.limits;
    // SAFETY: the closure runs between fork and exec and only makes system calls (setrlimit,
    // setgroups, setresgid, setresuid, getresuid) on memory prepared before the fork.
    unsafe {
        command.pre_exec(move || {
            limits.apply()?;
            users::become_user(uid, gid, &groups)
        });
    }
    command
        .spawn()
        .map_err(|e| format!("cannot start the session for {}: {e}", user.name))
}

/// The user's runtime directory (`/run/user/UID`), created (0700, the user's) when the system
/// (logind) has not made one.
fn user_runtime_dir(base: &Path, user: &UserInfo) -> Result<PathBuf, String> {
    let dir = base.join(user.uid.to_string());
    if !dir.exists() {
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        std::os::unix::fs::chown(&dir, Some(user.uid), Some(user.gid))
            .map_err(|e| format!("cannot hand over {}: {e}", dir.display()))?;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| format!("cannot secure {}: {e}", dir.display()))?;
    }
    Ok(dir)
}
