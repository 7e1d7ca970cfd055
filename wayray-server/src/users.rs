//! Unix users and privileges, for multi-user mode: looking a user up, who is on the other end
//! of a Unix socket, and giving up root. Used by the helper (which starts sessions as users)
//! and by `serve` (which drops to the daemon's user before touching the network).

use std::os::unix::net::UnixStream;
use std::path::PathBuf;

use nix::unistd::User;
pub use nix::unistd::{Gid, Uid};

/// What the system knows of a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserInfo {
    /// Login name.
    pub name: String,
    /// User id.
    pub uid: u32,
    /// Primary group.
    pub gid: u32,
    /// Every group the user is in (primary first), as `initgroups` would set them.
    pub groups: Vec<u32>,
    /// Home directory.
    pub home: PathBuf,
    /// Login shell.
    pub shell: PathBuf,
}

/// Looks `name` up in the user database (files, LDAP... through NSS).
pub fn lookup(name: &str) -> Result<UserInfo, String> {
    let user = User::from_name(name)
        .map_err(|e| format!("cannot look up user {name}: {e}"))?
        .ok_or_else(|| format!("no user {name}"))?;
    let cname = std::ffi::CString::new(name).map_err(|_| format!("bad user name {name:?}"))?;
    let groups = nix::unistd::getgrouplist(&cname, user.gid)
        .map_err(|e| format!("cannot read the groups of {name}: {e}"))?;
    let mut groups: Vec<u32> = groups.into_iter().map(Gid::as_raw).collect();
    groups.retain(|g| *g != user.gid.as_raw());
    groups.insert(0, user.gid.as_raw());
    Ok(UserInfo {
        name: user.name,
        uid: user.uid.as_raw(),
        gid: user.gid.as_raw(),
        groups,
        home: user.dir,
        shell: user.shell,
    })
}

/// The uid of the process at the other end of `stream` (`SO_PEERCRED`).
pub fn peer_uid(stream: &UnixStream) -> std::io::Result<u32> {
    use nix::sys::socket::{getsockopt, sockopt::PeerCredentials};
    let creds = getsockopt(stream, PeerCredentials).map_err(std::io::Error::from)?;
    Ok(creds.uid())
}

/// Whether this process runs as root.
pub fn is_root() -> bool {
    Uid::effective().is_root()
}

/// Becomes `user` for good: supplementary groups, then gid, then uid (real, effective and
/// saved), and checks that root cannot be regained. Only async-signal-safe calls, so it can
/// run between `fork` and `exec`.
pub fn become_user(uid: Uid, gid: Gid, groups: &[Gid]) -> std::io::Result<()> {
    use nix::unistd::{setgroups, setresgid, setresuid};
    setgroups(groups)?;
    setresgid(gid, gid, gid)?;
    setresuid(uid, uid, uid)?;
    let ids = nix::unistd::getresuid()?;
    if ids.real != uid || ids.effective != uid || ids.saved != uid || uid.is_root() {
        return Err(std::io::Error::other("the user change did not take"));
    }
    Ok(())
}

/// `groups` as the type [`become_user`] takes (converted before `fork`: no allocation after).
pub fn gids(groups: &[u32]) -> Vec<Gid> {
    groups.iter().map(|g| Gid::from_raw(*g)).collect()
}

/// Kills a process group led by `pid` (a session and the applications it started).
pub fn kill_group(pid: u32) {
    // Never 0 or 1 (the caller's own group, init): only a recorded session leader.
    let Ok(pid) = i32::try_from(pid) else { return };
    if pid <= 1 {
        return;
    }
    let _ = nix::sys::signal::killpg(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGKILL,
    );
}

/// Whether `name` is an acceptable Unix user name (what `useradd` accepts by default), so that
/// nothing odd reaches PAM or the logs.
pub fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_');
    first_ok
        && name.len() <= 32
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_.-".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_is_found_with_its_groups() {
        let root = lookup("root").unwrap();
        assert_eq!((root.uid, root.gid), (0, 0));
        assert_eq!(root.groups[0], 0);
        assert!(lookup("no-such-user-wayray").is_err());
    }

    #[test]
    fn user_names_are_checked() {
        for good in ["alice", "wr-bob", "_svc", "a.b"] {
            assert!(valid_name(good), "{good}");
        }
        for bad in ["", "Alice", "-x", "a b", "a/b", "a\nb", &"a".repeat(33)] {
            assert!(!valid_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn the_peer_of_a_socket_pair_is_this_process_user() {
        let (a, _b) = UnixStream::pair().unwrap();
        assert_eq!(peer_uid(&a).unwrap(), Uid::effective().as_raw());
    }
}
