//! Display channel: frame updates made of encoded regions, and the cursor.
//!
//! The payload of a region is opaque here: its [`Codec`] tag says which decoder reads it. Each
//! frame travels on its own unidirectional QUIC stream so that one slow frame never holds up
//! input or control.

use serde::{Deserialize, Serialize};

use crate::geometry::MAX_EDGE;
use crate::messages::check_range;
use crate::{Channel, Rect, ValidationError, WireMessage};

#[path = "cursor_zstd.rs"]
mod cursor_zstd;
pub use cursor_zstd::PackedCursor;

/// A message on a display stream.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub enum DisplayMessage {
    /// Changed regions of the output.
    FrameUpdate(FrameUpdate),
    /// The cursor is this image (client-side cursor).
    CursorImage(CursorImage),
    /// The cursor is a named shape from the viewer's own theme, or hidden.
    CursorShape(CursorShape),
    /// The cursor is this image, its pixels zstd-compressed (only with
    /// [`crate::Capabilities::CURSOR_ZSTD`]).
    PackedCursor(PackedCursor),
    /// A frame the viewer may apply as soon as frame `after` is applied (in sequence or
    /// ahead of it), ahead of the frames between, which only play video elsewhere (only with
    /// [`crate::Capabilities::OVERTAKE`]; the rules are in `session::overtake`).
    FrameAfter(FrameAfter),
}

/// A frame that may overtake the video frames sent just before it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct FrameAfter {
    /// The frame it waits for (older than `update.sequence`; the one just before it where
    /// that one may go ahead of video frames itself).
    pub after: u64,
    /// The frame; never a keyframe.
    pub update: FrameUpdate,
}

/// One frame: regions to apply in order, then show.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrameUpdate {
    /// Increases by one per frame; acknowledged with `FrameAck`.
    pub sequence: u64,
    /// Output width in pixels; a change means the viewer resizes its framebuffer first.
    pub output_width: u32,
    /// Output height in pixels.
    pub output_height: u32,
    /// The regions cover the whole output and depend on no earlier frame.
    pub keyframe: bool,
    /// Region updates, applied in order.
    pub regions: Vec<RegionUpdate>,
}

/// One rectangle of a frame and how it is encoded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegionUpdate {
    /// Where the decoded pixels go.
    pub rect: Rect,
    /// Which decoder reads `payload`.
    pub codec: Codec,
    /// Codec-specific bytes.
    #[serde(with = "serde_bytes")]
    pub payload: Vec<u8>,
}

/// How a region's payload is encoded. Pixels are BGRA (little-endian ARGB8888, as wl_shm).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub enum Codec {
    /// One colour fills the rectangle.
    Solid,
    /// A small palette plus packed indices (text and UI).
    Palette,
    /// XOR against the previous content of the rectangle, then zstd.
    DeltaZstd,
    /// Raw pixels, then zstd.
    RawZstd,
    /// Copy a rectangle of the current framebuffer from another place (scroll, window move).
    CopyRect,
    /// An H.264 access unit for a video region.
    H264,
    /// Content the viewer already holds in its content cache, named by its key (only with
    /// [`crate::Capabilities::CONTENT_CACHE`]).
    Cached,
}

/// A cursor image with its hotspot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CursorImage {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Hotspot column.
    pub hotspot_x: u32,
    /// Hotspot row.
    pub hotspot_y: u32,
    /// Premultiplied BGRA, row-major, `width * height * 4` bytes.
    #[serde(with = "serde_bytes")]
    pub pixels: Vec<u8>,
}

impl CursorImage {
    /// Largest cursor edge.
    pub const MAX_EDGE: u32 = 256;
}

/// A cursor from the viewer's theme, named as in wp_cursor_shape_v1 (plus hidden).
#[allow(missing_docs)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub enum CursorShape {
    Hidden,
    Default,
    ContextMenu,
    Help,
    Pointer,
    Progress,
    Wait,
    Cell,
    Crosshair,
    Text,
    VerticalText,
    Alias,
    Copy,
    Move,
    NoDrop,
    NotAllowed,
    Grab,
    Grabbing,
    EResize,
    NResize,
    NeResize,
    NwResize,
    SResize,
    SeResize,
    SwResize,
    WResize,
    EwResize,
    NsResize,
    NeswResize,
    NwseResize,
    ColResize,
    RowResize,
    AllScroll,
    ZoomIn,
    ZoomOut,
}

