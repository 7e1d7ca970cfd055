//! Which sound server a session runs ([`SoundServerKind`]): chosen in the daemon's
//! configuration (`[session] sound_server`), carried in the session helper's start request
//! and on the session process's command line.

use serde::{Deserialize, Serialize};

/// A session's sound server. Both speak the PulseAudio protocol to the session's
/// applications (`PULSE_SERVER`), so nothing else about the session changes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum SoundServerKind {
    /// Debian's `pulseaudio`: one process.
    #[default]
    Pulseaudio,
    /// PipeWire: `pipewire`, `wireplumber` (linking streams to the sink) and `pipewire-pulse`.
    Pipewire,
}

impl SoundServerKind {
    /// Its name in configuration files and on command lines.
    pub fn name(self) -> &'static str {
        match self {
            Self::Pulseaudio => "pulseaudio",
            Self::Pipewire => "pipewire",
        }
    }
}
