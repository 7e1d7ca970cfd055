//! Optional features a peer supports, exchanged in the hello messages.
//!
//! Capabilities are a bit set so that a newer peer can announce features an older one has never
//! heard of: unknown bits survive decoding and simply drop out of [`Capabilities::intersect`].

use serde::{Deserialize, Serialize};

/// A set of optional protocol features.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct Capabilities(u64);

impl Capabilities {
    /// The viewer can decode H.264 video regions.
    pub const H264: Self = Self(1 << 0);
    /// The viewer shows the session's cursor as its own (client-side cursor).
    pub const CURSOR: Self = Self(1 << 1);
    /// The peer takes part in clipboard sharing.
    pub const CLIPBOARD: Self = Self(1 << 2);
    /// The viewer sends touch events.
    pub const TOUCH: Self = Self(1 << 3);
    /// The viewer may request fractional output scales.
    pub const FRACTIONAL_SCALE: Self = Self(1 << 4);
    /// The viewer applies copy-rectangle (scroll/move) updates.
    pub const COPY_RECT: Self = Self(1 << 5);
    /// The server accepts a user name and password (`Login`); the viewer can send them.
    pub const LOGIN: Self = Self(1 << 6);
    /// Both keep the content cache ([`crate::codec::ContentCache`]): small regions the
    /// viewer holds already are sent as a reference (`Codec::Cached`).
    pub const CONTENT_CACHE: Self = Self(1 << 7);
    /// The viewer reports its display's refresh rate (`RefreshRate`); the server paces the
    /// session's clients to it.
    pub const REFRESH_RATE: Self = Self(1 << 8);
    /// The viewer plays the session's sound: the server sends it as `AudioMessage`s in QUIC
    /// datagrams.
    pub const AUDIO: Self = Self(1 << 9);
    /// The viewer sends the desk's microphone (`AudioMessage`s in QUIC datagrams); the server
    /// plays it into the session's microphone.
    pub const MICROPHONE: Self = Self(1 << 10);
    /// The viewer follows a `Redirect` to the server of its pool that holds its session, and
    /// shows the server's `Notice`s.
    pub const POOL: Self = Self(1 << 11);
    /// With the content cache: a `Cached` reference may name its entry by ordinal and a
    /// 32-bit check ([`crate::codec::cache::Reference::Ordinal`]), 7 bytes instead of 16.
    pub const CACHE_ORDINALS: Self = Self(1 << 12);
    /// The zstd-coded regions from a keyframe on are the parts of one zstd stream, in the
    /// order they are applied ([`crate::codec::ZstdContext::stream`]): a tile may refer to
    /// the tiles before it, in its frame and in earlier ones.
    pub const ZSTD_STREAM: Self = Self(1 << 13);
    /// The viewer takes cursor images with zstd-compressed pixels
    /// ([`crate::messages::display::PackedCursor`]).
    pub const CURSOR_ZSTD: Self = Self(1 << 14);
    /// With `h264`: the viewer also decodes 4:4:4 H.264 streams (High 4:4:4 Predictive), which
    /// keep colour at full resolution ([`crate::codec::Chroma::Full`]).
    pub const H264_444: Self = Self(1 << 15);
    /// A frame that only changes pixels away from the video may come as
    /// [`crate::messages::display::FrameAfter`] and be applied before the video frames sent
    /// just before it (a typed character's echo does not wait for them).
    pub const OVERTAKE: Self = Self(1 << 16);

    /// Every capability this version of the crate knows, with its name, in bit order.
    pub const KNOWN: &'static [(Self, &'static str)] = &[
        (Self::H264, "h264"),
        (Self::CURSOR, "cursor"),
        (Self::CLIPBOARD, "clipboard"),
        (Self::TOUCH, "touch"),
        (Self::FRACTIONAL_SCALE, "fractional-scale"),
        (Self::COPY_RECT, "copy-rect"),
        (Self::LOGIN, "login"),
        (Self::CONTENT_CACHE, "content-cache"),
        (Self::REFRESH_RATE, "refresh-rate"),
        (Self::AUDIO, "audio"),
        (Self::MICROPHONE, "microphone"),
        (Self::POOL, "pool"),
        (Self::CACHE_ORDINALS, "cache-ordinals"),
        (Self::ZSTD_STREAM, "zstd-stream"),
        (Self::CURSOR_ZSTD, "cursor-zstd"),
        (Self::H264_444, "h264-444"),
        (Self::OVERTAKE, "overtake"),
    ];

    /// Everything this build implements on both sides: what a viewer announces in its hello
    /// and what a server offers. H.264 (4:2:0 and 4:4:4) only when FFmpeg is built in. A
    /// server offers [`Capabilities::LOGIN`] only where login is enabled and
    /// [`Capabilities::CLIPBOARD`] only where its policy allows a direction,
    /// [`Capabilities::AUDIO`] and [`Capabilities::MICROPHONE`] only where its configuration
    /// gives sessions sound and allows microphones (a session without a sound server then
    /// sends none and ignores the microphone); a viewer announces the clipboard only when it
    /// shares the desk's, audio only when it has somewhere to play it, the microphone only when
    /// its user turned it on (each removes what it does not use).
    pub fn implemented() -> Self {
        let base = Self::CURSOR
            | Self::COPY_RECT
            | Self::FRACTIONAL_SCALE
            | Self::TOUCH
            | Self::LOGIN
            | Self::CLIPBOARD
            | Self::CONTENT_CACHE
            | Self::REFRESH_RATE
            | Self::AUDIO
            | Self::MICROPHONE
            | Self::POOL
            | Self::CACHE_ORDINALS
            | Self::ZSTD_STREAM
            | Self::CURSOR_ZSTD
            | Self::OVERTAKE;
        if crate::codec::h264_available() {
            base | Self::H264 | Self::H264_444
        } else {
            base
        }
    }

    /// The empty set.
    pub const fn empty() -> Self {
        Self(0)
    }

    /// Builds a set from raw bits, keeping unknown bits.
    pub const fn from_bits(bits: u64) -> Self {
        Self(bits)
    }

    /// The raw bits.
    pub const fn bits(self) -> u64 {
        self.0
    }

    /// The union of two sets.
    #[must_use]
    pub const fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    /// What both peers support: the features a connection may use.
    #[must_use]
    pub const fn intersect(self, other: Self) -> Self {
        Self(self.0 & other.0)
    }

    /// Whether every feature of `other` is in `self`.
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// Names of the known features in the set, in bit order.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        Self::KNOWN
            .iter()
            .filter(move |(cap, _)| self.contains(*cap))
            .map(|(_, name)| *name)
    }
}

impl std::ops::BitOr for Capabilities {
    type Output = Self;
    fn bitor(self, rhs: Self) -> Self {
        self.union(rhs)
    }
}

impl std::fmt::Debug for Capabilities {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut set = f.debug_set();
        set.entries(self.names());
        let unknown = self.0 & !Self::KNOWN.iter().fold(0, |acc, (c, _)| acc | c.0);
        if unknown != 0 {
            set.entry(&format_args!("unknown({unknown:#x})"));
        }
        set.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_bits_drop_out_of_the_intersection() {
        let newer = Capabilities::from_bits(Capabilities::H264.bits() | 1 << 40);
        let older = Capabilities::H264 | Capabilities::CURSOR;
        assert_eq!(newer.intersect(older), Capabilities::H264);
        assert_eq!(format!("{newer:?}"), "{\"h264\", unknown(0x10000000000)}");
    }
}
