//! The daemon's configuration file (TOML): `$XDG_CONFIG_HOME/wayray/server.toml`, or the file
//! given with `--config`. Every key is optional; the book lists each with its default.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The default UDP port viewers connect to.
pub const DEFAULT_PORT: u16 = 47600;

/// Terminals tried, in order, when `[session] command` is not set.
pub const TERMINALS: &[&str] = &["foot", "weston-terminal", "alacritty", "kitty", "konsole"];

/// The whole file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// UDP address viewers connect to.
    pub listen: SocketAddr,
    /// Identity, registry and session logs (default `$XDG_STATE_HOME/wayray`).
    pub state_dir: Option<PathBuf>,
    /// The admin socket (default `$XDG_RUNTIME_DIR/wayray/admin.sock`).
    pub admin_socket: Option<PathBuf>,
    /// Whether a token the registry does not know creates a session (and is registered).
    pub auto_create: bool,
    /// Most unacknowledged frames on the wire per viewer.
    pub frames_in_flight: usize,
    /// Most sessions running at once; a new one beyond that is refused ("the server is full").
    pub max_sessions: usize,
    /// With `auto_create`: most running sessions that viewers from one address started.
    pub max_sessions_per_source: usize,
    /// Days the audit log keeps an entry; 0 keeps entries until `audit_max_rows` pushes them out.
    pub audit_retention_days: u64,
    /// Most entries the audit log keeps (the oldest go first).
    pub audit_max_rows: u64,
    /// What each session runs.
    pub session: SessionDefaults,
    /// Logging in with Unix accounts (multi-user mode).
    pub login: LoginConfig,
    /// Sharing the clipboard with the desks.
    pub clipboard: ClipboardConfig,
    /// A pool of servers sharing tokens and sessions through etcd (none: this server alone).
    pub pool: Option<super::pool::config::PoolConfig>,
}

/// The `[clipboard]` table: which way copy and paste work between a desk and its session.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClipboardConfig {
    /// `both`, `to-desk` (copy in the session, paste at the desk), `to-session` or `none`.
    pub direction: ClipboardDirection,
    /// The largest entry passed either way, in MiB.
    pub max_size_mib: u64,
}

/// Which way the clipboard is shared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClipboardDirection {
    /// Both ways.
    Both,
    /// From the session to the desk only.
    ToDesk,
    /// From the desk to the session only.
    ToSession,
    /// Not at all (viewers are not offered the clipboard).
    None,
}

impl Default for ClipboardConfig {
    fn default() -> Self {
        Self {
            direction: ClipboardDirection::Both,
            max_size_mib: 16,
        }
    }
}

impl ClipboardConfig {
    /// The policy every viewer connection applies.
    pub fn policy(&self) -> wayray_protocol::session::ClipboardPolicy {
        use ClipboardDirection::*;
        wayray_protocol::session::ClipboardPolicy {
            to_session: matches!(self.direction, Both | ToSession),
            to_desk: matches!(self.direction, Both | ToDesk),
            max_bytes: self.max_size_mib << 20,
        }
    }
}

/// The `[login]` table: multi-user mode. Started as root with `enabled = true`, `serve` runs
/// a privileged helper for PAM and session processes and the network daemon as
/// `daemon_user`; viewers log in with their Unix user name and password.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LoginConfig {
    /// Whether viewers log in with a user name and password.
    pub enabled: bool,
    /// The unprivileged user the network daemon runs as.
    pub daemon_user: String,
    /// The PAM service (`/etc/pam.d/NAME`).
    pub pam_service: String,
    /// Sessions one user may have; a login beyond that attaches to the newest.
    pub sessions_per_user: usize,
    /// The daemon's runtime directory: admin socket, helper socket, session link sockets.
    pub runtime_dir: PathBuf,
    /// Where users' runtime directories are (`/run/user/UID`), created when missing.
    pub user_runtime_base: PathBuf,
    /// Most processes one user may run (`RLIMIT_NPROC` of each session); 0: no limit.
    pub max_processes: u64,
    /// Most open files per process of a session (`RLIMIT_NOFILE`); 0: no limit.
    pub max_open_files: u64,
    /// Most memory one process of a session may allocate, in MiB (`RLIMIT_DATA`); 0: no limit.
    pub max_process_memory_mib: u64,
}

impl Default for LoginConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            daemon_user: "wayray".into(),
            pam_service: "wayray".into(),
            sessions_per_user: 1,
            runtime_dir: PathBuf::from("/run/wayray"),
            user_runtime_base: PathBuf::from("/run/user"),
            max_processes: 2048,
            max_open_files: 8192,
            max_process_memory_mib: 0,
        }
    }
}

impl LoginConfig {
    /// The helper's socket.
    pub fn helper_socket(&self) -> PathBuf {
        self.runtime_dir.join("sessiond.sock")
    }

