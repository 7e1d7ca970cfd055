//! The files an administrator or a user writes and WayRay reads: the server's TOML
//! configuration (with its checks and the values derived from it), the viewer's TOML
//! configuration, and the viewer's known_servers pins. Any panic is a bug; a pin appended the
//! way the viewer appends it must be found again.

use std::path::Path;

use wayray_client::config::ClientConfig;
use wayray_client::known_servers;
use wayray_server::daemon::config::Config;

/// One input; panics on a bug.
pub fn check(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    match selector % 3 {
        0 => {
            if let Ok(config) = Config::parse(text) {
                let (width, height) = config.max_output();
                assert!(width > 0 && height > 0);
            }
        }
        1 => drop(ClientConfig::parse(text, Path::new("client.toml"))),
        _ => {
            let server = "desk.example:7000";
            let fingerprint = "sha256:00ff";
            let _ = known_servers::find(text, server);
            let pinned = known_servers::find(text, server).is_some();
            let mut appended = text.to_owned();
            if !appended.is_empty() && !appended.ends_with('\n') {
                appended.push('\n');
            }
            appended.push_str(&format!("{server} {fingerprint}\n"));
            if !pinned {
                assert_eq!(known_servers::find(&appended, server), Some(fingerprint));
            }
        }
    }
}
