//! The desk card: the hot-desk token a login hands out, kept in a file only its owner reads.
//! Presented with `--token-file`, it moves the session to any desk without the password.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// Writes `token` to `path` (mode 0600; missing parent directories are created 0700).
pub fn save(path: &Path, token: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent()
        && !dir.as_os_str().is_empty()
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(format!("{token}\n").as_bytes())
}

/// Where the window viewer keeps the desk card for `server` (`HOST:PORT` as typed):
/// `$XDG_CONFIG_HOME/wayray/desk-card-HOST_PORT`.
pub fn default_path(server: &str) -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    let name: String = server
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    Some(base.join("wayray").join(format!("desk-card-{name}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_card_is_private_and_named_after_its_server() {
        let dir = std::env::temp_dir().join(format!("wayray-card-{}", std::process::id()));
        let path = dir.join("cards").join("card");
        save(&path, "wrt_secret").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "wrt_secret\n");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        std::fs::remove_dir_all(&dir).unwrap();
        let named = default_path("desk.example:47600").unwrap();
        assert!(
            named.ends_with("wayray/desk-card-desk.example_47600"),
            "{named:?}"
        );
    }
}
