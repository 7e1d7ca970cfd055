//! Rectangles in output pixel coordinates.

use serde::{Deserialize, Serialize};

/// The largest output edge, in pixels, that any message may describe.
pub const MAX_EDGE: u32 = 16384;

/// A rectangle in physical output pixels; `x`, `y` is the top-left corner.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct Rect {
    /// Left edge.
    pub x: u32,
    /// Top edge.
    pub y: u32,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

impl Rect {
    /// A rectangle from its corner and size.
    pub const fn new(x: u32, y: u32, width: u32, height: u32) -> Self {
        Self {
            x,
            y,
            width,
            height,
        }
    }

    /// Number of pixels covered, without overflow.
    pub const fn area(&self) -> u64 {
        self.width as u64 * self.height as u64
    }

    /// Whether the two rectangles share a pixel.
    pub const fn intersects(&self, other: &Rect) -> bool {
        let (ax, ay) = (self.x as u64, self.y as u64);
        let (bx, by) = (other.x as u64, other.y as u64);
        ax < bx + other.width as u64
            && bx < ax + self.width as u64
            && ay < by + other.height as u64
            && by < ay + self.height as u64
    }

    /// Whether the rectangle lies inside a `width` × `height` output (computed without overflow).
    pub const fn fits_in(&self, width: u32, height: u32) -> bool {
        (self.x as u64 + self.width as u64) <= width as u64
            && (self.y as u64 + self.height as u64) <= height as u64
    }
}

/// A size given as text (`--size`, `[session] size`) that is not usable.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParseSizeError {
    /// Not of the form `WIDTHxHEIGHT`.
    #[error("{0:?} is not WIDTHxHEIGHT, e.g. 1920x1080")]
    NotWidthByHeight(String),
    /// An edge that is not a number from 1 to [`MAX_EDGE`].
    #[error("{0:?} is not a size between 1 and {MAX_EDGE}")]
    OutOfRange(String),
}

/// Parses `WIDTHxHEIGHT`, as in `--size 1920x1080`; each edge from 1 to [`MAX_EDGE`].
pub fn parse_size(text: &str) -> Result<(u32, u32), ParseSizeError> {
    let (w, h) = text
        .split_once(['x', 'X'])
        .ok_or_else(|| ParseSizeError::NotWidthByHeight(text.to_owned()))?;
    let parse = |v: &str| {
        v.trim()
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=MAX_EDGE).contains(n))
            .ok_or_else(|| ParseSizeError::OutOfRange(v.to_owned()))
    };
    Ok((parse(w)?, parse(h)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fits_in_does_not_overflow() {
        assert!(!Rect::new(u32::MAX, 0, 2, 1).fits_in(100, 100));
        assert!(Rect::new(90, 90, 10, 10).fits_in(100, 100));
        assert!(!Rect::new(91, 90, 10, 10).fits_in(100, 100));
    }
}
