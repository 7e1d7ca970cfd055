//! A cursor image with its pixels zstd-compressed (capability `cursor-zstd`): an arrow of
//! 24×24 is 2304 bytes as it is and a few hundred compressed, on every connection and every
//! change of cursor.

use serde::{Deserialize, Serialize};

use super::CursorImage;
use crate::ValidationError;
use crate::messages::check_range;

/// zstd level for cursor images: they are small and change seldom.
const LEVEL: i32 = 9;

/// [`CursorImage`] with its pixels as one zstd frame.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct PackedCursor {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Hotspot column.
    pub hotspot_x: u32,
    /// Hotspot row.
    pub hotspot_y: u32,
    /// zstd of the premultiplied BGRA pixels, row-major (`width * height * 4` bytes).
    #[serde(with = "serde_bytes")]
    pub zstd: Vec<u8>,
}

impl PackedCursor {
    /// Packs `image`; `None` where zstd fails (the image then goes as it is).
    pub fn pack(image: &CursorImage) -> Option<Self> {
        Some(Self {
            width: image.width,
            height: image.height,
            hotspot_x: image.hotspot_x,
            hotspot_y: image.hotspot_y,
            zstd: zstd::bulk::compress(&image.pixels, LEVEL).ok()?,
        })
    }

    /// Checks size and hotspot, and that the payload is no larger than zstd can make the
    /// largest cursor.
    pub fn validate(&self) -> Result<(), ValidationError> {
        check_range("cursor width", self.width, 1..=CursorImage::MAX_EDGE)?;
        check_range("cursor height", self.height, 1..=CursorImage::MAX_EDGE)?;
        check_range("cursor hotspot x", self.hotspot_x, 0..=self.width - 1)?;
        check_range("cursor hotspot y", self.hotspot_y, 0..=self.height - 1)?;
        let edge = CursorImage::MAX_EDGE as usize;
        let most = zstd::zstd_safe::compress_bound(edge * edge * 4);
        if self.zstd.len() > most {
            return Err(ValidationError::OutOfRange {
                field: "cursor zstd",
                detail: format!("{} bytes, at most {most}", self.zstd.len()),
            });
        }
        Ok(())
    }

    /// The image: exactly `width * height * 4` bytes must come out.
    pub fn unpack(&self) -> Result<CursorImage, ValidationError> {
        self.validate()?;
        let expected = self.width as usize * self.height as usize * 4;
        let wrong = |detail: String| ValidationError::OutOfRange {
            field: "cursor zstd",
            detail,
        };
        // One byte of room more than the image: a payload that fills it is too long.
        let pixels = zstd::bulk::decompress(&self.zstd, expected + 1)
            .map_err(|e| wrong(format!("not zstd: {e}")))?;
        if pixels.len() != expected {
            return Err(wrong(format!(
                "{} bytes, expected {expected}",
                pixels.len()
            )));
        }
        Ok(CursorImage {
            width: self.width,
            height: self.height,
            hotspot_x: self.hotspot_x,
            hotspot_y: self.hotspot_y,
            pixels,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arrow() -> CursorImage {
        let mut pixels = Vec::new();
        for y in 0..24u32 {
            for x in 0..24u32 {
                let inside = x <= y / 2 && y < 20;
                let edge = inside && (x == 0 || x == y / 2 || y == 19);
                pixels.extend_from_slice(match (inside, edge) {
                    (true, true) => &[0, 0, 0, 0xff],
                    (true, false) => &[0xff, 0xff, 0xff, 0xff],
                    _ => &[0, 0, 0, 0],
                });
            }
        }
        CursorImage {
            width: 24,
            height: 24,
            hotspot_x: 1,
            hotspot_y: 2,
            pixels,
        }
    }

    #[test]
    fn a_packed_cursor_unpacks_to_the_image_in_a_fraction_of_its_bytes() {
        let image = arrow();
        let packed = PackedCursor::pack(&image).unwrap();
        assert!(
            packed.zstd.len() * 4 < image.pixels.len(),
            "{}",
            packed.zstd.len()
        );
        assert_eq!(packed.unpack().unwrap(), image);
    }

    #[test]
    fn a_payload_of_the_wrong_size_or_not_zstd_is_refused() {
        let image = arrow();
        let mut packed = PackedCursor::pack(&image).unwrap();
        packed.height = 23;
        assert!(packed.unpack().is_err(), "too long for the size");
        packed.height = 25;
        assert!(packed.unpack().is_err(), "too short for the size");
        packed.height = 24;
        packed.zstd = vec![0x28, 0xb5, 0x2f, 0xfd, 1, 2, 3];
        assert!(packed.unpack().is_err(), "not zstd");
        packed.zstd = PackedCursor::pack(&image).unwrap().zstd;
        packed.hotspot_x = 24;
        assert!(packed.unpack().is_err(), "hotspot outside");
    }
}