    /// Where the session link sockets are (one directory per session).
    pub fn sessions_dir(&self) -> PathBuf {
        self.runtime_dir.join("sessions")
    }
}

/// The `[session]` table.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SessionDefaults {
    /// Program and arguments started in a new session (default: the first terminal found).
    pub command: Option<Vec<String>>,
    /// Output size before a viewer asks for its own, `WIDTHxHEIGHT`.
    pub size: String,
    /// Output scale before a viewer asks for its own.
    pub scale: f64,
    /// xkb layout of new sessions.
    pub keyboard_layout: String,
    /// Seconds a session without a viewer keeps running; 0 keeps it forever.
    pub idle_timeout_secs: u64,
    /// The largest output a viewer may ask for, `WIDTHxHEIGHT` (larger requests are clamped).
    pub max_size: String,
    /// Run an Xwayland in each session so X11 applications work (`DISPLAY` is set for them).
    pub x11: bool,
    /// Give each session a sound server (`PULSE_SERVER`) whose sound viewers play.
    pub audio: bool,
    /// With `audio`: the sound server each session runs, `pulseaudio` or `pipewire`.
    pub sound_server: crate::sound_kind::SoundServerKind,
    /// With `audio`: a viewer may send its desk's microphone into the session (each viewer
    /// still has to turn it on).
    pub microphone: bool,
    /// The most a viewer's video may use, kbit/s (300–100000): the cap follows each viewer's
    /// link below this.
    pub max_video_kbps: u32,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([0, 0, 0, 0], DEFAULT_PORT)),
            state_dir: None,
            admin_socket: None,
            auto_create: false,
            frames_in_flight: 2,
            max_sessions: 256,
            max_sessions_per_source: 8,
            audit_retention_days: 90,
            audit_max_rows: 100_000,
            session: SessionDefaults::default(),
            login: LoginConfig::default(),
            clipboard: ClipboardConfig::default(),
            pool: None,
        }
    }
}

impl Default for SessionDefaults {
    fn default() -> Self {
        Self {
            command: None,
            size: "1280x720".into(),
            scale: 1.0,
            keyboard_layout: "us".into(),
            idle_timeout_secs: 24 * 60 * 60,
            max_size: "7680x4320".into(),
            x11: true,
            audio: true,
            sound_server: crate::sound_kind::SoundServerKind::default(),
            microphone: true,
            max_video_kbps: wayray_protocol::session::rate::MAX_KBPS,
        }
    }
}

/// The configuration could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid.
    #[error("{path} is not a valid configuration: {message}")]
    Invalid {
        /// The file.
        path: String,
        /// What is wrong, with the line.
        message: String,
    },
}

