//! The viewer's configuration file, `$XDG_CONFIG_HOME/wayray/client.toml` (or
//! `~/.config/wayray/client.toml`, or `--config FILE`): the keyboard layout of this desk and
//! how long to keep resuming a dropped connection. Command-line flags override it. Unknown keys
//! are errors, so a misspelt key is not silently ignored.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use wayray_protocol::Capabilities;
use wayray_protocol::messages::input::KeymapLayout;

/// Keyboard settings (xkb names); empty fields take the session's defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KeyboardConfig {
    /// xkb layout(s), e.g. `de` or `us,de`.
    pub layout: Option<String>,
    /// xkb variant(s), e.g. `nodeadkeys`.
    pub variant: Option<String>,
    /// xkb model, e.g. `pc105`.
    pub model: Option<String>,
    /// xkb options, e.g. `ctrl:nocaps`.
    pub options: Option<String>,
}

/// Connection settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConnectionConfig {
    /// Seconds without hearing from the server before the connection counts as lost.
    pub timeout_secs: Option<u64>,
    /// Seconds to keep trying to resume a dropped connection (0: do not resume).
    pub reconnect_for_secs: Option<u64>,
}

/// The whole file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClientConfig {
    /// `[keyboard]`.
    pub keyboard: KeyboardConfig,
    /// `[connection]`.
    pub connection: ConnectionConfig,
    /// `[clipboard]`.
    pub clipboard: ClipboardConfig,
    /// `[audio]`.
    pub audio: AudioConfig,
    /// `[video]`.
    pub video: VideoConfig,
}

/// How the session's video regions reach this desk.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VideoConfig {
    /// Whether the viewer takes video in full colour resolution (H.264 4:4:4; default true).
    /// Off halves the decoding work of a slow desk at the cost of coloured edges.
    pub full_chroma: Option<bool>,
}

/// The session's sound and the desk's microphone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AudioConfig {
    /// Whether the windowed viewer plays the session's sound (default true).
    pub play: Option<bool>,
    /// Whether the viewer sends the desk's microphone to the session (default false).
    pub microphone: Option<bool>,
}

/// Sharing the desk's clipboard with the session.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClipboardConfig {
    /// Whether the windowed viewer shares the clipboard (default true).
    pub share: Option<bool>,
    /// The largest entry shared either way, in MiB (default 16).
    pub max_size_mib: Option<u64>,
}

/// Default for `max_size_mib`.
pub const DEFAULT_CLIPBOARD_MAX_MIB: u64 = 16;

/// Default for `timeout_secs`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// Default for `reconnect_for_secs`.
pub const DEFAULT_RECONNECT_FOR: Duration = Duration::from_secs(120);

/// The configuration file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Reading failed.
    #[error("cannot read {file}: {source}")]
    Read {
        /// The file.
        file: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The contents are not a valid configuration.
    #[error("{file} is not a valid viewer configuration: {message}")]
    Invalid {
        /// The file.
        file: PathBuf,
        /// The parser's explanation (names the key and line).
        message: String,
    },
}

/// Where the configuration file is looked for when `--config` is not given.
pub fn default_path() -> Option<PathBuf> {
    crate::known_servers::default_path().map(|p| p.with_file_name("client.toml"))
}

impl ClientConfig {
    /// Parses a configuration text.
    pub fn parse(text: &str, file: &Path) -> Result<Self, ConfigError> {
        toml::from_str(text).map_err(|e| ConfigError::Invalid {
            file: file.to_owned(),
            message: e.to_string(),
        })
    }

    /// Reads `file`; a missing file is the default configuration unless `required`.
    pub fn load(file: &Path, required: bool) -> Result<Self, ConfigError> {
        match std::fs::read_to_string(file) {
            Ok(text) => Self::parse(&text, file),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => Ok(Self::default()),
            Err(source) => Err(ConfigError::Read {
                file: file.to_owned(),
                source,
            }),
        }
    }

    /// The keymap to ask the session for: `layout_flag` first, then this file, then the
    /// layout in effect on this desk (`desk`, asked only when needed), then the standard
    /// `XKB_DEFAULT_*` variables (read through `env`), then `us`. The layout decides where the
    /// other names come from: a layout from the file or flag does not take the desk's variant.
    pub fn keymap(
        &self,
        layout_flag: Option<&str>,
        desk: impl FnOnce() -> Option<KeymapLayout>,
        env: impl Fn(&str) -> Option<String>,
    ) -> KeymapLayout {
        let file = &self.keyboard;
        let chosen = layout_flag
            .map(str::to_owned)
            .or_else(|| file.layout.clone());
        // With no layout chosen here, the desk's names come as a whole.
        if chosen.is_none()
            && let Some(desk) = desk()
        {
            return KeymapLayout {
                rules: desk.rules.clone(),
                model: file.model.clone().unwrap_or_else(|| desk.model.clone()),
                layout: desk.layout.clone(),
                variant: file.variant.clone().unwrap_or_else(|| desk.variant.clone()),
                options: file.options.clone().unwrap_or_else(|| desk.options.clone()),
            };
        }
        let pick = |value: &Option<String>, var: &str| {
            value
                .clone()
                .or_else(|| env(var))
                .filter(|v| !v.is_empty())
                .unwrap_or_default()
        };
        let layout = pick(&chosen, "XKB_DEFAULT_LAYOUT");
        KeymapLayout {
            rules: String::new(),
            model: pick(&file.model, "XKB_DEFAULT_MODEL"),
            layout: if layout.is_empty() {
                "us".into()
            } else {
                layout
            },
            variant: pick(&file.variant, "XKB_DEFAULT_VARIANT"),
            options: pick(&file.options, "XKB_DEFAULT_OPTIONS"),
        }
    }

