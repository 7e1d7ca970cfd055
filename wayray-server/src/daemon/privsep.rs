//! Starting multi-user mode (`serve` as root with `[login] enabled`): prepare the directories,
//! start the privileged session helper (`wayray-server sessiond`) as a child, then give up
//! root for the daemon's own user before anything touches the network. The systemd units run
//! the same two parts as two services.

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use super::config::Config;
use crate::users;

/// The state directory of a multi-user server when the configuration names none.
pub const DEFAULT_STATE_DIR: &str = "/var/lib/wayray";

/// Multi-user mode could not start.
#[derive(Debug, thiserror::Error)]
pub enum PrivsepError {
    /// Not started as root.
    #[error("multi-user mode ([login] enabled) must be started as root")]
    NotRoot,
    /// The daemon's user is missing.
    #[error("{0}")]
    NoDaemonUser(String),
    /// A directory could not be prepared.
    #[error("cannot prepare {path}: {source}")]
    Dir {
        /// The directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The helper did not start.
    #[error("the session helper did not start: {0}")]
    Helper(String),
    /// Root could not be given up.
    #[error("cannot become user {user}: {source}")]
    Drop {
        /// The daemon's user.
        user: String,
        /// Why.
        source: std::io::Error,
    },
}

/// Prepares a directory: created if missing, then given to `uid`/`gid` with `mode`.
fn prepare(path: &Path, uid: u32, gid: u32, mode: u32) -> Result<(), PrivsepError> {
    let dir = |source| PrivsepError::Dir {
        path: path.to_owned(),
        source,
    };
    std::fs::create_dir_all(path).map_err(dir)?;
    std::os::unix::fs::chown(path, Some(uid), Some(gid)).map_err(dir)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).map_err(dir)
}

/// Prepares, as root, the directories of a multi-user server for the daemon's user, and
/// returns that user. The helper does this too when it runs as its own service.
pub fn prepare_layout(config: &Config, state_dir: &Path) -> Result<users::UserInfo, PrivsepError> {
    if !users::is_root() {
        return Err(PrivsepError::NotRoot);
    }
    let login = &config.login;
    let daemon = users::lookup(&login.daemon_user).map_err(|_| {
        PrivsepError::NoDaemonUser(format!(
            "there is no user {} to run the daemon as",
            login.daemon_user
        ))
    })?;
    // The daemon's runtime dir: its admin socket, the helper's socket; others may pass
    // through (to their session's link directory) but not list it.
    prepare(&login.runtime_dir, daemon.uid, daemon.gid, 0o711)?;
    prepare(&login.sessions_dir(), 0, 0, 0o711)?;
    prepare(state_dir, daemon.uid, daemon.gid, 0o700)?;
    prepare(&state_dir.join("sessions"), daemon.uid, daemon.gid, 0o700)?;
    Ok(daemon)
}

/// Starts the helper and becomes the daemon's user. `config_path` is passed to the helper so
/// that both read the same file; `state_dir` is the daemon's. Returns the helper's process
/// (it ends with this process).
pub fn start(config: &Config, config_path: &Path, state_dir: &Path) -> Result<Child, PrivsepError> {
    let login = &config.login;
    let daemon = prepare_layout(config, state_dir)?;

    let exe = std::env::current_exe().map_err(|e| PrivsepError::Helper(e.to_string()))?;
    let mut helper = Command::new(exe);
    helper
        .arg("sessiond")
        .arg("--config")
        .arg(config_path)
        .arg("--state-dir")
        .arg(state_dir)
        .arg("--exit-with-parent");
    // SAFETY: prctl(2) only; the helper goes when the process that started it goes (its
    // sessions do not: they run in their own process groups). A helper was seen to
    // outlive a daemon killed with SIGKILL all the same, so it also watches for its parent
    // itself (`--exit-with-parent`).
    unsafe {
        helper.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    // A socket left by a helper that was killed would satisfy the wait below before the new
    // helper listens (it replaces the file when it starts).
    let socket = login.helper_socket();
    let _ = std::fs::remove_file(&socket);
    let mut child = helper
        .spawn()
        .map_err(|e| PrivsepError::Helper(e.to_string()))?;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if socket.exists() {
            break;
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(PrivsepError::Helper(format!("it exited ({status})")));
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            return Err(PrivsepError::Helper("its socket did not appear".into()));
        }
        std::thread::sleep(Duration::from_millis(20));
    }

    let groups = users::gids(&[daemon.gid]);
    let (uid, gid) = (
        users::Uid::from_raw(daemon.uid),
        users::Gid::from_raw(daemon.gid),
    );
    users::become_user(uid, gid, &groups).map_err(|source| PrivsepError::Drop {
        user: daemon.name.clone(),
        source,
    })?;
    tracing::info!(user = %daemon.name, "running as the daemon's user");
    Ok(child)
}
