//! The link between the daemon and one session process: a Unix stream socket in the runtime
//! dir, carrying the same length-prefixed postcard frames as the network.
//!
//! The daemon opens one connection to manage the session (status, screenshots, starting apps,
//! stopping) and one more per attached viewer. On a viewer connection the first request is
//! [`LinkRequest::AttachViewer`]; then the daemon relays the viewer's control and input messages
//! and the session answers with display messages that are already framed for the viewer, so the
//! daemon forwards them without decoding or re-encoding.

use serde::{Deserialize, Serialize};

use super::clipboard::ClipboardMessage;
use super::control::{ControlMessage, OutputMode};
use super::input::InputMessage;
use super::{MAX_NAME, MAX_TEXT, check_len};
use crate::{Channel, ValidationError, WireMessage};

/// Most arguments of a command started in a session.
pub const MAX_ARGS: usize = 256;

/// Daemon → session process.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub enum LinkRequest {
    /// This connection carries a viewer from now on. A newer viewer connection replaces it.
    AttachViewer(LinkAttach),
    /// A viewer's control message (frame acks, keyframe and resize requests).
    Control(ControlMessage),
    /// A viewer's input event.
    Input(InputMessage),
    /// Answer with [`LinkReply::Status`].
    Status,
    /// Answer with [`LinkReply::Screenshot`].
    Screenshot,
    /// Start an application inside the session; answer with [`LinkReply::Started`].
    Run(Vec<String>),
    /// Stop the session and its applications; answer with [`LinkReply::Stopping`].
    Stop,
    /// Drop the attached viewer (the session keeps running); answer with [`LinkReply::Done`].
    DetachViewer,
    /// A viewer's clipboard message, already checked against the server's clipboard policy.
    Clipboard(ClipboardMessage),
    /// A datagram of the viewer's microphone (an `AudioMessage` the daemon decoded and
    /// validated), only from a viewer that negotiated the microphone.
    Microphone(#[serde(with = "serde_bytes")] Vec<u8>),
    /// The most the viewer's video may use now, kbit/s: the daemon's estimate of the link
    /// (`session::rate`), for the H.264 encoder's rate cap.
    VideoRate(u32),
}

/// A viewer joins the session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct LinkAttach {
    /// The viewer's address, for logs.
    pub viewer: String,
    /// The output mode the viewer would like.
    pub preferred_mode: Option<OutputMode>,
    /// What the connection negotiated: the session sends only what the viewer decodes.
    pub capabilities: crate::Capabilities,
}

/// Session process → daemon.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub enum LinkReply {
    /// The viewer is attached; the output mode now in effect.
    Attached(OutputMode),
    /// One display message for the viewer, already framed (length prefix included).
    Display(LinkDisplay),
    /// What the session is.
    Status(LinkStatus),
    /// The current output as a PNG file.
    Screenshot(#[serde(with = "serde_bytes")] Vec<u8>),
    /// An application was started with this process id.
    Started(u32),
    /// The session is stopping.
    Stopping,
    /// A request failed.
    Error(String),
    /// A request without other answer is done.
    Done,
    /// The viewer of this connection was replaced or detached; the connection ends.
    ViewerDetached,
    /// A clipboard message for the viewer (the daemon applies its clipboard policy).
    Clipboard(ClipboardMessage),
    /// An audio datagram for the viewer (an encoded `AudioMessage`, sent as it is), only to a
    /// viewer that negotiated audio.
    Audio(#[serde(with = "serde_bytes")] Vec<u8>),
    /// As `Display`, for a frame that only plays video to a viewer that lets frames overtake
    /// it: the daemon may spread its bytes over time (`session::pace`).
    PacedDisplay(LinkDisplay),
}

/// A display message on its way to the viewer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct LinkDisplay {
    /// For a frame update, which one: the daemon records it in the connection's in-flight
    /// window without decoding the bytes.
    pub frame: Option<LinkFrame>,
    /// The message, framed for the viewer.
    #[serde(with = "serde_bytes")]
    pub bytes: Vec<u8>,
}

/// The sequence number and kind of a frame update.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct LinkFrame {
    /// The frame's sequence number.
    pub sequence: u64,
    /// Whether it is a keyframe.
    pub keyframe: bool,
}

