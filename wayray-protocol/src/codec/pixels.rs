//! Borrowed views of BGRA pixel buffers with a stride.

use crate::Rect;

/// A read-only BGRA image.
#[derive(Clone, Copy, Debug)]
pub struct PixelView<'a> {
    data: &'a [u8],
    width: u32,
    height: u32,
    stride: usize,
}

impl<'a> PixelView<'a> {
    /// A view of `data`; `None` if it is too short for `height` rows of `stride` bytes or a row
    /// of `width` pixels does not fit the stride.
    pub fn new(data: &'a [u8], width: u32, height: u32, stride: usize) -> Option<Self> {
        let row = width as usize * 4;
        let needed = if height == 0 {
            0
        } else {
            stride * (height as usize - 1) + row
        };
        (stride >= row && data.len() >= needed).then_some(Self {
            data,
            width,
            height,
            stride,
        })
    }

    /// A tightly packed image (`stride = width * 4`).
    pub fn packed(data: &'a [u8], width: u32, height: u32) -> Option<Self> {
        Self::new(data, width, height, width as usize * 4)
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// The bytes of row `y` of `rect` (`rect` must lie inside the image).
    pub fn row(&self, rect: Rect, y: u32) -> &'a [u8] {
        let start = (rect.y + y) as usize * self.stride + rect.x as usize * 4;
        &self.data[start..start + rect.width as usize * 4]
    }

    /// Iterates over the rows of `rect`.
    pub fn rows(&self, rect: Rect) -> impl Iterator<Item = &'a [u8]> + '_ {
        (0..rect.height).map(move |y| self.row(rect, y))
    }

    /// The pixel at `(x, y)`.
    pub fn pixel(&self, x: u32, y: u32) -> [u8; 4] {
        let i = y as usize * self.stride + x as usize * 4;
        [
            self.data[i],
            self.data[i + 1],
            self.data[i + 2],
            self.data[i + 3],
        ]
    }
}

/// A writable BGRA image.
#[derive(Debug)]
pub struct PixelViewMut<'a> {
    data: &'a mut [u8],
    width: u32,
    height: u32,
    stride: usize,
}

impl<'a> PixelViewMut<'a> {
    /// A writable view; `None` under the same conditions as [`PixelView::new`].
    pub fn new(data: &'a mut [u8], width: u32, height: u32, stride: usize) -> Option<Self> {
        PixelView::new(data, width, height, stride)?;
        Some(Self {
            data,
            width,
            height,
            stride,
        })
    }

    /// A tightly packed writable image.
    pub fn packed(data: &'a mut [u8], width: u32, height: u32) -> Option<Self> {
        Self::new(data, width, height, width as usize * 4)
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// Read-only view of the same pixels.
    pub fn as_view(&self) -> PixelView<'_> {
        PixelView {
            data: self.data,
            width: self.width,
            height: self.height,
            stride: self.stride,
        }
    }

    /// The writable bytes of row `y` of `rect` (`rect` must lie inside the image).
    pub fn row_mut(&mut self, rect: Rect, y: u32) -> &mut [u8] {
        let start = (rect.y + y) as usize * self.stride + rect.x as usize * 4;
        &mut self.data[start..start + rect.width as usize * 4]
    }

    /// Copies `rect`'s pixels from `src` (same rectangle in another image of the same size).
    pub fn copy_from(&mut self, src: &PixelView<'_>, rect: Rect) {
        for y in 0..rect.height {
            self.row_mut(rect, y).copy_from_slice(src.row(rect, y));
        }
    }

    /// Moves the rectangle at `src` (top-left) to `dst`, correctly when they overlap.
    pub fn move_rect(&mut self, src: (u32, u32), dst: Rect) {
        let row_bytes = dst.width as usize * 4;
        let order: Box<dyn Iterator<Item = u32>> = if src.1 < dst.y {
            Box::new((0..dst.height).rev())
        } else {
            Box::new(0..dst.height)
        };
        for y in order {
            let from = (src.1 + y) as usize * self.stride + src.0 as usize * 4;
            let to = (dst.y + y) as usize * self.stride + dst.x as usize * 4;
            self.data.copy_within(from..from + row_bytes, to);
        }
    }
}
