//! The session's cursor as the window's own cursor (client-side cursor): a named shape from
//! this desk's cursor theme, or an image an application drew, with its hotspot. Moving the
//! pointer then never waits for the network.

use std::str::FromStr;

use wayray_protocol::messages::display::{CursorImage, CursorShape, DisplayMessage};
use winit::event_loop::ActiveEventLoop;
use winit::window::{CursorIcon, CustomCursor, Window};

/// Straight-alpha RGBA from the protocol's premultiplied BGRA.
pub fn straight_rgba(image: &CursorImage) -> Vec<u8> {
    image
        .pixels
        .chunks_exact(4)
        .flat_map(|p| {
            let (b, g, r, a) = (p[0], p[1], p[2], p[3]);
            let un = |c: u8| {
                if a == 0 {
                    0
                } else {
                    ((u32::from(c) * 255 + u32::from(a) / 2) / u32::from(a)).min(255) as u8
                }
            };
            [un(r), un(g), un(b), a]
        })
        .collect()
}

/// Sets the window's cursor to what the session asked for.
pub fn show(event_loop: &ActiveEventLoop, window: &Window, cursor: &DisplayMessage) {
    match cursor {
        DisplayMessage::CursorShape(CursorShape::Hidden) => window.set_cursor_visible(false),
        DisplayMessage::CursorShape(shape) => {
            window.set_cursor_visible(true);
            window.set_cursor(CursorIcon::from_str(shape.name()).unwrap_or_default());
        }
        DisplayMessage::CursorImage(image) => {
            let source = CustomCursor::from_rgba(
                straight_rgba(image),
                image.width as u16,
                image.height as u16,
                image.hotspot_x as u16,
                image.hotspot_y as u16,
            );
            match source {
                Ok(source) => {
                    window.set_cursor_visible(true);
                    window.set_cursor(event_loop.create_custom_cursor(source));
                }
                Err(err) => tracing::debug!(%err, "the session's cursor image cannot be shown"),
            }
        }
        // The viewer core hands cursor images over unpacked.
        DisplayMessage::FrameUpdate(_)
        | DisplayMessage::FrameAfter(_)
        | DisplayMessage::PackedCursor(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn premultiplied_bgra_becomes_straight_rgba() {
        let image = CursorImage {
            width: 2,
            height: 1,
            hotspot_x: 0,
            hotspot_y: 0,
            pixels: vec![0x00, 0x40, 0x80, 0x80, 9, 9, 9, 0],
        };
        assert_eq!(straight_rgba(&image), [0xff, 0x80, 0x00, 0x80, 0, 0, 0, 0]);
    }
}
