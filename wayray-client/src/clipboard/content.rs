//! A clipboard entry as the desk holds it (UTF-8 text or an RGBA image) and as the wire carries
//! it (bytes in a MIME type: the text's UTF-8, or a PNG file).

use std::hash::{Hash, Hasher};
use std::sync::OnceLock;

use wayray_protocol::session::clipboard::{PNG_MIME_TYPE, TEXT_MIME_TYPES};

/// Largest image side accepted from the server.
const MAX_SIDE: u32 = 16384;

/// One clipboard entry.
#[derive(Debug)]
pub enum Content {
    /// Text.
    Text(String),
    /// An image, RGBA 8 bits per channel, rows packed.
    Image(Image),
}

/// An RGBA image and, once needed, its PNG encoding.
#[derive(Debug)]
pub struct Image {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// RGBA bytes, `width * height * 4`.
    pub rgba: Vec<u8>,
    png: OnceLock<Option<Vec<u8>>>,
}

impl Image {
    /// An image from RGBA bytes.
    pub fn new(width: u32, height: u32, rgba: Vec<u8>) -> Self {
        Self {
            width,
            height,
            rgba,
            png: OnceLock::new(),
        }
    }
}

impl Content {
    /// The MIME types it is offered in.
    pub fn mime_types(&self) -> Vec<String> {
        match self {
            Content::Text(_) => TEXT_MIME_TYPES.iter().map(|m| (*m).to_owned()).collect(),
            Content::Image(_) => vec![PNG_MIME_TYPE.to_owned()],
        }
    }

    /// Its bytes in `mime_type`, if it is offered in that type.
    pub fn bytes(&self, mime_type: &str) -> Option<Vec<u8>> {
        match self {
            Content::Text(text) if TEXT_MIME_TYPES.contains(&mime_type) => {
                Some(text.as_bytes().to_vec())
            }
            Content::Image(image) if mime_type == PNG_MIME_TYPE => image
                .png
                .get_or_init(|| encode_png(image.width, image.height, &image.rgba))
                .clone(),
            _ => None,
        }
    }

    /// An entry from bytes received in `mime_type`; `None` if they are not usable (an image
    /// that does not decode).
    pub fn from_bytes(mime_type: &str, bytes: Vec<u8>) -> Option<Self> {
        if TEXT_MIME_TYPES.contains(&mime_type) {
            let text = String::from_utf8(bytes)
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
            return Some(Content::Text(text));
        }
        if mime_type == PNG_MIME_TYPE {
            let (width, height, rgba) = decode_png(&bytes)?;
            let image = Image::new(width, height, rgba);
            let _ = image.png.set(Some(bytes));
            return Some(Content::Image(image));
        }
        None
    }

    /// A digest to tell entries apart (not for security).
    pub fn digest(&self) -> u64 {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        match self {
            Content::Text(text) => (0u8, text).hash(&mut hasher),
            Content::Image(image) => {
                (1u8, image.width, image.height, &image.rgba).hash(&mut hasher)
            }
        }
        hasher.finish()
    }

    /// Its size in bytes (for limits and logs; never its contents).
    pub fn len(&self) -> usize {
        match self {
            Content::Text(text) => text.len(),
            Content::Image(image) => image.rgba.len(),
        }
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn encode_png(width: u32, height: u32, rgba: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Fast);
    let mut writer = encoder.write_header().ok()?;
    writer.write_image_data(rgba).ok()?;
    writer.finish().ok()?;
    Some(out)
}

/// Decodes a PNG from the network into RGBA; anything unusual (too large, broken) is `None`.
fn decode_png(bytes: &[u8]) -> Option<(u32, u32, Vec<u8>)> {
    let limits = png::Limits {
        bytes: (MAX_SIDE as usize) * (MAX_SIDE as usize),
    };
    let mut decoder = png::Decoder::new_with_limits(std::io::Cursor::new(bytes), limits);
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().ok()?;
    let (width, height) = (reader.info().width, reader.info().height);
    if width > MAX_SIDE || height > MAX_SIDE {
        return None;
    }
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).ok()?;
    let pixels = &buf[..info.buffer_size()];
    let rgba = match info.color_type {
        png::ColorType::Rgba => pixels.to_vec(),
        png::ColorType::Rgb => pixels
            .chunks_exact(3)
            .flat_map(|p| [p[0], p[1], p[2], 255])
            .collect(),
        png::ColorType::GrayscaleAlpha => pixels
            .chunks_exact(2)
            .flat_map(|p| [p[0], p[0], p[0], p[1]])
            .collect(),
        png::ColorType::Grayscale => pixels.iter().flat_map(|g| [*g, *g, *g, 255]).collect(),
        png::ColorType::Indexed => return None,
    };
    Some((width, height, rgba))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trips_in_every_text_type() {
        let text = Content::Text("grüße 👋".into());
        for mime in text.mime_types() {
            let bytes = text.bytes(&mime).unwrap();
            let back = Content::from_bytes(&mime, bytes).unwrap();
            assert_eq!(back.digest(), text.digest());
        }
        assert!(text.bytes(PNG_MIME_TYPE).is_none());
    }

    #[test]
    fn images_travel_as_png() {
        let rgba: Vec<u8> = (0..4 * 5 * 3).map(|i| (i * 7) as u8).collect();
        let image = Content::Image(Image::new(5, 3, rgba));
        let png = image.bytes(PNG_MIME_TYPE).unwrap();
        assert!(png.starts_with(b"\x89PNG"));
        let back = Content::from_bytes(PNG_MIME_TYPE, png).unwrap();
        assert_eq!(back.digest(), image.digest());
        assert!(Content::from_bytes(PNG_MIME_TYPE, b"not a png".to_vec()).is_none());
    }

    #[test]
    fn invalid_utf8_is_replaced_not_refused() {
        let back = Content::from_bytes("text/plain", vec![b'a', 0xff, b'b']).unwrap();
        assert!(matches!(back, Content::Text(t) if t == "a\u{fffd}b"));
    }
}