impl Config {
    /// Reads `path`.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse(&text).map_err(|message| ConfigError::Invalid {
            path: path.display().to_string(),
            message,
        })
    }

    /// Parses and checks a configuration text.
    pub fn parse(text: &str) -> Result<Self, String> {
        let config: Self = toml::from_str(text).map_err(|e| e.to_string())?;
        config.check()?;
        Ok(config)
    }

    fn check(&self) -> Result<(), String> {
        wayray_protocol::geometry::parse_size(&self.session.size)
            .map_err(|e| format!("[session] size: {e}"))?;
        wayray_protocol::geometry::parse_size(&self.session.max_size)
            .map_err(|e| format!("[session] max_size: {e}"))?;
        if !(0.5..=8.0).contains(&self.session.scale) {
            return Err("[session] scale must be between 0.5 and 8".into());
        }
        let video =
            wayray_protocol::session::rate::MIN_KBPS..=wayray_protocol::session::rate::MAX_KBPS;
        if !video.contains(&self.session.max_video_kbps) {
            return Err("[session] max_video_kbps must be between 300 and 100000".into());
        }
        if !(1..=16).contains(&self.frames_in_flight) {
            return Err("frames_in_flight must be between 1 and 16".into());
        }
        if !(1..=10_000).contains(&self.max_sessions) {
            return Err("max_sessions must be between 1 and 10000".into());
        }
        if !(1..=10_000).contains(&self.max_sessions_per_source) {
            return Err("max_sessions_per_source must be between 1 and 10000".into());
        }
        if !(1..=1024).contains(&self.clipboard.max_size_mib) {
            return Err("[clipboard] max_size_mib must be between 1 and 1024".into());
        }
        if self.audit_max_rows < 100 {
            return Err("audit_max_rows must be at least 100".into());
        }
        if self.session.command.as_ref().is_some_and(Vec::is_empty) {
            return Err("[session] command must name a program".into());
        }
        if self.login.enabled && self.auto_create {
            return Err(
                "auto_create cannot be used with [login] enabled: every session \
                        belongs to a user who logged in"
                    .into(),
            );
        }
        if !(1..=16).contains(&self.login.sessions_per_user) {
            return Err("[login] sessions_per_user must be between 1 and 16".into());
        }
        if let Some(pool) = &self.pool {
            pool.check()?;
        }
        if !self.login.runtime_dir.is_absolute() || !self.login.user_runtime_base.is_absolute() {
            return Err("[login] runtime_dir and user_runtime_base must be absolute".into());
        }
        Ok(())
    }

    /// The file read when `--config` is not given, if it exists.
    pub fn default_path() -> Option<PathBuf> {
        let base = std::env::var_os("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
        Some(base.join("wayray").join("server.toml"))
    }

    /// The largest output a viewer may ask for (checked when the file was read).
    pub fn max_output(&self) -> (u32, u32) {
        wayray_protocol::geometry::parse_size(&self.session.max_size).unwrap_or((7680, 4320))
    }

    /// The session command: the configured one, or the first terminal on `PATH`.
    pub fn session_command(&self) -> Option<Vec<String>> {
        if let Some(command) = &self.session.command {
            return Some(command.clone());
        }
        let path = std::env::var_os("PATH")?;
        TERMINALS
            .iter()
            .find(|name| std::env::split_paths(&path).any(|dir| dir.join(name).is_file()))
            .map(|name| vec![(*name).to_owned()])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_file_is_the_defaults() {
        assert_eq!(Config::parse("").unwrap(), Config::default());
    }

    #[test]
    fn every_key_parses() {
        let config = Config::parse(
            r#"
            listen = "127.0.0.1:7000"
            state_dir = "/var/lib/wayray"
            admin_socket = "/run/wayray/admin.sock"
            auto_create = true
            frames_in_flight = 3
            max_sessions = 40
            max_sessions_per_source = 4
            [session]
            command = ["weston-terminal", "--shell=/bin/sh"]
            size = "1920x1080"
            scale = 1.5
            keyboard_layout = "de"
            idle_timeout_secs = 60
            max_size = "3840x2160"
            max_video_kbps = 20000
            sound_server = "pipewire"
            [login]
            enabled = false
            daemon_user = "wr-daemon"
            pam_service = "wayray-test"
            sessions_per_user = 2
            runtime_dir = "/run/wr"
            user_runtime_base = "/run/user"
            [clipboard]
            direction = "to-desk"
            max_size_mib = 4
            "#,
        )
        .unwrap();
        assert_eq!(config.listen, "127.0.0.1:7000".parse().unwrap());
        assert!(config.auto_create);
        assert_eq!(config.frames_in_flight, 3);
        assert_eq!(
            (config.max_sessions, config.max_sessions_per_source),
            (40, 4)
        );
        assert!(Config::parse("max_sessions_per_source = 0").is_err());
        assert_eq!(
            config.session_command().unwrap(),
            ["weston-terminal", "--shell=/bin/sh"]
        );
        assert_eq!(config.session.idle_timeout_secs, 60);
        assert_eq!(config.session.max_video_kbps, 20_000);
        assert_eq!(
            config.session.sound_server,
            crate::sound_kind::SoundServerKind::Pipewire
        );
        assert_eq!(config.login.daemon_user, "wr-daemon");
        assert_eq!(config.max_output(), (3840, 2160));
        let clipboard = config.clipboard.policy();
        assert!(clipboard.to_desk && !clipboard.to_session);
        assert_eq!(clipboard.max_bytes, 4 << 20);
        assert_eq!(
            config.login.helper_socket(),
            PathBuf::from("/run/wr/sessiond.sock")
        );
    }

    #[test]
    fn mistakes_are_reported_with_the_key() {
        let unknown = Config::parse("listne = \"1.2.3.4:5\"").unwrap_err();
        assert!(unknown.contains("listne"), "{unknown}");
        let size = Config::parse("[session]\nsize = \"big\"").unwrap_err();
        assert!(size.contains("size"), "{size}");
        assert!(Config::parse("frames_in_flight = 0").is_err());
        assert!(Config::parse("[session]\ncommand = []").is_err());
        let both = Config::parse("auto_create = true\n[login]\nenabled = true").unwrap_err();
        assert!(both.contains("auto_create"), "{both}");
        assert!(Config::parse("[login]\nsessions_per_user = 0").is_err());
        let direction = Config::parse("[clipboard]\ndirection = \"out\"").unwrap_err();
        assert!(direction.contains("direction"), "{direction}");
        assert!(Config::parse("[clipboard]\nmax_size_mib = 0").is_err());
        let sound = Config::parse("[session]\nsound_server = \"alsa\"").unwrap_err();
        assert!(sound.contains("sound_server"), "{sound}");
        let video = Config::parse("[session]\nmax_video_kbps = 100").unwrap_err();
        assert!(video.contains("max_video_kbps"), "{video}");
        assert!(Config::parse("[login]\nruntime_dir = \"run\"").is_err());
    }
}
