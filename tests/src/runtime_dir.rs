//! A private `XDG_RUNTIME_DIR` per test.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// A fresh 0700 directory, removed on drop.
#[derive(Debug)]
pub struct RuntimeDir {
    path: PathBuf,
}

impl RuntimeDir {
    /// Creates a new private directory under the system temp dir.
    pub fn new(label: &str) -> std::io::Result<Self> {
        Self::new_in(&std::env::temp_dir(), label)
    }

    /// Creates a new private directory under `base` (e.g. `/dev/shm`, a tmpfs).
    pub fn new_in(base: &Path, label: &str) -> std::io::Result<Self> {
        for attempt in 0..1000u32 {
            let path = base.join(format!("wayray-{label}-{}-{attempt}", std::process::id()));
            match std::fs::create_dir(&path) {
                Ok(()) => {
                    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o700))?;
                    return Ok(Self { path });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
        Err(std::io::Error::other("no free runtime dir name"))
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for RuntimeDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_private_and_removed_on_drop() {
        let dir = RuntimeDir::new("selftest").unwrap();
        let mode = std::fs::metadata(dir.path()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        let path = dir.path().to_owned();
        drop(dir);
        assert!(!path.exists());
    }
}
