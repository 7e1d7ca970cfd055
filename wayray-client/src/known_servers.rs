//! Pinned server identities, like ssh's known_hosts: one line per server, `HOST:PORT
//! sha256:HEX`. The first connection pins (after the user agrees); a changed identity is
//! refused.

use std::io::Write;
use std::path::{Path, PathBuf};

/// The default file: `$XDG_CONFIG_HOME/wayray/known_servers` or `~/.config/wayray/known_servers`.
pub fn default_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("wayray").join("known_servers"))
}

/// The pinned fingerprint of `server`, if any.
pub fn lookup(path: &Path, server: &str) -> std::io::Result<Option<String>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    Ok(find(&text, server).map(str::to_owned))
}

/// The fingerprint pinned for `server` in the text of a known_servers file: the second field of
/// the first line whose first field is `server`. Lines that do not fit are skipped.
pub fn find<'a>(text: &'a str, server: &str) -> Option<&'a str> {
    text.lines().find_map(|line| {
        let mut parts = line.split_whitespace();
        (parts.next() == Some(server))
            .then(|| parts.next())
            .flatten()
    })
}

/// Pins `fingerprint` for `server` (appends a line; the file is created 0600).
pub fn add(path: &Path, server: &str, fingerprint: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    writeln!(file, "{server} {fingerprint}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_round_trip() {
        let path = std::env::temp_dir().join(format!("wayray-known-{}", std::process::id()));
        let _ = std::fs::remove_file(&path);
        assert_eq!(lookup(&path, "a:1").unwrap(), None);
        add(&path, "a:1", "sha256:aa").unwrap();
        add(&path, "b:2", "sha256:bb").unwrap();
        assert_eq!(lookup(&path, "b:2").unwrap().as_deref(), Some("sha256:bb"));
        assert_eq!(lookup(&path, "a:10").unwrap(), None);
        let _ = std::fs::remove_file(&path);
    }
}
