//! The daemon's directories: private ones (state, logs, link sockets) and the admin socket's.

use std::os::unix::fs::PermissionsExt;

/// Makes `dir` private to this user: created (with missing parents) as 0700, or, when it
/// exists and belongs to this user, set to 0700. A directory of another user, or one meant to
/// be shared (world-writable or sticky, such as `/tmp`), is never changed: that is refused.
pub fn private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, MetadataExt};
    if !dir.exists() {
        return std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir);
    }
    // SAFETY: geteuid(2) has no preconditions.
    let me = unsafe { libc::geteuid() };
    let meta = std::fs::metadata(dir)?;
    if meta.uid() != me || meta.mode() & 0o1002 != 0 {
        return Err(std::io::Error::new(
            std::io::ErrorKind::PermissionDenied,
            format!(
                "{} is shared with other users; choose a directory of your own",
                dir.display()
            ),
        ));
    }
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
}

/// Creates `dir` (0700, with missing parents) if it is missing; an existing one is left as it
/// is (the admin socket in it is 0600 and checks who connects).
pub fn ensure_dir(dir: &std::path::Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.exists() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::private_dir;

    fn mode(path: &std::path::Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
    }

    #[test]
    fn private_dirs_are_created_or_made_0700_and_shared_ones_refused() {
        let base = std::env::temp_dir().join(format!("wayray-private-{}", std::process::id()));
        let nested = base.join("a/b");
        private_dir(&nested).unwrap();
        assert_eq!(mode(&nested), 0o700);
        std::fs::set_permissions(&nested, std::fs::Permissions::from_mode(0o755)).unwrap();
        private_dir(&nested).unwrap();
        assert_eq!(mode(&nested), 0o700);
        let shared = base.join("shared");
        std::fs::create_dir(&shared).unwrap();
        std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o1777)).unwrap();
        assert!(private_dir(&shared).is_err());
        assert_eq!(mode(&shared), 0o1777, "a shared directory was changed");
        std::fs::remove_dir_all(&base).unwrap();
    }
}