    /// The connection timeout (1 s to an hour).
    pub fn timeout(&self) -> Duration {
        self.connection
            .timeout_secs
            .map_or(DEFAULT_TIMEOUT, |s| Duration::from_secs(s.clamp(1, 3600)))
    }

    /// What this viewer announces at hello: everything it implements, less H.264 4:4:4 when
    /// `full_chroma` (the flag, else the file; default on) is off.
    pub fn capabilities(&self, full_chroma: Option<bool>) -> Capabilities {
        let all = Capabilities::implemented();
        if full_chroma.or(self.video.full_chroma).unwrap_or(true) {
            all
        } else {
            all.intersect(Capabilities::from_bits(!Capabilities::H264_444.bits()))
        }
    }

    /// How long to keep resuming (at most a day).
    pub fn reconnect_for(&self) -> Duration {
        self.connection
            .reconnect_for_secs
            .map_or(DEFAULT_RECONNECT_FOR, |s| {
                Duration::from_secs(s.min(86_400))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn the_flag_beats_the_file_which_beats_the_desk() {
        let file = Path::new("client.toml");
        let config = ClientConfig::parse(
            "[keyboard]\nlayout = \"de\"\nvariant = \"nodeadkeys\"\n",
            file,
        )
        .unwrap();
        let desk = |var: &str| match var {
            "XKB_DEFAULT_LAYOUT" => Some("fr".to_string()),
            "XKB_DEFAULT_OPTIONS" => Some("ctrl:nocaps".to_string()),
            _ => None,
        };
        let x11 = KeymapLayout {
            rules: "evdev".into(),
            model: "pc105".into(),
            layout: "se".into(),
            variant: "svdvorak".into(),
            options: String::new(),
        };
        let keymap = config.keymap(None, || Some(x11.clone()), desk);
        assert_eq!(keymap.layout, "de");
        assert_eq!(keymap.variant, "nodeadkeys");
        assert_eq!(keymap.options, "ctrl:nocaps");
        assert_eq!(
            config.keymap(Some("gb"), || Some(x11.clone()), desk).layout,
            "gb"
        );
        // Nothing chosen here: the X desk's layout, whole.
        assert_eq!(
            ClientConfig::default().keymap(None, || Some(x11.clone()), desk),
            x11
        );
        assert_eq!(
            ClientConfig::default().keymap(None, || None, desk).layout,
            "fr"
        );
        assert_eq!(
            ClientConfig::default().keymap(None, || None, no_env).layout,
            "us"
        );
    }

    #[test]
    fn unknown_keys_are_refused_by_name() {
        let err = ClientConfig::parse("[keyboard]\nlayuot = \"de\"\n", Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("layuot"), "{err}");
    }

    #[test]
    fn connection_settings_have_defaults() {
        let config = ClientConfig::parse(
            "[connection]\ntimeout_secs = 2\nreconnect_for_secs = 0\n",
            Path::new("c.toml"),
        )
        .unwrap();
        assert_eq!(config.timeout(), Duration::from_secs(2));
        assert_eq!(config.reconnect_for(), Duration::ZERO);
        assert_eq!(ClientConfig::default().timeout(), DEFAULT_TIMEOUT);
        assert_eq!(
            ClientConfig::default().reconnect_for(),
            DEFAULT_RECONNECT_FOR
        );
    }

    #[test]
    fn full_chroma_is_announced_unless_the_flag_or_the_file_says_off() {
        if !wayray_protocol::codec::h264_available() {
            // Without an H.264 encoder no video capability is announced at all.
            return;
        }
        let file = Path::new("client.toml");
        let default = ClientConfig::default();
        assert!(default.capabilities(None).contains(Capabilities::H264_444));
        let off = default.capabilities(Some(false));
        assert!(!off.contains(Capabilities::H264_444));
        assert!(off.contains(Capabilities::H264), "4:2:0 video stays");
        assert_eq!(
            off.bits() | Capabilities::H264_444.bits(),
            Capabilities::implemented().bits()
        );
        let config = ClientConfig::parse("[video]\nfull_chroma = false\n", file).unwrap();
        assert!(!config.capabilities(None).contains(Capabilities::H264_444));
        assert!(
            config
                .capabilities(Some(true))
                .contains(Capabilities::H264_444)
        );
    }

    #[test]
    fn a_missing_file_is_the_default_unless_named() {
        let missing = Path::new("/nonexistent/wayray/client.toml");
        assert_eq!(
            ClientConfig::load(missing, false).unwrap(),
            ClientConfig::default()
        );
        assert!(ClientConfig::load(missing, true).is_err());
    }
}
