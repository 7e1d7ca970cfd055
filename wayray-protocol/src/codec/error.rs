//! Codec errors.

use crate::Rect;
use crate::messages::display::Codec;

/// A region could not be decoded. The frame it came in is unusable: the viewer asks for a
/// keyframe.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    /// The rectangle is empty or outside the framebuffer.
    #[error("region {rect:?} is empty or outside the framebuffer")]
    OutOfBounds {
        /// The rectangle.
        rect: Rect,
    },
    /// The rectangle is larger than a pixel codec may cover.
    #[error("region {rect:?} is larger than the {max}-pixel limit of its codec")]
    RegionTooLarge {
        /// The rectangle.
        rect: Rect,
        /// The limit.
        max: u64,
    },
    /// The payload has the wrong size or structure for its codec.
    #[error("malformed {codec:?} payload: {detail}")]
    Malformed {
        /// The codec.
        codec: Codec,
        /// What is wrong.
        detail: String,
    },
    /// zstd could not decompress the payload, or it decompressed to the wrong size.
    #[error("{codec:?} payload does not decompress to {expected} bytes: {detail}")]
    Decompress {
        /// The codec.
        codec: Codec,
        /// Expected decompressed size.
        expected: usize,
        /// What went wrong.
        detail: String,
    },
    /// This decoder does not handle the codec.
    #[error("{codec:?} regions are not handled by this decoder")]
    Unsupported {
        /// The codec.
        codec: Codec,
    },
    /// Compression failed (encoder side).
    #[error("compression failed: {0}")]
    Compress(String),
}

impl CodecError {
    pub(crate) fn malformed(codec: Codec, detail: impl Into<String>) -> Self {
        Self::Malformed {
            codec,
            detail: detail.into(),
        }
    }
}
