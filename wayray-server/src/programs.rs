//! Programs the server starts by name (a sound server, a session bus), found on `PATH`.

use std::path::PathBuf;

/// `program` in the first directory of `PATH` that has it (`/usr/bin:/bin` without `PATH`).
pub fn on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into());
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}