/// The state of a session process.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct LinkStatus {
    /// Its process id.
    pub pid: u32,
    /// Its Wayland socket name (`WAYLAND_DISPLAY`).
    pub wayland_display: String,
    /// The output mode in effect.
    pub mode: OutputMode,
    /// Frames rendered so far.
    pub frames: u64,
    /// Mapped windows.
    pub windows: u32,
    /// Whether a viewer connection is attached.
    pub viewer_attached: bool,
    /// Its sound, when it has a sound server.
    pub sound: Option<crate::admin::SessionSound>,
    /// The video's rate cap, kbit/s, while a viewer is attached.
    pub video_kbps: Option<u32>,
}

impl WireMessage for LinkRequest {
    const CHANNEL: Channel = Channel::Link;
    const VARIANTS: &'static [&'static str] = &[
        "AttachViewer",
        "Control",
        "Input",
        "Status",
        "Screenshot",
        "Run",
        "Stop",
        "DetachViewer",
        "Clipboard",
        "Microphone",
        "VideoRate",
    ];

    fn name(&self) -> &'static str {
        match self {
            Self::AttachViewer(_) => "AttachViewer",
            Self::Control(_) => "Control",
            Self::Input(_) => "Input",
            Self::Status => "Status",
            Self::Screenshot => "Screenshot",
            Self::Run(_) => "Run",
            Self::Stop => "Stop",
            Self::DetachViewer => "DetachViewer",
            Self::Clipboard(_) => "Clipboard",
            Self::Microphone(_) => "Microphone",
            Self::VideoRate(_) => "VideoRate",
        }
    }

    fn validate(&self) -> Result<(), ValidationError> {
        match self {
            Self::AttachViewer(attach) => {
                check_len("viewer", &attach.viewer, MAX_NAME)?;
                attach
                    .preferred_mode
                    .as_ref()
                    .map_or(Ok(()), OutputMode::validate)
            }
            Self::Control(msg) => msg.validate(),
            Self::Input(msg) => msg.validate(),
            Self::Run(args) => {
                if args.is_empty() || args.len() > MAX_ARGS {
                    return Err(ValidationError::OutOfRange {
                        field: "command",
                        detail: format!("{} arguments, expected 1..={MAX_ARGS}", args.len()),
                    });
                }
                args.iter()
                    .try_for_each(|a| check_len("argument", a, MAX_TEXT))
            }
            Self::Clipboard(msg) => msg.validate(),
            Self::Microphone(bytes) => check_datagram(bytes),
            Self::VideoRate(kbps) => {
                if *kbps == 0 {
                    return Err(ValidationError::OutOfRange {
                        field: "video rate",
                        detail: "0 kbit/s".into(),
                    });
                }
                Ok(())
            }
            Self::Status | Self::Screenshot | Self::Stop | Self::DetachViewer => Ok(()),
        }
    }
}

impl WireMessage for LinkReply {
    const CHANNEL: Channel = Channel::Link;
    const VARIANTS: &'static [&'static str] = &[
        "Attached",
        "Display",
        "Status",
        "Screenshot",
        "Started",
        "Stopping",
        "Error",
        "Done",
        "ViewerDetached",
        "Clipboard",
        "Audio",
        "PacedDisplay",
    ];

    fn name(&self) -> &'static str {
        match self {
            Self::Attached(_) => "Attached",
            Self::Display(_) => "Display",
            Self::Status(_) => "Status",
            Self::Screenshot(_) => "Screenshot",
            Self::Started(_) => "Started",
            Self::Stopping => "Stopping",
            Self::Error(_) => "Error",
            Self::Done => "Done",
            Self::ViewerDetached => "ViewerDetached",
            Self::Clipboard(_) => "Clipboard",
            Self::Audio(_) => "Audio",
            Self::PacedDisplay(_) => "PacedDisplay",
        }
    }

    fn validate(&self) -> Result<(), ValidationError> {
        match self {
            Self::Audio(bytes) => check_datagram(bytes),
            Self::Attached(mode) => mode.validate(),
            Self::Status(status) => {
                check_len("wayland display", &status.wayland_display, MAX_NAME)?;
                status.mode.validate()
            }
            Self::Error(text) => check_len("error", text, MAX_TEXT),
            Self::Clipboard(msg) => msg.validate(),
            Self::Display(_)
            | Self::PacedDisplay(_)
            | Self::Screenshot(_)
            | Self::Started(_)
            | Self::Stopping
            | Self::Done
            | Self::ViewerDetached => Ok(()),
        }
    }
}

/// An audio datagram fits the audio channel.
fn check_datagram(bytes: &[u8]) -> Result<(), ValidationError> {
    let max = Channel::Audio.max_message_size();
    if bytes.len() > max {
        return Err(ValidationError::TooLong {
            field: "audio datagram",
            len: bytes.len(),
            max,
        });
    }
    Ok(())
}
