//! The session's cursor as the viewer shows it (client-side cursor): a named shape when the
//! client used cursor-shape-v1, or the image a client drew into its cursor surface, read from
//! the surface's shm buffer with the hotspot it set. It is never drawn into captured frames.

use std::sync::Arc;

use smithay::backend::renderer::utils::with_renderer_surface_state;
use smithay::input::pointer::{CursorImageStatus, CursorImageSurfaceData};
use smithay::reexports::wayland_server::protocol::wl_shm;
use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::wayland::compositor::with_states;
use smithay::wayland::shm::{BufferData, with_buffer_contents};
use wayray_protocol::messages::display::{CursorImage, CursorShape, DisplayMessage, PackedCursor};

/// What the viewer should show as the cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cursor {
    /// A cursor from the viewer's theme (or hidden).
    Shape(CursorShape),
    /// An image drawn by the client.
    Image(Arc<CursorImage>),
}

impl Default for Cursor {
    fn default() -> Self {
        Cursor::Shape(CursorShape::Default)
    }
}

impl Cursor {
    /// The display message that tells the viewer: an image packed where the viewer takes
    /// it so (`cursor-zstd`).
    pub fn message(&self, packed: bool) -> DisplayMessage {
        match self {
            Cursor::Shape(shape) => DisplayMessage::CursorShape(*shape),
            Cursor::Image(image) => match packed.then(|| PackedCursor::pack(image)).flatten() {
                Some(packed) => DisplayMessage::PackedCursor(packed),
                None => DisplayMessage::CursorImage(CursorImage::clone(image)),
            },
        }
    }
}

/// Where cursor changes go (the link to the viewer).
pub type CursorSink = Box<dyn Fn(Cursor) + Send>;

/// The cursor for `status`. A cursor surface whose image cannot be read (no buffer yet, not
/// shm, larger than the protocol allows) shows the default arrow.
pub fn of(status: &CursorImageStatus) -> Cursor {
    match status {
        CursorImageStatus::Hidden => Cursor::Shape(CursorShape::Hidden),
        CursorImageStatus::Named(icon) => Cursor::Shape(CursorShape::from_name(icon.name())),
        CursorImageStatus::Surface(surface) => surface_image(surface)
            .map(|image| Cursor::Image(Arc::new(image)))
            .unwrap_or_default(),
    }
}

/// The image in `surface`'s current buffer, with its hotspot in buffer pixels.
fn surface_image(surface: &WlSurface) -> Option<CursorImage> {
    let (buffer, scale) = with_renderer_surface_state(surface, |state| {
        (state.buffer().cloned(), state.buffer_scale())
    })?;
    let buffer = buffer?;
    let hotspot = with_states(surface, |states| {
        states
            .data_map
            .get::<CursorImageSurfaceData>()
            .and_then(|data| data.lock().ok().map(|attrs| attrs.hotspot))
    })
    .unwrap_or_default();
    let mut image = with_buffer_contents(&buffer, |ptr, len, data| {
        // SAFETY: smithay hands out the mapped pool of `len` bytes for the duration of this
        // call and guards against the client truncating it (SIGBUS).
        let pool = unsafe { std::slice::from_raw_parts(ptr, len) };
        copy_pixels(pool, data)
    })
    .ok()??;
    let scale = scale.max(1);
    image.hotspot_x = (hotspot.x.max(0) as u32)
        .saturating_mul(scale as u32)
        .min(image.width - 1);
    image.hotspot_y = (hotspot.y.max(0) as u32)
        .saturating_mul(scale as u32)
        .min(image.height - 1);
    Some(image)
}

/// Copies an ARGB/XRGB shm buffer (premultiplied BGRA bytes in memory) out of `pool`, checking
/// every bound first: the client chose the numbers.
fn copy_pixels(pool: &[u8], data: BufferData) -> Option<CursorImage> {
    let opaque = match data.format {
        wl_shm::Format::Argb8888 => false,
        wl_shm::Format::Xrgb8888 => true,
        _ => return None,
    };
    let width = u32::try_from(data.width).ok()?;
    let height = u32::try_from(data.height).ok()?;
    if !(1..=CursorImage::MAX_EDGE).contains(&width)
        || !(1..=CursorImage::MAX_EDGE).contains(&height)
    {
        return None;
    }
    let offset = usize::try_from(data.offset).ok()?;
    let stride = usize::try_from(data.stride).ok()?;
    let row = width as usize * 4;
    if stride < row {
        return None;
    }
    let end = offset
        .checked_add(stride.checked_mul(height as usize - 1)?)?
        .checked_add(row)?;
    let source = pool.get(offset..end)?;
    let mut pixels = Vec::with_capacity(row * height as usize);
    for y in 0..height as usize {
        let line = &source[y * stride..y * stride + row];
        if opaque {
            pixels.extend(line.chunks_exact(4).flat_map(|p| [p[0], p[1], p[2], 0xff]));
        } else {
            pixels.extend_from_slice(line);
        }
    }
    Some(CursorImage {
        width,
        height,
        hotspot_x: 0,
        hotspot_y: 0,
        pixels,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(format: wl_shm::Format, width: i32, height: i32, stride: i32) -> BufferData {
        BufferData {
            offset: 4,
            width,
            height,
            stride,
            format,
        }
    }

    #[test]
    fn pixels_are_copied_row_by_row_and_xrgb_made_opaque() {
        // 4 bytes of offset, two rows of one pixel with a stride of 8.
        let pool = [0, 0, 0, 0, 1, 2, 3, 4, 9, 9, 9, 9, 5, 6, 7, 8];
        let argb = copy_pixels(&pool, data(wl_shm::Format::Argb8888, 1, 2, 8)).unwrap();
        assert_eq!(argb.pixels, [1, 2, 3, 4, 5, 6, 7, 8]);
        let xrgb = copy_pixels(&pool, data(wl_shm::Format::Xrgb8888, 1, 2, 8)).unwrap();
        assert_eq!(xrgb.pixels, [1, 2, 3, 255, 5, 6, 7, 255]);
        assert!(xrgb.validate().is_ok());
    }

    #[test]
    fn bounds_chosen_by_the_client_are_checked() {
        let pool = [0u8; 64];
        let argb = wl_shm::Format::Argb8888;
        assert!(copy_pixels(&pool, data(argb, 4, 4, 16)).is_none()); // past the pool's end
        assert!(copy_pixels(&pool, data(argb, 2, 2, 4)).is_none()); // stride shorter than a row
        assert!(copy_pixels(&pool, data(argb, -1, 2, 8)).is_none());
        assert!(copy_pixels(&pool, data(argb, 300, 1, 1200)).is_none()); // too large
        assert!(copy_pixels(&pool, data(wl_shm::Format::Rgb565, 1, 1, 4)).is_none());
    }

    #[test]
    fn an_image_goes_packed_only_to_a_viewer_that_takes_it_so() {
        let pool = [0u8; 4 + 16 * 16 * 4];
        let image = copy_pixels(&pool, data(wl_shm::Format::Argb8888, 16, 16, 64)).unwrap();
        let cursor = Cursor::Image(Arc::new(image.clone()));
        match cursor.message(true) {
            DisplayMessage::PackedCursor(packed) => {
                assert!(packed.zstd.len() < image.pixels.len());
                assert_eq!(packed.unpack().unwrap(), image);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(cursor.message(false), DisplayMessage::CursorImage(image));
        let shape = Cursor::Shape(CursorShape::Text);
        assert_eq!(
            shape.message(true),
            DisplayMessage::CursorShape(CursorShape::Text)
        );
    }
}
