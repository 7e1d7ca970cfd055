//! `/tmp/.X11-unix`, where X servers put their sockets. Created (1777, like the system does)
//! when missing; refused when another ordinary user owns it or it is world-writable without
//! the sticky bit, since such a user could then replace this session's socket with one of
//! their own and read every key typed into its X11 apps.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

/// Where X11 sockets live.
pub const DIR: &str = "/tmp/.X11-unix";

/// Why the directory cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SocketDirError {
    /// It could not be created or read.
    #[error("{dir}: {source}")]
    Io {
        /// The directory.
        dir: String,
        /// What failed.
        source: std::io::Error,
    },
    /// It is not a directory (a symbolic link, a file).
    #[error("{0} is not a directory")]
    NotADirectory(String),
    /// Someone else could replace sockets in it.
    #[error("{dir} is owned by uid {owner} or writable by all without the sticky bit")]
    Unsafe {
        /// The directory.
        dir: String,
        /// Its owner.
        owner: u32,
    },
}

/// Makes sure `dir` exists and is safe for this process's X server socket.
pub fn prepare(dir: &Path) -> Result<(), SocketDirError> {
    let name = dir.display().to_string();
    let io = |source| SocketDirError::Io {
        dir: name.clone(),
        source,
    };
    match std::fs::create_dir(dir) {
        Ok(()) => {
            // The umask applies to mkdir: set the mode explicitly.
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o1777)).map_err(io)?;
        }
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(err) => return Err(io(err)),
    }
    let meta = std::fs::symlink_metadata(dir).map_err(io)?;
    if !meta.is_dir() {
        return Err(SocketDirError::NotADirectory(name));
    }
    // SAFETY: geteuid(2) cannot fail.
    let me = unsafe { libc::geteuid() };
    let mode = meta.mode();
    let world_writable = mode & 0o002 != 0;
    let sticky = mode & 0o1000 != 0;
    if (meta.uid() != 0 && meta.uid() != me) || (world_writable && !sticky) {
        return Err(SocketDirError::Unsafe {
            dir: name,
            owner: meta.uid(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_directory_is_created_sticky_and_world_writable() {
        let base = tempfile::tempdir().unwrap();
        let dir = base.path().join("X11-unix");
        prepare(&dir).unwrap();
        let mode = std::fs::metadata(&dir).unwrap().mode() & 0o7777;
        assert_eq!(mode, 0o1777);
        // A second call accepts what the first made.
        prepare(&dir).unwrap();
    }

    #[test]
    fn world_writable_without_sticky_bit_is_refused() {
        let base = tempfile::tempdir().unwrap();
        let dir = base.path().join("X11-unix");
        std::fs::create_dir(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        assert!(matches!(prepare(&dir), Err(SocketDirError::Unsafe { .. })));
    }

    #[test]
    fn a_symbolic_link_is_refused() {
        let base = tempfile::tempdir().unwrap();
        let target = base.path().join("elsewhere");
        std::fs::create_dir(&target).unwrap();
        let dir = base.path().join("X11-unix");
        std::os::unix::fs::symlink(&target, &dir).unwrap();
        assert!(matches!(
            prepare(&dir),
            Err(SocketDirError::NotADirectory(_))
        ));
    }
}