impl CursorShape {
    /// Every shape, in wire order, with its CSS / cursor-theme name (as in wp_cursor_shape_v1).
    pub const NAMES: [(Self, &'static str); 35] = [
        (Self::Hidden, "none"),
        (Self::Default, "default"),
        (Self::ContextMenu, "context-menu"),
        (Self::Help, "help"),
        (Self::Pointer, "pointer"),
        (Self::Progress, "progress"),
        (Self::Wait, "wait"),
        (Self::Cell, "cell"),
        (Self::Crosshair, "crosshair"),
        (Self::Text, "text"),
        (Self::VerticalText, "vertical-text"),
        (Self::Alias, "alias"),
        (Self::Copy, "copy"),
        (Self::Move, "move"),
        (Self::NoDrop, "no-drop"),
        (Self::NotAllowed, "not-allowed"),
        (Self::Grab, "grab"),
        (Self::Grabbing, "grabbing"),
        (Self::EResize, "e-resize"),
        (Self::NResize, "n-resize"),
        (Self::NeResize, "ne-resize"),
        (Self::NwResize, "nw-resize"),
        (Self::SResize, "s-resize"),
        (Self::SeResize, "se-resize"),
        (Self::SwResize, "sw-resize"),
        (Self::WResize, "w-resize"),
        (Self::EwResize, "ew-resize"),
        (Self::NsResize, "ns-resize"),
        (Self::NeswResize, "nesw-resize"),
        (Self::NwseResize, "nwse-resize"),
        (Self::ColResize, "col-resize"),
        (Self::RowResize, "row-resize"),
        (Self::AllScroll, "all-scroll"),
        (Self::ZoomIn, "zoom-in"),
        (Self::ZoomOut, "zoom-out"),
    ];

    /// The shape with this CSS name (`default` for names WayRay does not know).
    pub fn from_name(name: &str) -> Self {
        Self::NAMES
            .iter()
            .find(|(_, n)| *n == name)
            .map_or(Self::Default, |(shape, _)| *shape)
    }

    /// The CSS name of the shape.
    pub fn name(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(shape, _)| *shape == self)
            .map_or("default", |(_, n)| n)
    }
}

impl FrameUpdate {
    /// Checks the output size and that every region lies inside the output.
    pub fn validate(&self) -> Result<(), ValidationError> {
        check_range("output width", self.output_width, 1..=MAX_EDGE)?;
        check_range("output height", self.output_height, 1..=MAX_EDGE)?;
        for region in &self.regions {
            if region.rect.area() == 0
                || !region.rect.fits_in(self.output_width, self.output_height)
            {
                return Err(ValidationError::OutOfRange {
                    field: "region",
                    detail: format!(
                        "{:?} is empty or outside the {}x{} output",
                        region.rect, self.output_width, self.output_height
                    ),
                });
            }
        }
        Ok(())
    }
}

impl CursorImage {
    /// Checks size, hotspot and pixel count.
    pub fn validate(&self) -> Result<(), ValidationError> {
        check_range("cursor width", self.width, 1..=Self::MAX_EDGE)?;
        check_range("cursor height", self.height, 1..=Self::MAX_EDGE)?;
        check_range("cursor hotspot x", self.hotspot_x, 0..=self.width - 1)?;
        check_range("cursor hotspot y", self.hotspot_y, 0..=self.height - 1)?;
        let expected = self.width as usize * self.height as usize * 4;
        if self.pixels.len() != expected {
            return Err(ValidationError::OutOfRange {
                field: "cursor pixels",
                detail: format!("{} bytes, expected {expected}", self.pixels.len()),
            });
        }
        Ok(())
    }
}

impl WireMessage for DisplayMessage {
    const CHANNEL: Channel = Channel::Display;
    const VARIANTS: &'static [&'static str] = &[
        "FrameUpdate",
        "CursorImage",
        "CursorShape",
        "PackedCursor",
        "FrameAfter",
    ];

    fn name(&self) -> &'static str {
        match self {
            Self::FrameUpdate(_) => "FrameUpdate",
            Self::CursorImage(_) => "CursorImage",
            Self::CursorShape(_) => "CursorShape",
            Self::PackedCursor(_) => "PackedCursor",
            Self::FrameAfter(_) => "FrameAfter",
        }
    }

    fn validate(&self) -> Result<(), ValidationError> {
        match self {
            Self::FrameUpdate(frame) => frame.validate(),
            Self::CursorImage(image) => image.validate(),
            Self::CursorShape(_) => Ok(()),
            Self::PackedCursor(packed) => packed.validate(),
            Self::FrameAfter(frame) => {
                if frame.update.keyframe || frame.after >= frame.update.sequence {
                    return Err(ValidationError::OutOfRange {
                        field: "frame after",
                        detail: format!(
                            "frame {} (keyframe: {}) cannot wait for frame {}",
                            frame.update.sequence, frame.update.keyframe, frame.after
                        ),
                    });
                }
                frame.update.validate()
            }
        }
    }
}
