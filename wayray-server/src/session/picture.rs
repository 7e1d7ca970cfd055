//! A picture of the whole output: a pixman image the renderer draws into, readable and
//! writable as tightly packed BGRA bytes. The renderer lends its picture to the encoder's
//! pipeline after each frame instead of the pipeline copying the frame (see
//! `encode/staging.rs`), so pictures move between the compositor and the encoder thread.

use smithay::reexports::pixman::{FormatCode, Image};

/// An output-sized ARGB8888 image (BGRA bytes in memory), rows without padding.
#[derive(Debug)]
pub struct Picture {
    image: Image<'static, 'static>,
}

/// Pixman could not allocate a picture of this size.
#[derive(Debug, thiserror::Error)]
#[error("cannot allocate a {width}x{height} picture")]
pub struct PictureError {
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
}

impl Picture {
    /// A picture of `width`×`height` pixels, all zero.
    pub fn new(width: u32, height: u32) -> Result<Self, PictureError> {
        let image = Image::new(FormatCode::A8R8G8B8, width as usize, height as usize, true)
            .map_err(|_| PictureError { width, height })?;
        if image.stride() != width as usize * 4 {
            // Pixman pads rows of 32-bit pixels to 4 bytes: never the case.
            return Err(PictureError { width, height });
        }
        Ok(Self { image })
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.image.width() as u32
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.image.height() as u32
    }

    /// The image, for reading through a captured frame.
    pub fn image(&self) -> &Image<'static, 'static> {
        &self.image
    }

    /// The image, for the renderer to draw into.
    pub fn image_mut(&mut self) -> &mut Image<'static, 'static> {
        &mut self.image
    }

    fn len(&self) -> usize {
        self.image.stride() * self.image.height()
    }

    /// The pixels, row after row.
    pub fn bytes(&self) -> &[u8] {
        // SAFETY: pixman owns `stride * height` bytes of pixel data for the image's lifetime;
        // the shared borrow of `self` keeps the image alive and unchanged meanwhile (drawing
        // into it or writing its bytes needs `&mut self`).
        unsafe { std::slice::from_raw_parts(self.image.data() as *const u8, self.len()) }
    }

    /// The pixels, row after row, to write.
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        let len = self.len();
        // SAFETY: as in `bytes`; the exclusive borrow of `self` makes this the only access.
        unsafe { std::slice::from_raw_parts_mut(self.image.data() as *mut u8, len) }
    }

    /// Copies `rect` (in pixels, inside both pictures) from `from`, which has this size.
    pub fn copy_rect(&mut self, from: &Picture, rect: wayray_protocol::Rect) {
        let stride = self.width() as usize * 4;
        let src = from.bytes();
        let dst = self.bytes_mut();
        for y in rect.y..rect.y + rect.height {
            let start = y as usize * stride + rect.x as usize * 4;
            let span = start..start + rect.width as usize * 4;
            dst[span.clone()].copy_from_slice(&src[span]);
        }
    }
}

impl Picture {
    /// A copy of the pixels; `None` where pixman cannot allocate one.
    pub fn try_clone(&self) -> Option<Self> {
        let mut copy = Picture::new(self.width(), self.height()).ok()?;
        copy.bytes_mut().copy_from_slice(self.bytes());
        Some(copy)
    }
}

impl Clone for Picture {
    /// A copy of the pixels, for `Arc::make_mut` (out of memory aborts, as a `Vec` does).
    fn clone(&self) -> Self {
        self.try_clone().unwrap_or_else(|| {
            std::alloc::handle_alloc_error(std::alloc::Layout::new::<[u32; 1]>())
        })
    }
}

/// Returns freed heap memory to the system: picture-sized buffers freed after many
/// allocations live in the allocator's arenas, not in their own mappings, and would stay in
/// the RSS.
pub fn give_back_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks glibc's own free lists; no pointer of ours is involved.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copied_rectangle_lands_where_it_was_and_nowhere_else() {
        let mut from = Picture::new(8, 4).unwrap();
        for (i, b) in from.bytes_mut().iter_mut().enumerate() {
            *b = i as u8;
        }
        let mut to = Picture::new(8, 4).unwrap();
        to.copy_rect(&from, wayray_protocol::Rect::new(2, 1, 3, 2));
        for y in 0..4usize {
            for x in 0..8usize {
                let i = (y * 8 + x) * 4;
                let inside = (2..5).contains(&x) && (1..3).contains(&y);
                let want = if inside {
                    &from.bytes()[i..i + 4]
                } else {
                    &[0; 4][..]
                };
                assert_eq!(&to.bytes()[i..i + 4], want, "({x}, {y})");
            }
        }
        assert_eq!(to.clone().bytes(), to.bytes());
        assert_eq!(to.try_clone().unwrap().bytes(), to.bytes());
    }
}
