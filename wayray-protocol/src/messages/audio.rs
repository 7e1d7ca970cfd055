//! Audio channel: Opus packets of the session's sound (server → viewer) and of the desk's
//! microphone (viewer → server), each in one QUIC datagram (no length prefix: a datagram is
//! one message). Lost packets are not sent again:
//! the viewer conceals them (docs/adr/0031-session-audio.md).

use serde::{Deserialize, Serialize};

use crate::messages::check_range;
use crate::{Channel, ValidationError, WireMessage};

/// Largest Opus packet carried (a 10 ms stereo packet at the bit rate used is ~120 bytes; a
/// datagram of QUIC's 1200-byte packets holds a little over 1100).
pub const MAX_OPUS_PACKET: usize = 1000;

/// A message of the audio channel.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub enum AudioMessage {
    /// One packet of the session's sound, or of the desk's microphone.
    Opus(AudioPacket),
}

/// One Opus packet: 10 ms of 48 kHz stereo.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct AudioPacket {
    /// Increases by one per packet sent; a gap is a lost packet (silence sends none and
    /// leaves no gap).
    pub sequence: u64,
    /// When its first sample was captured, in microseconds on the session's clock: a jump
    /// larger than a packet's length after consecutive sequence numbers is silence.
    pub capture_us: u64,
    /// The Opus packet.
    #[serde(with = "serde_bytes")]
    #[cfg_attr(test, proptest(strategy = "proptest::collection::vec(0u8.., 0..64)"))]
    pub payload: Vec<u8>,
}

impl std::fmt::Debug for AudioPacket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AudioPacket")
            .field("sequence", &self.sequence)
            .field("capture_us", &self.capture_us)
            .field("bytes", &self.payload.len())
            .finish()
    }
}

impl WireMessage for AudioMessage {
    const CHANNEL: Channel = Channel::Audio;
    const VARIANTS: &'static [&'static str] = &["Opus"];

    fn name(&self) -> &'static str {
        match self {
            Self::Opus(_) => "Opus",
        }
    }

    fn validate(&self) -> Result<(), ValidationError> {
        match self {
            Self::Opus(packet) => {
                check_range("opus packet", packet.payload.len(), 1..=MAX_OPUS_PACKET)
            }
        }
    }
}
